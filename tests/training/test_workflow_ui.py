"""The shared workflow UI on enrolments and plans: who is next, names instead of ids, one set of templates."""
from plaju.training.services import plans as plans_service
from plaju.workflow import fire
from plaju.workflow.ui import waiting_for


def test_who_is_next_for_an_enrolment_names_the_supervisor(db, users, make_course, enrol):
    routine, special = make_course(routine=True), make_course(routine=False)
    assert waiting_for(enrol(routine, users["asn"])) == ["atasan langsung (Kasi Uji)"]
    assert waiting_for(enrol(routine, users["clerk"], "approved")) == ["Camat atau Plh/Plt Camat"]
    assert waiting_for(enrol(special, users["asn"], "approved")) == ["Camat"]
    assert waiting_for(enrol(special, users["clerk"], "in_progress")) == ["ASN yang bersangkutan (Clerk Uji)"]
    assert waiting_for(enrol(routine, users["kasi2"], "completed")) == ["Kepegawaian"]
    # the office's one HR does not verify their own: the Sekcam does (who.VERIFIER)
    [sekcam] = waiting_for(enrol(special, users["hr"], "completed"))
    assert sekcam.startswith("Sekretaris Camat (")
    assert waiting_for(enrol(routine, users["sekcam"], "verified")) == []


def test_enrolment_page_shows_names_not_ids_and_who_is_next(client, login_as, db, users, make_course, enrol):
    enrolment = enrol(make_course(routine=False), users["asn"])
    login_as("kasi")
    response = client.post(f"/training/enrolments/{enrolment.id}/act/approve", data={"version": 0},
                           headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "training-changed" in response.headers["HX-Trigger"]
    assert "Menunggu: Camat." in html
    page = client.get(f"/training/enrolments/{enrolment.id}").get_data(as_text=True)
    history = page[page.index('data-testid="history"'):]
    assert "Kasi Uji (kasi) menyetujui pendaftaran" in history
    assert "Disetujui oleh: Kasi Uji" in history and "approved_by_id" not in history
    assert "Asn Uji (asn) mengajukan pendaftaran pelatihan" in history


def test_plan_waits_for_the_camat_then_for_hr_after_a_return(db, users, make_course):
    make_course(title="Teknis Loket", kind="teknis", jp=12)
    unit_id = users["hr"].unit_id
    plan = plans_service.create_plan(unit_id, 2026, users["hr"])
    assert waiting_for(plan) == ["Kepegawaian"]
    plan = fire(plan, "submit", users["hr"], expected_version=0)
    assert waiting_for(plan) == ["Camat"]
    plan = fire(plan, "return", users["camat"], expected_version=1, comment="Lengkapi.")
    assert waiting_for(plan) == ["Kepegawaian"]
