"""Background jobs: a plan or a simulation runs in a worker thread, never in the request; its
progress and its one-line error are kept in the ``jobs`` table, which the job page polls."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ..errors import InputError
from .db import Job, now

#: jobs run one at a time: the simulations themselves use the machine's cores
WORKERS = 1


def fail_interrupted(make_session: sessionmaker) -> int:
    """Jobs left queued or running by a server that stopped never finish: mark them failed,
    with a line that says so, when a server starts; the number marked."""
    with make_session() as db:
        jobs = db.scalars(select(Job).where(Job.status.in_(("queued", "running")))).all()
        for job in jobs:
            job.status, job.finished_at = "failed", now()
            job.error = "interrupted: the server stopped before this job finished; run it again"
        db.commit()
        return len(jobs)


class Runner:
    def __init__(self, make_session: sessionmaker):
        self.make_session = make_session
        self.pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="dermalase-job")
        self.futures: dict[int, Future] = {}
        self.lock = threading.Lock()

    def submit(self, job_id: int, work: Callable[[Session, Callable[[float], None]], int]) -> None:
        """Run ``work(session, progress) -> result id`` for job ``job_id``."""
        fut = self.pool.submit(self._run, job_id, work)
        with self.lock:
            self.futures[job_id] = fut

    def _set(self, job_id: int, **values) -> None:
        with self.make_session() as db:
            job = db.get(Job, job_id)
            if job is None:  # deleted with its patient while running
                return
            for k, v in values.items():
                setattr(job, k, v)
            db.commit()

    def _run(self, job_id: int, work) -> None:
        self._set(job_id, status="running")
        last = [0.0]

        def progress(fraction: float) -> None:
            if fraction - last[0] >= 0.02 or fraction >= 1.0:  # at most ~50 writes a job
                last[0] = fraction
                self._set(job_id, progress=min(max(float(fraction), 0.0), 1.0))

        try:
            with self.make_session() as db:
                result = work(db, progress)
            self._set(job_id, status="done", progress=1.0, result_id=result, finished_at=now())
        except InputError as exc:
            self._set(job_id, status="failed", error=str(exc), finished_at=now())
        except Exception as exc:  # one line for the page; no patient data in it
            self._set(job_id, status="failed", finished_at=now(),
                      error=f"internal error ({type(exc).__name__}); see the server's log")
            raise

    def wait(self, job_id: int, timeout: float = 600.0) -> None:
        """Block until a job is over (the tests and the benchmark use it)."""
        with self.lock:
            fut = self.futures.get(job_id)
        if fut is not None:
            try:
                fut.result(timeout=timeout)
            except Exception:  # already recorded on the job
                pass

    def shutdown(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
