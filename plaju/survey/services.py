"""SKM services: the one-use survey link of a request, taking an answer, the index by month, type and element.

The link of a request is /skm/<tracking code>/<key>, key = the first 10 characters (base32, 50 bits) of
HMAC-SHA256(SECRET_KEY, "skm:" + tracking code): printed on the receipt at intake, valid from the end of
the request (handed over, refused or cancelled: a citizen turned away used the service too, and leaving
him out would raise the index) for `SURVEY_VALID_DAYS` days (default 90). Nothing is stored until it is used; then the
digest of the link goes into `skm_token_use` (primary key: a second use, even at the same moment, fails)
and the answers into `skm_response` with only the month of the hand-over and the document type.
"""
import base64
import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

from flask import current_app, has_request_context, request
from sqlalchemy import and_, func, literal_column, or_, select
from sqlalchemy.exc import IntegrityError

from ..audit import record as audit
from ..audit import vocabulary
from ..database import is_postgres, utcnow
from ..documents.models import DocumentRequest, DocumentType
from ..documents.workflow import TERMINAL_STATES as ENDED
from ..extensions import db
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from ..i18n import month_text
from ..inputs import hide_id_numbers
from ..reports.competence import SMALL_UNIT
from ..timeutil import WIB, to_wib, today_wib
from . import ikm
from .models import ANSWER_COLUMNS, SkmResponse, SkmTokenUse

# who reads the dashboard; who also reads the citizens' comments (they may name staff or cases)
REPORT_READERS = ("camat", "sekcam", "section_head", "hr")
COMMENT_READERS = ("camat", "sekcam", "section_head")
MIN_RESPONDENTS = 30  # below this an index says little whatever the population
# a document type with fewer answers than the office's smallest group shown alone (SMALL_UNIT) in a period,
# or in a comment's month, is not named: its figures or the comment would point at the few citizens served
COMMENTS_PAGE = 20
KEY_LENGTH = 10
DEFAULT_VALID_DAYS = 90

vocabulary.describe_actions({
    "skm.submit": _l("filled in the satisfaction survey, without a name"),
    "skm.report": _l("opened the satisfaction survey dashboard"),
})
vocabulary.describe_kind("skm", _l("Satisfaction survey (SKM)"))


class SurveyRefused(ValueError):
    def __init__(self, message, code):
        super().__init__(str(message))
        self.message = message
        self.code = code


# ---- the link -----------------------------------------------------------------------------------

def survey_key(tracking_code: str) -> str:
    secret = current_app.config["SECRET_KEY"]
    secret = secret.encode() if isinstance(secret, str) else secret
    mac = hmac.new(secret, b"skm:" + tracking_code.encode(), hashlib.sha256).digest()
    return base64.b32encode(mac).decode()[:KEY_LENGTH]


def _digest(tracking_code: str, key: str) -> str:
    return hashlib.sha256(f"{tracking_code}/{key}".encode()).hexdigest()


def survey_path(tracking_code: str) -> str:
    from ..core.urls import local_path
    return local_path("survey.answer", code=tracking_code, key=survey_key(tracking_code))


def valid_days() -> int:
    value = current_app.config.get("SURVEY_VALID_DAYS") or os.environ.get("PLAJU_SURVEY_VALID_DAYS")
    return int(value) if value else DEFAULT_VALID_DAYS


def is_used(tracking_code: str) -> bool:
    return db.session.get(SkmTokenUse, _digest(tracking_code, survey_key(tracking_code))) is not None


@dataclass
class Invitation:
    state: str  # "open", "not_yet" (not ended), "expired"


def invitation(req) -> Invitation:
    """What the tracking page offers for `req` (a DocumentRequest), without a statement but for a cancelled one.
    Whoever holds the
    tracking code reads that page (a clerk sees every code in his queue): it invites the same way whether or
    not the citizen answered, never telling that this citizen did, and it asks for the survey code printed on
    the receipt instead of giving the link (a clerk answered for citizens from the tracking page, unseen)."""
    if req.state not in ENDED or req.closed_at is None:
        return Invitation("not_yet")
    if req.closed_at < utcnow() - timedelta(days=valid_days()):
        return Invitation("expired")
    if req.state == "cancelled" and _registered_twice(req):  # its link refuses: not invited to it (a statement)
        return Invitation("twice")
    return Invitation("open")


