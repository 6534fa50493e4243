"""Signing in and out; the admin's pages (accounts, audit trail)."""

from __future__ import annotations

from fastapi import FastAPI, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select

from ..errors import InputError
from . import security
from .common import Web, require
from .db import Audit, User


def register(app: FastAPI, web: Web) -> None:
    @app.get("/login")
    def login_page(request: Request):
        return web.page(request, "login.html", error=None, username="")

    @app.post("/login")
    def login(request: Request, username: str = Form(""), password: str = Form(""),
              csrf_token: str = Form("")):
        if not security.csrf_ok(request.session, csrf_token):
            return web.page(request, "login.html", 403, username=username,
                            error="the form expired: try again")
        with web.make_session() as db:
            user = security.authenticate(db, username, password)
        if user is None:
            return web.page(request, "login.html", 401, username=username,
                            error="wrong name or password")
        request.session.clear()  # a new session on sign-in (no fixation)
        request.session["user_id"] = user.id
        security.csrf_token(request.session)
        return RedirectResponse("/patients", 303)

    @app.post("/logout")
    def logout(request: Request):
        request.session.clear()
        return RedirectResponse("/login", 303)

    @app.get("/")
    def home(request: Request):
        require(request)
        return RedirectResponse("/patients", 303)

    @app.get("/admin/users")
    def users(request: Request):
        require(request, "admin")
        with web.make_session() as db:
            rows = db.scalars(select(User).order_by(User.username)).all()
        return web.page(request, "users.html", users=rows, error=None, form={})

    @app.post("/admin/users")
    def add_user(request: Request, username: str = Form(""), password: str = Form(""),
                 role: str = Form("clinician")):
        require(request, "admin")
        with web.make_session() as db:
            try:
                security.add_user(db, username, password, role)
            except InputError as exc:
                rows = db.scalars(select(User).order_by(User.username)).all()
                return web.page(request, "users.html", 422, users=rows, error=exc,
                                form={"username": username, "role": role})
        return RedirectResponse("/admin/users", 303)

    @app.get("/admin/audit")
    def audit_page(request: Request):
        require(request, "admin")
        with web.make_session() as db:
            rows = db.scalars(select(Audit).order_by(Audit.id.desc()).limit(500)).all()
        return web.page(request, "audit.html", rows=rows)
