"""The web application on a real database: SQLite (a file) and PostgreSQL (a server started
from the installed binaries for the session; ``make postgres`` installs Debian's package)."""

from __future__ import annotations

import itertools
import re

import pytest

from dermalase.testing import postgres

_COUNT = itertools.count()


@pytest.fixture(scope="session")
def pg_server():
    if postgres.binaries() is None:
        pytest.skip("PostgreSQL is not installed: run 'make postgres' (Debian's package) to "
                    "run these tests on it too")
    with postgres.Server() as url:
        yield url


@pytest.fixture(autouse=True, scope="session")
def web_env(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("DERMALASE_CACHE", str(tmp_path_factory.mktemp("web-cache")))
    mp.setenv("DERMALASE_SECRET_KEY", "test-secret-key-" + "x" * 32)
    yield
    mp.undo()


@pytest.fixture(scope="session")
def migrated(tmp_path_factory):
    """A database of each kind migrated once (the migrations have their own tests): each test
    gets a copy, so a test's setup costs a file copy or a CREATE DATABASE ... TEMPLATE."""
    from dermalase.web.db import migrate

    made: dict[str, str] = {}

    def get(kind: str, server: str | None = None) -> str:
        if kind not in made:
            if kind == "sqlite":
                url = f"sqlite:///{tmp_path_factory.mktemp('template') / 'template.db'}"
            else:
                url = postgres.fresh_database(server, "template_web")
            migrate(url)
            made[kind] = url
        return made[kind]
    return get


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path, migrated):
    if request.param == "sqlite":
        import shutil

        template = migrated("sqlite").removeprefix("sqlite:///")
        shutil.copyfile(template, tmp_path / "web.db")
        (tmp_path / "web.db").chmod(0o600)
        yield f"sqlite:///{tmp_path / 'web.db'}"
        return
    server = request.getfixturevalue("pg_server")
    migrated("postgresql", server)
    name = f"t{next(_COUNT)}"
    yield postgres.fresh_database(server, name, template="template_web")
    postgres.drop_database(server, name)  # a hundred copies would slow the server's removal


@pytest.fixture
def app(db_url):
    from dermalase.web import security
    from dermalase.web.app import create_app

    application = create_app(db_url)
    with application.state.web.make_session() as db:
        security.add_user(db, "ann", "ann-password", "admin")
        security.add_user(db, "bob", "bob-password", "clinician")
    yield application
    application.state.web.close()


@pytest.fixture
def client(app):
    from fastapi.testclient import TestClient

    with TestClient(app, base_url="http://127.0.0.1") as c:
        yield c


def token(client, path: str = "/login") -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert m, f"no CSRF token on {path}"
    return m.group(1)


def sign_in(client, name: str = "ann") -> str:
    r = client.post("/login", data={"username": name, "password": f"{name}-password",
                                    "csrf_token": token(client)}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return token(client, "/patients")


PATIENT = {"name": "Ada Example", "patient.phototype": "2", "concerns[0].kind": "wrinkles",
           "concerns[0].severity": "3", "concerns[0].site": "perioral",
           "preferences.max_downtime_days": "14", "preferences.max_sessions": "1",
           **{f"history.{k}": "no" for k in (
               "herpes_simplex", "keloids", "active_infection", "pregnant", "recent_tan",
               "photosensitizing_drugs", "vitiligo", "prior_radiation")},
           "history.isotretinoin_never": "yes"}


def create_patient(client, csrf: str, **changes) -> int:
    r = client.post("/patients", data={**PATIENT, **changes, "csrf_token": csrf},
                    follow_redirects=False)
    assert r.status_code == 303, r.text[:2000]
    return int(r.headers["location"].rsplit("/", 1)[1])


def wait_job(client, app, location: str) -> dict:
    job_id = int(location.rsplit("/", 1)[1])
    app.state.web.runner.wait(job_id)
    return client.get(f"/api/jobs/{job_id}").json()


@pytest.fixture
def another_app(db_url):
    """A second server on the same database (closed afterwards)."""
    from dermalase.web.app import create_app

    made = []

    def make(**settings):
        a = create_app(db_url, **settings)
        made.append(a)
        return a
    yield make
    for a in made:
        a.state.web.close()


@pytest.fixture(scope="session")
def planned():
    """The real plan of PATIENT and its report, made once per test session (the planner and
    the report as the job makes them)."""
    from dermalase.planner import plan
    from dermalase.planner.html import render
    from dermalase.planner.patient import Patient as PatientModel
    from dermalase.web import forms
    from dermalase.web.routers.patients import patient_fields

    d = forms.to_dict(patient_fields(1), PATIENT)
    d.pop("record", None)
    result = plan(PatientModel.from_dict(d), threads=1)
    return PatientModel.from_dict(d).to_dict(), result, render(result)


#: a full-face patient through the web form (issue 33): phototype IV, photoaging (Glogau III)
#: over the full face, up to 4 sessions (the planner table's phototype IV full-face case)
FACE_PATIENT = {**PATIENT, "name": "Bea Fullface", "patient.phototype": "4",
                "concerns[0].kind": "sun-damage", "concerns[0].severity": "3",
                "concerns[0].site": "full-face", "preferences.max_sessions": "4"}


@pytest.fixture(scope="session")
def planned_face():
    """The real plan of FACE_PATIENT (as ``planned``), made once per test session."""
    from dermalase.planner import plan
    from dermalase.planner.html import render
    from dermalase.planner.patient import Patient as PatientModel
    from dermalase.web import forms
    from dermalase.web.routers.patients import patient_fields

    d = forms.to_dict(patient_fields(1), FACE_PATIENT)
    d.pop("record", None)
    result = plan(PatientModel.from_dict(d), threads=1)
    return PatientModel.from_dict(d).to_dict(), result, render(result)


def store_plan(app, pid: int, planned, by: str = "ann") -> int:
    """A plan row for patient ``pid`` as the plan job stores it (the real plan of PATIENT)."""
    from dermalase.web.db import Plan

    data, result, report = planned
    with app.state.web.make_session() as db:
        x = Plan(patient_id=pid, created_by=by, version="test", fingerprint="f" * 16,
                 patient_data=data, plan=result, report=report)
        db.add(x)
        db.commit()
        return x.id


def audit_rows(app) -> list[tuple[str, str, int, str | None]]:
    from sqlalchemy import select

    from dermalase.web.db import Audit

    with app.state.web.make_session() as db:
        return [(a.username, a.action, a.obj_id, a.detail)
                for a in db.scalars(select(Audit).order_by(Audit.id))]
