"""Every number of the service dashboard equals the same number computed independently from raw rows
(tests/reports/reference.py), on requests walked through the real workflow with returns to the
citizen and holidays; and the table the steps keep equals the one rebuilt from raw rows."""
from datetime import UTC, date, datetime, timedelta

import pytest

from plaju.documents.models import KELURAHAN
from plaju.reports import facts
from plaju.reports.service import Filters, month_within, service_dashboard
from tests.reports import reference


def _months(end: str, count: int = 12) -> list[str]:
    year, month = int(end[:4]), int(end[5:7])
    out = []
    for back in range(count - 1, -1, -1):
        index = year * 12 + month - 1 - back
        out.append(f"{index // 12:04d}-{index % 12 + 1:02d}")
    return out


@pytest.mark.parametrize("seed", [7, 2026])
def test_dashboard_equals_reference(db, office, seed):
    generated = office(seed, 70)
    now = datetime.now(UTC).replace(tzinfo=None)
    end = reference.month(now)
    months = set(_months(end))
    split_day = (now - timedelta(days=150)).date()
    split_utc = datetime.combine(split_day, datetime.min.time()) - reference.WIB
    board = service_dashboard(Filters(end_month=end, split=split_day), now=now)
    raw = reference.request_facts(db, now)
    assert any(f["returned"] for f in raw), "the generated data must include time back with the citizen"
    assert generated.holidays

    assert board.total.figures() == reference.cell(raw, months)
    for month in months:
        expected = reference.cell(raw, {month})
        assert board.by_month[month].figures() == expected, month
        assert month_within(month) == (expected["ready"], expected["within"])  # the home card
    type_ids = {f["type_id"] for f in raw}
    for type_id in type_ids:
        expected = reference.cell(raw, months, lambda f, t=type_id: f["type_id"] == t)
        assert board.by_type.get(type_id).figures() == expected, type_id
        for month in months:
            expected = reference.cell(raw, {month}, lambda f, t=type_id: f["type_id"] == t)
            got = board.by_type_month.get((type_id, month))
            if got is None:
                assert expected["received"] == expected["ready"] == expected["handed_over"] == 0
            else:
                assert got.figures() == expected, (type_id, month)
    for name in KELURAHAN:
        expected = reference.cell(raw, months, lambda f, k=name: f["kelurahan"] == k)
        got = board.by_kelurahan.get(name)
        assert (got.figures() if got else reference.figures([], [], [])) == expected, name
    for side in ("before", "after"):
        for key in (None, *type_ids):
            expected = reference.cell(raw, months, lambda f, t=key: t is None or f["type_id"] == t,
                                      split=(side, split_utc))
            got = board.split[side].get(key)
            assert (got.figures() if got else reference.figures([], [], [])) == expected, (side, key)

    open_ = [f for f in raw if f["state"] in reference.OPEN]
    assert board.backlog["total"] == {"open": len(open_), "overdue": sum(f["overdue"] for f in open_)}
    for type_id in type_ids:
        mine = [f for f in open_ if f["type_id"] == type_id]
        assert board.backlog["by_type"].get(type_id, {"open": 0, "overdue": 0}) == {
            "open": len(mine), "overdue": sum(f["overdue"] for f in mine)}
    for name in KELURAHAN:
        mine = [f for f in open_ if f["kelurahan"] == name]
        assert board.backlog["by_kelurahan"].get(name, {"open": 0, "overdue": 0}) == {
            "open": len(mine), "overdue": sum(f["overdue"] for f in mine)}
    today = (now + reference.WIB).date()
    ages = [(today - f["received_day"]).days for f in open_]
    assert board.backlog["ages"] == {
        "0-3": sum(a <= 3 for a in ages), "4-7": sum(4 <= a <= 7 for a in ages),
        "8-14": sum(8 <= a <= 14 for a in ages), "15-30": sum(15 <= a <= 30 for a in ages),
        "> 30": sum(a > 30 for a in ages)}


def test_filters_by_type_and_kelurahan_equal_reference(db, office):
    office(11, 40)
    now = datetime.now(UTC).replace(tzinfo=None)
    end = reference.month(now)
    raw = reference.request_facts(db, now)
    type_id = raw[0]["type_id"]
    kelurahan = raw[0]["kelurahan"]
    board = service_dashboard(Filters(end_month=end, type_id=type_id, kelurahan=kelurahan), now=now)
    keep = lambda f: f["type_id"] == type_id and f["kelurahan"] == kelurahan  # noqa: E731
    assert board.total.figures() == reference.cell(raw, set(_months(end)), keep)
    assert board.backlog["total"]["open"] == sum(1 for f in raw if keep(f) and f["state"] in reference.OPEN)


def test_kept_table_equals_rebuilt(db, office):
    """After random steps the rows the steps kept equal the rows rebuilt from the raw rows."""
    office(99, 60)
    kept = facts.kept_rows()
    assert len(kept) == 60
    assert any(row for row in kept if row[-4] > 0)  # returned_minutes: some time back with the citizen
    facts.rebuild()
    assert facts.kept_rows() == kept


def test_a_month_in_the_past_shows_only_its_twelve_months(db, office):
    generated = office(5, 30)
    end_day = generated.now - timedelta(days=200)
    end = reference.month(end_day)
    board = service_dashboard(Filters(end_month=end), now=generated.now)
    raw = reference.request_facts(db, generated.now)
    assert board.months == _months(end)
    assert board.total.figures() == reference.cell(raw, set(_months(end)))
    assert date.fromisoformat(board.months[-1] + "-01") < generated.now.date()
