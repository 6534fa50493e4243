"""Issue 32, item 10, as a clinic would run it: two ``dermalase serve`` processes on one
PostgreSQL database. Simulations queued through one server are run by both, none is failed by
the other's start, and when one server is killed (SIGKILL) in the middle of a job the other takes
the job back and finishes it."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time

import httpx2 as httpx
import pytest
from sqlalchemy import create_engine, text

from dermalase.web.db import normalise

SCENARIO = {"mode": "full-field", "skin.site": "cheek", "skin.phototype": "2",
            "laser.source": "er:yag", "laser.pulse_duration": "250",
            "delivery.spot_diameter": "4", "delivery.passes": "1",
            "numerics.cooling_time": "0.5"}


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(url: str, env: dict) -> tuple[subprocess.Popen, str]:
    port = _port()
    proc = subprocess.Popen([sys.executable, "-m", "dermalase", "serve", "--port", str(port),
                             "--database-url", url], env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return proc, base
        except httpx.TransportError:
            time.sleep(0.1)
        if proc.poll() is not None:
            raise AssertionError(proc.stderr.read() if proc.stderr else "server stopped")
    raise AssertionError("server did not start")


def _client(base: str) -> tuple[httpx.Client, str]:
    c = httpx.Client(base_url=base, timeout=30)
    tok = re.search(r'csrf_token" value="([^"]+)', c.get("/login").text).group(1)
    c.post("/login", data={"username": "ann", "password": "ann-password", "csrf_token": tok})
    return c, re.search(r'csrf_token" value="([^"]+)', c.get("/simulate").text).group(1)


def _jobs(url: str) -> list[tuple]:
    eng = create_engine(normalise(url))
    try:
        with eng.connect() as conn:
            return [tuple(r) for r in conn.execute(text(
                "SELECT id, status, owner, attempts, error FROM jobs ORDER BY id"))]
    finally:
        eng.dispose()


def test_two_serve_processes_on_one_postgresql_database(pg_server, tmp_path):
    from dermalase.testing import postgres

    url = postgres.fresh_database(pg_server, "two_servers")
    env = {**os.environ, "DERMALASE_SECRET_KEY": "k" * 40, "DERMALASE_PASSWORD": "ann-password",
           "DERMALASE_HEARTBEAT_SECONDS": "0.5", "DERMALASE_STALE_SECONDS": "4",
           "DERMALASE_DATA_DIR": str(tmp_path / "data")}
    r = subprocess.run([sys.executable, "-m", "dermalase", "users", "add", "ann", "--role",
                        "admin", "--database-url", url], env=env, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    a, base_a = _start(url, env)
    b = None
    try:
        b, _ = _start(url, env)  # B's start leaves A's jobs alone
        c, csrf = _client(base_a)
        for k, fluence in enumerate(("6", "7", "8", "9")):
            r = c.post("/simulate", data={**SCENARIO, "name": f"f{k}", "delivery.fluence":
                                          fluence, "csrf_token": csrf},
                       follow_redirects=False)
            assert r.headers["location"].startswith("/jobs/"), r.text[:300]
        end = time.monotonic() + 300
        while time.monotonic() < end and any(j[1] in ("queued", "running")
                                             for j in _jobs(url)):
            time.sleep(0.5)
        jobs = _jobs(url)
        assert [j[1] for j in jobs] == ["done"] * 4, jobs
        pids = {j[2].split(":")[1] for j in jobs}
        assert pids == {str(a.pid), str(b.pid)}, jobs  # both servers ran jobs
        # SIGKILL in the middle of a job: the other server takes it back and finishes it
        a_jobs_before = len(jobs)
        for k, fluence in enumerate(("12", "13", "14")):
            c.post("/simulate", data={**SCENARIO, "name": f"g{k}", "delivery.fluence":
                                      fluence, "delivery.passes": "3", "csrf_token": csrf},
                   follow_redirects=False)
        end = time.monotonic() + 120
        victim = None
        while time.monotonic() < end and victim is None:
            for j in _jobs(url)[a_jobs_before:]:
                if j[1] == "running" and j[2].split(":")[1] == str(a.pid):
                    victim = j[0]
            time.sleep(0.05)
        if victim is None:
            pytest.skip("server A ran none of the second batch (B took them all)")
        a.send_signal(signal.SIGKILL)
        a.wait(30)
        end = time.monotonic() + 300
        while time.monotonic() < end and any(j[1] in ("queued", "running")
                                             for j in _jobs(url)):
            time.sleep(0.5)
        jobs = _jobs(url)
        assert [j[1] for j in jobs] == ["done"] * len(jobs), jobs
        taken = next(j for j in jobs if j[0] == victim)
        assert taken[2].split(":")[1] == str(b.pid) and taken[3] == 2 and taken[4] is None
        c.close()
    finally:
        for p in (a, b):
            if p is None:
                continue
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(30)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait(30)
            if p.stderr is not None:
                p.stderr.close()
        postgres.drop_database(pg_server, "two_servers")
