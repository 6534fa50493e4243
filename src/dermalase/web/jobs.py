"""Background jobs: a queue in the database that every server on it shares.

A plan or a simulation is a row of ``jobs`` (its kind and a payload of ids and the scenario,
never patient data) that any server's worker thread may claim with one conditional UPDATE
(``status = 'queued'`` to ``running``, with its owner): two servers never run the same job. The
owner writes a heartbeat every ``heartbeat_seconds`` for the jobs it runs; a running job whose
heartbeat is older than ``stale_seconds`` belongs to a server that stopped, and any server puts
it back in the queue (once; a second interruption fails it with a line that says so). A server
that starts therefore never touches the jobs of another that is alive. Chosen over a separate
queue server (Celery, RQ, Dask) because the database is already the durable record shared by
the servers, and PostgreSQL or SQLite makes the claim atomic without one more service to run.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from ..errors import InputError
from .db import Job, now

log = logging.getLogger("dermalase.web.jobs")
#: a job interrupted this many times (its server stopped while running it) fails
MAX_ATTEMPTS = 2
#: idle worker poll (s): jobs queued by another server start within this
POLL_SECONDS = 1.0

Progress = Callable[[float], None]
#: a kind of job: handler(db, payload, progress) -> result id
Handler = Callable[[Session, dict, Progress], int]


class Worker:
    """This server's worker: one job at a time (the simulations use the cores)."""

    def __init__(self, make_session: sessionmaker, handlers: dict[str, Handler], *,
                 heartbeat_seconds: float = 5.0, stale_seconds: float = 30.0):
        self.make_session = make_session
        self.handlers = handlers
        self.heartbeat_seconds = heartbeat_seconds
        self.stale_seconds = stale_seconds
        self.owner = f"{socket.gethostname()[:30]}:{os.getpid()}:{secrets.token_hex(4)}"
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.reclaim()
        self.threads = [threading.Thread(target=self._loop, name="dermalase-job", daemon=True),
                        threading.Thread(target=self._beat, name="dermalase-heartbeat",
                                         daemon=True)]
        for t in self.threads:
            t.start()

    # -- queue ------------------------------------------------------------------------------
    def submit(self, db: Session, kind: str, created_by: str, payload: dict,
               patient_id: int | None = None) -> Job:
        """Queue a job (committed) and wake this server's worker."""
        job = Job(kind=kind, created_by=created_by, payload=payload, patient_id=patient_id,
                  status="queued", progress=0.0, attempts=0)
        db.add(job)
        db.commit()
        self.wake.set()
        return job

    def claim(self) -> int | None:
        """The oldest queued job, now running here; None when the queue is empty."""
        with self.make_session() as db:
            for _ in range(5):
                cand = db.scalar(select(Job.id).where(Job.status == "queued")
                                 .order_by(Job.id).limit(1))
                if cand is None:
                    return None
                res = db.execute(update(Job).where(Job.id == cand, Job.status == "queued")
                                 .values(status="running", owner=self.owner,
                                         heartbeat_at=now(), attempts=Job.attempts + 1))
                db.commit()
                if getattr(res, "rowcount", 0) == 1:
                    return cand
        return None

    def reclaim(self) -> int:
        """Running jobs whose owner fell silent: back to the queue, or failed after
        ``MAX_ATTEMPTS``; how many."""
        limit = now() - timedelta(seconds=self.stale_seconds)
        with self.make_session() as db:
            stale = db.scalars(select(Job).where(
                Job.status == "running",
                or_(Job.heartbeat_at.is_(None), Job.heartbeat_at < limit))).all()
            for job in stale:
                if (job.attempts or 0) >= MAX_ATTEMPTS or not job.payload:
                    job.status, job.finished_at = "failed", now()
                    job.error = ("interrupted: the server running this job stopped before it "
                                 "finished; run it again")
                else:
                    job.status, job.owner, job.heartbeat_at = "queued", None, None
                    job.progress = 0.0
            db.commit()
        if stale:
            log.warning("jobs taken back from a silent server", extra={"jobs": len(stale)})
            self.wake.set()
        return len(stale)

    # -- threads ----------------------------------------------------------------------------
    def _loop(self) -> None:
        while not self.stopping.is_set():
            try:
                job_id = self.claim()
            except Exception:  # noqa: BLE001 - the database away for a moment: try again
                log.exception("claiming a job failed")
                job_id = None
            if job_id is None:
                self.wake.wait(POLL_SECONDS)
                self.wake.clear()
                continue
            self._run(job_id)

    def _beat(self) -> None:
        while not self.stopping.wait(self.heartbeat_seconds):
            try:
                with self.make_session() as db:
                    db.execute(update(Job).where(Job.owner == self.owner,
                                                 Job.status == "running")
                               .values(heartbeat_at=now()))
                    db.commit()
                self.reclaim()
            except Exception:  # noqa: BLE001 - next beat
                log.exception("heartbeat failed")

    def _set(self, job_id: int, **values) -> None:
        with self.make_session() as db:
            db.execute(update(Job).where(Job.id == job_id, Job.owner == self.owner)
                       .values(**values))
            db.commit()

    def _run(self, job_id: int) -> None:
        with self.make_session() as db:
            job = db.get(Job, job_id)
            kind, payload = (job.kind, dict(job.payload or {})) if job else ("", {})
        last = [0.0]

        def progress(fraction: float) -> None:
            f = min(max(float(fraction), 0.0), 1.0)
            if f - last[0] >= 0.02 or f >= 1.0:  # at most ~50 writes a job
                last[0] = f
                self._set(job_id, progress=f, heartbeat_at=now())

        try:
            handler = self.handlers[kind]
            with self.make_session() as db:
                result = handler(db, payload, progress)
            self._set(job_id, status="done", progress=1.0, result_id=result,
                      finished_at=now())
        except InputError as exc:
            self._set(job_id, status="failed", error=str(exc), finished_at=now())
        except Exception as exc:  # noqa: BLE001 - one line for the page; no patient data
            log.error("job failed", extra={"job": job_id, "kind": kind,
                                           "error_type": type(exc).__name__})
            if os.environ.get("DERMALASE_DEBUG"):
                log.exception("job traceback")
            self._set(job_id, status="failed", finished_at=now(),
                      error=f"internal error ({type(exc).__name__}); see the server's log")

    def wait(self, job_id: int, timeout: float = 600.0) -> str:
        """Block until a job is over (the tests and the benchmark use it); its status."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self.make_session() as db:
                job = db.get(Job, job_id)
                status = job.status if job is not None else "gone"
            if status not in ("queued", "running"):
                return status
            time.sleep(0.05)
        return "timeout"

    def shutdown(self, wait: float = 600.0) -> None:
        """Stop taking jobs; the running one may finish within ``wait`` seconds (a job left
        running is taken back by another server, or by the next start, once its heartbeat is
        stale)."""
        self.stopping.set()
        self.wake.set()
        end = time.monotonic() + wait
        for t in self.threads:
            t.join(timeout=max(end - time.monotonic(), 0.1))
