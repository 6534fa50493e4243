"""The web application in a real browser (issues 15 and 32): headless Chromium from Debian's
packages, driven by Playwright, against the application served by uvicorn on 127.0.0.1, on
SQLite and on PostgreSQL. A clinic's day: sign in, create a patient with the record's fields and
a second concern, plan, read the plan, download its PDF, record a note, delete with confirmation
and restore from the trash; every page visited is checked for accessibility (WCAG 2.1 AA: labels,
described-by, required, invalid, skip link, captions, alt text, contrast >= 4.5:1) and
photographed at 1280 px and at a 768 px tablet width under out/web/."""

from __future__ import annotations

import io
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
WIDTHS = (1280, 768)

#: the accessibility checks run in the page (WCAG 2.1 AA criteria named in each message)
A11Y = (Path(__file__).parent / "a11y.js").read_text(encoding="utf-8")


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
def browser():
    with playwright.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(server, browser, db_url):
    OUT.mkdir(parents=True, exist_ok=True)
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=server,
                              accept_downloads=True)
    pg = ctx.new_page()
    pg.dialogs = []
    pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))
    pg.db = "postgresql" if db_url.startswith("postgresql") else "sqlite"
    yield pg
    ctx.close()


def sign_in(pg, name: str = "ann") -> None:
    pg.goto("/login")
    pg.fill("#username", name)
    pg.fill("#password", f"{name}-password")
    pg.click("button[type=submit]")
    pg.wait_for_url("**/patients")


def check(pg, name: str) -> None:
    """Accessibility of the page as shown, then its screenshots at both widths."""
    problems = pg.evaluate(A11Y)
    assert problems == [], f"{name}: {problems}"
    for width in WIDTHS:
        pg.set_viewport_size({"width": width, "height": 900})
        if width == 768:
            problems = pg.evaluate(A11Y)
            assert problems == [], f"{name} at 768 px: {problems}"
        pg.screenshot(path=str(OUT / f"{name}-{width}-{pg.db}.png"), full_page=True)
    pg.set_viewport_size({"width": 1280, "height": 900})


def fill(pg, values: dict) -> None:
    for name, v in values.items():
        el = pg.locator(f'[name="{name}"]')
        if el.evaluate("e => e.tagName") == "SELECT":
            el.select_option(v)
        else:
            el.fill(v)


def test_a_clinics_day(page):
    pypdf = pytest.importorskip("pypdf")
    sign_in(page, "bob")
    check(page, "01-patients")
    page.click("text=New patient")
    fill(page, {**PATIENT, "record.record_number": "MRN-7", "record.date_of_birth": "1980-05-17",
                "record.sex": "female", "record.notes": "Anxious about pain"})
    page.click("text=+ Add another concern")  # a second concern row, nothing typed lost
    assert page.locator('[name="record.record_number"]').input_value() == "MRN-7"
    fill(page, {"concerns[1].kind": "acne-scars", "concerns[1].severity": "2",
                "concerns[1].site": "cheek", "concerns[1].scar_type": "rolling"})
    check(page, "02-patient-form")
    page.click("button.primary:text('Save')")
    page.wait_for_url("**/patients/*")
    assert page.locator("h1").inner_text() == "Ada Example"
    assert "MRN-7" in page.content() and "Goodman" in page.content()
    check(page, "03-patient")
    page.click("text=Plan a treatment")
    page.wait_for_url("**/jobs/*")
    assert page.locator("#job-status").get_attribute("aria-live") == "polite"
    page.wait_for_url("**/plans/*", timeout=300_000)  # the job page follows by itself
    assert page.locator(".recommendation").count() >= 1
    assert page.locator("section.concern").count() == 2
    check(page, "04-plan")
    with page.expect_download() as dl:
        page.click("text=Download the PDF")
    pdf = Path(dl.value.path()).read_bytes()
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    assert "Ada Example" in text and "MRN-7" in text and "consent" in text
    page.click("header >> text=Patients")
    page.click("text=Ada Example")
    page.fill("#note-text", "Test patch done, no reaction")
    page.click("text=Record the note")
    page.wait_for_url("**/patients/*#timeline")
    assert "Test patch done, no reaction" in page.locator("ol.timeline").inner_text()
    page.click("text=Delete…")
    page.wait_for_url("**/delete")
    assert "2 concern" not in page.content() and "plan(s)" in page.content()
    check(page, "05-confirm-delete")
    page.click("button:text('Move to the trash')")
    page.wait_for_url(lambda url: url.endswith("/patients?deleted=1"))
    assert "Ada Example" not in page.locator("table.list").inner_text()
    page.click("text=Sign out")
    sign_in(page, "ann")
    page.click("header >> text=Trash")
    assert "Ada Example" in page.locator("table.list").inner_text()
    check(page, "06-trash")
    page.click("button:text('Restore')")
    page.wait_for_url("**/patients/*")
    assert "Test patch done, no reaction" in page.content()
    assert not page.dialogs


def test_simulate_with_progress_and_compare(page):
    if page.db != "sqlite":
        pytest.skip("the simulation flow does not depend on the database: SQLite only")
    sign_in(page)
    for fluence in ("8", "16"):  # bare numbers: J/cm^2, the unit beside the field
        page.goto("/simulate")
        page.fill('[name="name"]', f"erbium {fluence} J/cm2")
        page.fill('[name="laser.pulse_duration"]', "250")
        page.select_option('[name="laser.source"]', "er:yag")
        page.fill('[name="delivery.fluence"]', fluence)
        page.click("button:text('Simulate')")
        page.wait_for_url("**/simulations/*", timeout=180_000)
        assert page.locator("h1").inner_text() == f"erbium {fluence} J/cm2"
        rows = page.locator("table.list").last.inner_text()
        assert "J/cm²" in rows and "µs" in rows  # what was simulated, in clinical units
    check(page, "07-simulation")
    page.goto("/simulations")
    boxes = page.locator("input[name=ids]")
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.click("text=Compare the chosen")
    page.wait_for_url("**/compare?*")
    assert page.locator("table.list thead th a").count() == 2
    assert page.locator("figure.wide img").evaluate("i => i.complete && i.naturalWidth > 0")
    check(page, "08-compare")


def test_bad_field_message_next_to_it(page):
    sign_in(page)
    page.goto("/simulate")
    page.fill('[name="laser.pulse_duration"]', "250")
    page.select_option('[name="laser.source"]', "er:yag")
    page.fill('[name="delivery.fluence"]', "10 furlongs")
    page.click("button:text('Simulate')")
    field = page.locator(".field.invalid")
    assert field.count() == 1
    assert field.locator("input").input_value() == "10 furlongs"
    assert field.locator("input").get_attribute("aria-invalid") == "true"
    assert field.locator(".error").is_visible()
    assert page.locator('[name="laser.pulse_duration"]').input_value() == "250"
    check(page, "09-bad-field")


def test_job_page_shows_progress(page, app):
    """The job page while a job runs: a progress bar that htmx refreshes, then the result."""
    from dermalase.web.db import Job

    sign_in(page)
    with app.state.web.make_session() as db:
        job = Job(kind="simulate", created_by="ann", status="running", progress=0.4,
                  owner="elsewhere", heartbeat_at=__import__(
                      "dermalase.web.db", fromlist=["now"]).now() + __import__(
                      "datetime").timedelta(hours=1))
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
    check(page, "10-progress")
