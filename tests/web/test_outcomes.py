"""Treatment records, follow-ups with photographs, prediction beside observation, calibration
and exports in the web application (issue 34), on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from .conftest import audit_rows, create_patient, sign_in, store_plan, token


@pytest.fixture(autouse=True)
def photo_dir(tmp_path, monkeypatch):
    folder = tmp_path / "photos"
    monkeypatch.setenv("DERMALASE_PHOTO_DIR", str(folder))
    return folder


def jpeg_with_gps() -> bytes:
    """A JPEG carrying EXIF with a GPS position, a camera serial and a comment."""
    from PIL import Image

    img = Image.new("RGB", (64, 48), (200, 150, 120))
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"  # Make
    exif[0xA431] = "SERIAL-123456"  # BodySerialNumber
    gps = {1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0)}
    exif[0x8825] = gps  # GPSInfo
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif.tobytes(), comment=b"patient Ada at home")
    return buf.getvalue()


def _patient_and_plan(client, app, planned) -> tuple[str, int, int]:
    csrf = sign_in(client, "ann")
    pid = create_patient(client, csrf)
    return csrf, pid, store_plan(app, pid, planned)


def _treatment_from_plan(client, app, csrf: str, plan_id: int, **changes) -> int:
    page = client.get(f"/plans/{plan_id}/treatments/new").text
    values = dict(re.findall(r'<input id="(treatment\.[^"]+)" name="[^"]+" value="([^"]*)"',
                             page))
    values.update(dict(re.findall(
        r'<select id="(treatment\.[^"]+)" name="[^"]+"[^>]*>(?:(?!</select>).)*?<option '
        r'value="([^"]+)" selected', page, re.S)))
    values.update(changes)
    pid = int(re.search(r'action="/patients/(\d+)/treatments"', page).group(1))
    r = client.post(f"/patients/{pid}/treatments", data={
        **values, "plan_id": str(plan_id), "concern": "0", "csrf_token": csrf},
        follow_redirects=False)
    assert r.status_code == 303, r.text[-3000:]
    tid = int(r.headers["location"].rsplit("/", 1)[1])
    _wait_jobs(app)
    return tid


def _wait_jobs(app) -> None:
    from sqlalchemy import select

    from dermalase.web.db import Job

    with app.state.web.make_session() as db:
        ids = [j.id for j in db.scalars(select(Job).where(Job.status.in_(("queued",
                                                                           "running"))))]
    for i in ids:
        assert app.state.web.worker.wait(i, 300) == "done"


def test_a_treatment_from_a_plan_shows_its_departures_and_the_prediction_for_what_was_done(
        client, app, planned):
    csrf, pid, plan_id = _patient_and_plan(client, app, planned)
    rec = planned[1]["recommended"]
    dev = rec["devices"][0]
    assert dev["device"] == "lumenis-ultrapulse"  # the example plan's binding device
    tid = _treatment_from_plan(client, app, csrf, plan_id,
                               **{"treatment.settings.energy": "400"})  # bare: mJ
    page = client.get(f"/treatments/{tid}").text
    assert "energy 400 mJ instead of the planned 500 mJ" in page
    assert "Prediction beside what was observed" in page and "not yet" in page
    from dermalase.web.db import Prediction, Treatment

    with app.state.web.make_session() as db:
        t = db.get(Treatment, tid)
        pred = db.query(Prediction).filter_by(treatment_id=tid).one()
        assert t.settings["energy"] == "400 mJ" and t.physics[0]["scenario"]["delivery"][
            "pulse_energy_J"] == pytest.approx(0.4)
        assert pred.calibration == "published" and len(pred.fingerprint) == 16
        heal = pred.result["primary"]["measures"]["reepithelialization_days"]
        lo, hi = heal["interval"]
        assert lo < heal["value"] < hi
    # a setting outside the device's range is refused with the scenario's one-line error
    r = client.post(f"/patients/{pid}/treatments", data={
        "treatment.treated_on": date.today().isoformat(), "treatment.clinician": "ann",
        "treatment.device": "lumenis-ultrapulse", "treatment.modality": "full-field-co2",
        "treatment.areas[0]": "perioral", "treatment.settings.energy": "5000",
        "treatment.anaesthesia": "topical", "csrf_token": csrf})
    assert r.status_code == 422
    assert "treatment.settings.energy" in r.text and "100-500 mJ" in r.text
    assert 'value="5000"' in r.text  # nothing typed lost


def test_two_follow_ups_with_a_photograph_whose_metadata_is_gone_and_every_view_audited(
        client, app, planned, photo_dir):
    from PIL import Image

    csrf, pid, plan_id = _patient_and_plan(client, app, planned)
    tid = _treatment_from_plan(client, app, csrf, plan_id)
    from dermalase.web.db import Treatment

    with app.state.web.make_session() as db:  # treated three weeks ago
        db.get(Treatment, tid).treated_on = date.today() - timedelta(days=21)
        db.commit()
    raw = jpeg_with_gps()
    assert b"SERIAL-123456" in raw and b"Exif" in raw
    r = client.post(f"/treatments/{tid}/follow-ups", data={
        "follow_up.seen_on": (date.today() - timedelta(days=14)).isoformat(),
        "follow_up.day_healed": "6", "follow_up.complications[0].kind": "milia",
        "follow_up.complications[0].severity": "mild", "csrf_token": csrf},
        files={"photo": ("visit.jpg", raw, "image/jpeg")}, follow_redirects=False)
    assert r.status_code == 303, re.findall(r"role=.alert.>(.*?)</p>", r.text, re.S)
    r = client.post(f"/treatments/{tid}/follow-ups", data={
        "follow_up.seen_on": date.today().isoformat(), "follow_up.erythema_end_day": "20",
        "follow_up.social_downtime_days": "12", "follow_up.improvement_scale":
        "fitzpatrick-wrinkle", "follow_up.improvement_grade": "4",
        "follow_up.patient_rating": "4", "csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303
    page = client.get(f"/treatments/{tid}").text
    ids = [int(x) for x in re.findall(r'src="/photos/(\d+)"', page)]
    assert len(ids) == 1 and "Healed by day 6" in page and "milia (mild)" in page
    stored = list(photo_dir.rglob("*.jpg"))
    assert len(stored) == 1 and stored[0].stat().st_mode & 0o777 == 0o600
    before = len([a for a in audit_rows(app) if a[1] == "photo-view"])
    for _ in range(3):
        got = client.get(f"/photos/{ids[0]}")
        assert got.status_code == 200 and got.headers["content-type"] == "image/jpeg"
    assert len([a for a in audit_rows(app) if a[1] == "photo-view"]) == before + 3
    for blob in (got.content, stored[0].read_bytes()):
        assert b"Exif" not in blob and b"SERIAL" not in blob and b"patient Ada" not in blob
        img = Image.open(io.BytesIO(blob))
        assert len(img.getexif()) == 0 and img.size == (64, 48)
        assert "exif" not in img.info and "comment" not in img.info
    # a day healed after the visit that reports it is refused, naming the field
    r = client.post(f"/treatments/{tid}/follow-ups", data={
        "follow_up.seen_on": (date.today() - timedelta(days=18)).isoformat(),
        "follow_up.day_healed": "9", "csrf_token": csrf})
    assert r.status_code == 422 and "follow_up.day_healed" in r.text
    # not a photograph: refused
    r = client.post(f"/treatments/{tid}/follow-ups", data={
        "follow_up.seen_on": date.today().isoformat(), "csrf_token": csrf},
        files={"photo": ("x.jpg", b"GIF89a not a jpeg", "image/jpeg")})
    assert r.status_code == 422 and "JPEG or PNG" in r.text
    # purged with its patient: the rows and the file go, the audit trail says so
    client.post(f"/patients/{pid}/delete", data={"csrf_token": csrf, "confirm": "yes"})
    assert "1 treatment record(s)" in client.get(f"/admin/trash/{pid}/purge").text
    client.post(f"/admin/trash/{pid}/purge", data={"csrf_token": csrf, "confirm": "yes"})
    assert not list(photo_dir.rglob("*.jpg"))
    assert [a for a in audit_rows(app) if a[1] == "purge"][0][3].endswith("1 treatment(s)")


def test_calibration_page_refuses_too_few_cases_saying_how_many(client, app, planned):
    csrf, pid, plan_id = _patient_and_plan(client, app, planned)
    page = client.get("/outcomes/calibration").text
    assert "published" in page and "Work out a calibration" in page
    r = client.post("/outcomes/calibration", data={"table": "no", "csrf_token": csrf},
                    follow_redirects=False)
    assert r.status_code == 303
    _wait_jobs(app)
    page = client.get("/outcomes/calibration").text
    assert "Refused" in page and "12 needed" in page
    assert client.get("/outcomes").status_code == 200
    # a clinician may not work one out
    client.post("/logout", data={"csrf_token": token(client, "/patients")})
    bob = sign_in(client, "bob")
    assert client.post("/outcomes/calibration", data={"csrf_token": bob}).status_code == 403


def test_fhir_export_of_a_patient_validates_and_reads_back(client, app, planned):
    from dermalase.outcomes.fhir import read_back

    csrf, pid, plan_id = _patient_and_plan(client, app, planned)
    tid = _treatment_from_plan(client, app, csrf, plan_id, **{
        "treatment.consent_signed_on": date.today().isoformat()})
    client.post(f"/treatments/{tid}/follow-ups", data={
        "follow_up.seen_on": date.today().isoformat(), "follow_up.day_healed": "0",
        "csrf_token": csrf})
    r = client.get(f"/patients/{pid}/fhir")
    assert r.status_code == 200 and r.headers["content-type"].startswith(
        "application/fhir+json")
    back = read_back(r.text)
    assert back["patient"]["name"] == "Ada Example" and back["consents"] == 1
    assert back["concerns"] == [{"kind": "wrinkles", "site": "perioral", "severity": 3}]
    (t,) = back["treatments"]
    assert t["device"] == "lumenis-ultrapulse" and t["areas"] == ["perioral"]
    assert t["settings"]["energy"] == "500 mJ"
    assert list(t["follow_ups"].values())[0]["day_healed"] == 0
    assert ("ann", "export-fhir", pid, None) in audit_rows(app)


def test_a_database_with_patients_and_plans_upgrades_from_0003_without_loss(db_url, planned):
    """Revision 0004 keeps every row of a 0003 database; its plans say they used the
    published calibration, and a treatment can be recorded from an old plan."""
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
    command.upgrade(cfg, "0003")
    data, result, report = planned
    engine = engine_for(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO users (username, password_hash, role, created_at) VALUES "
                "('ann', :h, 'admin', CURRENT_TIMESTAMP)"),
                {"h": security.hash_password("ann-password")})
            conn.execute(text(
                "INSERT INTO patients (name, data, created_at, updated_at, record_number) "
                "VALUES ('Old Patient', :d, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 'MRN-1')"),
                {"d": json_.dumps({**data, "name": "Old Patient"})})
            pid = conn.execute(text("SELECT id FROM patients")).scalar()
            conn.execute(text(
                "INSERT INTO plans (patient_id, created_at, created_by, version, fingerprint, "
                "patient_data, plan, report) VALUES (:p, CURRENT_TIMESTAMP, 'ann', '0.0.9', "
                "'f', :d, :j, :r)"), {"p": pid, "d": json_.dumps(data),
                                      "j": json_.dumps(result), "r": report})
    finally:
        engine.dispose()
    app = create_app(db_url)
    try:
        with TestClient(app, base_url="http://127.0.0.1") as client:
            csrf = sign_in(client, "ann")
            page = client.get(f"/patients/{pid}").text
            assert "Old Patient" in page and "MRN-1" in page
            plan_id = int(page.split('href="/plans/')[1].split('"')[0])
            assert client.get(f"/plans/{plan_id}/json").json()["plan"] == result
            assert "published values only" in client.get(f"/plans/{plan_id}").text
            _treatment_from_plan(client, app, csrf, plan_id)
        engine = engine_for(db_url)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() \
                == "0004"
            assert conn.execute(text("SELECT calibration FROM plans")).scalar() == "published"
            assert conn.execute(text("SELECT count(*) FROM treatments")).scalar() == 1
        engine.dispose()
    finally:
        app.state.web.close()


def _insert_synthetic_outcomes(app, pid: int, cases) -> None:
    """SYNTHETIC outcomes (dermalase.testing.cohort) as treatment rows with their prediction
    features and follow-ups: what the clinic's database would hold after those visits."""
    from dermalase.web.db import FollowUpVisit, Prediction, Treatment

    with app.state.web.make_session() as db:
        for c in cases:
            t = Treatment(patient_id=pid, treated_on=date.today() - timedelta(days=60),
                          clinician="synthetic", device="lumenis-ultrapulse",
                          modality=c.modality, settings={}, areas=[c.site], anaesthesia="none",
                          care={}, departures=[], created_by="ann", notes="SYNTHETIC")
            db.add(t)
            db.flush()
            measures = {"reepithelialization_days": {"value": 1.0, "interval": [0.0, 2.0]}}
            db.add(Prediction(treatment_id=t.id, version="test", fingerprint="f" * 16,
                              calibration="published", result={"primary": {
                                  "area": c.site, "modality": c.modality,
                                  "measures": measures, "simulated": {"injury_depth_um": 100.0},
                                  "features": {"coagulum_um": c.coagulum_um,
                                               "cover_distance_mm": c.cover_distance_mm,
                                               "lag_days": c.lag_days}}}))
            db.add(FollowUpVisit(
                treatment_id=t.id, seen_on=date.today() - timedelta(days=30),
                day_healed=c.value("reepithelialization_days"),
                erythema_end_day=None, social_downtime_days=c.value("downtime_days"),
                complications=[], created_by="ann"))
        db.commit()


