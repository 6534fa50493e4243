"""Issue 33 in the web application: the face map on the plan page, the patient's and the
clinician's documents in the PDF the application gives, and the calendar of sessions from a
first-session date the user chooses (a bad date: a clear 4xx naming the field). Real plans of
real patients (the planner run once per test session), the application on a real database.

Page-level checks do not depend on the database and run on SQLite only; the audit of every
read runs on each database."""

from __future__ import annotations

import copy
import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta

import pytest

from .conftest import FACE_PATIENT, audit_rows, create_patient, sign_in, store_plan

SVG = "{http://www.w3.org/2000/svg}"


def _sqlite_only(db_url: str) -> None:
    if not db_url.startswith("sqlite"):
        pytest.skip("the page does not depend on the database: SQLite only")


def _face_plan(app, client, planned_face) -> tuple[str, int]:
    csrf = sign_in(client)
    pid = create_patient(client, csrf, **FACE_PATIENT)
    return csrf, store_plan(app, pid, planned_face)


def _map(page: str) -> ET.Element:
    svgs = re.findall(r"<svg\b.*?</svg>", page, re.S)
    assert len(svgs) == 1, f"{len(svgs)} face maps on the page"
    return ET.fromstring(svgs[0])


def _today(app):
    return datetime.now(app.state.web.settings.zone).date()


def test_the_plan_page_of_a_full_face_patient_shows_the_face_map_of_every_unit(
        db_url, app, client, planned_face):
    from dermalase.planner import face

    _sqlite_only(db_url)
    _, plan_id = _face_plan(app, client, planned_face)
    page = client.get(f"/plans/{plan_id}").text
    root = _map(page)
    units = {g.get("data-unit"): g.get("data-modality") for g in root.iter(f"{SVG}g")
             if g.get("data-unit")}
    session = {u["unit"]: u["modality"] for u in planned_face[1]["session"]["units"]}
    assert set(units) == set(face.unit_names()) == set(session)  # every unit, each treated
    assert units == session  # coloured by the treatment the plan gives it
    legend = " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
    assert "Units, treatment and settings" in legend and "feathering band" in legend
    for el in root.iter():  # presentation attributes only: nothing the page's CSP blocks
        assert "style" not in el.attrib and not el.tag.endswith(("script", "style"))
    assert 'id="face-map-title"' in page and "<h2" in page
    # the documents' form: the first session's date, by default when the care before it can
    # all be followed (the care sheet starts strict sun care 14 days before a session)
    first = re.search(r'id="first_session"[^>]*value="([\d-]+)"', page).group(1)
    assert first == (_today(app) + timedelta(days=14)).isoformat()
    assert f'formaction="/plans/{plan_id}/sessions.ics"' in page


def test_a_plan_of_one_face_site_draws_its_units_and_one_of_no_face_unit_draws_none(
        db_url, app, client, planned):
    _sqlite_only(db_url)
    csrf = sign_in(client)
    pid = create_patient(client, csrf)
    perioral = store_plan(app, pid, planned)  # perioral lines: the upper lip and the chin
    root = _map(client.get(f"/plans/{perioral}").text)
    treated = {g.get("data-unit") for g in root.iter(f"{SVG}g")
               if g.get("data-unit") and g.get("data-modality") != "none"}
    assert treated == {u["unit"] for u in planned[1]["session"]["units"]} \
        == {"upper-lip", "chin"}
    data, result, report = planned
    elsewhere = {**copy.deepcopy(result), "session": None}  # a plan that treats no face unit
    page = client.get(f"/plans/{store_plan(app, pid, (data, elsewhere, report))}").text
    assert "<svg" not in page and "Face map" not in page


