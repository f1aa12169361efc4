"""A batch of the inbox: the confirmation of the ticked items (under whose authority each is taken) and
taking them, one password entry for the batch when one of its steps asks for it, each item its own
transaction and audit event."""
from ..audit import record as audit
from ..extensions import db
from ..i18n import gettext as _
from ..workflow import Invalid
from ..workflow.awaiting import reader, taken_as
from ..workflow.engine import UNKNOWN_STEP
from .services import BULK_MAX, Outcome, _unknown, act, parse_item


def describe(user, raw_items) -> list[tuple[str, dict, str, str | None, str | None]]:
    """(value, summary, step label, "Plh. Camat" when taken for an official, the step's caution) of each item a
    batch names that awaits `user`, for the confirmation. Others are left out: the confirmation shows nobody a
    row they could not see in their own list. The caution is the row's, as the list says it ("no scan on
    file" beside a signature), read for the batch's rows at once (`Spec.prefetch`)."""
    chosen = []
    r = reader(user)
    for raw in list(dict.fromkeys(raw_items))[:BULK_MAX]:  # never more than a batch takes (one read each)
        parsed = parse_item(raw)
        if parsed is None:
            continue
        spec, entity_id, trigger, _version = parsed
        step = spec.step_by_trigger.get(trigger)
        authority = taken_as(r, spec.name, entity_id, trigger) if step is not None else False
        if authority is False:
            continue
        entity = db.session.get(spec.model, entity_id)
        if entity is not None:
            chosen.append((raw, spec, step, entity, authority.title if authority else None))
    for name in dict.fromkeys(spec.name for _raw, spec, *_rest in chosen if spec.prefetch):
        spec = next(of for _raw, of, *_rest in chosen if of.name == name)
        spec.prefetch([entity for _raw, of, _step, entity, _as in chosen if of is spec])
    return [(raw, spec.summary(entity), str(step.label), acting_as,
             next((str(m) for m in (c(entity) for c in step.cautions) if m), None))
            for raw, spec, step, entity, acting_as in chosen]


def needs_password(raw_items) -> bool:
    """Whether a batch holds a step that asks for the password (a signature, a plan's approval), as it does
    alone: a batch of routine approvals asks none, as none of them alone does."""
    for raw in raw_items:
        parsed = parse_item(raw)
        step = parsed[0].step_by_trigger.get(parsed[2]) if parsed is not None else None
        if step is not None and step.reauth:
            return True
    return False


def too_many(actor, raw_items, action: str) -> Invalid | None:
    """The refusal (recorded) of a batch larger than BULK_MAX, or None."""
    if len(set(raw_items)) <= BULK_MAX:
        return None
    error = Invalid(_("At most %(n)s items can be taken at once; choose fewer.", n=BULK_MAX), code="too_many")
    audit.refused(action, actor=actor, error=error)
    return error


def act_in_bulk(actor, raw_items, password: str) -> list[Outcome]:
    """Sign or approve many items, with one password when one of them asks for it (needs_password): checked
    once up front (a wrong one does nothing and leaves one refused event), then each item is its own
    transaction and audit event."""
    raw_items = list(dict.fromkeys(raw_items))
    if not raw_items:
        error = Invalid(_("Select at least one item."), code="empty")
        audit.refused("inbox.bulk", actor=actor, error=error)
        raise error
    error = too_many(actor, raw_items, "inbox.bulk")  # a page holds far fewer; 3,000 forged items were
    if error:                                          # 3,000 events and 8 s
        raise error
    signs = needs_password(raw_items)
    fault = actor.password_fault(password) if signs else None
    if fault:
        error = Invalid(fault, code="reauth")
        # which items the batch was for, by their codes or names: HR reads what the refused batch held
        named = [summary.get("code") or summary.get("name") or "?" for _raw, summary, *_rest
                 in describe(actor, raw_items)]
        detail = " " + _("Items: %(items)s.", items=", ".join(str(n) for n in named)) if named else ""
        audit.refused("inbox.bulk", actor=actor, reason=audit.refusal_comment(error, detail)[:2000])
        raise error
    # items naming no step of an existing row (forged or outdated values) are one refusal, not one each;
    # a real row's step is taken, or refused with its own reason (who acted first), as alone
    outcomes, unknown = [], []
    r = reader(actor)
    for raw in raw_items:
        if _names_a_step(raw):
            # a Plh's batch mixes his own steps and the official's: each outcome says which it was
            spec, entity_id, trigger, _version = parse_item(raw)
            authority = taken_as(r, spec.name, entity_id, trigger) if r.delegations else None
            outcomes.append(act(actor, raw, reauthenticated=signs, bulk=True))
            if outcomes[-1].ok and authority:
                outcomes[-1].acting_as = authority.title
        else:
            unknown.append(_unknown(raw))  # recorded below, once
            outcomes.append(unknown[-1])
    if unknown:
        listed = ", ".join(o.summary["code"] for o in unknown[:10]) + (" ..." if len(unknown) > 10 else "")
        audit.refused(UNKNOWN_STEP, actor=actor, reason=f"[input:unknown] {unknown[0].message} "
                      f"({len(unknown)}: {listed})"[:2000])
    done = [_named(o) for o in outcomes if o.ok]
    if signs and done:  # each signature is its own event; HR proves too that they were one password entry
        refused = len(outcomes) - len(done)
        audit.record_alone("inbox.bulk", actor=actor, comment=(_(
            "%(n)d items taken on one password entry: %(items)s.", n=len(done), items="; ".join(done))
            + (" " + _("Not done: %(n)d.", n=refused) if refused else ""))[:2000])
    return outcomes


def _named(outcome: Outcome) -> str:
    """An item of a batch as HR reads it in the log: what was done, to which record ("Anda menandatangani
    dokumen PLJ-... (Surat Keterangan Domisili)")."""
    summary = outcome.summary
    what = " ".join(str(v) for v in (summary.get("code") or summary.get("name"), f"({summary['type']})"
                                     if summary.get("type") else "") if v)
    acting = " (" + _("as %(title)s", title=outcome.acting_as) + ")" if outcome.acting_as else ""
    return f"{outcome.did or outcome.label}{acting}: {what or '?'}"  # the log names who: "menandatangani ..."


def _names_a_step(raw: str) -> bool:
    parsed = parse_item(raw)
    return (parsed is not None and parsed[2] in parsed[0].step_by_trigger
            and db.session.get(parsed[0].model, parsed[1]) is not None)
