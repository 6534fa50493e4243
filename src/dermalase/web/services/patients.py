"""Patients: the record a clinic keeps (identifiers, treating clinician, notes) beside the
patient file the planner reads; listing, search, change, notes, and the trash.

Sharing model (stated in the README and on the patient pages): one clinic, one team. Every
signed-in clinician sees, plans and edits every patient, and every such read is in the audit
trail. Deleting is the act of the clinician who created the record or of an admin; it moves the
patient, with their plans and notes, to the trash, where an admin restores it or purges it for
good (the purge says what goes with it). Nothing is ever deleted by a cascade unseen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select, true
from sqlalchemy.orm import Session

from ...errors import InputError
from ...planner.patient import Patient as PatientModel
from ..db import Job, Note, Patient, Plan, User, now
from . import Forbidden, NotFound, audit, get

#: patients per page of the list
PAGE = 50
SEXES = ("female", "male", "intersex", "not recorded")
#: longest standing note and timeline note (characters): a range check, not clinical
MAX_NOTE = 5000


@dataclass(frozen=True)
class Record:
    """The clinic's record of a patient, beside the planner's file."""

    record_number: str | None = None
    date_of_birth: date | None = None
    sex: str | None = None
    clinician: str | None = None
    notes: str | None = None


def _text(field: str, v: Any, limit: int) -> str | None:
    from ...schema import printable

    if v is None or (isinstance(v, str) and not v.strip()):
        return None
    if not isinstance(v, str) or len(v) > limit:
        raise InputError(field, str(v)[:40], f"text of at most {limit} characters")
    return printable(v.replace("\r\n", "\n").replace("\n", " \n ")).replace(" \n ", "\n")\
        .strip()


def check_record(d: dict) -> Record:
    """The record from a form's ``record.*`` values; one InputError naming the field."""
    dob = d.get("date_of_birth")
    born: date | None = None
    if isinstance(dob, str) and dob.strip():
        try:
            born = date.fromisoformat(dob.strip())
        except ValueError:
            raise InputError("record.date_of_birth", dob,
                             "a date written YYYY-MM-DD") from None
        if not date(1900, 1, 1) <= born <= date.today():
            raise InputError("record.date_of_birth", dob, "a date from 1900-01-01 to today")
    sex = d.get("sex") or None
    if sex is not None and sex not in SEXES:
        raise InputError("record.sex", sex, "one of " + ", ".join(SEXES))
    return Record(_text("record.record_number", d.get("record_number"), 64), born, sex,
                  _text("record.clinician", d.get("clinician"), 64),
                  _text("record.notes", d.get("notes"), MAX_NOTE))


def age(born: date | None, on: date | None = None) -> int | None:
    """Whole years from ``born`` to ``on`` (today)."""
    if born is None:
        return None
    on = on or date.today()
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def check_file(data: dict) -> dict:
    """The planner's patient file, checked (name required); one InputError naming the field."""
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise InputError("name", name or "", "the patient's name (required)")
    return PatientModel.from_dict(data).to_dict()


def _apply(p: Patient, data: dict, rec: Record) -> None:
    p.name, p.data = data["name"], data
    p.record_number, p.date_of_birth, p.sex = rec.record_number, rec.date_of_birth, rec.sex
    p.clinician, p.notes = rec.clinician, rec.notes


def create(db: Session, actor: User, data: dict, rec: Record) -> Patient:
    data = check_file(data)
    p = Patient(created_by=actor.username, created_at=now(), updated_at=now())
    _apply(p, data, rec)
    db.add(p)
    db.flush()
    audit(db, actor, "create", "patient", p.id)
    db.commit()
    return p


def read(db: Session, actor: User, pid: int, action: str = "view") -> Patient:
    """A patient not in the trash; the read is audited (``action``: view, edit-form, export,
    pdf, ...)."""
    p = get(db, Patient, pid)
    if p.deleted_at is not None:
        raise NotFound(f"no patient {pid} (it is in the trash)")
    audit(db, actor, action, "patient", pid)
    db.commit()
    return p


