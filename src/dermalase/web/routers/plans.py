"""Plans (queued, shown, compared, the printable report, the PDF, the JSON) and the job
pages."""

from __future__ import annotations

from datetime import date, datetime

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from ..._version import __version__
from ...errors import InputError
from ..common import REPORT_CSP
from ..db import Job
from ..deps import DB, User_, csrf, web
from ..services import NotFound, get
from ..services import plans as service
from ..services.patients import age
from ..services.plan_json import concern_plans, to_json

router = APIRouter(tags=["plans"], dependencies=[Depends(csrf)])


@router.post("/patients/{pid}/plans")
def run_plan(request: Request, pid: int, user: User_, db: DB):
    job_id = service.queue(db, web(request).worker, user, pid)
    return RedirectResponse(f"/jobs/{job_id}", 303)


@router.get("/plans/{plan_id}")
def show_plan(request: Request, plan_id: int, user: User_, db: DB, compare: int | None = None):
    from ..services import documents as docs

    x, p = service.read(db, user, plan_id)
    other = None
    if compare is not None:
        other, p2 = service.read(db, user, compare)
        if p2.id != p.id:
            raise NotFound(f"plan {compare} is another patient's")
    w = web(request)
    today = datetime.now(w.settings.zone).date()
    plan = x.plan or {}
    return w.page(request, "plan.html", x=x, p=p, other=other,
                  older=service.others(db, x), current=__version__,
                  plans=concern_plans(x.plan),
                  other_plans=concern_plans(other.plan) if other else [],
                  figures=service.figures(x.report), age=age(p.date_of_birth),
                  face_map=docs.face_map(plan, f"facemap-{x.id}"),
                  first=docs.default_first(plan, today),
                  first_range=docs.first_session_range(today),
                  has_sessions=docs.has_sessions(plan))


def _first(request: Request, text: str | None) -> date | None:
    """The first session's date from the query (field ``first_session``; None: empty, the
    plan's default); InputError names the field, the value and the dates allowed."""
    from ..services.documents import first_session

    return first_session(text, datetime.now(web(request).settings.zone).date())


def _bad_date(request: Request, exc: InputError) -> Response:
    return web(request).page(request, "error.html", 422, title="Date not accepted",
                             message=str(exc), code=422)


@router.get("/plans/{plan_id}/report", response_class=HTMLResponse)
def report(plan_id: int, user: User_, db: DB, download: bool = False):
    x, _ = service.read(db, user, plan_id, "export" if download else "report")
    headers = {"Content-Security-Policy": REPORT_CSP}
    if download:
        headers["Content-Disposition"] = f'attachment; filename="plan-{plan_id}.html"'
    return HTMLResponse(x.report, headers=headers)


@router.get("/plans/{plan_id}/plan.pdf")
def pdf(request: Request, plan_id: int, user: User_, db: DB, first_session: str | None = None):
    from ..services.documents import PDFUnavailable, plan_pdf

    try:
        first = _first(request, first_session)
    except InputError as exc:
        return _bad_date(request, exc)
    x, p = service.read(db, user, plan_id, "pdf")
    w = web(request)
    try:
        body = plan_pdf(w.templates, x, p, w.settings.zone, user.username, first)
    except PDFUnavailable as exc:
        return w.page(request, "error.html", 503, title="PDF not available here",
                      message=str(exc), code=503)
    return Response(body, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="plan-{plan_id}.pdf"'})


@router.get("/plans/{plan_id}/sessions.ics")
def sessions_ics(request: Request, plan_id: int, user: User_, db: DB,
                 first_session: str | None = None):
    """The calendar of the plan's sessions (and the care days before each) from the first
    session's date the user chose."""
    from ..services import documents as docs

    try:
        first = _first(request, first_session)
    except InputError as exc:
        return _bad_date(request, exc)
    x, _ = service.read(db, user, plan_id, "calendar")
    plan = x.plan or {}
    if not docs.has_sessions(plan):
        raise NotFound(f"plan {plan_id} has no session to put in a calendar: it recommends no "
                       "treatment yet")
    if first is None:
        first = docs.default_first(plan, datetime.now(web(request).settings.zone).date())
    return Response(docs.calendar(plan, first), media_type="text/calendar; charset=utf-8",
                    headers={"Content-Disposition":
                             f'attachment; filename="plan-{plan_id}-sessions.ics"'})


@router.get("/plans/{plan_id}/json")
def plan_json(plan_id: int, user: User_, db: DB):
    x, _ = service.read(db, user, plan_id, "api-view")
    return JSONResponse(to_json(x))


def _result_url(job: Job) -> str:
    return {"plan": f"/plans/{job.result_id}", "predict": f"/treatments/{job.result_id}",
            "calibrate": "/outcomes/calibration"}.get(job.kind,
                                                       f"/simulations/{job.result_id}")


@router.get("/jobs/{job_id}", response_class=HTMLResponse)
def job_page(request: Request, job_id: int, user: User_, db: DB):
    job = get(db, Job, job_id)
    if job.status == "done":
        return RedirectResponse(_result_url(job), 303)
    return web(request).page(request, "job.html", job=job)


@router.get("/jobs/{job_id}/status", response_class=HTMLResponse)
def job_status(request: Request, job_id: int, user: User_, db: DB):
    job = get(db, Job, job_id)
    if job.status == "done":  # htmx follows the header to the result
        return HTMLResponse("done", headers={"HX-Redirect": _result_url(job)})
    return web(request).page(request, "job_status.html", job=job)


@router.get("/api/jobs/{job_id}")
def job_api(job_id: int, user: User_, db: DB):
    job = get(db, Job, job_id)
    return {"id": job.id, "kind": job.kind, "status": job.status, "progress": job.progress,
            "error": job.error, "result": _result_url(job) if job.status == "done" else None}
