"""Signing in and out; the admin's pages (accounts, audit trail)."""

from __future__ import annotations

import time

from fastapi import FastAPI, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select

from ..errors import InputError
from . import security
from .common import Web, require
from .db import Audit, User

#: failed sign-ins allowed per name within LOCK_SECONDS before that name is locked for the
#: rest of the window (OWASP Authentication Cheat Sheet: throttle repeated failures)
MAX_FAILURES = 5
LOCK_SECONDS = 15 * 60


class Throttle:
    """Failed sign-ins per name, in memory (one clinic server)."""

    def __init__(self) -> None:
        self.failures: dict[str, list[float]] = {}

    def locked(self, name: str) -> bool:
        now = time.monotonic()
        recent = [t for t in self.failures.get(name, []) if now - t < LOCK_SECONDS]
        self.failures[name] = recent
        return len(recent) >= MAX_FAILURES

    def failed(self, name: str) -> None:
        self.failures.setdefault(name, []).append(time.monotonic())

    def passed(self, name: str) -> None:
        self.failures.pop(name, None)


def register(app: FastAPI, web: Web) -> None:
    throttle = Throttle()
    app.state.throttle = throttle

    @app.get("/login")
    def login_page(request: Request):
        return web.page(request, "login.html", error=None, username="")

    @app.post("/login")
    def login(request: Request, username: str = Form(""), password: str = Form(""),
              csrf_token: str = Form("")):
        if not security.csrf_ok(request.session, csrf_token):
            return web.page(request, "login.html", 403, username=username,
                            error="the form expired: try again")
        if throttle.locked(username):
            return web.page(request, "login.html", 429, username=username,
                            error=f"too many failed sign-ins for this name: wait "
                                  f"{LOCK_SECONDS // 60} minutes")
        with web.make_session() as db:
            user = security.authenticate(db, username, password)
        if user is None:
            throttle.failed(username)
            return web.page(request, "login.html", 401, username=username,
                            error="wrong name or password")
        throttle.passed(username)
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

    _account(app, web)
    _admin(app, web)


def _account(app: FastAPI, web: Web) -> None:
    @app.get("/account")
    def account(request: Request):
        require(request)
        return web.page(request, "account.html", error=None, done=False)

    @app.post("/account")
    def change_password(request: Request, current: str = Form(""), new: str = Form("")):
        user = require(request)
        with web.make_session() as db:
            me = db.get(User, user.id)
            if me is None or not security.check_password(me.password_hash, current):
                return web.page(request, "account.html", 403, done=False,
                                error="the current password is wrong")
            if len(new) < security.MIN_PASSWORD:
                return web.page(request, "account.html", 422, done=False,
                                error=f"the new password needs at least "
                                      f"{security.MIN_PASSWORD} characters")
            me.password_hash = security.hash_password(new)
            db.commit()
        return web.page(request, "account.html", error=None, done=True)


def _admin(app: FastAPI, web: Web) -> None:
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
