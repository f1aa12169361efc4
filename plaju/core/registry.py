"""What areas contribute to shared pages: navigation entries and cards on the home page.

Areas register here when their views are imported, so base.html and the home page know no area.
"""
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: object
    roles: frozenset | None = None  # None: every signed-in user (every user is an ASN)
    order: int = 50
    icon: str = ""
    counter: str | None = None  # endpoint of a tiny count fragment shown next to the label


NAV: list[NavItem] = []
HOME_CARDS: list[tuple[int, frozenset | None, Callable]] = []


def nav_item(endpoint: str, label, roles=None, order: int = 50, icon: str = "", counter: str | None = None) -> None:
    if any(item.endpoint == endpoint for item in NAV):
        return
    NAV.append(NavItem(endpoint, label, frozenset(roles) if roles else None, order, icon, counter))
    NAV.sort(key=lambda item: item.order)


def home_card(roles=None, order: int = 50):
    """Decorate fn(user) -> dict(title, value, text, url, tone) | None, shown on the home page."""
    def decorate(fn):
        if all(existing is not fn for _, _, existing in HOME_CARDS):
            HOME_CARDS.append((order, frozenset(roles) if roles else None, fn))
            HOME_CARDS.sort(key=lambda card: card[0])
        return fn
    return decorate


def visible_nav(user) -> list[NavItem]:
    return [item for item in NAV if item.roles is None or user.has_role(*item.roles)]


def cards_for(user) -> list[dict]:
    cards = []
    for _order, roles, fn in HOME_CARDS:
        if roles is None or user.has_role(*roles):
            card = fn(user)
            if card:
                cards.append(card)
    return cards


# fn() -> None, idempotent; areas add their demo data after the people exist
SEEDERS: list[tuple[int, Callable]] = []


def seeder(order: int = 50):
    def decorate(fn):
        if all(existing is not fn for _, existing in SEEDERS):
            SEEDERS.append((order, fn))
            SEEDERS.sort(key=lambda item: item[0])
        return fn
    return decorate
