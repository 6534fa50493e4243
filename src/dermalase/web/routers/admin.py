"""The admin's pages: accounts (add, change role, disable, enable), live sessions (end them),
sign-in holds (lift them), the audit trail, and the trash (restore, purge)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select

from ...errors import InputError
from .. import security, throttle
from ..db import Audit, User, WebSession, now
from ..deps import DB, Admin, csrf, web
from ..services import NotFound, audit, get
from ..services import patients as patient_service

router = APIRouter(prefix="/admin", tags=["admin"], dependencies=[Depends(csrf)])


def _users_page(request: Request, db, status: int = 200, error=None, form=None):
    rows = db.scalars(select(User).order_by(User.username)).all()
    return web(request).page(request, "users.html", status, users=rows, error=error,
                             form=form or {})


@router.get("/users")
def users(request: Request, admin: Admin, db: DB):
    return _users_page(request, db)


@router.post("/users")
def add_user(request: Request, admin: Admin, db: DB, username: str = Form(""),
             password: str = Form(""), role: str = Form("clinician")):
    try:
        user = security.add_user(db, username, password, role)
    except InputError as exc:
        db.rollback()
        return _users_page(request, db, 422, exc, {"username": username, "role": role})
    audit(db, admin, "create", "account", user.id)
    db.commit()
    return RedirectResponse("/admin/users", 303)


@router.post("/users/{uid}")
def change_user(request: Request, uid: int, admin: Admin, db: DB, action: str = Form(""),
                role: str = Form("")):
    """Change an account's role, disable it or enable it; its sessions end (role, disable)."""
    user = get(db, User, uid)
    if action == "role":
        if role not in security.ROLES:
            return _users_page(request, db, 422, InputError("role", role, " or ".join(
                security.ROLES)))
        if user.id == admin.id and role != "admin":
            return _users_page(request, db, 422, InputError(
                "role", role, "another admin's act: an admin does not demote themself"))
        user.role = role
        security.end_sessions(db, user.id, "role changed")
    elif action == "disable":
        if user.id == admin.id:
            return _users_page(request, db, 422, InputError(
                "account", user.username, "another account: an admin does not disable "
                "themself"))
        user.disabled_at = now()
        security.end_sessions(db, user.id, "account disabled")
    elif action == "enable":
        user.disabled_at = None
    else:
        raise NotFound(f"no action {action!r}")
    audit(db, admin, action, "account", uid, role if action == "role" else None)
    db.commit()
    return RedirectResponse("/admin/users", 303)


@router.get("/sessions")
def sessions(request: Request, admin: Admin, db: DB):
    rows = security.live_sessions(db)
    return web(request).page(request, "sessions.html", rows=rows, holds=throttle.current(db),
                             ref=security.session_ref)


@router.post("/sessions/{ref}/end")
def end_session(request: Request, ref: str, admin: Admin, db: DB):
    for row, _name in security.live_sessions(db):
        if security.session_ref(row) == ref:
            live = db.get(WebSession, row.id)
            if live is not None:
                security.end(db, live, "ended by an admin")
            audit(db, admin, "end", "session", row.user_id)
            db.commit()
            return RedirectResponse("/admin/sessions", 303)
    raise NotFound("no such live session")


@router.post("/holds/lift")
def lift_hold(request: Request, admin: Admin, db: DB, key: str = Form("")):
    throttle.lift(db, key)
    audit(db, admin, "lift", "sign-in hold", 0, key.split(":", 1)[0])
    db.commit()
    return RedirectResponse("/admin/sessions", 303)


@router.get("/audit")
def audit_page(request: Request, admin: Admin, db: DB):
    rows = db.scalars(select(Audit).order_by(Audit.id.desc()).limit(500)).all()
    return web(request).page(request, "audit.html", rows=rows)


@router.get("/trash")
def trash(request: Request, admin: Admin, db: DB):
    return web(request).page(request, "trash.html", rows=patient_service.trash(db, admin))


@router.post("/trash/{pid}/restore")
def restore(pid: int, admin: Admin, db: DB):
    patient_service.restore(db, admin, pid)
    return RedirectResponse(f"/patients/{pid}", 303)


@router.get("/trash/{pid}/purge")
def purge_page(request: Request, pid: int, admin: Admin, db: DB):
    from ..db import Patient

    p = get(db, Patient, pid)
    if p.deleted_at is None:
        raise NotFound(f"patient {pid} is not in the trash")
    return web(request).page(request, "confirm.html", title="Purge for good",
                             what=f"patient record {pid} ({p.name})",
                             goes=patient_service.counts(db, pid),
                             action=f"/admin/trash/{pid}/purge", button="Purge for good",
                             back="/admin/trash", permanent=True)


@router.post("/trash/{pid}/purge")
def purge(request: Request, pid: int, admin: Admin, db: DB, confirm: str = Form("")):
    if confirm != "yes":
        return RedirectResponse(f"/admin/trash/{pid}/purge", 303)
    patient_service.purge(db, admin, pid)
    from ..services.outcomes import remove_orphan_photos

    remove_orphan_photos(db, web(request).settings.photos())  # the purged patient's files
    return RedirectResponse("/admin/trash", 303)
