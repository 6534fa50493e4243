"""Issue 33 in a real browser (Debian's Chromium driven by Playwright, the application served by
uvicorn with its own Content-Security-Policy): the face map of a full-face plan drawn inline on
the plan page with every unit painted in its treatment's colour, no CSP violation on the page
(the listener shown to catch one), the page's accessibility checked and photographed, and the
calendar and the PDF downloaded from the first-session date typed in the form."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from .conftest import store_plan
from .test_browser import CHROMIUM, browser, check, page, server, sign_in  # noqa: F401

pytestmark = pytest.mark.skipif(CHROMIUM is None,
                                reason="Chromium (Debian package 'chromium') not installed")

#: every CSP violation the page reports, from before its first script
LISTEN = ("window.__csp = []; document.addEventListener('securitypolicyviolation', "
          "e => window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || '')));")


def _rgb(hex_colour: str) -> str:
    h = hex_colour.lstrip("#")
    return "rgb({}, {}, {})".format(*(int(h[i:i + 2], 16) for i in (0, 2, 4)))


def test_the_face_map_under_the_apps_csp_and_the_documents_from_a_chosen_date(
        page, app, planned_face):  # noqa: F811
    import icalendar

    from dermalase.planner import face
    from dermalase.web.db import Patient
    from dermalase.web.services.patients import check_file

    if page.db != "sqlite":
        pytest.skip("the page does not depend on the database: SQLite only")
    with app.state.web.make_session() as db:  # the patient with the plan its job would store
        p = Patient(name="Bea Fullface", data=check_file({**planned_face[0],
                                                          "name": "Bea Fullface"}),
                    created_by="ann")
        db.add(p)
        db.commit()
        pid = p.id
    plan_id = store_plan(app, pid, planned_face)
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text))
    page.add_init_script(LISTEN)
    sign_in(page, "ann")
    page.goto(f"/plans/{plan_id}")
    svg = page.locator(".face-map-drawing svg")
    assert svg.is_visible() and svg.bounding_box()["width"] > 300
    units = page.locator(".face-map-drawing g[data-unit]")
    assert units.count() == len(face.unit_names())
    # each unit painted in the colour its presentation attribute gives (nothing blocked)
    for name in face.unit_names():
        poly = page.locator(f'.face-map-drawing g[data-unit="{name}"] polygon').first
        assert poly.evaluate("e => getComputedStyle(e).fill") == _rgb(poly.get_attribute("fill"))
        assert poly.bounding_box()["width"] > 0, name
    check(page, "11-plan-face-map")
    first = datetime.now(app.state.web.settings.zone).date() + timedelta(days=21)
    page.fill("#first_session", first.isoformat())
    with page.expect_download() as dl:
        page.click("text=Calendar of the sessions (.ics)")
    cal = icalendar.Calendar.from_ical(Path(dl.value.path()).read_bytes())
    sessions = sorted(e.decoded("dtstart") for e in cal.walk("VEVENT")
                      if str(e["summary"]) == "Laser treatment session")
    rec = planned_face[1]["plans"][0]["recommended"]
    assert sessions[0] == first and len(sessions) == rec["sessions"]
    with page.expect_download() as dl:
        page.click("text=PDF with the documents")
    assert Path(dl.value.path()).read_bytes()[:5] == b"%PDF-"
    assert page.evaluate("window.__csp") == []
    assert not [m for m in console if "Content Security Policy" in m]
    # the listener catches a violation: an inline style the app's policy forbids
    page.evaluate("document.body.insertAdjacentHTML('beforeend', "
                  "'<p style=\"color: red\">inline</p>')")
    page.wait_for_function("window.__csp.length > 0")
    assert any("style-src" in v for v in page.evaluate("window.__csp"))
