"""The web application: ``create_app()`` builds it (FastAPI, server-rendered Jinja2 pages, htmx
vendored under /static); ``dermalase serve`` runs it with uvicorn on 127.0.0.1:8000.

Security for patient data: accounts with argon2 hashes, a signed HttpOnly session cookie, a CSRF
token on every state-changing request, roles (clinician, admin), a request size limit, a
Content-Security-Policy without inline script, every page escaped by Jinja2's autoescape, an
audit trail of who created, viewed, changed, exported or deleted a patient (ids only), and no
patient data in URLs that a log would keep (searches are posted, not put in the query).
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import parse_qs

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from .._version import __version__
from ..planner.plan import format_days
from . import security
from .common import CSP, Forbidden, LoginRequired, Web
from .db import User, data_dir, default_url, sessions
from .jobs import Runner, fail_interrupted

HERE = Path(__file__).parent
#: largest request body accepted (bytes): a patient form is a few kB, a scenario less
MAX_BODY = 256 * 1024
#: session lifetime (s): one clinic day
SESSION_SECONDS = 8 * 3600


class BodyLimit:
    """413 for a request body over ``limit`` bytes (declared or streamed)."""

    def __init__(self, app: ASGIApp, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.limit):
            await _too_large(send, self.limit)
            return
        seen = 0

        async def counted():
            nonlocal seen
            msg = await receive()
            seen += len(msg.get("body", b""))
            if seen > self.limit:
                raise _TooLarge()
            return msg

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await _too_large(send, self.limit)


class _TooLarge(Exception):
    pass


async def _too_large(send: Send, limit: int) -> None:
    body = f"request too large: at most {limit:,} bytes".encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def create_app(database_url: str | None = None, *, secret: str | None = None,
               https: bool = False, max_body: int = MAX_BODY) -> FastAPI:
    """The application on ``database_url`` (default: ``DATABASE_URL`` or SQLite in the user's
    data directory), migrated to the latest schema before it serves."""
    make_session = sessions(database_url or default_url())
    fail_interrupted(make_session)
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.filters["days"] = format_days
    web = Web(make_session, Runner(make_session), templates)
    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        yield
        web.close()

    app = FastAPI(title="dermalase", version=__version__, docs_url=None, redoc_url=None,
                  openapi_url="/api/openapi.json", lifespan=lifespan)
    app.state.web = web

    @app.middleware("http")
    async def load_user(request: Request, call_next):
        request.state.user = _current_user(web, request)
        if request.method in ("POST", "PUT", "PATCH", "DELETE") \
                and request.url.path != "/login":
            sent = request.headers.get("x-csrf-token")
            if sent is None and request.headers.get("content-type", "").startswith(
                    "application/x-www-form-urlencoded"):  # the body is kept for the route
                form = parse_qs((await request.body()).decode("utf-8", "replace"))
                sent = next(iter(form.get("csrf_token", [])), None)
            if not security.csrf_ok(request.session, sent):
                return Response("CSRF token missing or wrong: reload the page", 403,
                                media_type="text/plain")
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Cache-Control"] = "no-store"
        return response

    app.add_middleware(SessionMiddleware, secret_key=secret or security.secret_key(data_dir()),
                       max_age=SESSION_SECONDS, same_site="strict", https_only=https,
                       session_cookie="dermalase_session")
    app.add_middleware(BodyLimit, limit=max_body)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired):
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": "sign in first"}, 401)
        return RedirectResponse("/login", 303)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden):
        return Response("forbidden: this needs the admin role", 403, media_type="text/plain")

    from . import routes_auth, routes_patients, routes_sim

    for module in (routes_auth, routes_patients, routes_sim):
        module.register(app, web)
    return app


def _current_user(web: Web, request: Request) -> User | None:
    uid = request.session.get("user_id")
    if uid is None:
        return None
    with web.make_session() as db:
        return db.get(User, uid)