def update(db: Session, actor: User, pid: int, data: dict, rec: Record) -> Patient:
    p = get(db, Patient, pid)
    if p.deleted_at is not None:
        raise NotFound(f"no patient {pid} (it is in the trash)")
    data = check_file(data)
    _apply(p, data, rec)
    p.updated_at = now()
    audit(db, actor, "update", "patient", pid)
    db.commit()
    return p


def listing(db: Session, actor: User, q: str = "", page: int = 0, *,
            action: str = "list") -> tuple[list[Patient], int]:
    """A page of patients (not in the trash), by name; the read is audited with the ids it
    showed."""
    q = q.strip()
    where = Patient.deleted_at.is_(None) & (
        Patient.name.ilike(f"%{q}%") | Patient.record_number.ilike(f"%{q}%") if q else true())
    total = int(db.scalar(select(func.count()).select_from(Patient).where(where)) or 0)
    rows = list(db.scalars(select(Patient).where(where).order_by(Patient.name, Patient.id)
                           .offset(max(page, 0) * PAGE).limit(PAGE)))
    if rows:
        ids = ",".join(str(p.id) for p in rows)
        audit(db, actor, action, "patients", 0, f"ids {ids}"[:200])
        db.commit()
    return rows, total


def may_delete(actor: User, p: Patient) -> bool:
    return actor.role == "admin" or (p.created_by is not None and p.created_by == actor.username)


def counts(db: Session, pid: int) -> dict[str, int]:
    """What goes with a patient: plans, notes and treatments (with their follow-ups)."""
    from ..db import Treatment

    return {"plans": int(db.scalar(select(func.count()).select_from(Plan)
                                   .where(Plan.patient_id == pid)) or 0),
            "notes": int(db.scalar(select(func.count()).select_from(Note)
                                   .where(Note.patient_id == pid)) or 0),
            "treatments": int(db.scalar(select(func.count()).select_from(Treatment)
                                        .where(Treatment.patient_id == pid)) or 0)}


def delete(db: Session, actor: User, pid: int) -> Patient:
    """To the trash (the creator or an admin)."""
    p = get(db, Patient, pid)
    if p.deleted_at is not None:
        raise NotFound(f"no patient {pid} (it is already in the trash)")
    if not may_delete(actor, p):
        raise Forbidden("only the clinician who created this record, or an admin, may "
                        "delete it")
    p.deleted_at, p.deleted_by = now(), actor.username
    audit(db, actor, "delete", "patient", pid, "to the trash")
    db.commit()
    return p


def trash(db: Session, actor: User) -> list[tuple[Patient, dict[str, int]]]:
    if actor.role != "admin":
        raise Forbidden("the trash is an admin's page")
    rows = list(db.scalars(select(Patient).where(Patient.deleted_at.is_not(None))
                           .order_by(Patient.deleted_at.desc())))
    if rows:
        audit(db, actor, "list", "trash", 0, "ids " + ",".join(str(p.id) for p in rows))
        db.commit()
    return [(p, counts(db, p.id)) for p in rows]


def restore(db: Session, actor: User, pid: int) -> Patient:
    if actor.role != "admin":
        raise Forbidden("restoring from the trash is an admin's act")
    p = get(db, Patient, pid)
    if p.deleted_at is None:
        raise NotFound(f"patient {pid} is not in the trash")
    p.deleted_at, p.deleted_by = None, None
    audit(db, actor, "restore", "patient", pid)
    db.commit()
    return p


def purge(db: Session, actor: User, pid: int) -> dict[str, int]:
    """Delete for good a patient in the trash, with their plans, notes and jobs (each
    counted, and the counts in the audit trail); an admin's act."""
    if actor.role != "admin":
        raise Forbidden("purging the trash is an admin's act")
    p = get(db, Patient, pid)
    if p.deleted_at is None:
        raise NotFound(f"patient {pid} is not in the trash: delete it first")
    gone = counts(db, pid)
    purge_treatments(db, pid)  # treatments refer to plans: they go first
    for model in (Plan, Note, Job):
        for row in db.scalars(select(model).where(model.patient_id == pid)):
            db.delete(row)
    db.flush()
    db.delete(p)
    audit(db, actor, "purge", "patient", pid,
          f"with {gone['plans']} plan(s) and {gone['notes']} note(s)"
          + (f" and {gone['treatments']} treatment(s)" if gone["treatments"] else ""))
    db.commit()
    return gone


