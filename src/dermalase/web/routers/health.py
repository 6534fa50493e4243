"""``/healthz``: the server answers and its database does (for a monitor or a load balancer;
no sign-in, no data)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from ..._version import __version__
from ..deps import DB

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz(db: DB):
    try:
        db.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure of the database is "down"
        return JSONResponse({"status": "error", "database": type(exc).__name__}, 503)
    return {"status": "ok", "database": "ok", "version": __version__}