def check_link(code: str, key: str, enforce_expiry: bool = True) -> DocumentRequest:
    """The request a link belongs to, if the link may be answered now; SurveyRefused otherwise."""
    from ..documents.services import normalise_code
    normal = normalise_code(code)
    expected = survey_key(normal) if normal else None
    # the key is base32 (letters and 2-7): a 0 or 1 typed from the receipt can only be the O or the I
    typed = (key or "").upper()[:40].replace("0", "O").replace("1", "I")
    if not normal or not hmac.compare_digest(typed, expected):
        raise SurveyRefused(_("This survey link is not valid. Use the link or QR code on your receipt."), "forged")
    req = db.session.scalars(select(DocumentRequest).where(DocumentRequest.tracking_code == normal)).first()
    if req is None:
        raise SurveyRefused(_("This survey link is not valid. Use the link or QR code on your receipt."), "forged")
    if req.state not in ENDED or req.closed_at is None:
        raise SurveyRefused(_("The survey opens once your request has ended: when you receive your document, "
                              "or when the office has refused or cancelled the request."), "not_handed_over")
    if _registered_twice(req):
        raise SurveyRefused(_("This request was cancelled because it was taken in twice: rate the service with the "
                              "receipt of the request that went on."), "twice")
    if enforce_expiry and req.closed_at < utcnow() - timedelta(days=valid_days()):
        raise SurveyRefused(_("This survey link has expired (%(n)d days after the request ended).", n=valid_days()),
                            "expired")
    if db.session.get(SkmTokenUse, _digest(normal, expected)) is not None:
        raise SurveyRefused(_("This survey was already answered with this link. Thank you, every link counts "
                              "once."), "used")
    return req


def _registered_twice(req) -> bool:
    """A request cancelled while another of the same NIK and type, open at the same time, went on: a double
    registration, rated through the other one, not a second vote."""
    if req.state != "cancelled":
        return False
    # open at the same time as this one: a request handed over before this one was taken in is an earlier
    # visit, not a double registration
    # and about the same person: two SKTMs of one applicant, for his father and his mother, are two requests
    # (a withdrawn one was told it was registered twice)
    others = db.session.scalars(select(DocumentRequest.subject_data).where(
        DocumentRequest.nik == req.nik, DocumentRequest.type_id == req.type_id, DocumentRequest.id != req.id,
        DocumentRequest.state != "cancelled", DocumentRequest.received_at <= req.closed_at,
        or_(DocumentRequest.closed_at.is_(None), DocumentRequest.closed_at >= req.received_at)).limit(20)).all()
    return any(_about(other) == _about(req.subject_data) for other in others)


def _about(subject_data: str | None) -> dict:
    """Whom a request is about, from its subject data (the counter's "married" statement aside)."""
    data = json.loads(subject_data or "{}") if (subject_data or "").startswith("{") else {}
    return {key: value for key, value in data.items() if key != "married"}


def month_of(moment: datetime) -> str:
    return to_wib(moment).strftime("%Y-%m")


class _NoClientAddress:
    """The answer's audit event carries no IP address: with the time it could point at the citizen."""

    def __enter__(self):
        self.active = has_request_context()
        if self.active:
            self.saved = request.remote_addr
            request.remote_addr = None
        return self

    def __exit__(self, *exc):
        if self.active:
            request.remote_addr = self.saved
        return False


def refuse(refusal: SurveyRefused) -> None:
    """A refused answer, in the log. Only a guessed link (`forged`) keeps the sender's address: a citizen who
    skipped a question and sent again seconds later would otherwise be pointed at by the refusal's address
    beside the answer's time."""
    db.session.rollback()
    if refusal.code == "forged":
        audit.record_alone("skm.submit", outcome="refused", actor_name=_("Citizen (survey)"),
                           comment=f"[{refusal.code}] {refusal.message}")
        return
    with _NoClientAddress():
        audit.record_alone("skm.submit", outcome="refused", actor_name=_("Citizen (survey)"),
                           comment=f"[{refusal.code}] {refusal.message}")


def submit(code: str, key: str, answers: list[int], comment: str = "", age: int | None = None,
           sex: str | None = None, education: str | None = None, occupation: str | None = None,
           enforce_expiry: bool = True) -> SkmResponse:
    """Spend the link and store the answers, in one transaction; a link is counted once."""
    try:
        req = check_link(code, key, enforce_expiry)
        if len(answers) != ikm.N_ELEMENTS or any(a not in (1, 2, 3, 4) for a in answers):
            raise SurveyRefused(_("Answer all nine questions."), "incomplete")
        month, type_id, tracking_code = month_of(req.closed_at), req.type_id, req.tracking_code
        db.session.add(SkmTokenUse(digest=_digest(tracking_code, survey_key(tracking_code))))
        response = SkmResponse(month=month, type_id=type_id, comment=(comment or "").strip(), age=age,
                               sex=sex or None, education=education or None, occupation=occupation or None,
                               **dict(zip(ANSWER_COLUMNS, answers, strict=True)))
        db.session.add(response)
        db.session.flush()  # a second use of the link fails here (primary key)
        with _NoClientAddress():
            audit.record("skm.submit", actor_name=_("Citizen (survey)"), changes={"month": [None, month]})
        db.session.commit()
        return response
    except IntegrityError:
        refusal = SurveyRefused(_("This survey was already answered with this link. Thank you, every link "
                                  "counts once."), "used")
        refuse(refusal)
        raise refusal from None
    except SurveyRefused as refusal:
        refuse(refusal)
        raise