def purge_treatments(db: Session, pid: int) -> int:
    """Delete a purged patient's treatments with their predictions, follow-ups and
    photograph rows (the caller deletes the patient); how many treatments."""
    from sqlalchemy import delete

    from ..db import FollowUpVisit, PhotoFile, Prediction, Treatment

    tids = select(Treatment.id).where(Treatment.patient_id == pid)
    vids = select(FollowUpVisit.id).where(FollowUpVisit.treatment_id.in_(tids))
    db.execute(delete(PhotoFile).where(PhotoFile.follow_up_id.in_(vids)))
    db.execute(delete(FollowUpVisit).where(FollowUpVisit.treatment_id.in_(tids)))
    db.execute(delete(Prediction).where(Prediction.treatment_id.in_(tids)))
    res = db.execute(delete(Treatment).where(Treatment.patient_id == pid))
    return int(getattr(res, "rowcount", 0) or 0)


def add_note(db: Session, actor: User, pid: int, text: str) -> Note:
    read(db, actor, pid, "note-form")
    body = _text("note", text, MAX_NOTE)
    if body is None:
        raise InputError("note", text, "the note's text")
    note = Note(patient_id=pid, author=actor.username, text=body, at=now())
    db.add(note)
    db.flush()
    audit(db, actor, "create", "note", note.id, f"patient {pid}")
    db.commit()
    return note


def timeline(db: Session, pid: int) -> list[dict]:
    """Plans, notes and jobs of a patient, newest first (read with the patient's page)."""
    items: list[dict] = []
    for x in db.scalars(select(Plan).where(Plan.patient_id == pid)):
        items.append({"at": x.created_at, "kind": "plan", "obj": x})
    for n in db.scalars(select(Note).where(Note.patient_id == pid)):
        items.append({"at": n.at, "kind": "note", "obj": n})
    from ..db import FollowUpVisit, Treatment

    for t in db.scalars(select(Treatment).where(Treatment.patient_id == pid)):
        items.append({"at": t.treated_on, "kind": "treatment", "obj": t})
        for v in db.scalars(select(FollowUpVisit).where(FollowUpVisit.treatment_id == t.id)):
            items.append({"at": v.seen_on, "kind": "follow-up", "obj": v})
    for j in db.scalars(select(Job).where(Job.patient_id == pid,
                                          Job.status.in_(("queued", "running", "failed")))):
        items.append({"at": j.created_at, "kind": "job", "obj": j})
    from datetime import datetime, time

    from ..db import aware

    def when(at):  # a treatment or a visit has a date: at the end of its day (UTC)
        return aware(at) if isinstance(at, datetime) else aware(datetime.combine(at, time.max))
    return sorted(items, key=lambda i: when(i["at"]), reverse=True)


def export(db: Session, actor: User, pid: int) -> dict:
    """The whole record, its notes and plans, as JSON (audited as an export)."""
    from ..._version import __version__
    from .plan_json import to_json

    p = read(db, actor, pid, "export")
    plans = db.scalars(select(Plan).where(Plan.patient_id == pid).order_by(Plan.id)).all()
    notes = db.scalars(select(Note).where(Note.patient_id == pid).order_by(Note.id)).all()
    return {"patient": p.data, "record": record_json(p), "created_at": p.created_at.isoformat(),
            "notes": [{"at": n.at.isoformat(), "by": n.author, "text": n.text} for n in notes],
            "plans": [to_json(x) for x in plans], "exported_by": actor.username,
            "dermalase_version": __version__}


def record_json(p: Patient) -> dict:
    return {"record_number": p.record_number,
            "date_of_birth": p.date_of_birth.isoformat() if p.date_of_birth else None,
            "sex": p.sex, "clinician": p.clinician, "notes": p.notes,
            "created_by": p.created_by}
