"""A request's page names the complaints about it awaiting an answer, to who may read complaints, linking
each; in a constant number of statements, none of them in the panel a step answers with."""
from plaju.complaints import services as complaints
from tests.support import statements_during

BODY = "Sudah lewat tanggal janji tetapi status belum berubah."


def _page(client, req, **headers):
    found = []
    statements = statements_during(lambda: found.append(client.get(f"/documents/{req.id}", headers=headers)))
    assert found[0].status_code == 200
    return found[0].text, [s for s in statements if "complaint" in s]


def test_the_section_head_sees_the_open_complaints_about_a_request(client, login_as, make_request, db):
    req, other = make_request("processing"), make_request("processing")
    login_as("kasi")
    page, _reads = _page(client, req)
    assert 'data-testid="request-complaints"' not in page
    first = complaints.submit(req, "complaint", BODY)
    complaints.submit(other, "suggestion", BODY)  # about another request: not on this one's page
    page, reads = _page(client, req)
    assert 'data-testid="request-complaints"' in page
    assert f'href="/complaints/{first.id}"' in page and page.count('data-testid="request-complaint"') == 1
    assert len(reads) == 1
    second = complaints.submit(req, "suggestion", BODY + " Mohon dipercepat.")
    page, more_reads = _page(client, req)
    assert page.count('data-testid="request-complaint"') == 2 and f'href="/complaints/{second.id}"' in page
    assert "Pengaduan, " in page and "Saran, " in page  # what each is, and when it came
    assert len(more_reads) == len(reads)  # the same statements with more complaints
    # the panel an HTMX request gets does not look them up
    panel, panel_reads = _page(client, req, **{"HX-Request": "true"})
    assert 'id="panel"' in panel and "request-complaints" not in panel and panel_reads == []
    # answered: no longer waiting
    db.session.get(type(first), first.id).state = "answered"
    db.session.commit()
    assert f'href="/complaints/{first.id}"' not in _page(client, req)[0]


def test_who_may_not_read_complaints_is_not_told_of_them(client, login_as, make_request):
    req = make_request("processing")
    complaints.submit(req, "complaint", BODY)
    login_as("clerk")  # sees the request, not the complaints (complaints.services.can_read)
    page, reads = _page(client, req)
    assert "request-complaints" not in page and reads == []
    assert client.get("/complaints/").status_code == 403
