"""Signing in and out, password changes: each one leaves an audit event."""
import functools

from flask import session
from flask_login import login_user, logout_user
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from .. import shared_copies
from ..audit import record as audit
from ..database import plan_once
from ..extensions import db, login_manager
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from . import confirmations, passwords, sessions
from .models import User


@functools.cache
def _dummy_hash() -> str:
    # an unknown username costs one scrypt check too, so the time taken does not tell which names exist
    return generate_password_hash("no-such-user-placeholder", method="scrypt")


# every page loads the signed-in user: one statement with the roles and the stamp of the tables each
# process keeps a copy of (shared_copies), built once
_SIGNED_IN = plan_once(select(User, shared_copies.STAMP).options(joinedload(User.role_rows)).where(
    User.id == bindparam("user_id")))


@login_manager.user_loader
def load_user(token: str):
    try:
        user_id, epoch = (int(part) for part in token.split(":"))
    except ValueError:
        return None
    row = db.session.execute(_SIGNED_IN, {"user_id": user_id}).unique().one_or_none()
    if row is None:
        return None
    user, stamp = row
    shared_copies.seen(stamp)
    if user.session_epoch != epoch or not user.active:
        return None
    return user


class LoginFailed(Exception):
    pass


# why a sign-in or a password change was refused, for HR: the person is told less ("wrong username or
# password" does not say which), the log says which
CAUSES = {"unknown_user": _l("no account has this username"), "wrong_password": _l("the password was wrong"),
          "account_disabled": _l("the account is disabled"), "password_rules": _l("the new password breaks the rules"),
          "confirmations_locked": _l("too many wrong passwords: confirming was locked")}


def _refused(action: str, cause: str, told: str, **who) -> "LoginFailed":
    """Record the refusal (what they were told, and the cause) and give the error to raise."""
    audit.refused(action, reason=f"[{cause}] {told}", changes={"cause": [None, str(CAUSES[cause])]}, **who)
    return LoginFailed(told)


def authenticate(username: str, password: str) -> User:
    """Sign a user in or raise LoginFailed with a message that does not reveal which part was wrong."""
    name = (username or "").strip().lower()
    user = db.session.scalars(select(User).where(func.lower(User.username) == name)).first()
    generic = _("Wrong username or password.")
    if user is None:
        check_password_hash(_dummy_hash(), password or "")
        raise _refused("auth.login", "unknown_user", generic, actor_name=name[:120])
    if not user.check_password(password):
        raise _refused("auth.login", "wrong_password", generic, actor=user)
    # while wrong confirmations lock the account (accounts.confirmations, reached only from inside a session),
    # the sign-in form is no way around it: the right password does not sign in either. Only who typed it is
    # told of the lock: anyone typing "camat" learnt that someone was guessing the Camat's signing password
    locked = confirmations.locked_until(user)
    if locked:
        raise _refused("auth.login", "confirmations_locked", locked, actor=user)
    if not user.active:
        raise _refused("auth.login", "account_disabled",
                       _("This account has been disabled. Contact the HR (Kepegawaian) staff."), actor=user)
    session.clear()  # a fresh session at every sign-in: nothing carried over from before
    login_user(user)
    sessions.start()
    # with a password someone else set (a reset, a new account): the log tells this sign-in from the holder's own
    setter = (db.session.get(User, user.password_set_by_id)
              if user.must_change_password and user.password_set_by_id not in (None, user.id) else None)
    audit.record("auth.login", actor=user, comment=_("Signed in with the temporary password %(name)s set.",
                                                     name=setter.full_name) if setter else None)
    db.session.commit()
    return user


def sign_out(user) -> None:
    # every session of this user ends on the server, including copies of this cookie
    user.session_epoch = (user.session_epoch or 0) + 1
    audit.record("auth.logout", actor=user)
    db.session.commit()
    logout_user()
    session.clear()


def change_password(user: User, current: str, new: str) -> None:
    # the current password is a confirmation like a signature's: limited with them (accounts.confirmations),
    # or a held session could guess it here without end, then change it and lock the owner out
    locked = confirmations.locked_until(user)
    if locked:
        raise _refused("auth.password_change", "confirmations_locked", locked, actor=user)
    if not user.check_password(current):
        told = confirmations.wrong(user) or _("Your current password is wrong.")
        raise _refused("auth.password_change", "wrong_password", told, actor=user)
    weak = passwords.problem(new, user.username, user.full_name, user.nip)
    if weak is None and user.check_password(new):
        weak = _("The new password must differ from the current one.")
    if weak:
        raise _refused("auth.password_change", "password_rules", weak, actor=user)
    user.set_password(new)
    user.must_change_password = False
    user.session_epoch += 1  # other sessions of this user end
    audit.record("auth.password_change", actor=user, subject=user)
    db.session.commit()
    session.clear()
    login_user(user)
    sessions.start()
