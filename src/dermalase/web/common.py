"""What the web application's routes share: the context object, the access checks, the
audit record, the Content-Security-Policy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session, sessionmaker

from .._version import __version__
from . import security
from .db import Audit, User
from .jobs import Runner

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
#: the stored plan report carries its own inline style (it is also a standalone file)
REPORT_CSP = CSP.replace("style-src 'self'", "style-src 'unsafe-inline'").replace(
    "frame-ancestors 'none'", "frame-ancestors 'self'")


class LoginRequired(Exception):
    pass


class Forbidden(Exception):
    pass


@dataclass
class Web:
    """What the routes share: the session factory, the job runner, the templates."""

    make_session: sessionmaker
    runner: Runner
    templates: Jinja2Templates

    def page(self, request: Request, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
        ctx.update(request=request, user=request.state.user, version=__version__,
                   csrf=security.csrf_token(request.session))
        resp = self.templates.TemplateResponse(request, name, ctx, status_code=status)
        return resp

    def close(self) -> None:
        """Wait for the running job, then close the database connections."""
        self.runner.shutdown()
        bind = self.make_session.kw["bind"]
        bind.dispose()


def require(request: Request, role: str | None = None) -> User:
    user = request.state.user
    if user is None:
        raise LoginRequired()
    if role is not None and user.role != role:
        raise Forbidden()
    return user


def audit(db: Session, user: User, action: str, obj: str, obj_id: int) -> None:
    db.add(Audit(username=user.username, action=action, obj=obj, obj_id=obj_id))
