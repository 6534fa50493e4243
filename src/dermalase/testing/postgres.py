"""A real PostgreSQL server for the tests and benchmarks, started from the installed binaries
(Debian's ``postgresql`` package: ``make postgres`` installs it when missing) in a temporary
folder, listening on 127.0.0.1 only, and stopped afterwards. As root it runs as the
``postgres`` system user (PostgreSQL refuses to run as root)."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def binaries() -> Path | None:
    """The folder holding initdb and pg_ctl, or None."""
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(found).resolve().parent
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(folder, "initdb").exists():
            return Path(folder)
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``with Server() as url:`` a PostgreSQL URL to a fresh server's ``postgres`` database."""

    def __init__(self) -> None:
        self.bin = binaries()
        if self.bin is None:
            raise RuntimeError("PostgreSQL is not installed (make postgres installs Debian's)")
        self.folder = Path(tempfile.mkdtemp(prefix="dermalase-pg-"))
        self.port = _free_port()
        self.user: str | None = "postgres" if os.geteuid() == 0 else None

    def _run(self, *args: str) -> None:
        assert self.bin is not None
        cmd = [str(self.bin / args[0]), *args[1:]]
        if self.user:
            cmd = ["runuser", "-u", self.user, "--", *cmd]
        subprocess.run(cmd, check=True, capture_output=True, timeout=120)

    def __enter__(self) -> str:
        data = self.folder / "data"
        if self.user:
            pw = pwd.getpwnam(self.user)
            os.chown(self.folder, pw.pw_uid, pw.pw_gid)
        self._run("initdb", "-D", str(data), "-U", "dermalase", "--auth=trust", "-E", "UTF8",
                  "--no-instructions")
        opts = f"-c listen_addresses=127.0.0.1 -c port={self.port} " \
               f"-c unix_socket_directories={self.folder} -c fsync=off"
        self._run("pg_ctl", "-D", str(data), "-o", opts, "-l", str(self.folder / "log"),
                  "-w", "-t", "60", "start")
        url = f"postgresql://dermalase@127.0.0.1:{self.port}/postgres"
        for _ in range(50):
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return url
            except OSError:
                time.sleep(0.1)
        return url

    def __exit__(self, *exc) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.folder / "data"), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


def fresh_database(url: str, name: str, template: str | None = None) -> str:
    """A new database on the server of ``url`` (empty, or a copy of the database
    ``template``); its URL."""
    import psycopg

    with psycopg.connect(url.replace("postgresql://", "postgresql://", 1),
                         autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template
                                                     else ""))
    return url.rsplit("/", 1)[0] + f"/{name}"


def drop_database(url: str, name: str) -> None:
    """Remove the database ``name`` from the server of ``url`` (connections closed first)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
