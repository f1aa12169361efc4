"""Evidence of a completed course: the certificate's (STTPP's) facts checked against the course, and
the uploaded file checked to be a readable page that is not blank. HR sees its first page as an image.

A blank or unreadable upload is refused: a page whose pixels are all one background shade is not a
certificate (the ~200-byte empty PDF of the first report), nor is a PDF that pdfium cannot open.
"""
import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import format_date

from .. import uploads
from ..i18n import date_text
from ..i18n import gettext as _
from ..workflow import Invalid

MAX_NUMBER = 100
MAX_ISSUER = 200
CERTIFICATE_GRACE_DAYS = 90  # how long after a course its certificate may be dated
PREVIEW_WIDTH = 900  # pixels of the first page shown to HR
# the darkest and lightest pixel of a page differ by less than this: nothing is printed on it
BLANK_CONTRAST = 24
# A 434-byte PDF can declare a page 2 pt wide and 14,400 pt tall, and a 250 KB PNG 15,000 x 15,000
# pixels: rendered or decoded as declared, one upload took gigabytes. A page is drawn at most this many
# times as tall as it is wide, and an image over this many pixels (a 50-megapixel phone photo passes)
# is refused before it is decoded.
MAX_ASPECT = 4
MAX_IMAGE_PIXELS = 50_000_000


@dataclass(frozen=True)
class Certificate:
    number: str
    date: date
    issuer: str
    jp: int


def _text(value, limit: int) -> str:
    return " ".join(str(value or "").split())[:limit + 1]


def _date(value) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value or "").strip())
    except ValueError:
        return None


def jp_number(value) -> int | None:
    if isinstance(value, int):
        return value
    raw = str(value or "").strip()
    return int(raw) if (raw.isascii() and raw.isdigit()) and len(raw) <= 4 else None


def day(value: date) -> str:
    return format_date(value, "d MMM yyyy")


MAX_JP_PER_DAY = 12  # a JP is 45 minutes: nine hours of lessons a day, more than any course schedules
MAX_SPAN_DAYS = 366  # a training reported from outside lasts at most a year (a long course is reported in parts)
EARLIEST_YEAR = 2000
MAX_REPORTED_JP = 500  # the report form's own bound, held when a returned report is sent again
# a training that counts or will: followed, reported (a returned report too, until withdrawn) or credited
COUNTING = ("in_progress", "completed", "awaiting_certificate", "verified")


def days_jp_fault(user_id: int, starts_on: date, ends_on: date, jp: int, enrolment_id: int | None = None):
    """What is wrong with `jp` JP reported for a training outside the catalogue from `starts_on` to `ends_on`,
    with the person's other trainings on those days (each spreads its JP evenly over its own days); None
    when no day holds more than MAX_JP_PER_DAY. Three reports of 36 JP for the same three days were each
    within 12 a day; a year-long report of 1 JP made any day look empty to an average."""
    from sqlalchemy import func, select

    from ..extensions import db
    from .models import Course, Enrolment
    span = (ends_on - starts_on).days + 1
    if starts_on.year < EARLIEST_YEAR or span > MAX_SPAN_DAYS:
        return _("A training reported here lies after %(year)s and lasts at most a year; report a longer "
                 "programme in its parts, each with its certificate.", year=EARLIEST_YEAR - 1)
    if jp > MAX_REPORTED_JP:
        return _("JP must be 1 to %(max)s.", max=MAX_REPORTED_JP)
    # every training of theirs on those days that counts or will: reported, followed or credited
    others = db.session.execute(select(Enrolment.jp_credited, Enrolment.state, Enrolment.certificate_jp,
                                       Course.jp, Course.starts_on, Course.ends_on)
                                .join(Course, Course.id == Enrolment.course_id)
                                .where(Enrolment.user_id == user_id, Enrolment.id != (enrolment_id or 0),
                                       Enrolment.state.in_(COUNTING),
                                       Course.starts_on <= ends_on,
                                       func.coalesce(Course.ends_on, Course.starts_on) >= starts_on)).all()
    load = dict.fromkeys((starts_on + timedelta(days=n) for n in range(span)), jp / span)
    for other in others:
        last = other.ends_on or other.starts_on
        due = other.jp_credited if other.state == "verified" else min(other.certificate_jp or other.jp, other.jp)
        days = (last - other.starts_on).days + 1
        for n in range(days):
            day = other.starts_on + timedelta(days=n)
            if day in load:
                load[day] += due / days
    busiest = max(load, key=load.get)
    if round(load[busiest], 1) > MAX_JP_PER_DAY:  # (to a tenth: a long report adds a trace to each day)
        if others:
            return _("With your other trainings on these days, %(day)s would hold %(jp)s JP, more than a training "
                     "day holds (at most %(max)s JP a day). Check the JP and the dates.",
                     day=date_text(busiest), jp=f"{load[busiest]:.1f}".replace(".", ",").removesuffix(",0"),
                     max=MAX_JP_PER_DAY)
        return _("%(jp)s JP in %(days)s days is more than a training day holds (at most %(max)s JP a day). "
                 "Check the JP printed on the certificate and the dates of the training.",
                 jp=jp, days=span, max=MAX_JP_PER_DAY)
    return None


