"""Patients (create, edit, list, search, export, delete), their plans (run as background jobs,
stored with the package version and the model fingerprint, shown as made), and the job pages."""

from __future__ import annotations

import json

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import func, select, true

from .._version import __version__
from ..errors import InputError
from ..planner.patient import Patient as PatientModel
from ..planner.patient import PatientSpec
from . import forms
from .common import REPORT_CSP, Web, audit, require
from .db import Job, Patient, Plan

PATIENT_FIELDS = forms.fields(PatientSpec)
#: patients per page of the list
PAGE = 50


def _get(db, model, obj_id: int):
    obj = db.get(model, obj_id)
    if obj is None:
        raise HTTPException(404, f"no {model.__tablename__[:-1]} {obj_id}")
    return obj


def _check(form) -> tuple[dict, InputError | None]:
    """The patient dict of a submitted form and its first error (None if valid)."""
    d = forms.to_dict(PATIENT_FIELDS, {k: v for k, v in form.items() if isinstance(v, str)})
    try:
        return PatientModel.from_dict(d).to_dict(), None
    except InputError as exc:
        return d, exc


def _form_page(web: Web, request, patient_id, values, error, status=200):
    return web.page(request, "patient_form.html", status, fields=PATIENT_FIELDS,
                    values=values, error=error, patient_id=patient_id,
                    error_field=forms.error_field(error.field) if error else None)


