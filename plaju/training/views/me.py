"""My development: my JP and enrolments, my team's, recommendations; the approvals awaiting me."""

from ...core.urls import int_arg
from ...htmx import render_page_or_block
from ...timeutil import today_wib
from ..services import catalogue as catalogue_service
from ..services import enrolment as enrolment_service
from ..services import tally as tally_service
from ..workflow import ENROLMENT_FLOW
from .common import actor, bp, page_number

TEAM_PAGE = 25
APPROVALS_PAGE = 50
OPEN_STATES = [s.name for s in ENROLMENT_FLOW.states if not s.terminal and s.name != "verified"]  # credited: done


@bp.get("/me")
def me():
    user = actor()
    year = today_wib().year
    team_page = page_number("team_page")
    team = enrolment_service.team_of(user, offset=(team_page - 1) * TEAM_PAGE, limit=TEAM_PAGE + 1)
    team_more, team = len(team) > TEAM_PAGE, team[:TEAM_PAGE]
    earned = tally_service.jp_earned([user.id] + [m.id for m in team], year)
    team_enrolments = enrolment_service.enrolments_of([m.id for m in team], states=OPEN_STATES)
    mine = enrolment_service.enrolments_of([user.id])[user.id]
    return render_page_or_block(
        "training/me.html", "training", year=year, jp=earned[user.id], pending=tally_service.jp_pending(mine, year),
        pending_elsewhere=tally_service.jp_pending_elsewhere(mine, year),
        enrolments=mine,
        recommended=catalogue_service.recommended(user),
        team=team, team_jp=earned, team_enrolments=team_enrolments, team_page=team_page, team_more=team_more,
        waiting=enrolment_service.count_awaiting(user))


@bp.get("/approvals")
def approvals():
    after = int_arg("after")
    waiting = enrolment_service.awaiting(actor(), after=after, limit=APPROVALS_PAGE + 1)
    return render_page_or_block("training/approvals.html", "training", waiting=waiting[:APPROVALS_PAGE],
                                more=len(waiting) > APPROVALS_PAGE, after=after)

