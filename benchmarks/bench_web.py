"""The web application's speed (issues 15 and 32): page loads of a stored plan, a patient
page and the patient list with 10,000 patients (p50/p95, ms), and requests per second of the
JSON API, through uvicorn on
127.0.0.1 with a keep-alive client, on SQLite and (when installed) PostgreSQL. The reference in
the same run is a static file (/static/app.css): the ratio is what a page costs beyond the HTTP
round trip itself.
Run: ``make bench`` (or ``.venv/bin/python benchmarks/bench_web.py [N_PATIENTS]``).
"""

from __future__ import annotations

import os
import re
import socket
import statistics
import sys
import tempfile
import threading
import time

import httpx2 as httpx
import uvicorn

os.environ.setdefault("DERMALASE_SECRET_KEY", "bench-" + "x" * 40)
os.environ.setdefault("DERMALASE_CACHE", tempfile.mkdtemp(prefix="dermalase-bench-cache-"))

from dermalase.planner.cases import patient_dict  # noqa: E402
from dermalase.testing import postgres  # noqa: E402
from dermalase.web import security  # noqa: E402
from dermalase.web.app import create_app  # noqa: E402
from dermalase.web.db import Patient  # noqa: E402
from dermalase.web.services import plans  # noqa: E402


def _serve(app) -> tuple[str, uvicorn.Server]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, access_log=False,
                                        log_level="warning", lifespan="off"))
    threading.Thread(target=srv.run, daemon=True).start()
    while not srv.started:
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", srv


def _fill(app, n: int) -> tuple[int, int]:
    """``n`` patients (bulk insert) and one stored plan; (patient id, plan id)."""
    d = patient_dict(2, (("wrinkles", 3, "perioral"),), sessions=1)
    with app.state.web.make_session() as db:
        security.add_user(db, "bench", "bench-password", "clinician")
        db.add_all([Patient(name=f"patient {i:05d}", data={**d, "name": f"patient {i:05d}"},
                            created_by="bench", record_number=f"MRN-{i:05d}")
                    for i in range(n)])
        db.commit()
        pid = db.query(Patient.id).order_by(Patient.id).first()[0]
        plan_id = plans.make(db, {"patient_id": pid, "by": "bench"}, lambda f: None)
    return pid, plan_id


def _times(client: httpx.Client, path: str, n: int) -> list[float]:
    client.get(path).raise_for_status()  # warm
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        client.get(path).raise_for_status()
        out.append((time.perf_counter() - t0) * 1e3)
    return out


def _run(url: str, n_patients: int) -> None:
    app = create_app(url)
    pid, plan_id = _fill(app, n_patients)
    base, srv = _serve(app)
    with httpx.Client(base_url=base) as c:
        tok = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)
        c.post("/login", data={"username": "bench", "password": "bench-password",
                               "csrf_token": tok})
        ref = statistics.median(_times(c, "/static/app.css", 200))
        print(f"\n{url.split(':')[0]}, {n_patients:,} patients; reference (static file) "
              f"p50 {ref:.2f} ms")
        print(f"{'page':36s} {'p50 ms':>8s} {'p95 ms':>8s} {'p50/ref':>8s}")
        for label, path in (("patient list (first page of 50)", "/patients"),
                            ("patient list, page 100", "/patients?page=100"),
                            ("patient page (record, timeline)", f"/patients/{pid}"),
                            ("patient edit form", f"/patients/{pid}/edit"),
                            ("stored plan", f"/plans/{plan_id}"),
                            ("stored plan report (as made)", f"/plans/{plan_id}/report"),
                            ("patient (JSON API)", f"/api/patients/{pid}")):
            t = sorted(_times(c, path, 100))
            p50, p95 = statistics.median(t), t[int(0.95 * len(t)) - 1]
            print(f"{label:36s} {p50:8.1f} {p95:8.1f} {p50 / ref:8.1f}")
        t = sorted(_times(c, f"/plans/{plan_id}/plan.pdf", 20))  # a download, not a page
        print(f"{'plan PDF (WeasyPrint, download)':36s} {statistics.median(t):8.1f} "
              f"{t[int(0.95 * len(t)) - 1]:8.1f} {statistics.median(t) / ref:8.1f}")
        t0, k = time.perf_counter(), 0
        while time.perf_counter() - t0 < 3.0:
            c.get(f"/api/patients/{pid}").raise_for_status()
            k += 1
        print(f"JSON API, one keep-alive client: {k / (time.perf_counter() - t0):.0f} "
              "requests/s")
    srv.should_exit = True
    app.state.web.close()


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    with tempfile.TemporaryDirectory() as folder:
        _run(f"sqlite:///{folder}/bench.db", n)
    if postgres.binaries() is not None:
        with postgres.Server() as server:
            _run(postgres.fresh_database(server, "bench"), n)
    else:
        print("\nPostgreSQL not installed: 'make postgres' adds it")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
