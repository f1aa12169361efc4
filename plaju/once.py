"""One-time form tokens: a create form posted twice (double click, re-post, two tabs) creates once.

Each create form carries a random token in a hidden field (`OnceForm`). The service that creates the
row calls `claim()` in its own transaction and `complete()` with the URL of the result, so the token
row commits together with what it created. A second post of the same token then finds the row and
is sent to the first result (`AlreadyDone`) instead of creating another. Two posts at the same moment
race for the token's primary key: PostgreSQL makes the second wait for the first and then refuses it;
SQLite's single writer (BEGIN IMMEDIATE) queues it behind the first, which it then sees.

Tokens belong to the user who posted them, so one user's token never leads to another's result.
Use: subclass `OnceForm`, render `{{ form.form_token }}`, call `replay(form)` first in the view, pass
`form.form_token.data` to the service, which calls `claim()` before and `complete()` after creating.
"""
import re
import secrets
from datetime import datetime

from sqlalchemy import ForeignKey, String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column
from wtforms import HiddenField
from wtforms.validators import ValidationError

from .database import utcnow
from .extensions import db
from .forms import PlajuForm
from .i18n import lazy_gettext as _l

TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


class FormToken(db.Model):
    __tablename__ = "form_token"
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    result_url: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class AlreadyDone(Exception):
    """This form was already posted and created something: go to `url`."""

    def __init__(self, url: str):
        super().__init__(url)
        self.url = url


def new_token() -> str:
    return secrets.token_urlsafe(24)


def _valid_token(_form, field):
    # raw_data: the token the browser sent, not the fresh default a form without one would get
    if not field.raw_data or not TOKEN.match(field.raw_data[0] or ""):
        field.data = new_token()  # the page shown again can then be sent
        raise ValidationError(_l("The form has expired or is incomplete. Reload the page and fill it in again."))


class OnceForm(PlajuForm):
    form_token = HiddenField(default=new_token, validators=[_valid_token])


def used(user, token: str | None) -> str | None:
    """The URL of what this token already created, or None."""
    if not token or user is None or getattr(user, "id", None) is None:
        return None
    return db.session.scalar(select(FormToken.result_url).where(FormToken.user_id == user.id,
                                                                 FormToken.token == token))


def replay(form) -> str | None:
    """For the view, before validating: where the first post of this form led, if it was posted."""
    from flask_login import current_user
    token = form.form_token.data if form.is_submitted() else None
    return used(current_user, token) if token and TOKEN.match(token) else None


def claim(user, token: str) -> FormToken:
    """Take the token in the current transaction; AlreadyDone when it was used before."""
    if not token or not TOKEN.match(token):
        raise ValueError("a create form needs its one-time token")
    done = used(user, token)
    if done is not None:
        raise AlreadyDone(done)
    row = FormToken(user_id=user.id, token=token, result_url="")
    db.session.add(row)
    try:
        db.session.flush()
    except IntegrityError:  # the same form, posted a moment earlier, committed first
        db.session.rollback()
        raise AlreadyDone(used(user, token) or "") from None
    return row


def claim_if_given(user, token: str | None) -> FormToken | None:
    """claim() for services that are also called without a form (token None: nothing to claim). A used
    token rolls the transaction back before AlreadyDone goes up, so nothing half-made is left."""
    if token is None:
        return None
    try:
        return claim(user, token)
    except AlreadyDone:
        db.session.rollback()
        raise


def complete(row: FormToken, url: str) -> None:
    row.result_url = url[:300]


def already_done(url: str, fallback: str = "/"):
    """The answer to a form posted again: nothing new, go to what the first post created."""
    from flask import flash, redirect

    from .i18n import gettext as _
    flash(_("This form had already been sent; nothing new was created. This is what the first submission "
            "created."), "info")
    return redirect(url or fallback, 303)
