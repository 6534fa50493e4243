"""Signing in and out, and one's own account (password)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse

from ...errors import InputError
from .. import security, throttle
from ..common import DEVICE_COOKIE, PRE_COOKIE, SESSION_COOKIE
from ..db import User
from ..deps import DB, User_, csrf, optional_user, web

router = APIRouter(tags=["auth"], dependencies=[Depends(csrf)])
#: a trusted-browser cookie lasts a year (s)
DEVICE_SECONDS = 365 * 86400


def _address(request: Request) -> str:
    return request.client.host if request.client else "?"


def _signed_in(request: Request, db, user: User, to: str = "/patients") -> RedirectResponse:
    w = web(request)
    token = security.start_session(db, user, w.settings.session_hours, _address(request))
    resp = RedirectResponse(to, 303)
    w.set_cookie(resp, SESSION_COOKIE, token, int(w.settings.session_hours * 3600))
    w.set_cookie(resp, DEVICE_COOKIE, security.device_cookie(w.secret, user.username),
                 DEVICE_SECONDS)
    resp.delete_cookie(PRE_COOKIE, path="/")
    return resp


@router.get("/login")
def login_page(request: Request, user: Annotated[User | None, Depends(optional_user)]):
    if user is not None:
        return RedirectResponse("/patients", 303)
    return web(request).page(request, "login.html", error=None, username="")


@router.post("/login")
def login(request: Request, db: DB, username: str = Form(""), password: str = Form("")):
    w = web(request)
    name = security.normal_name(username)[:200]
    device = security.device_id(w.secret, request.cookies.get(DEVICE_COOKIE), name)
    pairs = throttle.keys(_address(request), name, device)
    hold = throttle.held(db, pairs)
    if hold is not None:
        return w.page(request, "login.html", 429, username=username, error=hold.message())
    user = security.authenticate(db, name, password[:security.MAX_PASSWORD])
    if user is None:
        throttle.failed(db, pairs)
        return w.page(request, "login.html", 401, username=username,
                      error="wrong name or password (or the account is disabled)")
    throttle.passed(db, pairs)
    return _signed_in(request, db, user)


@router.post("/logout")
def logout(request: Request, db: DB):
    row = getattr(request.state, "session", None)
    if row is not None:
        security.end(db, db.merge(row), "signed out")
    resp = RedirectResponse("/login", 303)
    resp.delete_cookie(SESSION_COOKIE, path="/")
    return resp


@router.get("/")
def home(user: User_):
    return RedirectResponse("/patients", 303)


@router.get("/account")
def account(request: Request, user: User_, db: DB, changed: int = 0):
    return web(request).page(request, "account.html", error=None, done=bool(changed))


@router.post("/account")
def change_password(request: Request, user: User_, db: DB, current: str = Form(""),
                    new: str = Form("")):
    w = web(request)
    me = db.get(User, user.id)
    if me is None or not security.check_password(me.password_hash, current):
        return w.page(request, "account.html", 403, done=False,
                      error="the current password is wrong")
    try:
        security.check_password_rules(new, "new password")
    except InputError as exc:
        return w.page(request, "account.html", 422, done=False, error=str(exc))
    me.password_hash = security.hash_password(new)
    db.commit()
    # every session of the account ends (a copied cookie with them); this browser gets a new one
    security.end_sessions(db, me.id, "password changed")
    return _signed_in(request, db, me, "/account?changed=1")
