"""What the routers share: the application's state (settings, database, job worker,
templates), page rendering with the CSRF token, the Content-Security-Policy, and the Jinja
filters that show times in the clinic's zone and quantities in clinical units."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import sessionmaker

from .._version import __version__
from . import security
from .config import Settings
from .db import aware
from .jobs import Worker

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
#: the stored plan report carries its own inline style (it is also a standalone file)
REPORT_CSP = CSP.replace("style-src 'self'", "style-src 'unsafe-inline'")
SESSION_COOKIE = "dermalase_session"
PRE_COOKIE = "dermalase_pre"
DEVICE_COOKIE = "dermalase_device"


class LoginRequired(Exception):
    pass


@dataclass
class Web:
    """What the routers share."""

    settings: Settings
    make_session: sessionmaker
    worker: Worker
    templates: Jinja2Templates
    secret: str
    https: bool = False

    @property
    def runner(self) -> Worker:  # the earlier name, kept for scripts
        return self.worker

    def csrf(self, request: Request) -> tuple[str, str | None]:
        """The CSRF token of this request's session (or pre-session), and a new pre-session
        cookie to set when the browser has none."""
        cookie = getattr(request.state, "token", None) or request.cookies.get(PRE_COOKIE)
        fresh = None
        if not cookie or len(cookie) > 100:
            cookie = fresh = secrets.token_urlsafe(32)
        return security.csrf_for(self.secret, cookie), fresh

    def page(self, request: Request, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
        token, fresh = self.csrf(request)
        ctx.update(request=request, user=getattr(request.state, "user", None),
                   version=__version__, csrf=token, zone=self.settings.timezone)
        resp = self.templates.TemplateResponse(request, name, ctx, status_code=status)
        if fresh:
            self.set_cookie(resp, PRE_COOKIE, fresh, None)
        return resp

    def set_cookie(self, resp, name: str, value: str, max_age: int | None) -> None:
        resp.set_cookie(name, value, max_age=max_age, httponly=True, samesite="strict",
                        secure=self.https, path="/")

    def close(self, wait: float = 600.0) -> None:
        """Let the running job finish (within ``wait`` s), then close the connections."""
        self.worker.shutdown(wait)
        self.make_session.kw["bind"].dispose()


def make_templates(settings: Settings, directory: str) -> Jinja2Templates:
    from ..planner.plan import format_days

    templates = Jinja2Templates(directory=directory)
    zone = settings.zone

    def when(t: datetime | None, fmt: str = "%Y-%m-%d %H:%M %Z") -> str:
        return "" if t is None else aware(t).astimezone(zone).strftime(fmt)

    def day(t: date | datetime | None) -> str:
        if t is None:
            return ""
        if isinstance(t, datetime):
            return aware(t).astimezone(zone).strftime("%Y-%m-%d")
        return t.isoformat()

    templates.env.filters.update(days=format_days, when=when, day=day, num=number,
                                 units=pretty_units, qty=quantity_text)
    return templates


def number(v: Any, digits: int = 3) -> str:
    """A model number as shown: ``digits`` significant figures (the model's own precision is
    about 1 %: the grid's cells and the sourced properties), never more; integers as they are."""
    if v is None:
        return "–"
    if isinstance(v, bool) or isinstance(v, str):
        return str(v)
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        if v != v:  # NaN never reaches a page as a number
            return "–"
        r = float(f"{v:.{digits}g}")
        if r == int(r) and abs(r) < 1e15:
            return f"{int(r):,}"
        return f"{r:,.6f}".rstrip("0").rstrip(".") if abs(r) >= 1e-3 else f"{r:g}"
    if isinstance(v, list):
        return "–".join(number(x, digits) for x in v)
    return str(v)


_PRETTY = [(re.compile(r"\^2\b"), "²"), (re.compile(r"\^3\b"), "³"),
           (re.compile(r"(?<=\d )um\b"), "µm"), (re.compile(r"(?<=\d )us\b"), "µs"),
           (re.compile(r"(?<=\d)um\b"), "µm"), (re.compile(r"(?<=\d)us\b"), "µs")]


def pretty_units(text: object) -> str:
    """Units as a clinician writes them: J/cm², µm, µs (the files' ASCII spellings)."""
    out = str(text)
    for pattern, repl in _PRETTY:
        out = pattern.sub(repl, out)
    return out


_LEADING = re.compile(r"^\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(.*)$", re.S)


def quantity_text(text: object) -> str:
    """A value with its unit ("71.127 um") at the model's precision, in clinical spelling
    ("71.1 µm"); other text as it is."""
    m = _LEADING.match(str(text))
    if not m:
        return pretty_units(text)
    return pretty_units(number(float(m.group(1))) + m.group(2))
