"""What a unit's plan adds up to: JP planned against JP earned per person, totals per funding source and
quarter, and the plan as a workbook for the budget documents. Reads only."""
from dataclasses import dataclass, field

from ...accounts.models import User
from ...i18n import gettext as _
from ..models import FUNDING, KINDS, QUARTERS, Plan
from .tally import jp_earned


@dataclass
class Realisation:
    user: User
    planned: int
    earned: int

    @property
    def percent(self) -> int:
        """The bar's width: at most 100."""
        return min(100, self.share)

    @property
    def share(self) -> int:
        """Earned as a percentage of planned, as the competence report counts it: 22 of 14 JP is 157%."""
        return round(100 * self.earned / self.planned) if self.planned else (100 if self.earned else 0)


def realisation(plan: Plan) -> list[Realisation]:
    planned: dict[int, int] = {}
    people: dict[int, User] = {}
    for item in plan.items:
        if item.user_id is None:
            continue
        planned[item.user_id] = planned.get(item.user_id, 0) + item.planned_jp
        people[item.user_id] = item.user
    earned = jp_earned(list(people), plan.year) if people else {}
    return sorted((Realisation(people[uid], planned[uid], earned.get(uid, 0)) for uid in people),
                  key=lambda r: r.user.full_name)


@dataclass
class Totals:
    jp: int = 0
    cost: int = 0
    by_funding: dict = field(default_factory=dict)
    by_quarter: dict = field(default_factory=dict)


def totals(plan: Plan) -> Totals:
    """JP (all participants) and estimated cost of the unit's plan, per funding source and quarter."""
    out = Totals(by_funding=dict.fromkeys(FUNDING, 0), by_quarter={q: 0 for q in QUARTERS})
    for item in plan.items:
        out.jp += item.total_jp
        out.cost += item.cost
        out.by_funding[item.funding] = out.by_funding.get(item.funding, 0) + item.cost
        if item.quarter:
            out.by_quarter[item.quarter] += item.total_jp
    return out


def plan_workbook(plan: Plan) -> bytes:
    """The plan as an XLSX sheet for the budget documents: one row per activity, totals at the bottom."""
    from .history import to_xlsx
    header = [_("Person or group"), _("NIP"), _("Activity"), _("Competence kind"), _("Quarter"),
              _("JP per person"), _("Participants"), _("Total JP"), _("Estimated cost (Rp)"), _("Funding source")]
    body = [[item.user.full_name if item.user else item.group_label, (item.user.nip or "") if item.user else "",
             item.title, str(KINDS.get(item.kind, item.kind)), f"TW {item.quarter}" if item.quarter else "",
             item.planned_jp, item.participants, item.total_jp, item.cost, str(FUNDING.get(item.funding, item.funding))]
            for item in plan.items]
    sums = totals(plan)
    return to_xlsx(header, body, title=f"Rencana {plan.year}",
                   totals=[_("Total %(unit)s", unit=plan.unit.name), "", "", "", "", "", "", sums.jp, sums.cost, ""])