def test_the_pdf_holds_the_face_map_and_the_patients_documents(db_url, app, client,
                                                               planned_face):
    pdfium = pytest.importorskip("pypdfium2")
    _sqlite_only(db_url)
    _, plan_id = _face_plan(app, client, planned_face)
    first = _today(app) + timedelta(days=30)
    r = client.get(f"/plans/{plan_id}/plan.pdf?first_session={first.isoformat()}")
    assert r.status_code == 200 and r.content[:5] == b"%PDF-", r.text[:300]
    doc = pdfium.PdfDocument(r.content)
    try:
        pages = [doc[i].get_textpage().get_text_range() for i in range(len(doc))]
    finally:
        doc.close()
    text = " ".join(" ".join(pages).split())
    # the clinical plan as before, then each document from a new page
    assert text.startswith("Treatment plan") and "Bea Fullface" in text
    for heading, title in (("Your laser treatment plan", "Your treatment plan"),
                           ("Consent to laser treatment", "Consent to laser treatment"),
                           ("Your care before and after treatment",
                            "Your care before and after treatment"),
                           ("Clinician sheet", "Clinician sheet")):
        assert any(" ".join(p.split()).startswith(heading) for p in pages), heading
        # its own page count, the patient's identifiers in the margin
        assert re.search(rf"Bea Fullface · plan {plan_id} {title} · page ?1 of \d", text), title
    # the consent's signature lines
    for line in ("Patient: ____", "Clinician: ____", "Witness (if needed): ____"):
        assert line in text, line
    # the care timeline, day by day, with the sessions from the chosen date
    rec = planned_face[1]["plans"][0]["recommended"]
    for day in ("Day -14", "Day -1", "Day 0", "Day 1"):
        assert day in text, day
    assert "antiviral" in text and "make-up" in text
    for k in range(rec["sessions"]):
        day = first + timedelta(weeks=k * rec["interval_weeks"][0])
        assert day.strftime("%A %d %B %Y") in text
    # the face map with its legend: every unit's label and the colour key
    assert "Units, treatment and settings (one session)" in text and "Colours" in text
    for label in ("forehead", "upper periorbital", "neck transition (feathering band)"):
        assert label in text, label


def test_the_calendar_of_sessions_parses_and_has_them(db_url, app, client, planned_face):
    import icalendar

    _sqlite_only(db_url)
    _, plan_id = _face_plan(app, client, planned_face)
    rec = planned_face[1]["plans"][0]["recommended"]
    first = _today(app) + timedelta(days=40)
    r = client.get(f"/plans/{plan_id}/sessions.ics?first_session={first.isoformat()}")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/calendar")
    assert f'filename="plan-{plan_id}-sessions.ics"' in r.headers["content-disposition"]
    cal = icalendar.Calendar.from_ical(r.content)
    events = cal.walk("VEVENT")
    sessions = sorted(e.decoded("dtstart") for e in events
                      if str(e["summary"]) == "Laser treatment session")
    assert sessions == [first + timedelta(weeks=k * rec["interval_weeks"][0])
                        for k in range(rec["sessions"])]
    assert rec["sessions"] > 1
    assert len({str(e["uid"]) for e in events}) == len(events)
    # no date: the first session leaves time for the care before it, the first of which is today
    cal = icalendar.Calendar.from_ical(client.get(f"/plans/{plan_id}/sessions.ics").content)
    days = sorted(e.decoded("dtstart") for e in cal.walk("VEVENT"))
    assert days[0] == _today(app)


@pytest.mark.parametrize("value,why", [("2027-02-30", "no such day"), ("11/01/2027", "format"),
                                       ("2000-01-01", "past"), ("9999-12-31", "too far")])
def test_a_bad_first_session_date_is_refused_naming_the_field(db_url, app, client, planned_face,
                                                              value, why):
    _sqlite_only(db_url)
    _, plan_id = _face_plan(app, client, planned_face)
    for what in ("sessions.ics", "plan.pdf"):
        before = len(audit_rows(app))
        r = client.get(f"/plans/{plan_id}/{what}", params={"first_session": value})
        assert r.status_code == 422, (what, why, r.status_code)
        assert "text/html" in r.headers["content-type"]
        msg = re.search(r'<p class="error" role="alert">(.*?)</p>', r.text, re.S).group(1)
        assert msg.startswith("first_session: got &#39;" + value), msg
        assert "a date YYYY-MM-DD from " + _today(app).isoformat() in msg
        assert len(audit_rows(app)) == before  # refused before the plan was read


def test_a_plan_without_a_treatment_has_no_calendar(db_url, app, client, planned):
    _sqlite_only(db_url)
    csrf = sign_in(client)
    pid = create_patient(client, csrf)
    data, result, report = planned
    deferred = copy.deepcopy(result)
    for p in deferred["plans"]:
        p["recommended"] = None
    plan_id = store_plan(app, pid, (data, deferred, report))
    page = client.get(f"/plans/{plan_id}").text
    assert "sessions.ics" not in page
    r = client.get(f"/plans/{plan_id}/sessions.ics")
    assert r.status_code == 404 and "no session to put in a calendar" in r.text


def test_every_read_of_the_documents_is_audited(app, client, planned_face):
    csrf = sign_in(client, "bob")
    pid = create_patient(client, csrf, **FACE_PATIENT)
    plan_id = store_plan(app, pid, planned_face)
    for path, action in ((f"/plans/{plan_id}/sessions.ics", "calendar"),
                         (f"/plans/{plan_id}/plan.pdf", "pdf"), (f"/plans/{plan_id}", "view")):
        before = len(audit_rows(app))
        assert client.get(path).status_code == 200, path
        assert [(u, a, i) for u, a, i, _ in audit_rows(app)[before:]] == \
            [("bob", action, plan_id)], path
