"""Test helpers: a demo workflow that belongs to no business area, factories, CSRF-aware client."""
import contextvars
import functools
from email import message_from_string
from email.policy import default as default_policy

from flask import has_app_context
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import ForeignKey, String, event
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import generate_password_hash

from plaju.accounts.models import Unit, User
from plaju.extensions import db
from plaju.timeutil import clock
from plaju.workflow import Spec, State, Step, register, roles
from plaju.workflow.spec import relation

PASSWORD = "test-password-123"


def spelled(n: int) -> str:
    """A number as letters, for citizens' names in bulk ("Warga BC" for 12): a name has no digits. Same-length
    numbers keep their order."""
    return "".join("ABCDEFGHIJ"[int(d)] for d in str(n))


def statements_during(fn) -> list[str]:
    """Every statement sent to the database while `fn` runs (BEGIN, PRAGMA and SAVEPOINT included)."""
    seen = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(statement)
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        fn()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return seen


class DemoTicket(db.Model):
    """A small row to exercise the engine on its own."""
    __tablename__ = "test_demo_ticket"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(80))
    state: Mapped[str] = mapped_column(String(20), default="draft")
    version: Mapped[int] = mapped_column(default=0)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    note: Mapped[str] = mapped_column(String(200), default="")


def _title_not_blocked(ticket, _actor):
    return "Judul diblokir." if ticket.title == "blocked" else None


def _record_approver(ticket, ctx):
    ctx.change("approved_by_id", ticket.approved_by_id, ctx.actor.id)
    ticket.approved_by_id = ctx.actor.id
    if ctx.data.get("explode"):
        raise RuntimeError("effect failed half-way")


DEMO_SPEC = register(Spec(
    name="demo", model=DemoTicket, initial="draft",
    states=[State("draft", "Draft", clock=True), State("submitted", "Submitted", clock=True),
            State("approved", "Approved"), State("signed", "Signed", terminal=True),
            State("rejected", "Rejected", terminal=True)],
    steps=[
        Step("submit", "draft", "submitted", "Submit",
             who=relation(lambda u, t: u.id == t.owner_id, "owner", names=lambda t: [t.owner_id])),
        Step("approve", "submitted", "approved", "Approve", who=roles("section_head"), four_eyes=True,
             guards=(_title_not_blocked,), effect=_record_approver),
        Step("sign", "approved", "signed", "Sign", who=roles("camat"), reauth=True, delegable=True,
             four_eyes=True, bulk=True),
        Step("reject", ("submitted", "approved"), "rejected", "Reject",
             who=roles("section_head", "camat"), comment_required=True, style="danger"),
    ],
    owners=lambda t: {t.owner_id},
    owner_attr="owner_id", kind_label="Demo tickets",
    summary=lambda t: {"code": f"T-{t.id}", "type": "Demo", "name": t.title},
))


@functools.cache
def _password_hash() -> str:
    # scrypt is slow on purpose; hash the shared test password once per run
    return generate_password_hash(PASSWORD, method="scrypt")


def type_seen(type_id: int) -> str:
    """The stamp of a document type as a freshly opened edit form carries it."""
    from plaju.documents.models import DocumentType
    from plaju.documents.settings_views import type_stamp
    db.session.expire_all()
    return type_stamp(db.session.get(DocumentType, type_id))


def make_user(username: str, *roles_: str, supervisor: User | None = None, active: bool = True,
              position: str = "", nip: str | None = None) -> User:
    unit = db.session.query(Unit).filter_by(code="test").first()
    if unit is None:
        unit = Unit(code="test", name="Unit Uji", kind="seksi")
        db.session.add(unit)
    user = User(username=username, full_name=f"{username.title()} Uji", position=position or username,
                unit=unit, supervisor=supervisor, active=active, nip=nip)
    user.set_roles(roles_)
    user.password_hash = _password_hash()
    db.session.add(user)
    db.session.commit()
    return user


class CsrfClient(FlaskClient):
    """Sends a valid CSRF token with every unsafe request unless csrf=False is passed; reads a refused HTMX
    request's status from X-Refused-Status, as the page's htmx does."""

    def open(self, *args, csrf: bool = True, as_sent: bool = False, **kwargs):
        method = (kwargs.get("method") or "GET").upper()
        if csrf and method not in ("GET", "HEAD", "OPTIONS"):
            app = self.application
            with self.session_transaction() as sess:
                raw = sess.setdefault("csrf_token", "test-csrf-raw-token-0123456789abcdef")
            token = URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps(raw)
            headers = dict(kwargs.pop("headers", None) or {})
            headers.setdefault("X-CSRFToken", token)
            kwargs["headers"] = headers
        if has_app_context():
            # the test's own transaction ends first: on SQLite it holds the single write lock
            db.session.commit()
        # an empty context: the request pushes an app context (g, db session) of its own, as in production;
        # only a test's clock (database.clock_at) goes along, so a request runs at the test's moment
        context, moment = contextvars.Context(), clock.get()
        if moment is not None:
            context.run(clock.set, moment)
        response = context.run(super().open, *args, **kwargs)
        refused = response.headers.get("X-Refused-Status")
        if refused and not as_sent:
            # a refused HTMX request answers 200 and names its status (plaju.htmx.refusal_as_answer); the
            # tests read that status, so a refusal is never taken for a success (as_sent: the answer as is)
            assert response.status_code == 200, "a refusal named in X-Refused-Status must answer 200"
            response.status_code = int(refused)
        return response


class Inbox:
    """An aiosmtpd handler keeping (recipients, message text) of every mail."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, envelope.content.decode("utf-8", "replace")))
        return "250 OK"

    def to(self, address: str) -> list:
        """The mails to `address`, parsed (headers unfolded, body decoded)."""
        return [message_from_string(text, policy=default_policy) for rcpts, text in self.messages
                if address in rcpts]


def seen_on(client, url: str) -> str:
    """The fingerprint (`seen`) an edit form shows: a post without the one of the record as it is now is
    refused as stale."""
    import re
    found = re.search(r'name="seen" type="hidden" value="([^"]*)"|name="seen" value="([^"]*)"',
                      client.get(url).get_data(as_text=True))
    assert found, f"no seen field on {url}"
    return found.group(1) or found.group(2)

