"""Copies of small, rarely changed tables (the holidays) that a process keeps between requests, exact at
every request.

A trigger on each copied table writes a new random stamp into `cache_stamp` in the writer's own transaction
(migration 0023), whoever writes: a page, a script, psql. The statement that loads the signed-in user reads
that stamp with the user (`STAMP`, one column of a statement every page runs anyway), and a copy is used
only while it was taken under the stamp the request read. So one more process, a change by hand or a
restore costs no stale read. A request that read no stamp (nobody signed in) reads the table once, a
command every time.
"""
from collections.abc import Callable

from flask import has_request_context, request
from sqlalchemy import BigInteger, select
from sqlalchemy.orm import Mapped, mapped_column

from .extensions import db

# kept in the request's environ, not g: an application context can outlive one request
_KEY = "plaju.shared_copies.stamp"
_REQUEST_COPIES = "plaju.shared_copies.copies"
_copies: dict[str, tuple[int, object]] = {}


class CacheStamp(db.Model):
    """One row, rewritten by the triggers of the copied tables; none until the first change is fine."""
    __tablename__ = "cache_stamp"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    stamp: Mapped[int] = mapped_column(BigInteger)


STAMP = select(CacheStamp.stamp).where(CacheStamp.id == 1).scalar_subquery()


def seen(stamp: int | None) -> None:
    """The stamp the request read (with its user)."""
    if has_request_context():
        request.environ[_KEY] = stamp


def copy_of(name: str, load: Callable):
    """load(), once per request: the copy taken under the stamp this request read when there is one."""
    if not has_request_context():
        return load()
    mine = request.environ.setdefault(_REQUEST_COPIES, {})
    if name in mine:
        return mine[name]
    stamp = request.environ.get(_KEY)
    held = _copies.get(name)
    if stamp is not None and held is not None and held[0] == stamp:
        value = held[1]
    else:
        # read after the stamp: at least as new as it, never older, so the copy can be kept under it
        value = load()
        if stamp is not None:
            _copies[name] = (stamp, value)
    mine[name] = value
    return value


def changed(name: str) -> None:
    """This request changed the table: the stamp it read is stale for it, so it reads the table again."""
    _copies.pop(name, None)
    if has_request_context():
        request.environ.pop(_KEY, None)
        request.environ.get(_REQUEST_COPIES, {}).pop(name, None)