def check_certificate(course, facts: dict, today: date, holder_id: int | None = None,
                      enrolment_id: int | None = None) -> Certificate:
    """The certificate as stated, or Invalid naming everything that does not fit the course at once (code
    of the first fault: `certificate`, `certificate_jp`, `certificate_date` or `certificate_twice`; `faults`
    by field, as the forms name them): a missing fact, JP above the course's, a date outside the course's
    days or in the future, and, for `holder_id`, a number that person already reported on another
    enrolment (one certificate, JP once)."""
    number = _text(facts.get("number"), MAX_NUMBER)
    issuer = _text(facts.get("issuer"), MAX_ISSUER)
    when = _date(facts.get("date"))
    jp = jp_number(facts.get("jp"))
    faults = []  # (field, code, message)

    def fault(name, code, message):
        faults.append((f"certificate_{name}", code, message))
    if not number:
        fault("number", "certificate", _("Enter the certificate (STTPP) number as printed."))
    elif len(number) > MAX_NUMBER:
        fault("number", "certificate", _("The certificate number is too long (at most %(n)s characters).",
                                         n=MAX_NUMBER))
    elif holder_id is not None:
        earlier = reported_before(holder_id, number, enrolment_id)
        if earlier is not None:
            fault("number", "certificate_twice", _(
                "Certificate %(number)s was already reported for “%(course)s”: one certificate is credited "
                "once. Ask HR if that report was wrong.", number=number, course=earlier.course.title))
    if when is None:
        fault("date", "certificate", _("Enter the date printed on the certificate."))
    if not issuer:
        fault("issuer", "certificate", _("Enter who issued the certificate (the organiser)."))
    elif len(issuer) > MAX_ISSUER:
        fault("issuer", "certificate", _("The issuer's name is too long (at most %(n)s characters).", n=MAX_ISSUER))
    if jp is None or jp < 1:
        fault("jp", "certificate", _("Enter the JP printed on the certificate (a whole number, at least 1)."))
    elif course.jp and jp > course.jp:
        fault("jp", "certificate_jp", _(
            "The certificate states %(jp)s JP, more than the %(course_jp)s JP of this course. Enter the JP as "
            "printed; only the course's JP can be credited.", jp=jp, course_jp=course.jp))
    start, end = course.starts_on, course.ends_on or course.starts_on
    if when is not None and when > today:
        fault("date", "certificate_date", _("The certificate date %(date)s is in the future.", date=day(when)))
    # an STTPP is often dated after the last day (the organiser's paperwork), not before the first
    elif when is not None and (start and when < start or end and when > end + timedelta(days=CERTIFICATE_GRACE_DAYS)):
        fault("date", "certificate_date", _(
            "The certificate date %(date)s does not fit the course: a certificate is dated from its first day "
            "(%(start)s) up to %(days)s days after its last (%(end)s).", date=day(when), start=day(start or end),
            end=day(end or start), days=CERTIFICATE_GRACE_DAYS))
    if faults:  # all at once: the ASN corrects the form in one go, not one field per upload
        by_field = {}
        for name, _code, message in faults:
            by_field[name] = " ".join(filter(None, (by_field.get(name), str(message))))
        raise Invalid(" ".join(str(message) for *_rest, message in faults), code=faults[0][1], faults=by_field)
    return Certificate(number=number, date=when, issuer=issuer, jp=jp)


