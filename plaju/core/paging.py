"""Keyset paging: lists that continue from the last key shown, never OFFSET, so a page costs the same
whatever its depth and rows added meanwhile neither repeat nor vanish.

`key` is a unique column (an id, the audit sequence). `lead` are columns ordered before it (e.g. the
creation time): the comparison is then on the row value (lead..., key), the lead values of the last
row being read back from its key, so the link carries the key alone.
"""
from dataclasses import dataclass

from sqlalchemy import select, tuple_

from ..extensions import db


def after_key(stmt, key, after=None, *, lead=(), descending: bool = False):
    """`stmt` ordered by (lead..., key) and continued after the row whose key is `after`."""
    columns = [*lead, key]
    if after is not None:
        if lead:
            mark = tuple_(*[select(c).where(key == after).scalar_subquery() for c in lead], after)
            here = tuple_(*columns)
            stmt = stmt.where(here < mark if descending else here > mark)
        else:
            stmt = stmt.where(key < after if descending else key > after)
    return stmt.order_by(*[c.desc() if descending else c for c in columns])


@dataclass
class Page:
    rows: list
    next_key: object  # the key to continue from, None on the last page

    @property
    def more(self) -> bool:
        return self.next_key is not None


def keyset_page(stmt, key, after=None, *, size: int, lead=(), descending: bool = False) -> Page:
    """One page of `size` rows of `stmt` (a select of one entity) after `after`, and the key to
    continue from: one statement (size + 1 rows tell whether there is more)."""
    rows = list(db.session.scalars(after_key(stmt, key, after, lead=lead, descending=descending)
                                   .limit(size + 1)))
    more = len(rows) > size
    rows = rows[:size]
    return Page(rows, getattr(rows[-1], key.key) if more and rows else None)
