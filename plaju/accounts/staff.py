"""Who was on the office's staff, in which unit, at a moment: the roster a month's figures count.

Each account HR creates, moves or disables leaves a `StaffRecord`; an account with no record (made before
the records, by the command line or the demo) reads as it is now, counted until it left (`left_at`)."""
from datetime import datetime

from sqlalchemy import select

from ..extensions import db
from .models import StaffRecord, User

FROM_THE_START = datetime(2000, 1, 1)  # what an account with no record was, it was all along


def record(user: User, before: tuple | None) -> None:
    """After an account was created (`before` None) or changed (`before`: its unit, active and left_at as
    they were): a new record when its unit or its being on staff changed. An account that had no record
    first gets the one it read as until now, so its past months stay as they were."""
    last = db.session.scalars(select(StaffRecord).where(StaffRecord.user_id == user.id)
                              .order_by(StaffRecord.valid_from.desc(), StaffRecord.id.desc()).limit(1)).first()
    if last is None and before is not None:
        unit_id, active, left_at = before
        last = StaffRecord(user_id=user.id, unit_id=unit_id, active=active or left_at is not None,
                           valid_from=FROM_THE_START)
        db.session.add(last)
        if not active and left_at is not None:
            last = StaffRecord(user_id=user.id, unit_id=unit_id, active=False, valid_from=left_at)
            db.session.add(last)
    if last is None or last.unit_id != user.unit_id or last.active != user.active:
        db.session.add(StaffRecord(user_id=user.id, unit_id=user.unit_id, active=user.active))


class Rosters:
    """The staff (user id -> unit id) at any moment, from two statements read once."""

    def __init__(self):
        self.records: dict[int, list[tuple[datetime, int | None, bool]]] = {}
        for user_id, valid_from, unit_id, active in db.session.execute(
                select(StaffRecord.user_id, StaffRecord.valid_from, StaffRecord.unit_id, StaffRecord.active)
                .order_by(StaffRecord.user_id, StaffRecord.valid_from, StaffRecord.id)):
            self.records.setdefault(user_id, []).append((valid_from, unit_id, active))
        self.accounts = db.session.execute(select(User.id, User.unit_id, User.active, User.left_at)).all()

    def at(self, moment: datetime) -> dict[int, int | None]:
        """Who was on staff at `moment`, and in which unit."""
        staff = {}
        for user_id, unit_id, active, left_at in self.accounts:
            history = self.records.get(user_id)
            if history is None:  # as it is now, until it left
                if active or (left_at is not None and left_at > moment):
                    staff[user_id] = unit_id
                continue
            state = self._state(history, moment)
            if state is not None and state[1]:
                staff[user_id] = state[0]
        return staff

    def unit_at(self, user_id: int, moment: datetime, current: int | None) -> int | None:
        """The unit someone last worked in by `moment` (where a leaver's JP count): moving a disabled
        account moves none of them."""
        unit, found = current, False
        for valid_from, record_unit, record_active in self.records.get(user_id) or ():
            if valid_from > moment:
                break
            if record_active:  # the unit they worked in, not one a disabled account was moved to later
                unit, found = record_unit, True
        return unit if found else current

    @staticmethod
    def _state(history, moment):
        state = None
        for valid_from, record_unit, record_active in history:
            if valid_from > moment:
                break
            state = (record_unit, record_active)
        return state
