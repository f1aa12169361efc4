"""The one workflow UI: the action view every area uses, and who must act next.

An area gives `action_view` only what is its own: how to load the row (404/403 included), how to
render its page (template, the named block HTMX swaps, the block's context) and, when it has one, its
service. The view parses the step's form (what `Step.form` asks for: reason, note, password, ticked
requirements, an upload), takes the step, and answers with the block and a message (HTMX) or a
redirect (no JavaScript). A refusal re-renders the block with the reason and the refusal's status
(403, 409, 422). Templates: templates/workflow/_actions.html, _history.html, _state.html.
"""
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import abort, current_app, flash, make_response, redirect, request
from flask_login import current_user

from .. import uploads
from ..audit import record as audit
from ..audit import sentences, vocabulary
from ..core.urls import is_local_url
from ..extensions import db
from ..htmx import render_page_or_block, trigger, wants_fragment
from ..i18n import gettext as _
from .engine import fire, history_for, spec_for
from .errors import Refused

CERTIFICATE_FACTS = ("number", "date", "issuer", "jp")


@dataclass
class StepForm:
    """What the user sent with a step. `version` is the one the page showed (stale -> 409)."""
    version: str = ""
    comment: str | None = None
    password: str | None = None
    ticked: set = field(default_factory=set)  # requirements now brought ("checklist")
    missing: set = field(default_factory=set)  # requirements found missing ("missing")
    upload: object = None  # the stored file of an "upload" field (uploads.Stored)
    # why an optional file sent with "fields" was refused: the step's effect says it with its other faults, and
    # fire() refuses the step with it when the effect does not
    upload_refused: str | None = None
    fields: dict = field(default_factory=dict)  # the area's own fields ("fields"): f_<name> -> value
    certificate: dict = field(default_factory=dict)  # a "certificate" field: number, date, issuer, jp
    confirmed: bool = False  # a "confirm" field was ticked

    @classmethod
    def parse(cls, form) -> "StepForm":
        def ids(name):
            return {int(v) for v in form.getlist(name) if (v.isascii() and v.isdigit()) and len(v) < 10}
        certificate = {k: form.get(f"certificate_{k}") for k in CERTIFICATE_FACTS if f"certificate_{k}" in form}
        return cls(version=form.get("version", ""), comment=form.get("comment"), password=form.get("password"),
                   ticked=ids("ticked"), missing=ids("missing"), certificate=certificate,
                   confirmed=form.get("confirmed") == "yes",
                   fields={k[2:]: form.get(k) for k in form if k.startswith("f_") and len(k) <= 40})

    def data(self) -> dict:
        data = {"ticked": sorted(self.ticked), "missing": sorted(self.missing)}
        if self.upload is not None:
            data["evidence"] = self.upload
        if self.upload_refused:
            data["evidence_refused"] = self.upload_refused
        if self.fields:
            data["fields"] = dict(self.fields)
        if self.certificate:
            data["certificate"] = dict(self.certificate)
        if self.confirmed:
            data["confirmed"] = True
        return data


def fire_step(entity, trigger_name: str, actor, form: StepForm):
    """The default service: the engine's fire() with what the form carried."""
    return fire(entity, trigger_name, actor, expected_version=form.version, comment=form.comment,
                password=form.password, data=form.data())


def is_next_step(step) -> bool:
    """A step the item waits for: a to-do (the engine's flag when the spec sets one) that moves it on.
    Returns, rejections and withdrawals (a reason, or a secondary button) are ways out, not what
    the item is waiting for."""
    return getattr(step, "todo", True) and not step.comment_required and step.style != "secondary"


def waiting_for(entity, reader=None) -> list[str]:
    """Who must act next, in words: ["Kepala Seksi (Kasi)"], ["atasan langsung (Nama)"], or ["Anda"] when
    the step names `reader` in person (the enrolled ASN reading their own enrolment). Derived from the
    spec: the next steps from the current state and the human labels of their who-rules."""
    spec = spec_for(entity)
    state = getattr(entity, spec.state_attr)
    if spec.state(state).terminal:
        return []
    labels = []
    steps = [step for step in spec.steps_from(state) if step.todo_in(state) and step.applies(entity)]
    # the steps that move it on; where every to-do asks a reason (a complaint's answer), those
    forward = [step for step in steps if is_next_step(step)] or steps
    for step in forward:
        label = step.who.label
        text = label(entity) if callable(label) else label
        if reader is not None and step.who.names is not None and (reader.id, None) in step.who.names(entity):
            text = _("you")
        if text and str(text) not in labels:
            labels.append(str(text))
    return labels


def history_sentences(entity) -> list:
    """The row's history as sentences (plaju.audit.sentences), refusals included."""
    return sentences.render(history_for(entity))


def done_message(entity, step) -> str:
    """"Anda menandatangani dokumen. Status sekarang: ...": what was done in the words the audit log uses
    for the step (its button's label where the area gave none)."""
    spec = spec_for(entity)
    state = spec.state_label(getattr(entity, spec.state_attr), entity)  # as the badge reads it for this row
    action = f"{spec.name}.{step.trigger}"
    did = vocabulary.action_label(action)
    if did != action:
        message = _("You %(did)s. Status now: %(state)s.", did=did, state=state)
    else:
        message = _("Done: %(step)s. Status now: %(state)s.", step=step.label, state=state)
    waiting = waiting_for(entity)
    if waiting:
        message += " " + _("Waiting for: %(who)s.", who=_(" or ").join(waiting))
    return message


