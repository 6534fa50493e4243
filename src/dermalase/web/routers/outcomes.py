"""Treatments, follow-ups and their photographs, prediction beside observation, calibration
from outcomes, the de-identified export and FHIR (issue 34)."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from ...errors import InputError
from .. import forms
from ..deps import DB, Admin, User_, csrf, web
from ..services import NotFound
from ..services import outcomes as service
from ..services import patients as patient_service

router = APIRouter(tags=["outcomes"], dependencies=[Depends(csrf)])
F = forms.FormField
YES_NO = (("yes", "no"), ("Yes", "No"))


# -- the treatment form ----------------------------------------------------------------------
def treatment_fields(device: str, areas: int = 3) -> list[forms.FormField]:
    """The fields of a treatment record for ``device`` (its settings with unit and range)."""
    from ...devices import catalogue, get
    from ...outcomes.records import ANAESTHESIA, CARE
    from ...planner.envelope import areas as all_areas
    from .simulations import device_fields

    dev = get(device) if device else None
    names = tuple(catalogue())
    out = [F("treatment.treated_on", "Date of the treatment", "date", True),
           F("treatment.clinician", "Treating clinician", "text", True),
           F("treatment.device", "Device", "choice", True, choices=names,
             choice_labels=tuple(f"{d.vendor} {d.model}" for d in catalogue().values()),
             help="The catalogue device used; its settings are shown below it.")]
    if dev is not None:
        out.append(F("treatment.modality", "Treatment delivered", "choice", True,
                     choices=dev.modalities, choice_labels=tuple(
                         m.replace("-", " ").capitalize() for m in dev.modalities)))
    ar = all_areas()
    for i in range(areas):
        out.append(F(f"treatment.areas[{i}]", "Treated area" + (f" {i + 1}" if i else ""),
                     "choice", i == 0, choices=ar,
                     choice_labels=tuple(a.replace("-", " ") for a in ar)))
    if dev is not None:
        for f in device_fields(dev.key):
            if f.name.startswith("device.") and f.name != "device.passes":
                out.append(replace(f, name="treatment.settings." +
                                   f.name.removeprefix("device.")))
    out += [F("treatment.passes", "Passes", "integer", False, allowed="1 to 20",
              help="Passes over the area."),
            F("treatment.anaesthesia", "Anaesthesia", "choice", True, choices=ANAESTHESIA,
              default="topical"),
            *[F(f"treatment.care.{k}", label, "choice", False, choices=YES_NO[0],
                choice_labels=YES_NO[1]) for k, label in CARE.items()],
            F("treatment.consent_signed_on", "Consent signed on", "date", False,
              help="The date the patient signed the consent form (exported as a FHIR "
              "Consent)."),
            F("treatment.notes", "Notes", "area", False)]
    return out


def _treatment_dict(raw: dict[str, str], fs: list[forms.FormField]) -> dict[str, Any]:
    """The record's fields from the form: a bare number in a setting means the unit printed
    beside it."""
    def g(k: str) -> str:
        return raw.get(f"treatment.{k}", "").strip()

    settings = {}
    for f in fs:
        if not f.name.startswith("treatment.settings."):
            continue
        v = raw.get(f.name, "").strip()
        if not v:
            continue
        if f.unit and _bare(v):
            v = f"{v} {f.unit}"
        settings[f.name.removeprefix("treatment.settings.")] = v
    return {"treated_on": g("treated_on"), "clinician": g("clinician"), "device": g("device"),
            "modality": g("modality"), "settings": settings,
            "areas": [raw[k] for k in sorted(raw) if k.startswith("treatment.areas[") and raw[k]],
            "passes": g("passes"), "anaesthesia": g("anaesthesia"),
            "care": {k: raw.get(f"treatment.care.{k}", "") for k in ("antiviral", "test_spot",
                                                                      "priming")},
            "consent_signed_on": g("consent_signed_on"), "notes": raw.get("treatment.notes")}


def _bare(v: str) -> bool:
    try:
        float(v)
    except ValueError:
        return False
    return True


def _error_field(exc: InputError) -> str:
    name = forms.error_field(exc.field)
    return "treatment.areas[0]" if name == "treatment.areas" else name


def _treatment_form(request: Request, pid: int, values: dict, error: InputError | None = None,
                    plan_id: int | None = None, concern: int = 0, status: int = 200):
    fs = treatment_fields(values.get("treatment.device", ""))
    return web(request).page(request, "treatment_form.html", status, fields=fs, values=values,
                             error=error, error_field=_error_field(error) if error else None,
                             pid=pid, plan_id=plan_id, concern=concern)


@router.get("/patients/{pid}/treatments/new")
def new_treatment(request: Request, pid: int, user: User_, db: DB, device: str = ""):
    patient_service.read(db, user, pid, "treatment-form")
    values = {"treatment.treated_on": date.today().isoformat(),
              "treatment.clinician": user.username, "treatment.device": device[:64],
              "treatment.anaesthesia": "topical"}
    return _treatment_form(request, pid, values)


@router.get("/plans/{plan_id}/treatments/new")
def treatment_from_plan(request: Request, plan_id: int, user: User_, db: DB,
                        concern: int = 0):
    pre = service.from_plan(db, user, plan_id, concern)
    values = {"treatment.treated_on": date.today().isoformat(),
              "treatment.clinician": user.username, "treatment.device": pre["device"],
              "treatment.modality": pre["modality"], "treatment.anaesthesia": "topical",
              "treatment.passes": pre["passes"]}
    values.update({f"treatment.areas[{i}]": a for i, a in enumerate(pre["areas"])})
    values.update({f"treatment.settings.{k}": v for k, v in pre["settings"].items()
                   if k != "passes"})
    return _treatment_form(request, pre["patient"].id, values, plan_id=plan_id,
                           concern=concern)


@router.post("/patients/{pid}/treatments")
async def record_treatment(request: Request, pid: int, user: User_, db: DB):
    raw = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    plan_id = int(raw["plan_id"]) if raw.get("plan_id", "").isdigit() else None
    concern = int(raw["concern"]) if raw.get("concern", "").isdigit() else 0
    if "change_device" in raw:  # the device changed: its settings, nothing typed lost
        return _treatment_form(request, pid, raw, plan_id=plan_id, concern=concern)
    fs = treatment_fields(raw.get("treatment.device", ""))
    try:
        t = service.record(db, web(request).worker, user, pid, _treatment_dict(raw, fs),
                           plan_id, concern if plan_id is not None else None)
    except InputError as exc:
        db.rollback()
        return _treatment_form(request, pid, raw, exc, plan_id, concern, 422)
    return RedirectResponse(f"/treatments/{t.id}", 303)


# -- the treatment page ----------------------------------------------------------------------
@router.get("/treatments/{tid}")
def show_treatment(request: Request, tid: int, user: User_, db: DB):
    from ...outcomes.cases import MEASURES

    got = service.read(db, user, tid)
    return web(request).page(request, "treatment.html", **got, measures=MEASURES,
                             fields=followup_fields(), values={
                                 "follow_up.seen_on": date.today().isoformat()},
                             error=None, error_field=None)


def followup_fields(rows: int = 2) -> list[forms.FormField]:
    from ...outcomes.followups import COMPLICATIONS, MAX_DAY, RATING, SCALES, SEVERITIES

    day = f"0 to {MAX_DAY} days after the treatment"
    out = [F("follow_up.seen_on", "Date of the visit", "date", True),
           F("follow_up.day_healed", "Healed (re-epithelialized) on day", "number", False,
             unit="", allowed=day, help="Days after the treatment when the skin was covered "
             "again; blank if not yet."),
           F("follow_up.erythema_end_day", "Redness ended on day", "number", False,
             allowed=day, help="Blank while it lasts."),
           F("follow_up.social_downtime_days", "Back to work and social life on day",
             "number", False, allowed=day, help="As the patient reports it.")]
    for i in range(rows):
        out += [F(f"follow_up.complications[{i}].kind", f"Complication {i + 1}", "choice",
                  False, choices=COMPLICATIONS),
                F(f"follow_up.complications[{i}].severity", f"Severity of complication {i + 1}",
                  "choice", False, choices=SEVERITIES)]
    out += [F("follow_up.improvement_scale", "Improvement graded on", "choice", False,
              choices=tuple(SCALES), choice_labels=tuple(v[0] for v in SCALES.values())),
            F("follow_up.improvement_grade", "Grade", "integer", False,
              help="On the scale chosen (the plan's severity scale, or 1-4 improvement)."),
            F("follow_up.patient_rating", "Patient's own rating", "choice", False,
              choices=tuple(str(i) for i in range(RATING[0], RATING[1] + 1)),
              choice_labels=("1 (no improvement)", "2", "3", "4", "5 (excellent)")),
            F("follow_up.notes", "Notes", "area", False)]
    return out


def _followup_dict(raw: dict[str, str]) -> dict[str, Any]:
    def g(k: str) -> str:
        return raw.get(f"follow_up.{k}", "").strip()

    comps = []
    for i in range(8):
        kind = g(f"complications[{i}].kind")
        if kind:
            comps.append({"kind": kind, "severity": g(f"complications[{i}].severity")})
    return {"seen_on": g("seen_on"), "day_healed": g("day_healed"),
            "erythema_end_day": g("erythema_end_day"),
            "social_downtime_days": g("social_downtime_days"), "complications": comps,
            "improvement_scale": g("improvement_scale"),
            "improvement_grade": g("improvement_grade"),
            "patient_rating": g("patient_rating"), "notes": raw.get("follow_up.notes")}


@router.post("/treatments/{tid}/follow-ups")
async def add_follow_up(request: Request, tid: int, user: User_, db: DB):
    form = await request.form()
    raw = {k: v for k, v in form.items() if isinstance(v, str)}
    upload = form.get("photo")
    photo = None
    if upload is not None and not isinstance(upload, str):
        photo = await upload.read()
        await upload.close()
    w = web(request)
    try:
        v = service.add_follow_up(db, user, tid, _followup_dict(raw), photo or None,
                                  w.settings.photos(), w.settings.photo_max_bytes)
    except InputError as exc:
        db.rollback()
        from ...outcomes.cases import MEASURES

        got = service.read(db, user, tid, "follow-up-form")
        return w.page(request, "treatment.html", 422, **got, measures=MEASURES,
                      fields=followup_fields(), values=raw, error=exc,
                      error_field=forms.error_field(exc.field))
    return RedirectResponse(f"/treatments/{tid}#visit-{v.id}", 303)


@router.post("/follow-ups/{fid}/photos")
async def add_photo(request: Request, fid: int, user: User_, db: DB):
    form = await request.form()
    upload = form.get("photo")
    w = web(request)
    try:
        if upload is None or isinstance(upload, str):
            raise InputError("photo", "", "a JPEG or PNG file")
        raw = await upload.read()
        await upload.close()
        ph = service.add_photo(db, user, fid, raw, w.settings.photos(),
                               w.settings.photo_max_bytes)
    except InputError as exc:
        db.rollback()
        return w.page(request, "error.html", 422, title="Photograph not kept",
                      message=str(exc), code=422)
    from ..db import FollowUpVisit

    visit = db.get(FollowUpVisit, fid)
    assert visit is not None  # the photograph was just kept on it
    return RedirectResponse(f"/treatments/{visit.treatment_id}#photo-{ph.id}", 303)


@router.get("/photos/{photo_id}")
def photo(request: Request, photo_id: int, user: User_, db: DB):
    body, mime = service.read_photo(db, user, photo_id, web(request).settings.photos())
    return Response(body, media_type=mime, headers={"Content-Disposition": "inline"})


# -- prediction beside observation -----------------------------------------------------------
@router.get("/outcomes")
def outcomes_page(request: Request, user: User_, db: DB):
    from ...outcomes import report

    rep = report.build(service.report_items(db, user))
    png = base64.b64encode(report.figure(rep)).decode() if rep["cases"] else None
    return web(request).page(request, "outcomes.html", rep=rep, figure=png,
                             in_force=service.label(service.active(db)))


@router.get("/outcomes/calibration")
def calibration_page(request: Request, user: User_, db: DB):
    rows = service.calibrations(db)
    return web(request).page(request, "calibration.html", rows=rows,
                             in_force=service.label(service.active(db)),
                             cases=len(service.all_cases(db)))


@router.post("/outcomes/calibration")
async def propose(request: Request, user: Admin, db: DB):
    raw = await request.form()
    job = service.propose(db, web(request).worker, user, table=raw.get("table") == "yes")
    return RedirectResponse(f"/jobs/{job}", 303)


@router.post("/outcomes/calibration/{cid}/adopt")
def adopt(cid: int, user: Admin, db: DB):
    service.adopt(db, user, cid)
    return RedirectResponse("/outcomes/calibration", 303)


@router.post("/outcomes/calibration/published")
def published(user: Admin, db: DB):
    service.use_published(db, user)
    return RedirectResponse("/outcomes/calibration", 303)


# -- exports ---------------------------------------------------------------------------------
@router.get("/outcomes/export.{fmt}")
def export(fmt: str, user: Admin, db: DB, clinic: str = ""):
    from ...outcomes import export as ex

    rows = ex.deidentify(service.export_rows(db, user), clinic[:64])
    if fmt == "csv":
        return Response(ex.csv_text(rows), media_type="text/csv", headers={
            "Content-Disposition": 'attachment; filename="outcomes.csv"'})
    if fmt == "parquet":
        return Response(ex._parquet_bytes(rows), media_type="application/vnd.apache.parquet",
                        headers={"Content-Disposition": 'attachment; filename="outcomes.parquet"'})
    if fmt == "dictionary.csv":
        import csv
        import io

        buf = io.StringIO()
        w = csv.DictWriter(buf, ["column", "type", "unit", "meaning"], lineterminator="\n")
        w.writeheader()
        w.writerows(ex.dictionary_rows())
        return Response(buf.getvalue(), media_type="text/csv")
    raise NotFound(f"no export format {fmt[:20]!r}: csv, parquet or dictionary.csv")


@router.get("/patients/{pid}/fhir")
def fhir_export(pid: int, user: User_, db: DB):
    b = service.fhir_bundle(db, user, pid)
    return Response(json.dumps(b, indent=1), media_type="application/fhir+json", headers={
        "Content-Disposition": f'attachment; filename="patient-{pid}-fhir.json"'})
