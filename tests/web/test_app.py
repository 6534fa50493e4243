"""Every route of the web application through FastAPI's test client, on SQLite and on
PostgreSQL: sign-in required, CSRF rejected, oversized requests refused, user text escaped, bad
input shown next to its field with nothing lost, the audit trail, plans and simulations run as
background jobs and stored with their version (issue 15)."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

from .conftest import PATIENT, create_patient, sign_in, token, wait_job

PAGES = ["/", "/patients", "/patients/new", "/patients/1", "/patients/1/edit",
         "/patients/1/export", "/plans/1", "/plans/1/report", "/plans/1/json", "/jobs/1",
         "/jobs/1/status", "/simulate", "/simulations", "/simulations/1",
         "/simulations/1/figure.png", "/simulations/1/healing.png", "/simulations/1/fields.nc",
         "/simulations/1/summary.json",
         "/compare?ids=1&ids=2", "/simulate/device", "/simulate/device?name=fraxel-repair",
         "/account", "/admin/users", "/admin/audit", "/admin/sessions", "/admin/trash",
         "/admin/trash/1/purge", "/patients/1/delete", "/plans/1/plan.pdf",
         "/compare/figure.png?ids=1&ids=2"]
POSTS = ["/patients", "/patients/search", "/patients/1", "/patients/1/delete",
         "/patients/1/plans", "/patients/1/notes", "/simulate", "/simulate/device", "/account",
         "/admin/users", "/admin/users/1", "/admin/sessions/abc/end", "/admin/holds/lift",
         "/admin/trash/1/restore", "/admin/trash/1/purge", "/logout"]


def test_every_page_needs_sign_in(client):
    for path in PAGES:
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/login", path


def test_api_needs_sign_in(client):
    for path in ("/api/patients", "/api/patients/1", "/api/jobs/1"):
        assert client.get(path).status_code == 401


def test_sign_in_wrong_password_and_cookie_flags(client):
    r = client.post("/login", data={"username": "ann", "password": "nope",
                                    "csrf_token": token(client)})
    assert r.status_code == 401 and "wrong name or password" in r.text
    r = client.post("/login", data={"username": "ann", "password": "ann-password",
                                    "csrf_token": token(client)}, follow_redirects=False)
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    r = client.post("/logout", data={"csrf_token": token(client, "/patients")},
                    follow_redirects=False)
    assert client.get("/patients", follow_redirects=False).status_code == 303


def test_csrf_rejected(client):
    sign_in(client)
    for path in POSTS:
        for data in ({}, {"csrf_token": "forged"}):
            r = client.post(path, data=data, follow_redirects=False)
            assert r.status_code == 403, path


def test_login_csrf_and_oversized_request(client):
    r = client.post("/login", data={"username": "ann", "password": "ann-password",
                                    "csrf_token": "forged"})
    assert r.status_code == 403
    csrf = sign_in(client)
    r = client.post("/patients", data={"csrf_token": csrf, "name": "x" * 300_000})
    assert r.status_code == 413 and "too large" in r.text


def test_security_headers(client):
    r = client.get("/login")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert r.headers["x-content-type-options"] == "nosniff"


def test_patient_with_html_in_its_name_is_shown_as_text(client, app):
    csrf = sign_in(client)
    pid = create_patient(client, csrf, name="<script>alert(1)</script>")
    for path in ("/patients", f"/patients/{pid}", f"/patients/{pid}/edit"):
        text = client.get(path).text
        assert "<script>alert(1)</script>" not in text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_bad_field_shown_next_to_it_and_nothing_lost(client):
    csrf = sign_in(client)
    r = client.post("/patients", data={**PATIENT, "preferences.max_sessions": "twelve",
                                       "csrf_token": csrf})
    assert r.status_code == 422
    field = r.text.split('id="preferences.max_sessions"')[1].split("</div>")[0]
    assert 'value="twelve"' in field and "an integer 1-10" in field
    assert 'value="Ada Example"' in r.text  # the rest of the form is kept
    r = client.post("/patients", data={**PATIENT, "concerns[0].severity": "9",
                                       "csrf_token": csrf})
    assert r.status_code == 422 and 'role="alert"' in r.text and "concerns[0].severity" in r.text


def test_patient_lifecycle_and_audit_trail(client, caplog):
    csrf = sign_in(client)
    with caplog.at_level(logging.DEBUG):
        pid = create_patient(client, csrf)
        assert "Ada Example" in client.get(f"/patients/{pid}").text
        r = client.post(f"/patients/{pid}", data={**PATIENT, "name": "Ada Changed",
                                                  "csrf_token": csrf}, follow_redirects=False)
        assert r.status_code == 303
        r = client.post("/patients/search", data={"q": "changed", "csrf_token": csrf})
        assert "Ada Changed" in r.text and "1 patient(s)" in r.text
        exported = client.get(f"/patients/{pid}/export").json()
        assert exported["patient"]["name"] == "Ada Changed"
        assert client.post(f"/patients/{pid}/delete", data={"csrf_token": csrf,
                                                            "confirm": "yes"},
                           follow_redirects=False).status_code == 303
        assert client.get(f"/patients/{pid}").status_code == 404
    assert "Ada" not in caplog.text  # no patient data in the logs
    audit = client.get("/admin/audit").text
    for action in ("create", "view", "update", "export", "delete"):
        assert f"<td>{action}</td><td>patient {pid}</td>" in audit
    assert "Ada" not in audit  # ids only


def test_roles(client):
    csrf = sign_in(client, "bob")
    assert client.get("/admin/users").status_code == 403
    assert client.post("/admin/users", data={"username": "eve", "password": "x" * 12,
                                             "csrf_token": csrf}).status_code == 403
    client.post("/logout", data={"csrf_token": csrf})
    csrf = sign_in(client, "ann")
    r = client.post("/admin/users", data={"username": "carol", "password": "short",
                                          "csrf_token": csrf})
    assert r.status_code == 422 and "8-256 characters" in r.text
    r = client.post("/admin/users", data={"username": "carol", "password": "long-enough",
                                          "role": "clinician", "csrf_token": csrf})
    assert "carol" in client.get("/admin/users").text


def test_plan_as_a_background_job_stored_as_made(client, app):
    csrf = sign_in(client)
    pid = create_patient(client, csrf)
    r = client.post(f"/patients/{pid}/plans", data={"csrf_token": csrf},
                    follow_redirects=False)
    assert r.headers["location"].startswith("/jobs/")
    assert client.get(r.headers["location"]).status_code in (200, 303)
    job = wait_job(client, app, r.headers["location"])
    assert job["status"] == "done", job
    page = client.get(job["result"]).text
    assert "Recommended:" in page and "Sciton Contour TRL" in page or "UltraPulse" in page
    plan_id = int(job["result"].rsplit("/", 1)[1])
    stored = client.get(f"/plans/{plan_id}/json").json()
    assert stored["dermalase_version"] and len(stored["model_fingerprint"]) == 16
    report = client.get(f"/plans/{plan_id}/report")
    assert report.text.startswith("<!doctype html>")
    saved = client.get(f"/plans/{plan_id}/report?download=1")
    assert saved.headers["content-disposition"].startswith("attachment")
    assert saved.text == report.text
    assert "unsafe-inline" in report.headers["content-security-policy"]
    assert "script" not in report.headers["content-security-policy"].split("style-src")[0] \
        or "script-src 'self'" in report.headers["content-security-policy"]
    status = client.get(f"/jobs/{job['id']}/status")
    assert status.headers["hx-redirect"] == f"/plans/{plan_id}"
    r = client.post(f"/patients/{pid}/plans", data={"csrf_token": csrf},
                    follow_redirects=False)
    second = wait_job(client, app, r.headers["location"])["result"]
    cmp = client.get(f"{second}?compare={plan_id}").text
    assert f"Side by side with plan {plan_id}" in cmp


SCENARIO = {"mode": "full-field", "name": "web-erbium", "skin.site": "cheek",
            "skin.phototype": "2", "laser.source": "er:yag", "laser.pulse_duration": "250 us",
            "delivery.spot_diameter": "4 mm", "delivery.fluence": "10 J/cm^2",
            "delivery.passes": "1", "numerics.cooling_time": "0.5 s"}


def test_simulate_progress_result_store_and_compare(client, app):
    import xarray as xr

    csrf = sign_in(client)
    r = client.post("/simulate", data={**SCENARIO, "csrf_token": csrf},
                    follow_redirects=False)
    job = wait_job(client, app, r.headers["location"])
    assert job["status"] == "done" and job["progress"] == 1.0
    first = job["result"]
    page = client.get(first).text
    assert "web-erbium" in page and "Injured surface" in page
    ds = xr.load_dataset(io.BytesIO(client.get(f"{first}/fields.nc").content))
    assert json.loads(ds.attrs["summary"])["ablation_depth_um"] > 0
    assert client.get(f"{first}/figure.png").content[:4] == b"\x89PNG"
    assert client.get(f"{first}/healing.png").content[:4] == b"\x89PNG"
    r = client.post("/simulate", data={**SCENARIO, "csrf_token": csrf},
                    follow_redirects=False)
    assert r.headers["location"] == first  # the same scenario: from the store, at once
    r = client.post("/simulate", data={**SCENARIO, "delivery.fluence": "20 J/cm^2",
                                       "name": "web-erbium-20", "csrf_token": csrf},
                    follow_redirects=False)
    second = wait_job(client, app, r.headers["location"])["result"]
    ids = [x.rsplit("/", 1)[1] for x in (first, second)]
    cmp = client.get(f"/compare?ids={ids[0]}&ids={ids[1]}").text
    assert "web-erbium" in cmp and "web-erbium-20" in cmp


def test_simulate_bad_field_and_failed_job(client, app, monkeypatch):
    csrf = sign_in(client)
    r = client.post("/simulate", data={**SCENARIO, "delivery.fluence": "10 furlongs",
                                       "csrf_token": csrf})
    assert r.status_code == 422 and 'value="10 furlongs"' in r.text
    assert "delivery.fluence" in r.text
    monkeypatch.setenv("DERMALASE_MAX_SECONDS", "0.001")  # the time guard refuses the run
    r = client.post("/simulate", data={**SCENARIO, "name": "too-long", "csrf_token": csrf},
                    follow_redirects=False)
    job = wait_job(client, app, r.headers["location"])
    assert job["status"] == "failed" and "\n" not in job["error"]
    assert job["error"] in client.get(f"/jobs/{job['id']}/status").text


def test_migrations_match_the_models(db_url, app):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from dermalase.web.db import Base, engine_for

    engine = engine_for(db_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        engine.dispose()
    assert diff == []


def test_simulate_in_device_terms(client, app):
    csrf = sign_in(client)
    listing = client.get("/simulate/device").text
    assert "Contour TRL" in listing and "not simulated" in listing  # Halo: 1,470 nm
    form = client.get("/simulate/device?name=lumenis-ultrapulse").text
    assert 'name="device.energy"' in form and "no device range in the sources" in form
    data = {"csrf_token": csrf, "device_name": "lumenis-ultrapulse", "name": "up",
            "skin.site": "cheek", "skin.phototype": "2", "device.energy": "4000 mJ",
            "device.passes": "1", "numerics.cooling_time": "0.5 s"}
    r = client.post("/simulate/device", data=data)
    assert r.status_code == 422 and 'value="4000 mJ"' in r.text and "100-500 mJ" in r.text
    r = client.post("/simulate/device", data={**data, "device.energy": "400 mJ"},
                    follow_redirects=False)
    job = wait_job(client, app, r.headers["location"])
    assert job["status"] == "done", job
    page = client.get(job["result"]).text
    assert "How the settings of Lumenis UltraPulse" in page and "became physics" in page
    missing = client.post("/simulate/device", data={
        "csrf_token": csrf, "device_name": "fraxel-restore", "device.energy": "40 mJ",
        "device.treatment_level": "4"})
    assert missing.status_code == 422 and "device.microbeam_diameter" in missing.text


def test_password_change(client):
    csrf = sign_in(client, "ann")
    r = client.post("/account", data={"current": "wrong", "new": "new-password-1",
                                      "csrf_token": csrf})
    assert r.status_code == 403
    r = client.post("/account", data={"current": "ann-password", "new": "new-password-1",
                                      "csrf_token": csrf})
    assert r.status_code == 200 and "Password changed" in r.text
    client.post("/logout", data={"csrf_token": token(client, "/account")})
    r = client.post("/login", data={"username": "ann", "password": "new-password-1",
                                    "csrf_token": token(client)}, follow_redirects=False)
    assert r.status_code == 303


def test_a_database_of_the_first_schema_is_upgraded_with_its_data(db_url, tmp_path):
    """A database made by revision 0001 (no healing figure) keeps its rows through the upgrade
    to the latest revision, and the page of an old simulation says what it lacks."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import text

    from dermalase.web import db
    from dermalase.web.db import engine_for, migrate, normalise

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(db.__file__).parent / "migrations"))
    cfg.set_main_option("sqlalchemy.url", normalise(db_url))
    command.upgrade(cfg, "0001")
    engine = engine_for(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO simulations (name, key, scenario, summary, netcdf, figure_png, "
                "created_at, created_by, version, fingerprint) VALUES ('old', 'k', '{}', "
                "'{}', :b, :b, CURRENT_TIMESTAMP, 'ann', '0.0.9', 'f')"), {"b": b"x"})
        migrate(db_url)
        with engine.connect() as conn:
            row = conn.execute(text("SELECT name, healing_png FROM simulations")).one()
            version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()
    assert tuple(row) == ("old", None) and version == "0004"


