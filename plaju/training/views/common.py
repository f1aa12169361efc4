"""The training blueprint and what its pages share: the signed-in user, HR, paging, template globals."""
from pathlib import Path

from flask import Blueprint, redirect, url_for
from flask_login import current_user, login_required

from ...core.registry import nav_item
from ...core.urls import int_arg
from ...i18n import lazy_gettext as _l
from .. import certificates as _certificates  # noqa: F401  (registers the certificate as a letters subject)
from .. import demo as _demo  # noqa: F401  (registers the demo seeder)
from ..models import JP_TARGET, KINDS, METHODS
from ..services import enrolment as enrolment_service
from ..services import plans as plans_service
from ..services import tally as tally_service
from ..workflow import ENROLMENT_FLOW, PLAN_FLOW, deadline_passed, seats_left
from ..workflow.queries import course_over

bp = Blueprint("training", __name__, url_prefix="/training",
               static_folder=str(Path(__file__).resolve().parent.parent / "static"), static_url_path="/static")
EVENT = "training-changed"

nav_item("training.me", _l("Competence development"), order=30)


@bp.before_request
@login_required
def _signed_in():
    return None


def actor():
    return current_user._get_current_object()


def is_hr() -> bool:
    return current_user.has_role("hr")


@bp.app_template_global("jp_percent")
def jp_percent(jp: int) -> int:
    return tally_service.percent(jp)


@bp.app_template_global("reads_plans")
def reads_plans() -> bool:
    return plans_service.may_read_plan(actor())


@bp.app_template_global("approves_training")
def approves_training() -> bool:
    return enrolment_service.approves_any(actor())


@bp.context_processor
def _shared():
    return {"KINDS": KINDS, "METHODS": METHODS, "JP_TARGET": JP_TARGET, "ENROLMENT_FLOW": ENROLMENT_FLOW,
            "PLAN_FLOW": PLAN_FLOW, "seats_left": seats_left, "deadline_passed": deadline_passed,
            "course_over": course_over}


@bp.get("/")
def index():
    return redirect(url_for("training.me"))


def page_number(name: str = "page") -> int:
    return max(int_arg(name, 1) or 1, 1)



@bp.app_template_filter("rupiah")
def rupiah(amount) -> str:
    """Rp 1.250.000 (Indonesian thousands separator)."""
    return "Rp " + f"{int(amount or 0):,}".replace(",", ".")