def named(entity, message: str) -> str:
    """The message with the item it is about in front ("PLJ-7K2QX-M4PZA · Budi: Done: ...")."""
    summary = spec_for(entity).summary(entity)
    who = " · ".join(str(part) for part in (summary.get("code"), summary.get("name")) if part)
    return f"{who}: {message}" if who else message


def refusal_text(refusal: Refused, comment: str | None, form_kept: bool = True) -> str:
    """What a refused step tells its user. When someone acted first the form is gone with the old state,
    so the reason this person had typed is quoted back rather than lost; so too wherever the answer does
    not bring the form back as sent (`form_kept` False: a list's row)."""
    message = str(refusal.message)
    typed = (comment or "").strip()
    if typed and (refusal.status == 409 or not form_kept):
        message += " " + _("What you wrote, not saved: “%(text)s”", text=typed[:500])
    return message


# after any step the navigation's to-do counter refreshes itself (templates/base.html)
INBOX_EVENT = "inbox-changed"


def action_view(load: Callable, template: str, block: str, context: Callable, *, page_url: Callable,
                event: str, service: Callable = fire_step, hidden: frozenset = frozenset(),
                gone: Callable | None = None):
    """Build the POST view of `<entity>/<...>/<trigger_name>`.

    load(**url_args) -> the row, aborting 404/403; context(row) -> the block's template context;
    page_url(row) -> where a browser without JavaScript goes afterwards; event -> the HX-Trigger name
    that refreshes lists and counters; service(row, trigger, actor, StepForm) takes the step;
    hidden: triggers no form may take (the system's own); gone(row) -> a URL when the actor may no
    longer see the row after the step (the page then moves on to that URL).
    """
    def render(entity, status=200, **extra):
        html = render_page_or_block(template, block, **{**context(entity), **extra})
        return make_response(html, status)

    def reload(url_args):
        db.session.rollback()
        db.session.expire_all()
        return load(**url_args)

    def view(trigger_name: str, **url_args):
        entity = load(**url_args)
        spec = spec_for(entity)
        step = spec.step_by_trigger.get(trigger_name)
        if trigger_name in hidden:
            abort(404)
        actor = current_user._get_current_object()
        form = StepForm.parse(request.form)
        sent = request.files.get("evidence")
        # "upload" asks for a file, "fields" may carry one: a file sent is stored (or refused) here; without one
        # the step's effect decides (a report HR returned keeps the file it was sent with)
        if step is not None and ("upload" in step.form or "fields" in step.form) and sent and sent.filename:
            try:
                form.upload = uploads.store(request.files.get("evidence"))
            except uploads.UploadRefused as refusal:
                if "upload" not in step.form:  # optional: the effect refuses it with the form's other faults
                    form.upload_refused = str(refusal)
                else:
                    audit.refused(f"{spec.name}.{trigger_name}", actor=actor, subject_type=spec.name,
                                  subject_id=entity.id, from_state=getattr(entity, spec.state_attr),
                                  reason=f"[input:upload] {refusal}")
                    return render(reload(url_args), 422, error=str(refusal))
        try:
            service(entity, trigger_name, actor, form)
        except Refused as refusal:
            _discard(form)
            return render(reload(url_args), refusal.status, step_faults=refusal.faults,
                          error=refusal_text(refusal, request.form.get("comment")))
        except Exception:
            _discard(form)
            raise
        entity = db.session.get(type(entity), entity.id)  # as fire() left it: committed, still loaded
        message = done_message(entity, step)
        elsewhere = following_item(entity, actor) or (gone(entity) if gone else None)
        if elsewhere:  # the next page shows another item: the message says which one was done
            message = named(entity, message)
        if wants_fragment():
            if elsewhere:
                flash(message, "success")
                response = make_response("", 200)
                response.headers["HX-Redirect"] = elsewhere
                return trigger(response, event, INBOX_EVENT)
            return trigger(shown_from_top(render(entity, done=message)), event, INBOX_EVENT)
        flash(message, "success")
        target = request.form.get("next")
        if elsewhere:
            target = elsewhere
        elif not is_local_url(target):
            target = page_url(entity)
            if opened_from():  # still on an item opened from the inbox
                target += ("&" if "?" in target else "?") + "from=" + opened_from()
        return redirect(target, 303)

    return view


# the page was opened from the inbox, its whole list or only what waits for the reader as Plh/Plt: its links
# carry from=..., its step forms post it back, and a step goes on to the next item of that same list
FROM_INBOX = "inbox"
FROM_STAND_IN = "inbox-standin"


def opened_from() -> str | None:
    """Which of the inbox's lists the item's page was opened from, or None."""
    origin = request.values.get("from")
    return origin if origin in (FROM_INBOX, FROM_STAND_IN) else None


def following_item(entity, actor) -> str | None:
    """Where a step taken on an item's page opened from the inbox leads: nowhere new while the item still
    awaits the actor, else the next waiting item's page of the list it came from (or that list when nothing
    is left). The inbox registers how to find it (`app.extensions["workflow_next_item"]`); without it, None."""
    origin = opened_from()
    if origin is None:
        return None
    find = current_app.extensions.get("workflow_next_item")
    return find(actor, entity, stand_in=origin == FROM_STAND_IN) if find else None


def shown_from_top(response):
    """A step done: its outcome is said at the top of the swapped part, which scrolls into view (from far
    down a phone's page the answer was out of sight). A refusal keeps the place: it is said beside the form."""
    response.headers["HX-Reswap"] = "outerHTML show:top"
    return response


def _discard(form: StepForm) -> None:
    if form.upload is not None:
        uploads.discard(form.upload.name)
