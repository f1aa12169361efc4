"""The month's satisfaction index in the monthly report (reports.panels.monthly_table), so the IKM is
filed with the service and competence figures of the same month."""
from ..i18n import gettext as _
from ..i18n import month_text
from ..reports.panels import monthly_table
from ..spreadsheet import Figure
from . import services as svc


def _value(value) -> Figure:
    if value is None:
        return Figure("–")
    return Figure(f"{value:.2f}".replace(".", ","), float(value), "0.00")


@monthly_table
def _skm_of_the_month(month: str, _user):
    report = svc.report(month, month)
    total = report.total
    if not total.index.respondents and not total.population:
        return None
    note = (_("too few") if total.too_few else _("few") if total.small else "")
    rows = [[_("IKM, all services"), total.index.respondents, total.population, _value(total.index.value),
             total.index.letter or "–", note]]
    rows += [[str(element.name), "", "", _value(value), letter or "–", _("weakest") if weakest else ""]
             for element, value, letter, _label, weakest in report.elements]
    return (_("Community satisfaction (SKM/IKM) of the requests handed over in %(month)s",
              month=month_text(month)),
            [_("Element"), _("Answers"), _("Handed over"), _("Value (25-100)"), _("Grade"), _("Note")], rows)
