"""Plans: queued as jobs, made with a progress that moves (one step per settings search the
plan runs), stored as made (the patient as planned, the plan JSON, the HTML report, the package
version and the model fingerprint), read back with every read audited."""

from __future__ import annotations

import re
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from ... import calibration
from ..._version import __version__
from ..db import Patient, Plan, User
from ..jobs import Progress, Worker
from . import NotFound, audit, get, outcomes
from . import patients as patient_service


def queue(db: Session, worker: Worker, actor: User, pid: int) -> int:
    """A plan job for patient ``pid``; its id. The job reads the patient when it runs."""
    patient_service.read(db, actor, pid, "plan")
    return worker.submit(db, "plan", actor.username, {"patient_id": pid, "by": actor.username},
                         patient_id=pid).id


def make(db: Session, payload: dict, progress: Progress) -> int:
    """The job: search each candidate's settings (progress after each), then make the plan
    from what they stored, render its report and keep it."""
    from ...planner import plan as make_plan
    from ...planner.html import render
    from ...planner.patient import Patient as PatientModel
    from ...simulate.store import model_fingerprint

    pid = int(payload["patient_id"])
    p = db.get(Patient, pid)
    if p is None or p.deleted_at is not None:
        raise NotFound(f"no patient {pid}")
    data, username = dict(p.data), str(payload.get("by") or "")
    model = PatientModel.from_dict(data)
    cal = outcomes.active(db)  # the adopted calibration (the published one when none is)
    with calibration.use(cal):
        _search(model, progress)
        result = make_plan(model, threads=1)  # from the store the searches filled
        progress(0.93)
        report = render(result)
        fingerprint = model_fingerprint()
    progress(0.98)
    job_owner = username
    plan = Plan(patient_id=pid, created_by=job_owner, version=__version__,
                fingerprint=fingerprint, patient_data=data, plan=result, report=report,
                calibration=outcomes.label(cal))
    db.add(plan)
    db.commit()
    return plan.id


def _search(model, progress: Progress) -> None:
    try:  # the planner's searches, one by one, so the progress moves
        from ...planner.plan import search_one, searches

        todo = searches(model)
    except ImportError:  # pragma: no cover - a planner without them: one step
        todo = []
    progress(0.02)
    for k, (i, modality) in enumerate(todo):
        try:
            search_one(model, i, modality)
        except Exception:  # noqa: BLE001,S110 - the plan below reports it in full
            pass
        progress(0.02 + 0.88 * (k + 1) / len(todo))


def read(db: Session, actor: User, plan_id: int, action: str = "view") -> tuple[Plan, Patient]:
    """A plan and its patient (not in the trash); audited."""
    x = get(db, Plan, plan_id)
    p = db.get(Patient, x.patient_id)
    if p is None or p.deleted_at is not None:
        raise NotFound(f"no plan {plan_id} (its patient is in the trash)")
    audit(db, actor, action, "plan", plan_id, f"patient {p.id}")
    db.commit()
    return x, p


def others(db: Session, x: Plan) -> list[Plan]:
    return list(db.scalars(select(Plan).where(Plan.patient_id == x.patient_id, Plan.id != x.id)
                           .order_by(Plan.id.desc())))


_SECTION = re.compile(r"<section class='concern' id='concern-(\d+)'>(.*?)</section>", re.S)
_FIGURE = re.compile(r"<figure>\s*<img src='(data:image/png;base64,[A-Za-z0-9+/=]+)'[^>]*>"
                     r"\s*<figcaption>(.*?)</figcaption>\s*</figure>", re.S)


@lru_cache(maxsize=64)
def figures(report: str) -> dict[int, list[tuple[str, str]]]:
    """The figures of a stored report by concern index: (data URI, caption as text). Read from
    the report as made (its cross-sections and healing curves), never redrawn."""
    import html

    out: dict[int, list[tuple[str, str]]] = {}
    for m in _SECTION.finditer(report or ""):
        out[int(m.group(1))] = [(uri, html.unescape(re.sub(r"<[^>]+>", "", cap)))
                                for uri, cap in _FIGURE.findall(m.group(2))]
    return out
