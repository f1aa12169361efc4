"""Server-side limits of a signed-in session.

The session cookie is signed, not stored on the server, so ending a session means making the server
refuse it: the user id in the session carries the user's `session_epoch` (bumped at logout, password
change or reset, deactivation and role changes), and the session holds two stamps, checked on every
request: when the user signed in (absolute lifetime) and when they were last seen (idle timeout).
"""
import time
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, request, session, url_for
from flask_login import current_user, logout_user
from werkzeug.exceptions import HTTPException

from ..i18n import gettext as _

SIGNED_IN_AT = "auth_at"
LAST_SEEN = "seen"
# "last seen" is written back at most this often, so the cookie is not rewritten on every request
SEEN_GRANULARITY = 60
# pages a user who must change the password may still reach
_OPEN_ENDPOINTS = {"accounts.password", "accounts.logout", "accounts.login", "core.healthz", "core.htmx_static",
                   "core.set_language", "core.favicon"}


def now() -> float:
    """The clock for session stamps (tests replace it)."""
    return time.time()


def start() -> None:
    """Stamp a session that has just signed in."""
    stamp = int(now())
    session[SIGNED_IN_AT] = stamp
    session[LAST_SEEN] = stamp


# counters a page polls by itself: they check the session but do not count as the person being active,
# or an open tab would keep a session alive past the idle limit
PASSIVE_ENDPOINTS = frozenset({"inbox.count", "notify.count", "training.seats"})
# pages that poll themselves with htmx while something runs (an audit export's progress): the poll is
# passive, opening the page is not
POLLED_PAGES = frozenset({"audit.export_job"})


def passive_request() -> bool:
    return _passive(request.endpoint or "")


def _passive(endpoint: str) -> bool:
    return endpoint in PASSIVE_ENDPOINTS or (endpoint in POLLED_PAGES and request.headers.get("HX-Request") == "true")


def _expired(active: bool = True) -> bool:
    stamp = int(now())
    signed_in, seen = session.get(SIGNED_IN_AT), session.get(LAST_SEEN)
    if not isinstance(signed_in, int) or not isinstance(seen, int):
        return True  # a session from before the stamps existed, or a tampered one
    idle = current_app.config["SESSION_IDLE_MINUTES"] * 60
    lifetime = current_app.config["SESSION_MAX_HOURS"] * 3600
    if stamp - seen > idle or stamp - signed_in > lifetime:
        return True
    if active and stamp - seen >= SEEN_GRANULARITY:
        session[LAST_SEEN] = stamp
    return False


def back_after_sign_in() -> str | None:
    """Where the sign-in leads back to: the page asked for, or for a form sent after the session ended, the
    page it was sent from (its POST address answered "method not allowed" after signing in)."""
    if request.method == "GET":
        return request.full_path
    # "unsent": the sign-in page tells plaju.js to put what was typed back on the form's page (this tab only)
    flash(_("You were signed out before this was sent: nothing was saved. Sign in: what you typed comes back on "
            "the page, to send again."), "unsent")
    page = urlsplit(request.headers.get("HX-Current-URL") or request.referrer or "")
    if page.netloc and page.netloc != request.host:
        return None
    try:  # a page that was itself a form's answer (the bulk confirmation) cannot be opened again
        path = page.path.removeprefix(request.script_root) if request.script_root else page.path
        current_app.url_map.bind(request.host).match(path or "/", method="GET")
    except HTTPException:
        return None
    return (page.path + (f"?{page.query}" if page.query else "")) or None


# the forms a visitor who is not signed in may send (the public tracking page's, the letter check's, the
# language switch); any other form refused by its CSRF check while nobody is signed in was sent after the
# session ended (signed out in another tab): the sign-in and back to it, not an error page
OPEN_FORMS = frozenset({"core.set_language", "letters.check", "survey.answer", "complaints.new"})


def after_expired_form():
    """The answer to a form refused by its CSRF check when its sender is no longer signed in, or None
    where the error page is the answer (a signed-in sender, a public form)."""
    if current_user.is_authenticated or request.endpoint in OPEN_FORMS:
        return None
    if request.endpoint == "accounts.login":  # the sign-in page stood open too long
        flash(_("The sign-in form had expired. Sign in again."), "warning")
        return _to("accounts.login", next=request.args.get("next") or None)
    if request.endpoint == "accounts.logout":  # signed out already, in another tab
        flash(_("You have signed out."), "success")
        return _to("accounts.login")
    return _to("accounts.login", next=back_after_sign_in())


def _to(endpoint: str, **values):
    target = url_for(endpoint, **values)
    if request.headers.get("HX-Request"):
        return "", 401 if endpoint == "accounts.login" else 204, {"HX-Redirect": target}
    return redirect(target)


def enforce():
    """before_request: end expired sessions; send a user with a one-time password to change it."""
    endpoint = request.endpoint or ""
    if not endpoint or endpoint == "static" or endpoint.endswith(".static") or not current_user.is_authenticated:
        return None
    if _expired(active=not _passive(endpoint)):
        logout_user()
        session.clear()
        if _passive(endpoint):  # a counter's poll does not take the page away from a half-typed form
            return "", 204
        flash(_("Your session has ended. Please sign in again."), "info")
        return _to("accounts.login", next=back_after_sign_in())
    if current_user.must_change_password and endpoint not in _OPEN_ENDPOINTS:
        if endpoint in PASSIVE_ENDPOINTS:  # the menu's counters on the password page itself: nothing to show
            # (sending them to the password page would reload it, and the page asks for them again)
            return "", 204
        flash(_("Your password was set by someone else and works only once. Choose your own password now."),
              "warning")
        return _to("accounts.password")
    return None
