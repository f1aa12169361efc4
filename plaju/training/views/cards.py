"""What training shows on the home page."""
from flask import url_for

from ...core.registry import home_card
from ...i18n import lazy_gettext as _l
from ..models import JP_TARGET
from ..services import tally as tally_service


@home_card(order=30)
def _my_jp_card(user):
    jp = tally_service.tally(user)
    return {"title": _l("My JP this year"), "value": f"{jp} / {JP_TARGET} JP",
            "text": _l("Competence development target: at least 20 JP a year."),
            "url": url_for("training.me"), "link": _l("My development"),
            "tone": "success" if jp >= JP_TARGET else "warning"}