# an enrolment in these states holds nothing that counts: its certificate or file may be reported again
ENDED_WITHOUT_CREDIT = ("declined", "withdrawn", "not_completed", "credit_withdrawn")
# ...but a certificate whose credit HR withdrew stays a twin: credited again only with HR's reason, beside it
NOT_A_TWIN = ("declined", "withdrawn", "not_completed")


def _number_parts(number: str | None) -> list[str]:
    parts = [p for p in re.split(r"[^0-9a-z]+", unicodedata.normalize("NFKC", str(number or "")).lower()) if p]
    while parts and parts[0] in NUMBER_WORDS:  # "No. 800/..." is "800/..."
        parts.pop(0)
    return [p.lstrip("0") or "0" if p.isdigit() else p for p in parts]


NUMBER_WORDS = {"no", "nomor", "nomer", "nr", "num"}


def number_key(number: str | None) -> str:
    """A certificate number as compared: its letters and digits in order, whatever separates them, with case,
    a leading "No." and a serial's leading zeros aside: "No. 800-0123.BPSDM/2026." is "800/123/bpsdm/2026"
    (each spelling was credited again)."""
    return "/".join(_number_parts(number))


def _same_number(number: str):
    """The SQL condition narrowing enrolments to those whose number may have this key (checked after): it
    holds each of the key's parts, in any case."""
    from sqlalchemy import and_, func

    from .models import Enrolment
    lowered = func.lower(Enrolment.certificate_number)
    return and_(*(lowered.contains(part, autoescape=True) for part in _number_parts(number)))


def reported_before(holder_id: int, number: str, enrolment_id: int | None = None):
    """The person's other enrolment holding this certificate number (`number_key`), unless it ended without
    credit (declined, withdrawn, not completed)."""
    from sqlalchemy import select

    from ..extensions import db
    from .models import Enrolment
    key = number_key(number)
    if not key:
        return None
    stmt = (select(Enrolment).where(Enrolment.user_id == holder_id, _same_number(number),
                                    Enrolment.state.not_in(ENDED_WITHOUT_CREDIT), Enrolment.id != (enrolment_id or 0))
            .order_by(Enrolment.id))
    return next((e for e in db.session.scalars(stmt) if number_key(e.certificate_number) == key), None)


def file_twice_fault(holder_id: int, sha256: str, enrolment_id: int | None = None) -> str | None:
    """Why this file cannot be reported by this person: they already reported the same file (by its
    fingerprint) on another enrolment that still counts or may. One file credited twice as two trainings,
    with the number typed once with a full stop."""
    from sqlalchemy import select

    from ..extensions import db
    from ..timeutil import to_wib
    from .models import Enrolment
    earlier = db.session.scalars(select(Enrolment).where(
        Enrolment.user_id == holder_id, Enrolment.evidence_sha256 == sha256, Enrolment.id != (enrolment_id or 0),
        Enrolment.state.not_in(ENDED_WITHOUT_CREDIT)).order_by(Enrolment.id).limit(1)).first()
    if earlier is None:
        return None
    return _("This file was already reported on %(date)s for “%(course)s” (certificate %(number)s): one certificate "
             "is credited once. If that report was wrong, withdraw it or ask HR.",
             date=day(to_wib(earlier.completed_at or earlier.created_at).date()), course=earlier.course.title,
             number=earlier.certificate_number or "-")


def title_key(title: str | None) -> str:
    """A training's title as compared: its words, case, spacing and punctuation aside."""
    return " ".join(re.findall(r"[^\W_]+", unicodedata.normalize("NFKC", str(title or "")).casefold()))


def _trainings_on(user_id: int, starts_on: date, ends_on: date, states, enrolment_id: int | None = None) -> list:
    """The person's other enrolments in `states` whose training days meet `starts_on`..`ends_on` (a course
    without dates, an e-learning at one's own pace, by the date on its certificate), the oldest first."""
    from sqlalchemy import func, select

    from ..extensions import db
    from .models import Course, Enrolment
    first = func.coalesce(Course.starts_on, Enrolment.certificate_date)
    last = func.coalesce(Course.ends_on, Course.starts_on, Enrolment.certificate_date)
    return list(db.session.scalars(select(Enrolment).join(Course, Course.id == Enrolment.course_id).where(
        Enrolment.user_id == user_id, Enrolment.id != (enrolment_id or 0), Enrolment.state.in_(states),
        first <= ends_on, last >= starts_on).order_by(Enrolment.id)))