def test_jobs_left_by_a_stopped_server_are_marked_failed(db_url, app, client):
    """A job the previous server left running never finishes: the next server says so."""
    from dermalase.web.app import create_app
    from dermalase.web.db import Job

    with app.state.web.make_session() as db:
        job = Job(kind="plan", created_by="ann", status="running", progress=0.3)
        db.add(job)
        db.commit()
        job_id = job.id
    restarted = create_app(db_url)
    try:
        with restarted.state.web.make_session() as db:
            job = db.get(Job, job_id)
            assert job.status == "failed" and "interrupted" in job.error
    finally:
        restarted.state.web.close()


def test_a_database_with_patients_and_plans_upgrades_from_0002_without_loss(db_url, planned):
    """Revision 0003 (sessions, holds, the clinic's record, notes, the trash, the shared queue)
    keeps every row a 0002 database holds, and the application reads them."""
    import json as json_

    from alembic import command
    from alembic.config import Config
    from fastapi.testclient import TestClient
    from sqlalchemy import text

    from dermalase.web import db, security
    from dermalase.web.app import create_app
    from dermalase.web.db import engine_for, normalise

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(db.__file__).parent / "migrations"))
    cfg.set_main_option("sqlalchemy.url", normalise(db_url))
    command.upgrade(cfg, "0002")
    data, result, report = planned
    engine = engine_for(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO users (username, password_hash, role, created_at) VALUES "
                "('ann', :h, 'admin', CURRENT_TIMESTAMP)"),
                {"h": security.hash_password("ann-password")})
            conn.execute(text(
                "INSERT INTO patients (name, data, created_at, updated_at) VALUES "
                "('Old Patient', :d, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"),
                {"d": json_.dumps({**data, "name": "Old Patient"})})
            pid = conn.execute(text("SELECT id FROM patients")).scalar()
            conn.execute(text(
                "INSERT INTO plans (patient_id, created_at, created_by, version, fingerprint, "
                "patient_data, plan, report) VALUES (:p, CURRENT_TIMESTAMP, 'ann', '0.0.9', "
                "'f', :d, :j, :r)"), {"p": pid, "d": json_.dumps(data),
                                      "j": json_.dumps(result), "r": report})
            conn.execute(text(
                "INSERT INTO jobs (kind, status, progress, created_by, created_at) VALUES "
                "('plan', 'done', 1.0, 'ann', CURRENT_TIMESTAMP)"))
    finally:
        engine.dispose()
    app = create_app(db_url)
    try:
        with TestClient(app, base_url="http://127.0.0.1") as client:
            sign_in(client, "ann")
            page = client.get(f"/patients/{pid}").text
            assert "Old Patient" in page and "Plan " in page
            plan_id = int(page.split('href="/plans/')[1].split('"')[0])
            assert client.get(f"/plans/{plan_id}/json").json()["plan"] == result
            assert client.get(f"/plans/{plan_id}/plan.pdf").content[:5] == b"%PDF-"
        engine = engine_for(db_url)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() \
                == "0004"
            assert conn.execute(text("SELECT attempts, status FROM jobs")).one() == (0, "done")
        engine.dispose()
    finally:
        app.state.web.close()


def test_request_log_is_json_without_patient_data(client):
    """One JSON line per request: the route's template, status, time and account id; never
    the name searched for, the form, or the path's query."""
    import json as json_

    from dermalase.web.logs import JSONFormatter

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JSONFormatter())
    logger = logging.getLogger("dermalase.web.request")
    logger.addHandler(handler)
    old = logger.level
    logger.setLevel(logging.INFO)
    try:
        csrf = sign_in(client)
        pid = create_patient(client, csrf, name="Zelda Secretname")
        client.post("/patients/search", data={"q": "Secretname", "csrf_token": csrf})
        client.get(f"/patients/{pid}")
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old)
    lines = [json_.loads(x) for x in stream.getvalue().splitlines()]
    assert "Secretname" not in stream.getvalue() and "Zelda" not in stream.getvalue()
    routes = {x["route"] for x in lines}
    assert {"/patients/search", "/patients/{pid}", "/login"} <= routes
    assert all({"method", "status", "ms", "user_id"} <= set(x) for x in lines)
