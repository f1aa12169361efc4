"""Password rules, applied when a password is chosen (change, reset, new account). Seeding demo and
test users sets passwords directly and bypasses them on purpose (the shared demo password)."""
import re

from zxcvbn import zxcvbn

from ..i18n import gettext as _

MIN_LENGTH = 10
# zxcvbn's score: 3 = "safely unguessable" for an online attack; its dictionaries hold the common passwords
MIN_SCORE = 3
# zxcvbn's time grows with the length; the rest of a long password adds nothing it could judge
_CHECKED_PREFIX = 100


def rules_text() -> str:
    """The rules above in one sentence, shown beside every field where a password is chosen."""
    return _("At least %(n)d characters, without the account's username, name or NIP, and not easy to guess: "
             "several unrelated words work well (for example kopi-hujan-sepeda-74).", n=MIN_LENGTH)


def problem(password: str, username: str = "", full_name: str = "", nip: str | None = None) -> str | None:
    """The reason `password` is refused (a Bahasa message), or None when it is acceptable."""
    if len(password or "") < MIN_LENGTH:
        return _("The password must be at least %(n)d characters long.", n=MIN_LENGTH)
    lowered = password.casefold()
    own = [username or "", nip or ""] + [part for part in re.split(r"[\s.,'-]+", full_name or "")]
    if any(len(word) >= 3 and word.casefold() in lowered for word in own):
        return _("The password must not contain the account's username, name or NIP.")
    result = zxcvbn(password[:_CHECKED_PREFIX], user_inputs=[w for w in own if w])
    if result["score"] < MIN_SCORE:
        return _("This password is too easy to guess (a common password or a simple pattern). Use a longer "
                 "one, for example several unrelated words.")
    return None
