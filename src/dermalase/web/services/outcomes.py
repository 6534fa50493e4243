"""Treatments, follow-ups, photographs, predictions and calibrations (issue 34): the web's
service layer over :mod:`dermalase.outcomes`. Every read of patient data is audited (a
photograph's every view included); a calibration is proposed by a job, shown, and adopted by an
admin; plans are made under the adopted one and say so."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ... import calibration as calmod
from ..._version import __version__
from ...errors import InputError
from ..db import (
    CalibrationVersion,
    FollowUpVisit,
    Patient,
    PhotoFile,
    Plan,
    Prediction,
    Treatment,
    User,
    now,
)
from ..jobs import Progress, Worker
from . import Forbidden, NotFound, audit, get
from . import patients as patient_service


# -- calibrations --------------------------------------------------------------------------
def active_row(db: Session) -> CalibrationVersion | None:
    return db.scalar(select(CalibrationVersion).where(CalibrationVersion.status == "adopted")
                     .order_by(CalibrationVersion.adopted_at.desc()).limit(1))


def active(db: Session) -> calmod.Calibration:
    """The adopted calibration (the published one when none is)."""
    row = active_row(db)
    return calmod.Calibration.from_dict(row.params) if row and row.params else calmod.PUBLISHED


def label(cal: calmod.Calibration) -> str:
    return "published" if cal.published else f"{cal.name} v{cal.version}"


def calibrations(db: Session) -> list[CalibrationVersion]:
    return list(db.scalars(select(CalibrationVersion).order_by(CalibrationVersion.id.desc())))


def propose(db: Session, worker: Worker, actor: User, table: bool = True) -> int:
    """Queue the job that works out a calibration from every outcome recorded (admin)."""
    if actor.role != "admin":
        raise Forbidden("a calibration is worked out and adopted by an admin")
    audit(db, actor, "calibrate", "outcomes", 0, "every recorded outcome")  # read by the job
    return worker.submit(db, "calibrate", actor.username,
                         {"by": actor.username, "table": bool(table)}).id


def calibrate_job(db: Session, payload: dict, progress: Progress) -> int:
    """The job: every case, the posterior, its check, and (``table``) how the planner table's
    plans would change; kept as a proposed version (or a failed one that says why)."""
    from ...outcomes import calibrate as C
    from ...outcomes.tables import table_changes

    cases = all_cases(db)
    progress(0.05)
    version = int(db.scalar(select(func.max(CalibrationVersion.version))) or 0) + 1
    row = CalibrationVersion(version=version, name="clinic", status="failed",
                             created_by=str(payload.get("by") or ""), cases=len(cases))
    in_force = active(db)
    try:
        result = C.calibrate(cases, name="clinic", version=version, reference=in_force,
                             provenance=f"{len(cases)} outcomes of this clinic")
    except InputError as exc:
        row.error = str(exc)
        db.add(row)
        db.commit()
        return row.id
    report = dict(result.report)
    if payload.get("table"):
        report["table"] = table_changes(in_force, result.calibration,
                                        progress=lambda f: progress(0.1 + 0.85 * f))
    row.status, row.params, row.report = "proposed", result.calibration.to_dict(), report
    db.add(row)
    db.commit()
    return row.id


def adopt(db: Session, actor: User, cid: int) -> CalibrationVersion:
    """Adopt a proposed (or retired) calibration: plans made from now on use it; the one in
    force is retired; nothing already made changes."""
    if actor.role != "admin":
        raise Forbidden("a calibration is adopted by an admin")
    row = get(db, CalibrationVersion, cid)
    if row.status not in ("proposed", "retired") or not row.params:
        raise NotFound(f"calibration {cid} cannot be adopted ({row.status})")
    for old in db.scalars(select(CalibrationVersion)
                          .where(CalibrationVersion.status == "adopted")):
        old.status = "retired"
    row.status, row.adopted_at, row.adopted_by = "adopted", now(), actor.username
    audit(db, actor, "adopt", "calibration", cid, f"version {row.version}")
    db.commit()
    return row


def use_published(db: Session, actor: User) -> None:
    """Back to the published calibration (the adopted one is retired)."""
    if actor.role != "admin":
        raise Forbidden("a calibration is adopted by an admin")
    for old in db.scalars(select(CalibrationVersion)
                          .where(CalibrationVersion.status == "adopted")):
        old.status = "retired"
        audit(db, actor, "retire", "calibration", old.id, "published in force")
    db.commit()


# -- treatments ----------------------------------------------------------------------------
def from_plan(db: Session, actor: User, plan_id: int, concern: int = 0) -> dict[str, Any]:
    """The form's values for a treatment made from a plan: the recommendation's modality, its
    first device reading, the concern's area (read audited as the plan's)."""
    x = get(db, Plan, plan_id)
    p = db.get(Patient, x.patient_id)
    if p is None or p.deleted_at is not None:
        raise NotFound(f"no plan {plan_id} (its patient is in the trash)")
    audit(db, actor, "treatment-form", "plan", plan_id, f"patient {p.id}")
    db.commit()
    plans = x.plan.get("plans") or [x.plan]
    if not 0 <= concern < len(plans):
        raise NotFound(f"plan {plan_id} has no concern {concern + 1}")
    rec = plans[concern].get("recommended") or {}
    dev = next((d for d in rec.get("devices") or [] if d.get("within_range", True)
                and "technique" not in (d.get("settings") or {})), None)
    settings = {k: str(v) for k, v in ((dev or {}).get("settings") or {}).items()}
    return {"patient": p, "plan": x, "concern": concern, "modality": rec.get("modality", ""),
            "device": (dev or {}).get("device", ""), "settings": settings,
            "areas": [plans[concern].get("concern", {}).get("site", "")],
            "passes": settings.get("passes", "")}


def record(db: Session, worker: Worker, actor: User, pid: int, fields: dict,
           plan_id: int | None = None, concern: int | None = None) -> Treatment:
    """Check and keep a treatment, with its departures from the plan; queue its prediction."""
    from ...outcomes import records

    p = patient_service.read(db, actor, pid, "treatment-form")
    plan = None
    if plan_id is not None:
        plan = get(db, Plan, plan_id)
        if plan.patient_id != pid:
            raise NotFound(f"plan {plan_id} is another patient's")
    t = records.check(fields, int(p.data["patient"]["phototype"]))
    dep = records.departures(t, plan.plan, concern or 0) if plan is not None else []
    row = Treatment(patient_id=pid, plan_id=plan_id, concern=concern, treated_on=t.treated_on,
                    clinician=t.clinician, device=t.device, modality=t.modality,
                    settings=t.settings, areas=list(t.areas), passes=t.passes,
                    anaesthesia=t.anaesthesia, care=t.care,
                    consent_signed_on=t.consent_signed_on, notes=t.notes, departures=dep,
                    created_by=actor.username)
    db.add(row)
    db.flush()
    audit(db, actor, "create", "treatment", row.id, f"patient {pid}")
    db.commit()
    worker.submit(db, "predict", actor.username, {"treatment_id": row.id}, patient_id=pid)
    return row


def predict_job(db: Session, payload: dict, progress: Progress) -> int:
    """The job: the delivered settings resolved to physics per area (the model-resolved
    dials simulate), each area predicted under the adopted calibration; the slowest area to
    heal is the treatment's prediction."""
    from ...outcomes import prediction, records
    from ...simulate.store import model_fingerprint

    row = db.get(Treatment, int(payload["treatment_id"]))
    if row is None:
        raise NotFound("no such treatment")
    p = db.get(Patient, row.patient_id)
    assert p is not None
    t = _as_record(row)
    cal = active(db)
    with calmod.use(cal):
        scenarios = records.resolve_physics(t, int(p.data["patient"]["phototype"]))
        progress(0.3)
        per_area = []
        for k, (area, sc) in enumerate(scenarios):
            per_area.append(prediction.predict(sc, t.modality, area))
            progress(0.3 + 0.65 * (k + 1) / len(scenarios))
        if not scenarios:  # a device the simulator cannot run: the published figures
            from ...devices import get as device

            per_area = [prediction.published_only(t.modality, a, device(t.device).unsupported
                                                  or "") for a in t.areas]
        fingerprint = model_fingerprint()
    row.physics = [{"area": a, "scenario": sc.resolved()} for a, sc in scenarios]
    primary = max(per_area, key=lambda r: ((r["measures"].get("reepithelialization_days")
                                            or {}).get("value") or 0.0))
    pred = Prediction(treatment_id=row.id, version=__version__, fingerprint=fingerprint,
                      calibration=label(cal), result={"areas": per_area, "primary": primary})
    db.add(pred)
    db.commit()
    return row.id


