"""How refusals read in the log and in a record's history (used by sentences.render).

- A refused page or form (`access.forbidden`, `access.forbidden_post`, record.trace_forbidden) is named by
  the part of the intranet its menu calls it, never by its path. A form sent, and an edit form opened,
  read as a refused change: the Camat may read an approved plan, and "opened a page without the right to
  see it" for its item's edit form told HR he had tried to read what he reads every day.
- What a refusal told one person's screen about that screen ("Your page was out of date; it now shows
  the current state.") is left out of the lines everyone reads later; why it was refused stays.
"""
import re

from ..i18n import LANGUAGES
from ..i18n import lazy_gettext as _l

# a GET endpoint that shows a form to change something (people.edit, training.plan_item_edit,
# documents.edit_type): refused, it reads as a change refused, not as a page the reader may not see
_EDIT_FORM = re.compile(r"(^|_)edit(_|$)")

# (action, a form to change) -> (words naming the page, words when the event names its object, which the
# log shows beside it; None: the action's own words)
_REFUSED = {
    ("access.forbidden", False): (_l("opened a page of “%(page)s” without the right to see it"), None),
    ("access.forbidden", True): (_l("opened the form to change something in “%(page)s” without the right to "
                                    "change it"), _l("opened the form to change it without the right to do so")),
    ("access.forbidden_post", True): (_l("sent a change in “%(page)s” without the right to make it"),
                                      _l("sent a change without the right to make it")),
}


def _page(path: str, method: str) -> tuple[str | None, bool]:
    """The part of the intranet a path belongs to, as its menu names it ("/people/" is "People": the menu
    entry of that page, else the first of its part, None where the menu names neither), and whether the
    page is a form to change something."""
    from flask import current_app, has_app_context
    from werkzeug.exceptions import HTTPException

    from ..core.registry import NAV
    if not has_app_context():
        return None, False
    try:
        endpoint, _args = current_app.url_map.bind("localhost").match(path, method=method)
    except HTTPException:  # no such page (any more), or a redirect
        return None, False
    part, _dot, view = endpoint.rpartition(".")
    item = next((i for i in NAV if i.endpoint == endpoint), None) or next(
        (i for i in NAV if i.endpoint.rpartition(".")[0] == part), None)
    return (str(item.label) if item else None), bool(_EDIT_FORM.search(view))


def _step_of(path: str) -> str | None:
    """The workflow step a refused POST asked for (its URL's `trigger_name`), or None."""
    from flask import current_app, has_app_context
    from werkzeug.exceptions import HTTPException
    if not has_app_context():
        return None
    try:
        _endpoint, args = current_app.url_map.bind("localhost").match(path, method="POST")
    except HTTPException:
        return None
    trigger = args.get("trigger_name")
    return trigger if isinstance(trigger, str) and trigger.isidentifier() else None


def refused_page(action: str, path: str, verb: str, named_object: bool, subject_type: str | None = None) -> str:
    """What a refused page view or form says in words; `verb` (the action's own words) where nothing better
    is known. `named_object`: the event names what it was about, so the sentence need not name the page. A
    step posted to its record's page is named as the step ("memverifikasi penyelesaian dan mencatat JP"), as
    the same step refused from the inbox is."""
    step = _step_of(path) if action == "access.forbidden_post" and subject_type else None
    if step:
        from .vocabulary import action_label
        did = action_label(f"{subject_type}.{step}")
        if did != f"{subject_type}.{step}":
            return did
    if action == "access.forbidden_post":
        name, form = _page(path, "POST")[0], True
    else:
        name, form = _page(path, "GET")
    said = _REFUSED.get((action, form))
    if said is None:
        return verb
    with_page, with_object = said
    if named_object:
        return str(with_object) if with_object is not None else verb
    return str(with_page) % {"page": name} if name else str(with_object or verb)


# what the workflow engine's stale-page refusal (engine.stale_page) adds for the screen that shows it
_SCREEN_ONLY = ("This page was out of date; it now shows the current state.",
                "Your page was out of date; it now shows the current state.")
_screen_sentences: list[str] = []


def _sentences() -> list[str]:
    """Those sentences in every language a refusal may have been recorded in (the actor's), once."""
    if not _screen_sentences:
        from flask_babel import force_locale

        from ..i18n import gettext
        found = set(_SCREEN_ONLY)
        for language in LANGUAGES:
            with force_locale(language):
                found.update(gettext(text) for text in _SCREEN_ONLY)
        _screen_sentences.extend(sorted(found, key=len, reverse=True))
    return _screen_sentences


_FORM_PATH = re.compile(r" \((/[^()\s]*)\)$")
_EXPIRED_FORM = re.compile(r"^(?:POST|PUT|PATCH|DELETE) (/\S*)$")  # core.errors' CSRF refusal: method and path


def form_place(reason: str | None) -> str | None:
    """A refused form's reason naming the part of the intranet instead of a path: record.trace_refused_form
    ends it with the form's path ("... (di “Pelatihan”)"; the path stays where the menu names no part); a
    form refused by its CSRF check is said as what it was."""
    expired = _EXPIRED_FORM.match(reason or "")
    if expired:
        reason = f"{_l('a form open too long, or no longer valid')} ({expired.group(1)})"
    found = _FORM_PATH.search(reason or "")
    if not found:
        return reason
    # a form is posted; a refused query string (inputs.guard_request) came with a page opened
    name = _page(found.group(1), "POST")[0] or _page(found.group(1), "GET")[0]
    if not name:  # the menu names no part: the path says where, rather than nothing
        return reason
    return reason[:found.start()] + " " + str(_l("(in “%(page)s”)", page=name))


def without_screen_words(reason: str | None) -> str | None:
    """A refusal's reason without what only its screen needed, or as it was."""
    if not reason:
        return reason
    for sentence in _sentences():
        if reason.endswith(sentence) and len(reason) > len(sentence):
            return reason[:-len(sentence)].rstrip()
    return reason
