"""Error pages in Bahasa Indonesia, as full pages or, for HTMX, as a fragment for the alert area.

An error page must render when the database is down: the normal page shows the signed-in user, whose
loading needs the database. So a database that cannot be reached is answered with 503 on a minimal
page that names no user, and any error page that fails to render falls back to that minimal page.
"""
import logging
import time

from flask import current_app, g, make_response, render_template, request
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

from ..htmx import wants_fragment
from ..i18n import gettext as _
from ..workflow.errors import Refused

log = logging.getLogger(__name__)


def titles():
    return {
        400: _("The request could not be processed"),
        403: _("Access denied"),
        404: _("Page not found"),
        405: _("Method not allowed"),
        409: _("Someone acted first"),
        413: _("The file is too large"),
        422: _("The data is not valid"),
        429: _("Too many attempts"),
        500: _("Something went wrong"),
        503: _("The service is temporarily disrupted"),
    }


def default_messages():
    return {
        400: _("Your request was incomplete or has expired. Reload the page and try again."),
        403: _("You do not have access to this page or action."),
        404: _("The page you are looking for does not exist or has been moved."),
        405: _("This address cannot be used that way."),
        409: _("The data was changed by someone else. Reload the page to see the latest state."),
        # the whole form was refused before anything in it was read: say the limits and that nothing was kept
        413: _("The files sent are too large: nothing was saved. Each file may be at most %(mb)s MB, a whole form "
               "at most %(total)s MB. Go back to the form with the browser's Back button and choose smaller files "
               "(a scan at 150-200 dpi is enough).", mb=current_app.config.get("UPLOAD_MAX_BYTES", 5 << 20) >> 20,
               total=current_app.config.get("MAX_CONTENT_LENGTH", 25 << 20) >> 20),
        422: _("Check the data you entered."),
        429: _("Too many attempts in a short time. Wait a minute and try again."),
        500: _("An error occurred on the server. Nothing was saved. Please try again; "
               "if it happens again, contact the administrator."),
        503: _("The service is temporarily disrupted: the database cannot be reached. Nothing was saved. "
               "Please try again in a few minutes; if it continues, contact the administrator."),
    }


def database_unavailable(exc: BaseException | None) -> bool:
    """True when the exception (or what caused it) says the database cannot be reached or opened."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, (OperationalError, InterfaceError, DisconnectionError)):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def _forget_user() -> None:
    """Make current_user anonymous for the rest of this request without asking the database."""
    from ..extensions import login_manager
    g._login_user = login_manager.anonymous_user()


def _rollback() -> None:
    from ..extensions import db
    try:
        db.session.rollback()
    except Exception:  # the connection is gone: nothing to roll back
        log.warning("rollback failed after an error", exc_info=True)


def render_error(status: int, message: str | None = None, minimal: bool = False):
    message = message or default_messages().get(status, "")
    title = titles().get(status, _("Error"))
    fragment = wants_fragment()
    headers = {"HX-Retarget": "#flash", "HX-Reswap": "innerHTML"} if fragment else {}
    if not minimal:
        try:
            template = "errors/_alert.html" if fragment else "errors/error.html"
            return render_template(template, status=status, title=title, message=message), status, headers
        except Exception:  # e.g. the database went away while the page asked for the user
            log.exception("error page %s could not be rendered; using the minimal page", status)
            _rollback()
    _forget_user()
    template = "errors/_alert.html" if fragment else "errors/minimal.html"
    return render_template(template, status=status, title=title, message=message), status, headers


def _trace(status) -> None:
    """Every refusal of authority is in the audit log, also a view's bare abort(403)."""
    if status != 403:
        return
    from ..audit.record import trace_forbidden
    try:
        trace_forbidden()
    except Exception:  # the error page must still answer (e.g. the database went away)
        log.exception("a refused request could not be recorded")
        _rollback()


def register_error_handlers(app):
    @app.errorhandler(CSRFError)
    def csrf_error(_e):
        message = _("The form was open too long or is no longer valid. Reload the page and fill it in again.")
        try:  # an expired form is usual, a forged one is not: either way the log has it, greyed as input
            from flask_login import current_user

            from ..audit.record import refused
            user = current_user if current_user and current_user.is_authenticated else None
            refused("input.refused", actor=user, reason=f"[input:csrf] {request.method} {request.path}"[:300])
        except Exception:  # the error page must still answer (e.g. the database went away)
            log.exception("a refused form could not be recorded")
            _rollback()
        from ..accounts.sessions import after_expired_form
        return after_expired_form() or render_error(400, message)

    @app.errorhandler(RateLimitExceeded)
    def too_many(e: RateLimitExceeded):
        # the raw limit ("5 per 1 minute") is English: say in Bahasa how long to wait instead
        from ..extensions import limiter
        current = limiter.current_limit
        wait = max(1, int(current.reset_at - time.time())) if current else 60
        minutes = -(-wait // 60)
        message = (_("Too many attempts in a short time. Try again in %(n)d seconds.", n=wait) if wait < 120
                   else _("Too many attempts in a short time. Try again in %(n)d minutes.", n=minutes))
        response = make_response(render_error(429, message))
        response.headers["Retry-After"] = str(wait)
        return response

    @app.errorhandler(Refused)
    def refused(e: Refused):
        _trace(e.status)
        return render_error(e.status, str(e.message))

    @app.errorhandler(HTTPException)
    def http_error(e: HTTPException):
        _trace(e.code)
        if e.code and e.code >= 400 and e.code in titles():
            description = None if e.description == type(e).description else e.description
            return render_error(e.code, description)
        return e

    @app.errorhandler(Exception)
    def crash(e: Exception):
        _rollback()
        if database_unavailable(e):
            log.error("database unavailable on %s: %s", request.path, e)
            return render_error(503, minimal=True)
        log.exception("unhandled error on %s", request.path)
        return render_error(500)
