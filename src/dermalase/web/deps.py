"""FastAPI dependencies: the database session of a request, the signed-in account, the admin
role, and the CSRF check of every state-changing request."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from . import security
from .common import PRE_COOKIE, SESSION_COOKIE, LoginRequired, Web
from .db import User
from .services import Forbidden


def web(request: Request) -> Web:
    return request.app.state.web


def database(request: Request) -> Iterator[Session]:
    """One session per request, closed afterwards."""
    with web(request).make_session() as db:
        yield db


DB = Annotated[Session, Depends(database)]


def load_user(request: Request, db: Session) -> User | None:
    """The account of the request's session cookie (kept on ``request.state``)."""
    if hasattr(request.state, "user"):
        return request.state.user
    w = web(request)
    found = security.session_user(db, request.cookies.get(SESSION_COOKIE),
                                  w.settings.idle_minutes)
    request.state.user = found[1] if found else None
    request.state.session = found[0] if found else None
    request.state.token = request.cookies.get(SESSION_COOKIE) if found else None
    return request.state.user


def optional_user(request: Request, db: DB) -> User | None:
    return load_user(request, db)


def current_user(request: Request, db: DB) -> User:
    user = load_user(request, db)
    if user is None:
        raise LoginRequired()
    return user


def admin_user(user: Annotated[User, Depends(current_user)]) -> User:
    if user.role != "admin":
        raise Forbidden("this page needs the admin role")
    return user


async def csrf(request: Request, db: DB) -> None:
    """Every POST, PUT, PATCH and DELETE echoes the token of its session (a form field, or
    the ``X-CSRF-Token`` header that htmx and scripts send), else 403."""
    if request.method not in ("POST", "PUT", "PATCH", "DELETE"):
        return
    load_user(request, db)
    sent = request.headers.get("x-csrf-token")
    if sent is None:
        ctype = request.headers.get("content-type", "")
        if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            v = (await request.form()).get("csrf_token")
            sent = v if isinstance(v, str) else None
    cookie = getattr(request.state, "token", None) or request.cookies.get(PRE_COOKIE)
    if not security.csrf_ok(web(request).secret, cookie, sent):
        raise CSRFError()


class CSRFError(Exception):
    """The form's token is missing or belongs to another session."""


User_ = Annotated[User, Depends(current_user)]
Admin = Annotated[User, Depends(admin_user)]
