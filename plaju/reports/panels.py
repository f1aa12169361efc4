"""Places on the report pages that other areas fill: e.g. the satisfaction survey (SKM/IKM) adds a
panel to the service dashboard and a table to the monthly report without this package naming it.

fn(filters, user) -> dict(title, value, text, url) | None for `service_panel`;
fn(month, user) -> (title, headers, rows) | None for `monthly_table`.
"""
from collections.abc import Callable

SERVICE_PANELS: list[Callable] = []
MONTHLY_TABLES: list[Callable] = []


def service_panel(fn):
    if fn not in SERVICE_PANELS:
        SERVICE_PANELS.append(fn)
    return fn


def monthly_table(fn):
    if fn not in MONTHLY_TABLES:
        MONTHLY_TABLES.append(fn)
    return fn


def panels_for(filters, user) -> list[dict]:
    return [panel for panel in (fn(filters, user) for fn in SERVICE_PANELS) if panel]


def tables_for(month: str, user) -> list[tuple]:
    return [table for table in (fn(month, user) for fn in MONTHLY_TABLES) if table]
