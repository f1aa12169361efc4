"""The person search of /audit/ narrowed to what the person did: "only their own actions" (`acts=1`).

A person's search finds the events they took, those taken for them by a Plh/Plt and those about them
(their account, their appointments: search.parse). "What did X do?" wants the first only: the events whose
actor is X, as themselves or as Plh/Plt of someone else (the stand-in is the actor). One alternative, read
newest first along ix_audit_event_actor_seq, so a page stays the next 50 rows below a seq.

Every reader of a search (the page, its pages, the export, a background export's runner) parses it here.
"""
from ..i18n import gettext as _
from . import search as searching
from .models import AuditEvent

ACTS = "acts"


def parse(args) -> searching.Search:
    search = searching.parse(args)
    if (args.get(ACTS) or "").strip() != "1" or not search.filters["person"]:
        return search  # the choice means nothing without a person
    # kept with the filters: the page's links, the export's form and a background job carry it, and the
    # statement kept per search (search.page_statement) is keyed by them
    search.filters[ACTS] = "1"
    found = next((r for r in search.resolved if r[0] == "person"), None)
    if found is None:  # nobody, or too many, by that name: the search already says so
        return search
    # with a person, the alternatives are the person's alone (parse puts a kind of action in the
    # conditions then): their own acts replace them
    search.branches = [AuditEvent.actor_id.in_(list(found[1]))]
    search.notes.append(_("only their own actions"))
    return search