def register(app: FastAPI, web: Web) -> None:
    def form_page(request, patient_id, values, error, status=200):
        return _form_page(web, request, patient_id, values, error, status)

    @app.get("/patients", response_class=HTMLResponse)
    def patients(request: Request, page: int = 0):
        return _list(request, "", page)

    @app.post("/patients/search", response_class=HTMLResponse)
    async def search(request: Request):
        q = (await request.form()).get("q", "")
        return _list(request, q if isinstance(q, str) else "", 0)

    def _list(request: Request, q: str, page: int):
        require(request)
        with web.make_session() as db:
            where = Patient.name.ilike(f"%{q.strip()}%") if q.strip() else true()
            total = db.scalar(select(func.count()).select_from(Patient).where(where))
            rows = db.scalars(select(Patient).where(where).order_by(Patient.name, Patient.id)
                              .offset(max(page, 0) * PAGE).limit(PAGE)).all()
        return web.page(request, "patients.html", rows=rows, q=q, total=total, page=page,
                        pages=max(1, -(-int(total or 0) // PAGE)))

    @app.get("/patients/new", response_class=HTMLResponse)
    def new_patient(request: Request):
        require(request)
        return form_page(request, None, {f.name: f.default for f in PATIENT_FIELDS}, None)

    @app.post("/patients")
    async def create(request: Request):
        user = require(request)
        form = await request.form()
        data, error = _check(form)
        if error is not None:
            return form_page(request, None, dict(form), error, 422)
        with web.make_session() as db:
            p = Patient(name=data["name"], data=data)
            db.add(p)
            db.flush()
            audit(db, user, "create", "patient", p.id)
            db.commit()
            return RedirectResponse(f"/patients/{p.id}", 303)

    @app.get("/patients/{pid}", response_class=HTMLResponse)
    def show(request: Request, pid: int):
        user = require(request)
        with web.make_session() as db:
            p = _get(db, Patient, pid)
            plans = db.scalars(select(Plan).where(Plan.patient_id == pid)
                               .order_by(Plan.id.desc())).all()
            jobs = db.scalars(select(Job).where(Job.patient_id == pid, Job.status.in_(
                ("queued", "running", "failed"))).order_by(Job.id.desc()).limit(5)).all()
            audit(db, user, "view", "patient", pid)
            db.commit()
        return web.page(request, "patient.html", p=p, plans=plans, jobs=jobs)

    _changes(app, web)
    _plans(app, web)
    _jobs(app, web)
    _api(app, web)


def _changes(app: FastAPI, web: Web) -> None:
    def form_page(request, patient_id, values, error, status=200):
        return _form_page(web, request, patient_id, values, error, status)

    @app.get("/patients/{pid}/edit", response_class=HTMLResponse)
    def edit(request: Request, pid: int):
        require(request)
        with web.make_session() as db:
            p = _get(db, Patient, pid)
        return form_page(request, pid, forms.flatten(p.data), None)

    @app.post("/patients/{pid}")
    async def update(request: Request, pid: int):
        user = require(request)
        form = await request.form()
        data, error = _check(form)
        if error is not None:
            return form_page(request, pid, dict(form), error, 422)
        with web.make_session() as db:
            p = _get(db, Patient, pid)
            p.name, p.data = data["name"], data
            audit(db, user, "update", "patient", pid)
            db.commit()
        return RedirectResponse(f"/patients/{pid}", 303)

    @app.post("/patients/{pid}/delete")
    def delete(request: Request, pid: int):
        user = require(request)
        with web.make_session() as db:
            db.delete(_get(db, Patient, pid))  # its plans and jobs go with it (cascade)
            audit(db, user, "delete", "patient", pid)
            db.commit()
        return RedirectResponse("/patients", 303)

    @app.get("/patients/{pid}/export")
    def export(request: Request, pid: int):
        user = require(request)
        with web.make_session() as db:
            p = _get(db, Patient, pid)
            plans = db.scalars(select(Plan).where(Plan.patient_id == pid)).all()
            out = {"patient": p.data, "created_at": p.created_at.isoformat(),
                   "plans": [_plan_json(x) for x in plans], "exported_by": user.username,
                   "dermalase_version": __version__}
            audit(db, user, "export", "patient", pid)
            db.commit()
        return Response(json.dumps(out, indent=2), media_type="application/json", headers={
            "Content-Disposition": f'attachment; filename="patient-{pid}.json"'})


def _plan_json(x: Plan) -> dict:
    return {"id": x.id, "created_at": x.created_at.isoformat(), "created_by": x.created_by,
            "dermalase_version": x.version, "model_fingerprint": x.fingerprint,
            "patient": x.patient_data, "plan": x.plan}


def plan_work(patient_id: int, data: dict, username: str):
    """The job that plans a patient and stores the plan and its report as made."""
    def work(db, progress) -> int:
        from ..planner import plan as make_plan
        from ..planner.html import render
        from ..simulate.store import model_fingerprint

        result = make_plan(PatientModel.from_dict(data))
        progress(0.9)
        plan = Plan(patient_id=patient_id, created_by=username, version=__version__,
                    fingerprint=model_fingerprint(), patient_data=data, plan=result,
                    report=render(result))
        db.add(plan)
        db.commit()
        return plan.id
    return work


def _plans(app: FastAPI, web: Web) -> None:
    @app.post("/patients/{pid}/plans")
    def run_plan(request: Request, pid: int):
        user = require(request)
        with web.make_session() as db:
            p = _get(db, Patient, pid)
            job = Job(kind="plan", patient_id=pid, created_by=user.username)
            db.add(job)
            db.commit()
            web.runner.submit(job.id, plan_work(pid, p.data, user.username))
        return RedirectResponse(f"/jobs/{job.id}", 303)

    @app.get("/plans/{plan_id}", response_class=HTMLResponse)
    def show_plan(request: Request, plan_id: int, compare: int | None = None):
        user = require(request)
        with web.make_session() as db:
            x = _get(db, Plan, plan_id)
            other = _get(db, Plan, compare) if compare is not None else None
            older = db.scalars(select(Plan).where(Plan.patient_id == x.patient_id,
                                                  Plan.id != x.id)
                               .order_by(Plan.id.desc())).all()
            p = _get(db, Patient, x.patient_id)
            audit(db, user, "view", "plan", plan_id)
            db.commit()
        return web.page(request, "plan.html", x=x, p=p, other=other, older=older,
                        current=__version__)

    @app.get("/plans/{plan_id}/report", response_class=HTMLResponse)
    def report(request: Request, plan_id: int, download: bool = False):
        require(request)
        with web.make_session() as db:
            x = _get(db, Plan, plan_id)
        headers = {"Content-Security-Policy": REPORT_CSP}
        if download:
            headers["Content-Disposition"] = f'attachment; filename="plan-{plan_id}.html"'
        return HTMLResponse(x.report, headers=headers)

    @app.get("/plans/{plan_id}/json")
    def plan_json(request: Request, plan_id: int):
        require(request)
        with web.make_session() as db:
            return JSONResponse(_plan_json(_get(db, Plan, plan_id)))


def _jobs(app: FastAPI, web: Web) -> None:
    @app.get("/jobs/{job_id}", response_class=HTMLResponse)
    def job_page(request: Request, job_id: int):
        require(request)
        with web.make_session() as db:
            job = _get(db, Job, job_id)
        if job.status == "done":
            return RedirectResponse(_result_url(job), 303)
        return web.page(request, "job.html", job=job)

    @app.get("/jobs/{job_id}/status", response_class=HTMLResponse)
    def job_status(request: Request, job_id: int):
        require(request)
        with web.make_session() as db:
            job = _get(db, Job, job_id)
        if job.status == "done":  # htmx follows the header to the result
            return HTMLResponse("done", headers={"HX-Redirect": _result_url(job)})
        return web.page(request, "job_status.html", job=job)

    @app.get("/api/jobs/{job_id}")
    def job_api(request: Request, job_id: int):
        require(request)
        with web.make_session() as db:
            job = _get(db, Job, job_id)
        return {"id": job.id, "kind": job.kind, "status": job.status,
                "progress": job.progress, "error": job.error,
                "result": _result_url(job) if job.status == "done" else None}


def _result_url(job: Job) -> str:
    return f"/plans/{job.result_id}" if job.kind == "plan" else f"/simulations/{job.result_id}"


def _api(app: FastAPI, web: Web) -> None:
    @app.get("/api/patients")
    def api_patients(request: Request, page: int = 0):
        require(request)
        with web.make_session() as db:
            rows = db.scalars(select(Patient).order_by(Patient.id)
                              .offset(max(page, 0) * PAGE).limit(PAGE)).all()
        return [{"id": p.id, "name": p.name} for p in rows]

    @app.get("/api/patients/{pid}")
    def api_patient(request: Request, pid: int):
        user = require(request)
        with web.make_session() as db:
            p = _get(db, Patient, pid)
            audit(db, user, "view", "patient", pid)
            db.commit()
            return {"id": p.id, "patient": p.data}
