"""Patients: list and search, the record form (identifiers, clinician, notes, then the concerns,
wishes and history the planner reads), the patient page with its timeline, notes, export,
deletion to the trash with confirmation, and the JSON API."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from functools import lru_cache

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from ... import data as package_data
from ...errors import InputError
from ...planner.patient import PatientSpec
from .. import forms
from ..deps import DB, User_, csrf, web
from ..services import Forbidden
from ..services import patients as service

router = APIRouter(tags=["patients"], dependencies=[Depends(csrf)])

ROMAN = ("I", "II", "III", "IV", "V", "VI")
PHOTOTYPES = ("I: always burns, never tans", "II: usually burns, tans minimally",
              "III: sometimes burns, tans gradually", "IV: burns minimally, tans well",
              "V: rarely burns, tans profusely", "VI: never burns, deeply pigmented")


@lru_cache(maxsize=1)
def scales() -> dict[str, str]:
    """The severity scale of each concern kind (the rule base's ``scale``)."""
    out: dict[str, str] = {}
    for c in package_data.toml("planner_rules")["concern"]:
        out.setdefault(c["kind"], c.get("scale", ""))
    return out


def _words(key: str) -> str:
    return key.replace("-", " ").replace("_", " ")


def _scale_help() -> str:
    by_scale: dict[str, list[str]] = {}
    for kind, sc in scales().items():
        by_scale.setdefault(sc, []).append(_words(kind))
    return "; ".join(f"{', '.join(kinds)}: {sc.replace('none (presence)', '1-4 by extent')}"
                     for sc, kinds in by_scale.items()) + "."


#: clinical labels and help of the planner's fields (the file's own descriptions name data
#: files and keys; a clinician reads these)
CLINICAL = {
    "patient.phototype": ("Fitzpatrick skin phototype", "Sets the epidermal melanin the laser "
                          "meets and the risk of pigment change after resurfacing."),
    "kind": ("Concern", "What the patient wants treated."),
    "severity": ("Severity", "Graded on the scale published for the concern: "),
    "site": ("Treated area", "Where the concern is: sets the skin's thickness and how fast it "
             "heals."),
    "scar_type": ("Scar type", "Acne scars only: the scars' shape (adds adjunct treatments)."),
    "preferences.max_downtime_days": ("Longest acceptable downtime", "Days the patient can be "
                                      "away from work and social life after a session."),
    "preferences.max_sessions": ("Most sessions accepted", "How many treatment sessions the "
                                 "patient is willing to have."),
    "history.isotretinoin_months_ago": ("Isotretinoin: months since the last dose",
                                        "Leave blank if never taken (and answer 'Never took "
                                        "isotretinoin') or unknown."),
}
HISTORY_HELP = ("Leave 'not answered' when unknown: any option this answer could rule out is "
                "then not recommended until it is given.")


def _clinical(f: forms.FormField) -> forms.FormField:
    key = f.name if f.name in CLINICAL else f.name.rsplit(".", 1)[-1]
    if f.name == "patient.phototype":
        return replace(f, label=CLINICAL[key][0], help=CLINICAL[key][1], kind="choice",
                       choices=tuple(str(i) for i in range(1, 7)), choice_labels=PHOTOTYPES,
                       allowed="")
    if key in CLINICAL:
        label, help_ = CLINICAL[key]
        f = replace(f, label=label, help=help_ + (_scale_help() if key == "severity" else ""))
    if key == "kind" or key == "site" or key == "scar_type":
        f = replace(f, choice_labels=tuple(_words(c).capitalize() for c in f.choices),
                    allowed="")
    if key == "severity":
        f = replace(f, kind="choice", choices=("1", "2", "3", "4"),
                    choice_labels=("1 (mild)", "2", "3", "4 (most severe)"), allowed="")
    if f.kind == "answer":
        f = replace(f, label=f.help.rstrip(".") or f.label, help=HISTORY_HELP, allowed="")
    if f.name == "preferences.max_downtime_days":
        f = replace(f, unit="days", allowed="0 to 60 days")
    if f.name == "preferences.max_sessions":
        f = replace(f, allowed="1 to 10")
    if f.name == "history.isotretinoin_months_ago":
        f = replace(f, unit="months", allowed="0 to 600 months")
    return f


RECORD = [
    forms.FormField("name", "Full name", "text", True, help="As the clinic files it; shown on "
                    "the plan and its PDF."),
    forms.FormField("record.record_number", "Record number", "text", False,
                    help="The clinic's own number for this patient."),
    forms.FormField("record.date_of_birth", "Date of birth", "date", False,
                    help="The age is shown beside the name."),
    forms.FormField("record.sex", "Sex", "choice", False, choices=service.SEXES,
                    choice_labels=tuple(s.capitalize() for s in service.SEXES),
                    help="Recorded as the clinical evidence reports it."),
    forms.FormField("record.clinician", "Treating clinician", "text", False,
                    help="Who treats this patient (default: you)."),
    forms.FormField("record.notes", "Standing notes", "area", False,
                    help="Allergies, preferences, anything the team should see first."),
]


def patient_fields(rows: int) -> list[forms.FormField]:
    return RECORD + [_clinical(f) for f in forms.fields(PatientSpec, rows=rows)
                     if f.name != "name"]


@lru_cache(maxsize=1)
def history_labels() -> dict[str, str]:
    """The clinical label of each history answer (``herpes_simplex`` -> "History of herpes
    simplex (cold sores)")."""
    return {f.name.split(".", 1)[1]: f.label for f in patient_fields(1)
            if f.name.startswith("history.")}


def _severity_label(f: forms.FormField, values: dict) -> forms.FormField:
    m = re.match(r"concerns\[(\d+)\]\.severity$", f.name)
    if not m:
        return f
    kind = values.get(f"concerns[{m.group(1)}].kind", "")
    sc = scales().get(kind)
    if sc:
        return replace(f, label=f"Severity ({sc.replace('none (presence)', 'extent 1-4')})")
    return f


def _form(request: Request, pid: int | None, values: dict, error: InputError | None,
          status: int = 200, rows: int | None = None):
    rows = rows or forms.concern_rows(values)
    fs = [_severity_label(f, values) for f in patient_fields(rows)]
    return web(request).page(request, "patient_form.html", status, fields=fs, values=values,
                             error=error, patient_id=pid, rows=rows,
                             error_field=forms.error_field(error.field) if error else None,
                             max_rows=forms.MAX_CONCERNS)


def _submitted(form) -> dict[str, str]:
    return {k: v for k, v in form.items() if isinstance(v, str)}


def _parse(raw: dict[str, str]) -> tuple[dict, service.Record]:
    fs = patient_fields(forms.concern_rows(raw))
    d = forms.to_dict(fs, raw)
    rec = service.check_record(d.pop("record", {}) or {})
    d.setdefault("name", "")
    return d, rec


def _shifted(raw: dict[str, str], drop: int) -> dict[str, str]:
    """The form's values without concern row ``drop`` (later rows move up)."""
    out = {}
    for k, v in raw.items():
        m = re.match(r"concerns\[(\d+)\]\.(.*)$", k)
        if not m:
            out[k] = v
        elif int(m.group(1)) != drop:
            i = int(m.group(1))
            out[f"concerns[{i - (i > drop)}].{m.group(2)}"] = v
    return out


async def _rows_changed(request: Request, pid: int | None):
    """Add or remove a concern row (a button of the form): the form again, nothing lost."""
    raw = _submitted(await request.form())
    rows = forms.concern_rows(raw)
    if "add_concern" in raw:
        return _form(request, pid, raw, None, rows=min(rows + 1, forms.MAX_CONCERNS))
    if "remove_concern" in raw and raw["remove_concern"].isdigit() and rows > 1:
        return _form(request, pid, _shifted(raw, int(raw["remove_concern"])), None,
                     rows=rows - 1)
    return None


@router.get("/patients")
def patients(request: Request, user: User_, db: DB, page: int = 0):
    rows, total = service.listing(db, user, "", page)
    return web(request).page(request, "patients.html", rows=rows, q="", total=total,
                             page=page, pages=max(1, -(-total // service.PAGE)), age=service.age)


@router.post("/patients/search")
def search(request: Request, user: User_, db: DB, q: str = Form("")):
    rows, total = service.listing(db, user, q[:200], 0, action="search")
    return web(request).page(request, "patients.html", rows=rows, q=q, total=total, page=0,
                             pages=1, age=service.age)


@router.get("/patients/new")
def new_patient(request: Request, user: User_):
    values = {f.name: f.default for f in patient_fields(1)}
    values["record.clinician"] = user.username
    return _form(request, None, values, None)


@router.post("/patients")
async def create(request: Request, user: User_, db: DB):
    changed = await _rows_changed(request, None)
    if changed is not None:
        return changed
    raw = _submitted(await request.form())
    try:
        d, rec = _parse(raw)
        p = service.create(db, user, d, rec)
    except InputError as exc:
        db.rollback()
        return _form(request, None, raw, exc, 422)
    return RedirectResponse(f"/patients/{p.id}", 303)


@router.get("/patients/{pid}")
def show(request: Request, pid: int, user: User_, db: DB):
    p = service.read(db, user, pid)
    from ..services.plan_json import concern_plans

    return web(request).page(request, "patient.html", p=p, items=service.timeline(db, pid),
                             age=service.age(p.date_of_birth), scales=scales(),
                             may_delete=service.may_delete(user, p), words=_words,
                             concern_plans=concern_plans, roman=ROMAN,
                             history_labels=history_labels())


@router.get("/patients/{pid}/edit")
def edit(request: Request, pid: int, user: User_, db: DB):
    p = service.read(db, user, pid, "edit-form")
    values = forms.flatten(p.data)
    values.update({f"record.{k}": str(v) for k, v in service.record_json(p).items()
                   if v is not None and k != "created_by"})
    return _form(request, pid, values, None)


@router.post("/patients/{pid}")
async def update(request: Request, pid: int, user: User_, db: DB):
    changed = await _rows_changed(request, pid)
    if changed is not None:
        return changed
    raw = _submitted(await request.form())
    try:
        d, rec = _parse(raw)
        service.update(db, user, pid, d, rec)
    except InputError as exc:
        db.rollback()
        return _form(request, pid, raw, exc, 422)
    return RedirectResponse(f"/patients/{pid}", 303)


@router.get("/patients/{pid}/delete")
def confirm_delete(request: Request, pid: int, user: User_, db: DB):
    p = service.read(db, user, pid, "delete-form")
    if not service.may_delete(user, p):
        raise Forbidden("only the clinician who created this record, or an admin, may "
                        "delete it")
    return web(request).page(request, "confirm.html", title="Move to the trash",
                             what=f"{p.name} (patient record {p.id})",
                             goes=service.counts(db, pid), action=f"/patients/{pid}/delete",
                             button="Move to the trash", back=f"/patients/{pid}",
                             permanent=False)


@router.post("/patients/{pid}/delete")
def delete(request: Request, pid: int, user: User_, db: DB, confirm: str = Form("")):
    if confirm != "yes":  # a click that skipped the confirmation page
        return RedirectResponse(f"/patients/{pid}/delete", 303)
    service.delete(db, user, pid)
    return RedirectResponse("/patients?deleted=1", 303)


@router.post("/patients/{pid}/notes")
def add_note(request: Request, pid: int, user: User_, db: DB, text: str = Form("")):
    try:
        service.add_note(db, user, pid, text)
    except InputError as exc:
        db.rollback()
        return web(request).page(request, "error.html", 422, title="Note not saved",
                                 message=str(exc), code=422)
    return RedirectResponse(f"/patients/{pid}#timeline", 303)


@router.get("/patients/{pid}/export")
def export(pid: int, user: User_, db: DB):
    out = service.export(db, user, pid)
    return Response(json.dumps(out, indent=2), media_type="application/json", headers={
        "Content-Disposition": f'attachment; filename="patient-{pid}.json"'})


@router.get("/api/patients")
def api_patients(user: User_, db: DB, page: int = 0):
    rows, _ = service.listing(db, user, "", page, action="api-list")
    return [{"id": p.id, "name": p.name, "record_number": p.record_number} for p in rows]


@router.get("/api/patients/{pid}")
def api_patient(pid: int, user: User_, db: DB):
    p = service.read(db, user, pid, "api-view")
    return {"id": p.id, "patient": p.data, "record": service.record_json(p)}