def _as_record(row: Treatment):
    from ...outcomes.records import Treatment as Rec

    return Rec(row.treated_on, row.clinician, row.device, dict(row.settings), row.modality,
               tuple(row.areas), row.passes, row.anaesthesia, dict(row.care),
               row.consent_signed_on, row.notes)


def _live(db: Session, row: Treatment) -> Patient:
    p = db.get(Patient, row.patient_id)
    if p is None or p.deleted_at is not None:
        raise NotFound(f"no treatment {row.id} (its patient is in the trash)")
    return p


def read(db: Session, actor: User, tid: int, action: str = "view") -> dict[str, Any]:
    """A treatment with its patient, prediction, follow-ups and their photographs; audited."""
    row = get(db, Treatment, tid)
    p = _live(db, row)
    audit(db, actor, action, "treatment", tid, f"patient {p.id}")
    db.commit()
    visits = list(db.scalars(select(FollowUpVisit).where(FollowUpVisit.treatment_id == tid)
                             .order_by(FollowUpVisit.seen_on, FollowUpVisit.id)))
    photos = {v.id: list(db.scalars(select(PhotoFile).where(PhotoFile.follow_up_id == v.id)
                                    .order_by(PhotoFile.id))) for v in visits}
    pred = db.scalar(select(Prediction).where(Prediction.treatment_id == tid)
                     .order_by(Prediction.id.desc()).limit(1))
    return {"t": row, "p": p, "visits": visits, "photos": photos, "prediction": pred,
            "observed": observed(visits)}