# ---- the index ----------------------------------------------------------------------------------

def _month_expr(column):
    """YYYY-MM of a UTC timestamp in WIB, on both databases."""
    if is_postgres():
        return func.to_char(column + literal_column("interval '7 hours'"), "YYYY-MM")
    return func.strftime("%Y-%m", column, "+7 hours")


def month_start_utc(month: str) -> datetime:
    """Midnight WIB of the month's first day, as the naive UTC the database stores."""
    year, mon = map(int, month.split("-"))
    return datetime(year, mon, 1, tzinfo=WIB).astimezone(UTC).replace(tzinfo=None)


def next_month(month: str) -> str:
    year, mon = map(int, month.split("-"))
    return f"{year + mon // 12:04d}-{mon % 12 + 1:02d}"


def months_between(first: str, last: str) -> list[str]:
    months, month = [], first
    while month <= last:
        months.append(month)
        month = next_month(month)
    return months


def parse_month(raw: str | None) -> str | None:
    """'2026-03' -> '2026-03'; anything else (2026-13, 26-3, text) -> None."""
    raw = (raw or "").strip()
    try:
        parsed = datetime.strptime(raw, "%Y-%m")
    except ValueError:
        return None
    if len(raw) != 7 or not 2000 <= parsed.year <= 2100:
        return None
    return raw


def default_period(today: date | None = None) -> tuple[str, str]:
    today = today or today_wib()
    last = today.strftime("%Y-%m")
    first = f"{today.year - 1:04d}-{today.month:02d}"
    return next_month(first), last


@dataclass
class Row:
    key: object
    label: str
    index: ikm.Index
    population: int
    hidden: bool = False  # its answers are too few to show alone (SMALL_UNIT): counted with other services

    @property
    def needed(self) -> int:
        return ikm.minimum_sample(self.population)

    @property
    def required(self) -> int:
        """Answers to ask for: the regulation's sample, and 30 unless fewer citizens were served."""
        return max(self.needed, min(MIN_RESPONDENTS, self.population))

    @property
    def too_few(self) -> bool:
        """Some answers, fewer than can and should be had: invite more (no answer shows no index to flag)."""
        return 0 < self.index.respondents < self.required

    @property
    def small(self) -> bool:
        """As many answers as could be had, but under 30 (one answer of one was graded "A, very good"
        unflagged): the index stands, read with care."""
        return not self.too_few and 0 < self.index.respondents < MIN_RESPONDENTS


def _sums_query(first: str, last: str, type_id: int | None, group):
    columns = [func.sum(getattr(SkmResponse, c)) for c in ANSWER_COLUMNS]
    query = select(*group, func.count(), *columns).where(SkmResponse.month >= first, SkmResponse.month <= last)
    if type_id:
        query = query.where(SkmResponse.type_id == type_id)
    return query.group_by(*group)


def _index(n, sums) -> ikm.Index:
    return ikm.compute([int(s or 0) for s in sums], [int(n)] * ikm.N_ELEMENTS)


def _population(first: str, last: str, type_id: int | None, group_by_type: bool) -> dict:
    """Requests ended per month (or per type) in the period: the survey's population."""
    month = _month_expr(DocumentRequest.closed_at)
    key = DocumentRequest.type_id if group_by_type else month
    query = select(key, func.count()).where(
        DocumentRequest.state.in_(ENDED), DocumentRequest.closed_at >= month_start_utc(first),
        DocumentRequest.closed_at < month_start_utc(next_month(last)))
    if type_id:
        query = query.where(DocumentRequest.type_id == type_id)
    return {k: int(n) for k, n in db.session.execute(query.group_by(key))}


@dataclass
class Report:
    first: str
    last: str
    type_id: int | None
    total: Row
    months: list
    types: list
    elements: list  # (Element, mean on 25..100, letter, label, weakest?)
    others: Row | None = None  # the answers of the types too few to show alone, together
    # the one type asked for has too few answers in the period: no figure of it is shown
    hidden: bool = False


