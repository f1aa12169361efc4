"""Create forms of competence development posted twice (double click, back and re-post, two tabs) create
one row; the second answer leads to what the first created."""
from datetime import timedelta

from sqlalchemy import func, select

from plaju.once import new_token
from plaju.timeutil import today_wib
from plaju.training.models import Course, Module, Plan, PlanItem, QuizQuestion


def _count(db, model, *where):
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _twice(client, url, data, **kwargs):
    first = client.post(url, data=data, **kwargs)
    again = client.post(url, data=data, **kwargs)
    return first, again


def test_new_course_posted_twice_adds_one_course(client, login_as, db):
    login_as("hr")
    data = {"title": "Pelatihan Arsip Dinamis", "description": "", "kind": "teknis", "method": "pelatihan",
            "jp": "16", "provider": "BPSDM Sumsel", "quota": "10", "active": "y", "quiz_max_attempts": "3",
            "quiz_retry_wait_minutes": "30", "enrol_deadline": (today_wib() + timedelta(days=20)).isoformat(),
            "form_token": new_token()}
    first, again = _twice(client, "/training/courses/new", data)
    assert first.status_code == 302, first.text[:2000]
    course = db.session.scalar(select(Course).where(Course.title == "Pelatihan Arsip Dinamis"))
    assert _count(db, Course, Course.title == "Pelatihan Arsip Dinamis") == 1
    assert again.status_code == 303
    assert again.headers["Location"].endswith(f"/training/courses/{course.id}/edit")
    assert "sudah pernah dikirim" in client.get(again.headers["Location"]).text


def test_new_course_without_its_token_is_refused_and_adds_nothing(client, login_as, db):
    login_as("hr")
    response = client.post("/training/courses/new", data={"title": "Tanpa Token", "kind": "teknis",
                                                          "method": "pelatihan", "jp": "4", "active": "y",
                                                          "quiz_max_attempts": "3",
                                                          "quiz_retry_wait_minutes": "30"})
    assert response.status_code == 422
    assert "Formulir sudah kedaluwarsa atau tidak lengkap" in response.text
    assert _count(db, Course, Course.title == "Tanpa Token") == 0


def test_module_posted_twice_is_added_once(client, login_as, db, make_elearning):
    course = make_elearning(modules=1, quiz=False)
    login_as("hr")
    data = {"title": "Modul Tambahan", "kind": "text", "body": "Isi modul tambahan", "url": "",
            "form_token": new_token()}
    first, again = _twice(client, f"/training/courses/{course.id}/modules", data)
    assert first.status_code == 302, first.text[:2000]
    assert _count(db, Module, Module.course_id == course.id, Module.title == "Modul Tambahan") == 1
    assert again.status_code == 303
    assert again.headers["Location"].endswith(f"/training/courses/{course.id}/edit#modules")


def test_question_posted_twice_is_added_once(client, login_as, db, make_elearning):
    course = make_elearning(modules=1, quiz=False)
    login_as("hr")
    data = {"text": "Ibu kota Sumatera Selatan?", "choices": "Palembang\nJambi", "answer": "1",
            "form_token": new_token()}
    first, again = _twice(client, f"/training/courses/{course.id}/questions", data)
    assert first.status_code == 302, first.text[:2000]
    assert _count(db, QuizQuestion, QuizQuestion.course_id == course.id) == 1
    assert again.status_code == 303
    assert again.headers["Location"].endswith(f"/training/courses/{course.id}/edit#quiz")


def test_new_plan_posted_twice_leads_to_the_first_plan(client, login_as, db, users):
    login_as("hr")
    data = {"unit_id": users["asn"].unit_id, "year": 2026, "suggest": "y", "form_token": new_token()}
    first, again = _twice(client, "/training/plans/", data)
    assert first.status_code == 302, first.text[:2000]
    plan = db.session.scalars(select(Plan)).one()
    # not "this unit already has a plan": the same form is sent to the plan it created
    assert again.status_code == 303 and again.headers["Location"].endswith(f"/training/plans/{plan.id}")
    assert _count(db, Plan) == 1


def test_plan_item_posted_twice_is_added_once(client, login_as, db, users, make_course):
    course = make_course(title="Manajerial Dasar", kind="manajerial", jp=8)
    login_as("hr")
    client.post("/training/plans/", data={"unit_id": users["asn"].unit_id, "year": 2026,
                                          "form_token": new_token()})
    plan = db.session.scalars(select(Plan)).one()
    data = {"user_id": users["asn"].id, "course_id": course.id, "title": "", "kind": "teknis", "planned_jp": "8",
            "form_token": new_token()}
    url = f"/training/plans/{plan.id}/items"
    first, again = _twice(client, url, data, headers={"HX-Request": "true"})
    assert first.status_code == 200, first.text[:2000]
    assert _count(db, PlanItem, PlanItem.plan_id == plan.id, PlanItem.course_id == course.id) == 1
    # the fragment after an add carries a fresh token, not the one just used
    assert data["form_token"] not in first.text
    assert again.status_code == 200 and "sudah pernah dikirim" in again.text
    plain = client.post(url, data=data)  # back and re-post without htmx: to the plan, nothing added
    assert plain.status_code == 303 and plain.headers["Location"].endswith(f"/training/plans/{plan.id}")
    assert _count(db, PlanItem, PlanItem.plan_id == plan.id, PlanItem.course_id == course.id) == 1


def test_a_course_whose_enrolment_closes_after_it_ended_is_refused(client, login_as, db):
    login_as("hr")
    start = today_wib() + timedelta(days=10)
    data = {"title": "Bimtek Terbalik", "description": "", "kind": "teknis", "method": "pelatihan", "jp": "8",
            "provider": "BPSDM Sumsel", "active": "y", "quiz_max_attempts": "3", "quiz_retry_wait_minutes": "30",
            "starts_on": start.isoformat(), "ends_on": (start + timedelta(days=2)).isoformat(),
            "enrol_deadline": (start + timedelta(days=5)).isoformat(), "form_token": new_token()}
    response = client.post("/training/courses/new", data=data)
    assert response.status_code == 422 and "Batas pendaftaran jatuh setelah hari terakhir pelatihan" in response.text
    assert _count(db, Course, Course.title == "Bimtek Terbalik") == 0


def test_a_course_dated_years_ahead_is_refused(client, login_as, db):
    """HR saved a course dated 9999-12-30 to 9999-12-31: a typo of the year, with no bound to stop it."""
    login_as("hr")
    data = {"title": "Bimtek Tahun Jauh", "description": "", "kind": "teknis", "method": "pelatihan", "jp": "8",
            "provider": "BPSDM Sumsel", "active": "y", "quiz_max_attempts": "3", "quiz_retry_wait_minutes": "30",
            "starts_on": "9999-12-30", "ends_on": "9999-12-31", "form_token": new_token()}
    response = client.post("/training/courses/new", data=data)
    assert response.status_code == 422 and "lebih dari 2 tahun ke depan" in response.text
    assert "30 Desember 9999" in response.text and "31 Desember 9999" in response.text
    assert _count(db, Course, Course.title == "Bimtek Tahun Jauh") == 0
    near = today_wib() + timedelta(days=700)
    assert client.post("/training/courses/new", data=dict(data, starts_on=near.isoformat(), ends_on=near.isoformat(),
                                                          form_token=new_token())).status_code == 302
    assert _count(db, Course, Course.title == "Bimtek Tahun Jauh") == 1