def test_adopting_a_calibration_changes_no_existing_plan_and_new_plans_say_which_they_used(
        client, app, planned, db_url):
    """With SYNTHETIC outcomes in the database: a calibration is proposed, adopted by an
    admin; the plan made before reads exactly as it did; a plan made after says which
    calibration it used (and its fingerprint differs); the published values come back."""
    if not db_url.startswith("sqlite"):
        pytest.skip("the planner under a calibration does not depend on the database")
    from dermalase.testing.cohort import Truth, cohort
    from dermalase.web.db import CalibrationVersion, Plan

    csrf, pid, old_plan = _patient_and_plan(client, app, planned)
    before = client.get(f"/plans/{old_plan}/json").json()
    _insert_synthetic_outcomes(app, pid, cohort(40, Truth(0.2, 5.0, 1.0), seed=4))
    client.post("/outcomes/calibration", data={"table": "no", "csrf_token": csrf})
    _wait_jobs(app)
    with app.state.web.make_session() as db:
        row = db.query(CalibrationVersion).one()
        assert row.status == "proposed", row.error
        cid = row.id
    page = client.get("/outcomes/calibration").text
    assert "Adopt version 1" in page and "clearance days per um" in page
    assert client.post(f"/outcomes/calibration/{cid}/adopt",
                       data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
    assert "clinic v1" in client.get("/outcomes/calibration").text
    assert client.get(f"/plans/{old_plan}/json").json() == before
    r = client.post(f"/patients/{pid}/plans", data={"csrf_token": csrf}, follow_redirects=False)
    _wait_jobs(app)
    with app.state.web.make_session() as db:
        new = db.query(Plan).filter(Plan.id != old_plan).one()
        assert new.calibration == "clinic v1"
        assert new.plan["calibration"]["name"] == "clinic" and new.plan["calibration"][
            "version"] == 1
        assert new.fingerprint != db.get(Plan, old_plan).fingerprint
        rec_new = new.plan["recommended"]["predicted"]["reepithelialization_days"]
    rec_old = before["plan"]["recommended"]["predicted"]["reepithelialization_days"]
    assert rec_new > rec_old  # a slower front and clearance: later healing
    assert "clinic v1 (from this clinic" in client.get(f"/plans/{new.id}").text
    client.post("/outcomes/calibration/published", data={"csrf_token": csrf})
    assert "In force: <strong>published" in client.get("/outcomes/calibration").text
    del r


def test_the_de_identified_export_of_the_clinic_holds_no_identifier(client, app, planned):
    from dermalase.outcomes import export

    csrf, pid, plan_id = _patient_and_plan(client, app, planned)
    tid = _treatment_from_plan(client, app, csrf, plan_id, **{
        "treatment.notes": "Ada prefers mornings"})
    client.post(f"/treatments/{tid}/follow-ups", data={
        "follow_up.seen_on": date.today().isoformat(), "follow_up.day_healed": "0",
        "follow_up.notes": "called Ada at home", "csrf_token": csrf})
    r = client.get("/outcomes/export.csv")
    assert r.status_code == 200
    assert "Ada" not in r.text and date.today().isoformat() not in r.text
    rows = list(__import__("csv").DictReader(io.StringIO(r.text)))
    assert len(rows) == 1 and rows[0]["age_band"] == "*"  # one patient: withheld
    assert rows[0]["observed_reepithelialization_days"] == "0"
    assert client.get("/outcomes/export.dictionary.csv").text.startswith("column,type")
    pq = client.get("/outcomes/export.parquet")
    assert pq.content[:4] == b"PAR1"
    path = Path(app.state.web.settings.photos()).parent / "x.parquet"
    del path
    assert ("ann", "export", 0, "1 de-identified rows") in audit_rows(app)
    assert json.dumps(export.dictionary_rows())


def test_a_photograph_may_be_larger_than_a_form_but_not_than_its_limit(client, app, planned,
                                                                      db_url):
    if not db_url.startswith("sqlite"):
        pytest.skip("the request limits do not depend on the database: SQLite only")
    import numpy as np
    from PIL import Image

    csrf, pid, plan_id = _patient_and_plan(client, app, planned)
    tid = _treatment_from_plan(client, app, csrf, plan_id)
    noise = np.random.default_rng(1).integers(0, 256, (400, 400, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(noise).save(buf, "PNG")
    big = buf.getvalue()
    assert 256 * 1024 < len(big) < app.state.web.settings.photo_max_bytes
    r = client.post(f"/treatments/{tid}/follow-ups", data={
        "follow_up.seen_on": date.today().isoformat(), "csrf_token": csrf},
        files={"photo": ("big.png", big, "image/png")}, follow_redirects=False)
    assert r.status_code == 303
    r = client.post(f"/patients/{pid}/notes", data={"text": "x" * 300_000, "csrf_token": csrf})
    assert r.status_code == 413  # elsewhere the form limit stands
    r = client.post(f"/treatments/{tid}/follow-ups", data={
        "follow_up.seen_on": date.today().isoformat(), "csrf_token": csrf},
        files={"photo": ("huge.png", b"\x89PNG" + bytes(9 * 1024 * 1024), "image/png")})
    assert r.status_code == 413