def report(first: str, last: str, type_id: int | None = None) -> Report:
    """The index for the period, per month, per document type and per element: a fixed number of
    grouped statements whatever the number of answers."""
    by_month = {m: (n, sums) for m, n, *sums in db.session.execute(
        _sums_query(first, last, type_id, [SkmResponse.month]))}
    by_type = {t: (n, sums) for t, n, *sums in db.session.execute(
        _sums_query(first, last, type_id, [SkmResponse.type_id]))}
    pop_month = _population(first, last, type_id, False)
    pop_type = _population(first, last, type_id, True)
    names = dict(db.session.execute(select(DocumentType.id, DocumentType.name)).all())
    total_n = sum(n for n, _s in by_month.values())
    total_sums = [sum(int(s[i] or 0) for _n, s in by_month.values()) for i in range(ikm.N_ELEMENTS)]
    total = Row("all", _("All services"), _index(total_n, total_sums), sum(pop_month.values()))
    months = [Row(m, month_text(m), _index(*by_month.get(m, (0, [0] * 9))), pop_month.get(m, 0))
              for m in months_between(first, last)]
    types = sorted((Row(t, names.get(t, "?"), _index(*by_type.get(t, (0, [0] * 9))), pop_type.get(t, 0))
                    for t in set(by_type) | set(pop_type)), key=lambda r: r.label)
    pooled = _too_few_alone(types)
    others = None
    pooled_n = sum(r.index.respondents for r in pooled)
    if pooled and not type_id and pooled_n >= SMALL_UNIT:  # a pool of fewer is one or two citizens: not shown
        sums = [sum(int(by_type[r.key][1][i] or 0) for r in pooled) for i in range(ikm.N_ELEMENTS)]
        others = Row("others", _("other services"), _index(pooled_n, sums), sum(r.population for r in pooled))
    # one type asked for with fewer answers than SMALL_UNIT, none included: "none" and "one" read alike
    hidden = bool(type_id) and total_n < SMALL_UNIT
    if type_id:  # the months of one type are small groups too
        _too_few_alone(months)
    elements = []
    values = total.index.element_values if total_n else (None,) * ikm.N_ELEMENTS
    weakest = total.index.weakest if total_n else None
    for i, element in enumerate(ikm.ELEMENTS):
        value = values[i]
        letter, label = ikm.grade(value) if value is not None else (None, None)
        elements.append((element, value, letter, label, i == weakest))
    return Report(first, last, type_id, total, months, types, elements, others, hidden)


def _too_few_alone(rows: list[Row]) -> list[Row]:
    """Marks hidden, and returns, the rows with answers but fewer than SMALL_UNIT, joined by the smallest
    others until together they hold SMALL_UNIT answers: the total less the rows shown then never gives a
    small group's answers either."""
    answered = [row for row in rows if row.index.respondents]
    pool = [row for row in answered if row.index.respondents < SMALL_UNIT]
    if not pool:
        return []
    others = sorted((row for row in answered if row not in pool), key=lambda row: (row.index.respondents, row.label))
    while sum(row.index.respondents for row in pool) < SMALL_UNIT and others:
        pool.append(others.pop(0))
    for row in pool:
        row.hidden = True
    return pool


def _small_groups(first: str, last: str) -> set[tuple[str, int]]:
    """(month, type id) of the period with answers but fewer than SMALL_UNIT: one statement."""
    return {(month, type_id) for month, type_id, n in db.session.execute(
        select(SkmResponse.month, SkmResponse.type_id, func.count())
        .where(SkmResponse.month >= first, SkmResponse.month <= last)
        .group_by(SkmResponse.month, SkmResponse.type_id)) if n < SMALL_UNIT}


def comments(first: str, last: str, type_id: int | None = None, before: int | None = None):
    """One page of the citizens' comments, newest first (keyset on id). A comment of a month in which its type
    had fewer than SMALL_UNIT answers is not shown: its month and the hand-overs of that type (another page
    counts them) would point at the one or two citizens who wrote it, with or without the type's name."""
    small = _small_groups(first, last)
    query = (select(SkmResponse.id, SkmResponse.month, SkmResponse.type_id, SkmResponse.comment, DocumentType.name)
             .join(DocumentType, DocumentType.id == SkmResponse.type_id)
             .where(SkmResponse.month >= first, SkmResponse.month <= last, SkmResponse.comment != ""))
    if type_id:
        query = query.where(SkmResponse.type_id == type_id)
    for month, small_type in sorted(small):
        query = query.where(~and_(SkmResponse.month == month, SkmResponse.type_id == small_type))
    if before:
        query = query.where(SkmResponse.id < before)
    rows = db.session.execute(query.order_by(SkmResponse.id.desc()).limit(COMMENTS_PAGE + 1)).all()
    more = len(rows) > COMMENTS_PAGE
    # the survey is anonymous: a NIK or phone number written in a comment is hidden from every reader
    rows = [SimpleNamespace(**{**row._asdict(), "comment": hide_id_numbers(row.comment),
                               "name": row.name})
            for row in rows[:COMMENTS_PAGE]]
    return rows, (rows[-1].id if more and rows else None)


def may_read_report(user) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.has_role(*REPORT_READERS)


def may_read_comments(user) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.has_role(*COMMENT_READERS)