def days_text(course) -> str:
    first, last = course.starts_on, course.ends_on or course.starts_on
    if first is None:
        return "-"
    return date_text(first) if last == first else f"{date_text(first)} – {date_text(last)}"


def same_training_fault(user_id: int, title: str | None, starts_on: date, ends_on: date) -> str | None:
    """Why a training reported from outside is already among the person's: one of theirs that counts or will
    (`COUNTING`: a report not withdrawn or refused, a catalogue course followed or credited) with the same
    title (`title_key`) on days that meet these. Reported again under a number with a letter added and
    another scan, the same two days were credited twice; two trainings of one title on other days pass."""
    key = title_key(title)
    earlier = next((e for e in _trainings_on(user_id, starts_on, ends_on, COUNTING)
                    if key and title_key(e.course.title) == key), None)
    if earlier is None:
        return None
    from .workflow import ENROLMENT_FLOW  # the workflow reads this module: imported when asked
    status = " · ".join(filter(None, (str(ENROLMENT_FLOW.state_label(earlier.state, earlier)),
                                      earlier.certificate_number)))
    return _("“%(course)s” of %(days)s is already among your trainings (%(status)s): one training is credited "
             "once. If that report was wrong, withdraw it or ask HR.", course=earlier.course.title,
             days=days_text(earlier.course), status=status)


def credited_alongside(enrolment) -> list:
    """The person's trainings already credited on days that meet this one's, whatever their title, or whose
    credit was withdrawn: for HR before crediting (one training reported under another name would be
    credited twice, or a withdrawn one credited again unseen)."""
    course = enrolment.course
    first = course.starts_on or enrolment.certificate_date
    last = course.ends_on or course.starts_on or enrolment.certificate_date
    if first is None:
        return []
    return _trainings_on(enrolment.user_id, first, last, ("verified", "credit_withdrawn"), enrolment.id)


def twins(enrolment) -> list:
    """Everyone's other enrolments holding the same certificate file or number (`number_key`), in any state,
    for HR before crediting: [(enrolment, same file, same number)], the oldest first."""
    from sqlalchemy import or_, select

    from ..extensions import db
    from .models import Enrolment
    key = number_key(enrolment.certificate_number)
    sha = enrolment.evidence_sha256
    same = ([Enrolment.evidence_sha256 == sha] if sha else []) + ([_same_number(key)] if key else [])
    if not same:
        return []
    # the numbers read first (a short one starts many), the rows of the few that match after
    found = [(i, bool(sha) and other_sha == sha, bool(key) and number_key(number) == key)
             for i, number, other_sha in db.session.execute(
                 select(Enrolment.id, Enrolment.certificate_number, Enrolment.evidence_sha256)
                 .where(Enrolment.id != enrolment.id, or_(*same)).order_by(Enrolment.id))]
    found = [row for row in found if row[1] or row[2]][:TWINS_SHOWN]
    rows = {e.id: e for e in db.session.scalars(select(Enrolment).where(Enrolment.id.in_([i for i, *_ in found])))}
    return [(rows[i], same_file, same_number) for i, same_file, same_number in found]


TWINS_SHOWN = 10


def counting_twins(enrolment) -> list:
    """The other enrolments, anyone's, holding this certificate (file or number) that count or may:
    [(enrolment, same file)]. Read without flushing: a step may have moved the row half-way."""
    from ..extensions import db
    with db.session.no_autoflush:
        return [(e, same_file) for e, same_file, _same_number in twins(enrolment)
                if e.state not in NOT_A_TWIN]


def has_twins(enrolment) -> bool:
    """Whether HR credits this report only with a reason (`verify_twin`); a list page's rows carry it
    (`prefetch_twins`), a step or a page asks."""
    hint = getattr(enrolment, "_inbox_hints", {}).get("twins")
    return bool(counting_twins(enrolment)) if hint is None else hint


