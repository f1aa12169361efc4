"""Home page per role, health check, language choice, htmx served from its PyPI package."""
from dataclasses import dataclass
from importlib.resources import files

from flask import (
    Blueprint,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy import text

from ..audit.verify import head
from ..extensions import csrf, db
from ..htmx import Lazy
from ..i18n import LANGUAGES
from ..i18n import lazy_gettext as _l
from .registry import cards_for, home_card, nav_item, visible_nav
from .urls import fixed_path, is_local_url

bp = Blueprint("core", __name__)
HTMX_DIR = files("js_lib_htmx") / "static" / "htmx"

nav_item("core.home", _l("Home"), order=0)


@dataclass(frozen=True)
class NavLink:
    label: str
    href: str
    active: bool
    counter: str | None  # the path of its count fragment


def _links() -> list[NavLink]:
    if not current_user.is_authenticated:
        return []
    endpoint = request.endpoint or ""
    area = endpoint.split(".")[0]
    return [NavLink(str(item.label), fixed_path(item.endpoint),
                    endpoint == item.endpoint or (bool(endpoint) and item.endpoint != "core.home"
                                                  and area == item.endpoint.split(".")[0]),
                    fixed_path(item.counter) if item.counter else None)
            for item in visible_nav(current_user)]


@bp.app_context_processor
def navigation():
    """The navigation as base.html draws it, worked out once per page, and only when drawn: an HTMX block
    (a step's answer, a list's next page) has no navigation."""
    return {"nav_items": Lazy(_links), "fixed_path": fixed_path}


@bp.get("/")
@login_required
def home():
    return render_template("core/home.html", cards=cards_for(current_user))


@bp.get("/healthz")
@csrf.exempt
def healthz():
    from ..notify.outbox import stats as outbox_stats
    from ..tasks import queue_stats
    try:
        db.session.execute(text("SELECT 1"))
        seq, head_hash = head()
        outbox = outbox_stats()  # numbers for monitoring: a growing or ageing queue means mail is stuck
        database, status = True, "ok"
    except Exception:  # the probe reports, it does not crash
        db.session.rollback()
        database, status, seq, head_hash, outbox = False, "degraded", None, None, None
    db.session.rollback()  # end the read before asking Redis
    # background work: depth and age of the queue; a backlog or an unreachable queue degrades the
    # status but not the answer (200): the app itself keeps serving
    queue = queue_stats(outbox)
    down = [] if database else ["database"]
    if queue.get("reachable") is False:
        down.append("queue")
    if queue.get("backlog") or down:
        status = "degraded"
    # "down" names what is out, for the monitor and for whoever reads the probe during an outage
    return jsonify(status=status, database=database, down=down, audit_head={"seq": seq, "hash": head_hash},
                   outbox=outbox, queue=queue), (200 if database else 503)


@bp.get("/vendor/htmx/<path:filename>")
def htmx_static(filename):
    return send_from_directory(str(HTMX_DIR), filename, max_age=86400)


@bp.get("/favicon.ico")
def favicon():
    # browsers ask for /favicon.ico on whatever they show without a page of ours around it (a PDF, a
    # scan): the icon the pages name, rather than a 404 in the console
    return redirect(url_for("static", filename="favicon.svg"), 301)


@bp.post("/lang/<code>")
def set_language(code):
    if code in LANGUAGES:
        session["lang"] = code
    target = request.form.get("next")
    return redirect(target if is_local_url(target) else url_for("core.home"))


@home_card(order=90)
def _profile_card(user):
    return {"title": _l("My profile"), "value": user.position or "-",
            "text": user.unit.name if user.unit else "", "url": url_for("accounts.password"),
            "link": _l("Change password")}
