"""Error pages in Bahasa Indonesia, as full pages or, for HTMX, as a fragment for the alert area."""
import logging
import time

from flask import make_response, render_template, request
from flask_babel import gettext as _
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from ..htmx import wants_fragment
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
    }


def default_messages():
    return {
        400: _("Your request was incomplete or has expired. Reload the page and try again."),
        403: _("You do not have access to this page or action."),
        404: _("The page you are looking for does not exist or has been moved."),
        405: _("This address cannot be used that way."),
        409: _("The data was changed by someone else. Reload the page to see the latest state."),
        413: _("The uploaded file is larger than allowed."),
        422: _("Check the data you entered."),
        429: _("Too many attempts in a short time. Wait a minute and try again."),
        500: _("An error occurred on the server. Nothing was saved. Please try again; "
               "if it happens again, contact the administrator."),
    }


def render_error(status: int, message: str | None = None):
    message = message or default_messages().get(status, "")
    title = titles().get(status, _("Error"))
    if wants_fragment():
        html = render_template("errors/_alert.html", status=status, title=title, message=message)
        response_headers = {"HX-Retarget": "#flash", "HX-Reswap": "innerHTML"}
        return html, status, response_headers
    return render_template("errors/error.html", status=status, title=title, message=message), status


def register_error_handlers(app):
    @app.errorhandler(CSRFError)
    def csrf_error(_e):
        return render_error(400, _("The form has expired or is not valid (CSRF). Reload the page and "
                                   "try again."))

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
        return render_error(e.status, str(e.message))

    @app.errorhandler(HTTPException)
    def http_error(e: HTTPException):
        if e.code and e.code >= 400 and e.code in titles():
            description = None if e.description == type(e).description else e.description
            return render_error(e.code, description)
        return e

    @app.errorhandler(Exception)
    def crash(e: Exception):
        log.exception("unhandled error on %s", request.path)
        from ..extensions import db
        db.session.rollback()
        return render_error(500)
