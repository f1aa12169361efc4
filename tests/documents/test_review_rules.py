"""Rules found in review: huge numbers in query arguments, four-eyes on accepting an intake."""
from datetime import timedelta

import pytest

from plaju.accounts.models import Delegation
from plaju.documents.queue import decode_cursor
from plaju.documents.services import actions_for, take_action
from plaju.timeutil import today_wib
from plaju.workflow import NotAllowed
from tests.documents.conftest import fresh

HUGE = "99999999999999999999999"


@pytest.mark.parametrize("url", [
    f"/documents/?type={HUGE}",
    f"/documents/?after=2026-01-01T00:00:00_{HUGE}",
    "/documents/?after=2026-01-01T00:00:00_-5",
    f"/documents/new?type_id={HUGE}",
])
def test_numbers_too_large_for_the_database_are_ignored(client, login_as, make_request, url):
    make_request()
    login_as("clerk")
    assert client.get(url).status_code == 200


def test_the_cursor_of_an_impossible_id_is_no_cursor():
    assert decode_cursor(f"2026-01-01T00:00:00_{HUGE}") is None
    assert decode_cursor("2026-01-01T00:00:00_12")[1] == 12


def test_a_clerk_standing_in_for_the_kasi_cannot_accept_their_own_intake(db, users, make_request):
    req = make_request("verifying", "ktp-baru", clerk=users["clerk"])
    today = today_wib()
    db.session.add(Delegation(principal_id=users["kasi"].id, delegate_id=users["clerk"].id, kind="plh",
                              starts_on=today - timedelta(days=1), ends_on=today + timedelta(days=1)))
    db.session.commit()
    assert "accept" not in [a.trigger for a in actions_for(req, users["clerk"])]
    with pytest.raises(NotAllowed) as refused:
        take_action(req, "accept", users["clerk"], version=req.version)
    assert refused.value.code == "four_eyes"
    assert fresh(db, req).state == "verifying"
    # another person's intake the Plh may accept
    other = make_request("verifying", "ktp-baru", clerk=users["kasi2"])
    assert take_action(other, "accept", users["clerk"], version=other.version).state == "processing"
