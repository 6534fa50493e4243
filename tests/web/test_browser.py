"""The web application in a real browser (issue 15): headless Chromium from Debian's packages,
driven by Playwright, against the application served by uvicorn on 127.0.0.1, on SQLite and on
PostgreSQL. Flows: sign in, create a patient, plan, open the plan, print view; simulate and watch
the progress; compare two simulations; a bad field shows its message next to the field and the
form keeps what was typed. Screenshots of each flow go under out/web/."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

from .conftest import PATIENT

playwright = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
OUT = Path(__file__).resolve().parents[2] / "out" / "web"
pytestmark = pytest.mark.skipif(CHROMIUM is None,
                                reason="Chromium (Debian package 'chromium') not installed")


@pytest.fixture
def server(app):
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, access_log=False,
                                        log_level="warning", lifespan="off"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(100):
        if srv.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)


@pytest.fixture
def page(server, db_url):
    OUT.mkdir(parents=True, exist_ok=True)
    with playwright.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        try:
            pg = browser.new_page(viewport={"width": 1200, "height": 900}, base_url=server)
            pg.dialogs = []
            pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))
            pg.db = "postgresql" if db_url.startswith("postgresql") else "sqlite"
            yield pg
        finally:
            browser.close()


def sign_in(pg) -> None:
    pg.goto("/login")
    pg.fill("#username", "ann")
    pg.fill("#password", "ann-password")
    pg.click("button[type=submit]")
    pg.wait_for_url("**/patients")


def shot(pg, name: str) -> None:
    pg.screenshot(path=str(OUT / f"{name}-{pg.db}.png"), full_page=True)


def test_patient_plan_and_print(page):
    sign_in(page)
    page.click("text=New patient")
    for name, v in {**PATIENT, "name": "Ada <b>Example</b>"}.items():
        el = page.locator(f'[name="{name}"]')
        if el.evaluate("e => e.tagName") == "SELECT":
            el.select_option(v)
        else:
            el.fill(v)
    shot(page, "1-patient-form")
    page.click("text=Save")
    page.wait_for_url("**/patients/*")
    assert page.locator("h1").inner_text() == "Ada <b>Example</b>"  # shown as text
    page.click("text=Plan a treatment")
    page.wait_for_url("**/plans/*", timeout=180_000)  # the job page follows by itself
    assert page.locator(".recommendation h3").first.inner_text().startswith("Recommended:")
    report_frame = page.frame_locator("iframe.report")  # the complete plan, as made
    playwright.expect(report_frame.locator("section.concern")).to_have_count(1)
    assert report_frame.locator("img").count() >= 2  # cross-section and healing curves
    shot(page, "2-plan")
    page.emulate_media(media="print")
    assert not page.locator("header").is_visible()  # the print view drops the navigation
    shot(page, "3-plan-print")
    page.emulate_media(media="screen")
    with page.expect_popup() as popup:
        page.click("text=Full report (printable)")
    report = popup.value
    report.wait_for_load_state()
    assert report.locator("section.concern").count() == 1
    assert not page.dialogs


def test_simulate_with_progress_and_compare(page):
    sign_in(page)
    for fluence in ("8 J/cm^2", "16 J/cm^2"):
        page.goto("/simulate")
        page.fill('[name="name"]', f"erbium {fluence}")
        page.fill('[name="laser.pulse_duration"]', "250 us")
        page.select_option('[name="laser.source"]', "er:yag")
        page.fill('[name="delivery.fluence"]', fluence)
        page.click("button:text('Simulate')")
        page.wait_for_url("**/simulations/*", timeout=180_000)
        assert page.locator("h1").inner_text() == f"erbium {fluence}"
    shot(page, "4-simulation")
    page.goto("/simulations")
    boxes = page.locator("input[name=ids]")
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.click("text=Compare the chosen")
    page.wait_for_url("**/compare?*")
    assert page.locator("table.list th a").count() == 2
    shot(page, "5-compare")


def test_bad_field_message_next_to_it(page):
    sign_in(page)
    page.goto("/simulate")
    page.fill('[name="laser.pulse_duration"]', "250 us")
    page.select_option('[name="laser.source"]', "er:yag")
    page.fill('[name="delivery.fluence"]', "10 furlongs")
    page.click("button:text('Simulate')")
    field = page.locator(".field.invalid")
    assert field.count() == 1
    assert field.locator("input").input_value() == "10 furlongs"
    assert field.locator(".error").is_visible()
    assert page.locator('[name="laser.pulse_duration"]').input_value() == "250 us"
    shot(page, "6-bad-field")


def test_job_page_shows_progress(page, app):
    """The job page while a job runs: a progress bar that htmx refreshes, then the result."""
    from dermalase.web.db import Job

    sign_in(page)
    with app.state.web.make_session() as db:
        job = Job(kind="simulate", created_by="ann", status="running", progress=0.4)
        db.add(job)
        db.commit()
        job_id = job.id
    page.goto(f"/jobs/{job_id}")
    assert page.locator("progress").get_attribute("value") == "0.4"
    with app.state.web.make_session() as db:
        db.get(Job, job_id).progress = 0.7
        db.commit()
    playwright.expect(page.locator("progress")).to_have_attribute("value", "0.7",
                                                                  timeout=10_000)
    shot(page, "7-progress")
