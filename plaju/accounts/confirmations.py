"""Wrong passwords at a confirmation (a signature, a bulk sign-off, a revocation) are limited like
sign-ins: someone holding an unlocked session could otherwise try the owner's password without end, as
an oracle. After CONFIRM_LIMIT wrong ones, confirming is locked for the window, the password unchecked.
The count lives in the rate limiter's storage (Redis in production), keyed by the account."""
from datetime import UTC, datetime

from flask import current_app, has_app_context
from limits import parse

from ..extensions import limiter
from ..i18n import gettext as _
from ..i18n import wib_text


def _limit():
    return parse(current_app.config["CONFIRM_LIMIT"])


def _on() -> bool:
    return has_app_context() and current_app.config.get("RATELIMIT_ENABLED", True) and limiter.enabled


def _locked_text(reset: float) -> str:
    until = datetime.fromtimestamp(reset, UTC).replace(tzinfo=None)
    return _("Too many wrong passwords: confirming with a password is locked until %(time)s. Nothing was "
             "signed or decided.", time=wib_text(until))


def locked_until(user) -> str | None:
    """The refusal while the account's confirmations are locked, else None."""
    if not _on():
        return None
    limit = _limit()
    if limiter.limiter.test(limit, "confirm", str(user.id)):
        return None
    reset, _remaining = limiter.limiter.get_window_stats(limit, "confirm", str(user.id))
    return _locked_text(reset)


def wrong(user) -> str | None:
    """Count one wrong password; the lock's refusal when this one used up the limit, else None."""
    if not _on():
        return None
    limit = _limit()
    limiter.limiter.hit(limit, "confirm", str(user.id))
    if limiter.limiter.test(limit, "confirm", str(user.id)):
        return None
    reset, _remaining = limiter.limiter.get_window_stats(limit, "confirm", str(user.id))
    return _locked_text(reset)
