"""Issue 34 in a real browser (Debian's Chromium driven by Playwright, the application served by
uvicorn): record a treatment from a plan, record two follow-ups with a photograph, see the
prediction beside the observation and the calibration page; the photograph's metadata is gone
and every view of it is in the audit trail; every page checked for accessibility and
photographed at 1280 and 768 px (out/web/)."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest

from .conftest import audit_rows, store_plan
from .test_browser import CHROMIUM, browser, check, page, server, sign_in  # noqa: F401
from .test_outcomes import jpeg_with_gps, photo_dir  # noqa: F401

pytestmark = pytest.mark.skipif(CHROMIUM is None,
                                reason="Chromium (Debian package 'chromium') not installed")


def test_treatment_follow_ups_photograph_and_calibration_in_the_browser(page, app, planned,  # noqa: F811
                                                                         tmp_path):
    from PIL import Image

    from dermalase.web.db import Patient, Treatment
    from dermalase.web.services.patients import check_file

    with app.state.web.make_session() as db:  # a patient with the plan its job would store
        p = Patient(name="Ada Example", data=check_file({**planned[0], "name": "Ada Example"}),
                    created_by="ann")
        db.add(p)
        db.commit()
        pid = p.id
    plan_id = store_plan(app, pid, planned)
    sign_in(page, "ann")
    page.goto(f"/plans/{plan_id}")
    page.click("text=Record a treatment from this plan")
    page.wait_for_url("**/treatments/new*")
    assert page.locator('[name="treatment.settings.energy"]').input_value() == "500 mJ"
    page.fill('[name="treatment.settings.energy"]', "450")  # a bare number: mJ, as shown
    check(page, "30-treatment-form")
    page.click("button:text('Record the treatment')")
    page.wait_for_url("**/treatments/*")
    tid = int(page.url.rsplit("/", 1)[1])
    assert "energy 450 mJ instead of the planned 500 mJ" in page.content()
    with app.state.web.make_session() as db:  # treated three weeks ago
        db.get(Treatment, tid).treated_on = date.today() - timedelta(days=21)
        db.commit()
    for _ in range(600):  # the prediction job
        page.reload()
        if "Predicted (days)" in page.content():
            break
        page.wait_for_timeout(200)
    assert "Predicted (days)" in page.content()
    photo = tmp_path / "visit.jpg"
    photo.write_bytes(jpeg_with_gps())
    page.fill('[name="follow_up.seen_on"]', (date.today() - timedelta(days=12)).isoformat())
    page.fill('[name="follow_up.day_healed"]', "8")
    page.select_option('[name="follow_up.complications[0].kind"]', "milia")
    page.select_option('[name="follow_up.complications[0].severity"]', "mild")
    page.set_input_files('[name="photo"] >> nth=-1', str(photo))
    page.click("button:text('Record the visit')")
    page.wait_for_url("**/treatments/*#visit-*")
    page.fill('[name="follow_up.seen_on"]', date.today().isoformat())
    page.fill('[name="follow_up.social_downtime_days"]', "11")
    page.select_option('[name="follow_up.patient_rating"]', "4")
    page.click("button:text('Record the visit')")
    page.wait_for_url("**/treatments/*#visit-*")
    assert page.locator("section[id^=visit-]").count() == 2
    img = page.locator("figure img").first
    assert img.evaluate("i => i.complete && i.naturalWidth === 64")
    check(page, "31-treatment-with-follow-ups")
    src = img.get_attribute("src")
    views = len([a for a in audit_rows(app) if a[1] == "photo-view"])
    assert views >= 1  # the page showed it: one line per view
    body = page.request.get(src).body()
    assert len([a for a in audit_rows(app) if a[1] == "photo-view"]) == views + 1
    assert b"Exif" not in body and b"SERIAL" not in body
    assert len(Image.open(io.BytesIO(body)).getexif()) == 0
    page.click("header >> text=Outcomes")
    page.wait_for_url("**/outcomes")
    assert "1 treatment(s) with an outcome" in page.content()
    check(page, "32-outcomes")
    page.click("text=Calibration")
    page.wait_for_url("**/outcomes/calibration")
    with page.expect_navigation():
        page.click("button:text('Work out a calibration from the outcomes')")
    page.wait_for_url("**/outcomes/calibration", timeout=120_000)
    assert "12 needed" in page.content() and "In force: published" in page.inner_text("main")
    check(page, "33-calibration")
    assert not page.dialogs
