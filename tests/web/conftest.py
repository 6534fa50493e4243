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


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'web.db'}"
    server = request.getfixturevalue("pg_server")
    return postgres.fresh_database(server, f"t{next(_COUNT)}")


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