def prefetch_twins(enrolments) -> None:
    """Whether each report awaiting HR has a twin, for a page of rows in one statement: the same file or the
    same number key (`Enrolment.certificate_number_key`) on another enrolment that counts or may."""
    from sqlalchemy import or_, select

    from ..extensions import db
    from .models import Enrolment
    waiting = [e for e in enrolments if e.state == "completed"]
    shas = {e.evidence_sha256 for e in waiting if e.evidence_sha256}
    keys = {e.certificate_number_key for e in waiting if e.certificate_number_key}
    if not shas and not keys:
        return
    same = or_(Enrolment.evidence_sha256.in_(shas), Enrolment.certificate_number_key.in_(keys))
    found = db.session.execute(select(Enrolment.id, Enrolment.evidence_sha256, Enrolment.certificate_number_key)
                               .where(same, Enrolment.state.not_in(NOT_A_TWIN))).all()
    for e in waiting:
        hints = getattr(e, "_inbox_hints", None)
        if hints is None:
            e._inbox_hints = hints = {}
        hints["twins"] = any(i != e.id and ((sha and sha == e.evidence_sha256)
                                            or (key and key == e.certificate_number_key)) for i, sha, key in found)


def twins_noted(enrolment) -> str:
    """The twins as the event of crediting keeps them: enrolment numbers, never names (the ASN reads his own
    record's history; HR reads the names on the page and opens each number's history)."""
    return "; ".join(f"#{e.id} ({_('same file') if same_file else _('same number')})"
                     for e, same_file in counting_twins(enrolment))


def first_page(name: str, mime: str, width: int = PREVIEW_WIDTH):
    """The first page of a stored PDF, or the stored image, as a greyscale PIL image; Invalid when it
    cannot be read."""
    from PIL import Image, UnidentifiedImageError
    path = uploads.path(name)
    try:
        if mime == "application/pdf":
            import pypdfium2 as pdfium
            pdf = pdfium.PdfDocument(str(path))
            try:
                if len(pdf) < 1:
                    raise Invalid(_("The PDF has no pages."), code="evidence_unreadable")
                page = pdf[0]
                # the width asked for, and never taller than MAX_ASPECT widths, however the page is shaped
                scale = min(width / max(page.get_width(), 1), width * MAX_ASPECT / max(page.get_height(), 1))
                image = page.render(scale=scale, grayscale=True).to_pil()
            finally:
                pdf.close()
        else:
            with Image.open(path) as opened:  # reads the header only: the size is known before decoding
                if opened.width * opened.height > MAX_IMAGE_PIXELS:
                    raise _too_large()
                opened.draft("L", (width, width * MAX_ASPECT))  # a JPEG decodes at the size it is shown
                opened.load()
                image = opened.convert("L")
                if image.height > image.width * MAX_ASPECT:  # a strip: its top is where a certificate's title is
                    image = image.crop((0, 0, image.width, image.width * MAX_ASPECT))
                if image.width > width:
                    image = image.resize((width, max(1, round(image.height * width / image.width))))
    except Invalid:
        raise
    except Image.DecompressionBombError:  # Pillow's own limit, met when the header is read
        raise _too_large() from None
    except (pdfium_error(), UnidentifiedImageError, OSError, ValueError, MemoryError):
        raise Invalid(_("The file cannot be read. Upload the certificate as a PDF, JPG or PNG that opens."),
                      code="evidence_unreadable") from None
    return image.convert("L")


def _too_large() -> Invalid:
    return Invalid(_("The image is too large (over %(max)s megapixels). Scan or photograph the certificate "
                     "at a lower resolution.", max=MAX_IMAGE_PIXELS // 1_000_000), code="evidence_too_large")


def pdfium_error():
    import pypdfium2 as pdfium
    return pdfium.PdfiumError


def check_readable(name: str, mime: str) -> None:
    """Invalid unless the first page opens and has something printed on it."""
    low, high = first_page(name, mime, width=300).getextrema()
    if high - low < BLANK_CONTRAST:
        raise Invalid(_("The uploaded page is blank. Upload a scan or photo of the certificate itself."),
                      code="evidence_blank")


def preview_png(name: str, mime: str) -> bytes:
    out = io.BytesIO()
    first_page(name, mime).save(out, format="PNG", optimize=True)
    return out.getvalue()
