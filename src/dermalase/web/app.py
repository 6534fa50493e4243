"""The web application: ``create_app()`` builds it (FastAPI, one APIRouter per area, server-
rendered Jinja2 pages, htmx vendored under /static); ``dermalase serve`` runs it with uvicorn.

Security for patient data: accounts with argon2 hashes; sessions kept in the database and
revocable (``security``); sign-in failures held back by address and by name without locking the
real user out (``throttle``); a CSRF token on every state-changing request; roles (clinician,
admin); a request size limit; a Content-Security-Policy without inline script; every page
escaped by Jinja2's autoescape; the data folder 0700 and the SQLite file 0600; an audit trail of
every read, export and change of patient data (ids only); no patient data in URLs or logs.
"""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from .._version import __version__
from . import config, security
from .common import CSP, LoginRequired, Web, make_templates
from .db import open_database, private_folder
from .deps import CSRFError, load_user
from .jobs import Worker
from .logs import request_log
from .services import Forbidden, NotFound

HERE = Path(__file__).parent
#: largest request body accepted (bytes): a patient form is a few kB, a scenario less
MAX_BODY = 256 * 1024


#: the routes that take a photograph (their body may reach the photograph limit)
UPLOADS = re.compile(r"^/(treatments|follow-ups)/\d{1,10}/(follow-ups|photos)$")


class BodyLimit:
    """413 for a request body over ``limit`` bytes (declared or streamed); a POST to an
    upload route (:data:`UPLOADS`) may carry ``upload_limit`` bytes."""

    def __init__(self, app: ASGIApp, limit: int, upload_limit: int | None = None):
        self.app, self.limit = app, limit
        self.upload_limit = max(upload_limit or limit, limit)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.upload_limit if scope.get("method") == "POST" and \
            UPLOADS.match(scope.get("path", "")) else self.limit
        await self._limited(scope, receive, send, limit)

    async def _limited(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            await _too_large(send, limit)
            return
        seen = 0

        async def counted():
            nonlocal seen
            msg = await receive()
            seen += len(msg.get("body", b""))
            if seen > limit:
                raise _TooLarge()
            return msg

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await _too_large(send, limit)


class _TooLarge(Exception):
    pass


async def _too_large(send: Send, limit: int) -> None:
    body = f"request too large: at most {limit:,} bytes".encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def create_app(database_url: str | None = None, *, secret: str | None = None,
               https: bool = False, max_body: int | None = None,
               option: str | None = None, **settings_given) -> FastAPI:
    """The application on ``database_url`` (default: the settings', see ``web.config``),
    migrated to the latest schema before it serves. ``option`` names where the URL came from
    in error messages (``--database-url``); other keyword arguments are settings."""
    settings = config.load(database_url=database_url, secret_key=secret, max_body=max_body,
                           **settings_given)
    if option is None:
        option = "--database-url" if database_url else "DATABASE_URL"
    if settings.secret_key is None or settings.database_url is None:
        private_folder(settings.data_dir, "DERMALASE_DATA_DIR (the data folder)")
    make_session = open_database(settings.url(), option)
    from .services import outcomes, plans, simulations

    worker = Worker(make_session, {"plan": plans.make, "simulate": simulations.run,
                                   "predict": outcomes.predict_job,
                                   "calibrate": outcomes.calibrate_job},
                    heartbeat_seconds=settings.heartbeat_seconds,
                    stale_seconds=settings.stale_seconds)
    web = Web(settings, make_session, worker, make_templates(settings, str(HERE / "templates")),
              security.secret_key(settings.data_dir, settings.secret_key), https)

    app = FastAPI(title="dermalase", version=__version__, docs_url=None, redoc_url=None,
                  openapi_url="/api/openapi.json")
    app.state.web = web

    @app.middleware("http")
    async def headers_and_log(request: Request, call_next):
        start = time.perf_counter()
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Cache-Control"] = "no-store"
        route = request.scope.get("route")
        if not request.url.path.startswith("/static/"):
            user = getattr(request.state, "user", None)
            request_log.info("request", extra={
                "method": request.method, "route": getattr(route, "path", "(none)"),
                "status": response.status_code,
                "ms": round((time.perf_counter() - start) * 1e3, 1),
                "user_id": getattr(user, "id", None)})
        return response

    app.add_middleware(BodyLimit, limit=settings.max_body,
                       upload_limit=settings.photo_max_bytes + 64 * 1024)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    _errors(app, web)

    from . import routers

    for router in routers.ALL:
        app.include_router(router)
    return app


def _api(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/healthz"


def _errors(app: FastAPI, web: Web) -> None:
    """Errors as pages (with the navigation) for a person, JSON for /api/."""

    def error_page(request: Request, status: int, title: str, message: str) -> Response:
        if _api(request):
            return JSONResponse({"error": message}, status)
        if not hasattr(request.state, "user"):
            with web.make_session() as db:
                load_user(request, db)
        return web.page(request, "error.html", status, title=title, message=message,
                        code=status)

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired):
        if _api(request):
            return JSONResponse({"error": "sign in first"}, 401)
        return RedirectResponse("/login", 303)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden):
        return error_page(request, 403, "Not allowed", str(exc) or "not allowed")

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, exc: NotFound):
        return error_page(request, 404, "Not found", str(exc))

    @app.exception_handler(CSRFError)
    async def _csrf(request: Request, exc: CSRFError):
        return error_page(request, 403, "The form expired",
                          "CSRF token missing or wrong: reload the page and send it again")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        titles = {404: "Not found", 405: "Not allowed here", 403: "Not allowed",
                  422: "Not accepted"}
        detail = exc.detail if isinstance(exc.detail, str) else "error"
        if exc.status_code == 404 and detail == "Not Found":
            detail = "no such page"
        return error_page(request, exc.status_code, titles.get(exc.status_code, "Error"),
                          detail)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        errs = exc.errors()
        first = errs[0] if errs else {}
        loc = ".".join(str(x) for x in first.get("loc", ())[1:]) or "request"
        if first.get("loc", ("",))[0] == "path":  # /patients/abc, /plans/99999999999999999999
            return error_page(request, 404, "Not found", f"no such record ({loc})")
        return error_page(request, 422, "Not accepted",
                          f"{loc}: {first.get('msg', 'not accepted')}")

    logging.getLogger("dermalase.web").debug("error handlers ready")