def observed(visits: list[FollowUpVisit]) -> dict[str, float | None]:
    from ...outcomes.followups import latest

    return latest([_visit(v) for v in visits])


def _visit(v: FollowUpVisit):
    from ...outcomes.followups import FollowUp

    return FollowUp(v.seen_on, v.day_healed, v.erythema_end_day, v.social_downtime_days,
                    list(v.complications or []), v.improvement_scale, v.improvement_grade,
                    v.patient_rating, v.notes)


def for_patient(db: Session, pid: int) -> list[Treatment]:
    return list(db.scalars(select(Treatment).where(Treatment.patient_id == pid)
                           .order_by(Treatment.treated_on, Treatment.id)))


# -- follow-ups and photographs -------------------------------------------------------------
def add_follow_up(db: Session, actor: User, tid: int, fields: dict,
                  photo: bytes | None = None, photo_root: Path | None = None,
                  max_bytes: int | None = None) -> FollowUpVisit:
    from ...outcomes import followups

    row = get(db, Treatment, tid)
    _live(db, row)
    v = followups.check(fields, row.treated_on)
    cleaned = followups.clean_photo(photo, max_bytes or followups.MAX_PHOTO_BYTES) \
        if photo else None
    visit = FollowUpVisit(treatment_id=tid, seen_on=v.seen_on, day_healed=v.day_healed,
                          erythema_end_day=v.erythema_end_day,
                          social_downtime_days=v.social_downtime_days,
                          complications=v.complications,
                          improvement_scale=v.improvement_scale,
                          improvement_grade=v.improvement_grade,
                          patient_rating=v.patient_rating, notes=v.notes,
                          created_by=actor.username)
    db.add(visit)
    db.flush()
    audit(db, actor, "create", "follow-up", visit.id, f"treatment {tid}")
    if cleaned is not None:
        assert photo_root is not None
        _keep_photo(db, actor, visit.id, cleaned, photo_root)
    db.commit()
    return visit


def _keep_photo(db: Session, actor: User, fid: int, cleaned, root: Path) -> PhotoFile:
    from ...outcomes.followups import store_photo

    store_photo(root, cleaned)
    ph = PhotoFile(follow_up_id=fid, sha256=cleaned.sha256, mime=cleaned.mime, ext=cleaned.ext,
                   size=len(cleaned.data), width=cleaned.width, height=cleaned.height,
                   uploaded_by=actor.username)
    db.add(ph)
    db.flush()
    audit(db, actor, "create", "photo", ph.id, f"follow-up {fid}")
    return ph


def add_photo(db: Session, actor: User, fid: int, raw: bytes, root: Path,
              max_bytes: int | None = None) -> PhotoFile:
    from ...outcomes.followups import MAX_PHOTO_BYTES, clean_photo

    visit = get(db, FollowUpVisit, fid)
    t = db.get(Treatment, visit.treatment_id)
    assert t is not None
    _live(db, t)
    ph = _keep_photo(db, actor, fid, clean_photo(raw, max_bytes or MAX_PHOTO_BYTES), root)
    db.commit()
    return ph


def read_photo(db: Session, actor: User, photo_id: int, root: Path) -> tuple[bytes, str]:
    """A photograph's bytes and type; every view is one audit line."""
    from ...outcomes.followups import photo_path

    ph = get(db, PhotoFile, photo_id)
    visit = db.get(FollowUpVisit, ph.follow_up_id)
    t = db.get(Treatment, visit.treatment_id) if visit else None
    if t is None:
        raise NotFound(f"no photo {photo_id}")
    p = _live(db, t)
    path = photo_path(root, ph.sha256, ph.ext)
    if not path.is_file():
        raise NotFound(f"photo {photo_id}: its file is missing from the data folder")
    audit(db, actor, "photo-view", "photo", photo_id, f"patient {p.id}")
    db.commit()
    return path.read_bytes(), ph.mime


