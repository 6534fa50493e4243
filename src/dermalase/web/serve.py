"""What ``dermalase serve`` and ``dermalase users add`` do before the server runs: every option
checked to one line naming it (the database, the data folder, the TLS files, the address and
the port), the first account asked for on a fresh database, and prompts that end cleanly at the
end of their input (issue 30, items 8 and 10)."""

from __future__ import annotations

import errno
import getpass
import os
import socket
import sys

import click

from ..errors import InputError


def database_option(given: str | None) -> str:
    """The name of the option or variable the database came from, for messages."""
    if given:
        return "--database-url"
    if os.environ.get("DATABASE_URL"):
        return "DATABASE_URL"
    if os.environ.get("DERMALASE_DATABASE_URL"):
        return "DERMALASE_DATABASE_URL"
    return "data folder (DERMALASE_DATA_DIR, else XDG_DATA_HOME or ~/.local/share)"


def check_tls(certfile: str | None, keyfile: str | None) -> bool:
    """Whether TLS is on; a missing or unreadable file, or half of the pair, is refused."""
    if not certfile and not keyfile:
        return False
    if bool(certfile) != bool(keyfile):
        missing = "--ssl-keyfile" if certfile else "--ssl-certfile"
        raise InputError(missing, None, "both --ssl-certfile and --ssl-keyfile, or neither")
    for opt, path in (("--ssl-certfile", certfile), ("--ssl-keyfile", keyfile)):
        assert path is not None
        if not os.path.isfile(path) or not os.access(path, os.R_OK):
            raise InputError(opt, path, "an existing file this account can read")
    import ssl

    assert certfile is not None and keyfile is not None
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(certfile, keyfile)
    except (ssl.SSLError, OSError) as exc:
        why = getattr(exc, "reason", None) or type(exc).__name__
        raise InputError("--ssl-certfile", certfile, "a PEM certificate whose key is "
                         f"--ssl-keyfile ({why})") from None
    return True


def check_address(host: str, port: int) -> None:
    """The address resolves to one of this machine's and the port is free to listen on."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                   flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError, ValueError):
        raise InputError("--host", host, "an address of this machine, such as 127.0.0.1, "
                         "::1 or 0.0.0.0") from None
    family, kind, proto, _, addr = infos[0]
    with socket.socket(family, kind, proto) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            s.bind(addr)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise InputError("--port", port, f"a port no other program listens on at "
                                 f"{host} (this one is in use)") from None
            if exc.errno == errno.EACCES:
                raise InputError("--port", port, "a port this account may open (1024-65535 "
                                 "without root)") from None
            if exc.errno == errno.EADDRNOTAVAIL:
                raise InputError("--host", host, "an address of this machine, such as "
                                 "127.0.0.1 or 0.0.0.0") from None
            raise InputError("--host", host, f"an address to listen on ({exc.strerror})")\
                from None


def ask(label: str, hide: bool = False) -> str:
    """One answer typed at the prompt. The end of the input (Ctrl-D, a closed pipe) is one
    line naming what was asked; Ctrl-C is an interruption (exit 130)."""
    try:
        if hide and sys.stdin.isatty():
            return getpass.getpass(f"{label}: ")
        click.echo(f"{label}: ", nl=False)
        line = sys.stdin.readline()
        if not line:
            raise EOFError
        return line.rstrip("\r\n")
    except EOFError:
        click.echo("", err=True)
        raise InputError(label, "(end of input)", f"a {label} typed at the prompt; for a "
                         "script, give the password in DERMALASE_PASSWORD") from None
    except KeyboardInterrupt:
        raise click.exceptions.Abort() from None


def ask_password() -> str:
    first = ask("password", hide=True)
    if ask("repeat the password", hide=True) != first:
        raise InputError("password", "(hidden)", "the same password typed twice")
    return first


def first_account(make_session) -> None:
    """On a fresh database, ask for the first (admin) account when a person is at the
    terminal; otherwise say how to make one."""
    from sqlalchemy import func, select

    from .db import User
    from .security import add_user

    with make_session() as db:
        if db.scalar(select(func.count()).select_from(User)):
            return
        if not sys.stdin.isatty():
            click.echo("no account yet: create the first one with "
                       "'dermalase users add NAME --role admin'", err=True)
            return
        click.echo("no account yet: the first one is an admin")
        while True:
            name = ask("name")
            try:
                add_user(db, name, ask_password(), "admin")
                click.echo(f"added admin {name}")
                return
            except InputError as exc:
                db.rollback()
                click.echo(f"error: {exc}", err=True)


def serve(host: str | None, port: int | None, database_url: str | None,
          ssl_certfile: str | None, ssl_keyfile: str | None) -> None:
    """Check every option, open the database, ask for the first account, and serve."""
    import uvicorn

    from . import config, logs
    from .app import create_app

    os.umask(0o077)  # what the server writes (key, journals) only this account reads
    settings = config.load()
    host = host or settings.host
    port = port or settings.port
    tls = check_tls(ssl_certfile, ssl_keyfile)
    check_address(host, port)
    if host not in ("127.0.0.1", "localhost", "::1") and not tls:
        click.echo(f"warning: serving patient data on {host} without TLS: anyone on the "
                   "network can read it; give --ssl-certfile and --ssl-keyfile", err=True)
    app = create_app(database_url, https=tls, option=database_option(database_url))
    web = app.state.web
    first_account(web.make_session)
    scheme = "https" if tls else "http"
    click.echo(f"dermalase {scheme}://{host}:{port} (database: "
               f"{web.settings.url().split('://')[0]})")
    logs.setup()
    # no access log: the request log names routes and account ids, never patient data
    try:
        uvicorn.run(app, host=host, port=port, access_log=False, log_level="warning",
                    ssl_certfile=ssl_certfile, ssl_keyfile=ssl_keyfile)
    finally:
        web.close(wait=10.0)  # a longer job is taken back once its heartbeat is stale


def users_add(name: str, role: str, database_url: str | None) -> None:
    from . import config
    from .db import open_database, private_folder
    from .security import add_user

    os.umask(0o077)
    settings = config.load(database_url=database_url)
    option = database_option(database_url)
    if settings.database_url is None:
        private_folder(settings.data_dir, option)
    make = open_database(settings.url(), option)
    try:
        password = os.environ.get("DERMALASE_PASSWORD") or ask_password()
        with make() as db:
            add_user(db, name, password, role)
    finally:
        make.kw["bind"].dispose()
    click.echo(f"added {role} {name}")
