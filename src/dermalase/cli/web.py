"""``dermalase serve`` and ``dermalase users add``: thin commands over ``dermalase.web.serve``
(every option checked to one line naming it, exit 2)."""

from __future__ import annotations

import click

from .main import _fail, cli


def _web_module():
    try:
        from ..web import serve as module
    except ImportError as exc:
        _fail(f"serve: the web application needs its packages ({exc.name} is missing): "
              "pip install 'dermalase[web]'")
    return module


@cli.command()
@click.option("--host", default=None, help="Address to listen on (default DERMALASE_HOST, "
              "else 127.0.0.1: only this machine).")
@click.option("--port", type=click.IntRange(1, 65535), default=None,
              help="Port (default DERMALASE_PORT, else 8000).")
@click.option("--database-url", default=None, help="Database (default: DATABASE_URL, else "
              "SQLite in the data folder).")
@click.option("--ssl-certfile", default=None, help="TLS certificate (PEM), with --ssl-keyfile.")
@click.option("--ssl-keyfile", default=None, help="TLS private key (PEM).")
def serve(host: str | None, port: int | None, database_url: str | None,
          ssl_certfile: str | None, ssl_keyfile: str | None) -> None:
    """Run the web application (patients, plans, simulations) on http://HOST:PORT.

    Settings (see the README): DATABASE_URL, DERMALASE_DATA_DIR, DERMALASE_SECRET_KEY,
    DERMALASE_HOST, DERMALASE_PORT, DERMALASE_TIMEZONE, DERMALASE_SESSION_HOURS,
    DERMALASE_IDLE_MINUTES."""
    _web_module().serve(host, port, database_url, ssl_certfile, ssl_keyfile)


@cli.group()
def users() -> None:
    """Accounts of the web application."""


@users.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(("clinician", "admin")), default="clinician",
              show_default=True)
@click.option("--database-url", default=None)
def users_add(name: str, role: str, database_url: str | None) -> None:
    """Add an account (password from DERMALASE_PASSWORD, else asked for)."""
    _web_module().users_add(name, role, database_url)