# -- the report and the cases ----------------------------------------------------------------
def _rows(db: Session) -> list[tuple[Treatment, Prediction, dict]]:
    """Every treatment of a live patient with a prediction and an outcome."""
    out = []
    for t in db.scalars(select(Treatment).order_by(Treatment.id)):
        p = db.get(Patient, t.patient_id)
        if p is None or p.deleted_at is not None:
            continue
        pred = db.scalar(select(Prediction).where(Prediction.treatment_id == t.id,
                                                  Prediction.result.is_not(None))
                         .order_by(Prediction.id.desc()).limit(1))
        visits = list(db.scalars(select(FollowUpVisit)
                                 .where(FollowUpVisit.treatment_id == t.id)))
        obs = observed(visits)
        if pred is None or not any(v is not None for v in obs.values()):
            continue
        out.append((t, pred, obs))
    return out


def report_items(db: Session, actor: User) -> list[dict]:
    """The items of the observed-vs-predicted report (audited as one read, with the ids)."""
    items = []
    for t, pred, obs in _rows(db):
        prim = (pred.result or {})["primary"]
        items.append({"id": t.id, "modality": t.modality, "area": prim["area"],
                      "predicted": prim["measures"], "observed": obs,
                      "fingerprint": pred.fingerprint, "calibration": pred.calibration})
    if items:
        audit(db, actor, "report", "outcomes", 0,
              "treatments " + ",".join(str(i["id"]) for i in items)[:180])
        db.commit()
    return items


def all_cases(db: Session) -> list:
    """Every outcome as a calibration case (features from its stored prediction)."""
    from ...outcomes.prediction import case_of

    return [case_of((pred.result or {})["primary"], obs, f"T{t.id}")
            for t, pred, obs in _rows(db)]


def export_rows(db: Session, actor: User) -> list[dict]:
    """The rows of the de-identified export (audited as an export of every treatment)."""
    from ...outcomes.export import row_of

    rows = []
    for t, pred, _obs in _rows(db):
        p = db.get(Patient, t.patient_id)
        assert p is not None
        visits = list(db.scalars(select(FollowUpVisit)
                                 .where(FollowUpVisit.treatment_id == t.id)))
        rows.append(row_of(_as_record(t), p.data, p.date_of_birth, p.sex,
                           (pred.result or {})["primary"], [_visit(v) for v in visits]))
    audit(db, actor, "export", "outcomes", 0, f"{len(rows)} de-identified rows")
    db.commit()
    return rows


def fhir_bundle(db: Session, actor: User, pid: int) -> dict:
    """The patient's plans, treatments and follow-ups as a FHIR R4 bundle (audited as an
    export)."""
    from ...outcomes.fhir import bundle

    p = patient_service.read(db, actor, pid, "export-fhir")
    from ..db import aware

    plans = [{"id": x.id, "created_at": aware(x.created_at).isoformat(timespec="seconds"),
              "plan": x.plan,
              "version": x.version, "fingerprint": x.fingerprint}
             for x in db.scalars(select(Plan).where(Plan.patient_id == pid).order_by(Plan.id))]
    treatments, visits = [], {}
    for t in for_patient(db, pid):
        treatments.append({**_as_record(t).to_dict(), "id": t.id, "plan_id": t.plan_id,
                           "physics": t.physics})
        visits[t.id] = [{**_visit(v).to_dict(), "id": v.id} for v in db.scalars(
            select(FollowUpVisit).where(FollowUpVisit.treatment_id == t.id)
            .order_by(FollowUpVisit.id))]
    return bundle({"name": p.name, "record_number": p.record_number,
                   "date_of_birth": p.date_of_birth.isoformat() if p.date_of_birth else None,
                   "sex": p.sex, "data": p.data}, plans, treatments, visits)


def remove_orphan_photos(db: Session, root: Path) -> int:
    """Delete the photograph files no row refers to any more (after a purge); how many."""
    keep = set(db.scalars(select(PhotoFile.sha256)))
    gone = 0
    for f in root.glob("*/*.*") if root.is_dir() else ():
        if f.stem not in keep and len(f.stem) == 64:
            f.unlink()
            gone += 1
    return gone


def today() -> date:
    return date.today()
