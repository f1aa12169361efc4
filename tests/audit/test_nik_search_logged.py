"""Looking a citizen up by NIK on /audit/ is data access, as viewing a NIK is: recorded once per search (not
per page of its results), by whom, with the NIK masked, whether or not anything was found."""
from datetime import date

from sqlalchemy import select

from plaju.audit import record as audit
from plaju.audit.models import AuditEvent
from plaju.audit.vocabulary import data_access_actions, mask_nik
from plaju.documents.nik import make_nik
from plaju.workflow import history_for
from tests.audit.conftest import seqs

SEARCHED = "audit.nik_search"


def _searches(db):
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == SEARCHED).order_by(AuditEvent.seq)))


def test_a_nik_search_is_recorded_once_with_the_nik_masked(db, client, users, login_as, take_in):
    nik = make_nik(date(1985, 5, 5), True, 91)
    req = take_in("Rina Marlina", nik=nik)
    for _n in range(60):  # more than a page about her request
        audit.record("document.print_receipt", actor=users["clerk"], subject=req, subject_type="document")
    db.session.commit()
    login_as("camat")
    assert _searches(db) == []
    sealed = client.get(f"/audit/?nik={nik}&outcome=ok").headers["Location"]
    first = client.get(sealed)
    assert first.status_code == 200 and len(seqs(first.text)) == 50
    [searched] = _searches(db)
    assert (searched.actor_id, searched.outcome, searched.subject_type) == (users["camat"].id, "ok", None)
    assert searched.changes_dict == {"nik": [None, mask_nik(nik)]}
    stored = " ".join(str(getattr(searched, column)) for column in ("comment", "changes", "actor_as"))
    assert nik not in stored and mask_nik(nik) in stored
    # its older events are the same search: not recorded again
    older = client.get(sealed + f"&before={min(seqs(first.text))}")
    assert older.status_code == 200 and seqs(older.text)
    assert len(_searches(db)) == 1
    # a search again (another filter, or the form sent again) is another look-up
    client.get(sealed.replace("outcome=ok", "outcome="), headers={"HX-Request": "true"})
    assert [e.actor_id for e in _searches(db)] == [users["camat"].id] * 2
    # data access: HR finds it among them; the request's own history leaves it out
    login_as("hr")
    page = client.get("/audit/", query_string={"action": "data-access"}).text
    assert {e.seq for e in _searches(db)} <= set(seqs(page))
    assert SEARCHED in data_access_actions()
    assert SEARCHED not in {e.action for e in history_for(req)}


def test_a_nik_nobody_has_is_a_look_up_too_and_other_searches_are_not_recorded(db, client, users, login_as):
    login_as("hr")
    nobody = make_nik(date(1970, 1, 1), False, 5)
    answer = client.get(client.get(f"/audit/?nik={nobody}").headers["Location"])
    assert answer.status_code == 422
    [searched] = _searches(db)
    assert searched.changes_dict == {"nik": [None, mask_nik(nobody)]} and nobody not in (searched.comment or "")
    client.get("/audit/?person=clerk")
    client.get("/audit/?nik=12345")  # not a NIK: nothing was looked up
    client.get("/audit/?nik_ref=not-a-sealed-nik")
    assert len(_searches(db)) == 1
