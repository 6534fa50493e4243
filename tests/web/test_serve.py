"""``make serve``, ``dermalase serve`` and ``dermalase users add`` as a user runs them: the README's
own path on a fresh account (issue 32, item 1), and one line naming the option, exit 2, for every
bad option (issue 30, items 8 and 10)."""

from __future__ import annotations

import io
import os
import pty
import re
import select
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx2 as httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Terminal:
    """A command on a pseudo-terminal, as a person at a keyboard runs it."""

    def __init__(self, cmd: list[str], env: dict, cwd: Path):
        self.master, slave = pty.openpty()
        self.proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=slave, stdout=slave,
                                     stderr=slave, start_new_session=True)
        os.close(slave)
        self.seen = ""

    def expect(self, pattern: str, timeout: float = 180) -> str:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if re.search(pattern, self.seen):
                return self.seen
            ready, _, _ = select.select([self.master], [], [], 0.5)
            if ready:
                try:
                    self.seen += os.read(self.master, 4096).decode("utf-8", "replace")
                except OSError:
                    break
            elif self.proc.poll() is not None:
                break
        raise AssertionError(f"{pattern!r} not seen; the terminal showed:\n{self.seen}")

    def type(self, text: str) -> None:
        os.write(self.master, (text + "\n").encode())

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(30)
        os.close(self.master)


def test_make_serve_on_a_fresh_home_starts_and_asks_for_the_first_account(tmp_path):
    """The README's path on a new account: no data folder, no key, no database yet."""
    home = tmp_path / "home"
    home.mkdir()
    port = _free_port()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DERMALASE_", "XDG_", "DATABASE_URL"))}
    env.update(HOME=str(home), DERMALASE_PORT=str(port), MAKEFLAGS="")
    term = Terminal(["make", "-s", "serve"], env, ROOT)
    try:
        term.expect(r"no account yet")
        term.expect(r"name: ")
        term.type("ann")
        term.expect(r"password: ")
        term.type("first-password")
        term.expect(r"repeat the password: ")
        term.type("first-password")
        term.expect(rf"dermalase http://127\.0\.0\.1:{port}")
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as c:
            for _ in range(100):
                try:
                    page = c.get("/login")
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            assert page.status_code == 200 and "Sign in" in page.text
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
            r = c.post("/login", data={"username": "ann", "password": "first-password",
                                       "csrf_token": csrf})
            assert r.status_code == 303 and r.headers["location"] == "/patients"
            assert c.get("/healthz").json()["database"] == "ok"
    finally:
        term.stop()
    folder = home / ".local" / "share" / "dermalase"
    assert (folder / "dermalase.db").is_file() and oct(folder.stat().st_mode & 0o777) == "0o700"


def test_users_add_and_serve(tmp_path):
    url = f"sqlite:///{tmp_path / 'serve.db'}"
    env = {**os.environ, "DERMALASE_PASSWORD": "first-password",
           "DERMALASE_SECRET_KEY": "s" * 40}
    r = subprocess.run([sys.executable, "-m", "dermalase", "users", "add", "ann", "--role",
                        "admin", "--database-url", url], capture_output=True, text=True,
                       env=env, timeout=120)
    assert r.returncode == 0 and "added admin ann" in r.stdout, r.stderr
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "dermalase", "serve", "--host",
                             "0.0.0.0", "--port", str(port), "--database-url", url],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        for _ in range(200):
            try:
                page = httpx.get(f"http://127.0.0.1:{port}/login", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert page.status_code == 200 and "Sign in" in page.text
        r = run_cli(["serve", "--port", str(port), "--database-url", url], env)  # in use
        assert r.code == 2 and "--port" in r.err and r.err.count("\n") == 1
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=30)
    assert "without TLS" in err  # bound beyond loopback without TLS: warned
    assert f"http://0.0.0.0:{port}" in out
    assert "Ada" not in err


class Ran:
    def __init__(self, code: int, out: str, err: str):
        self.code, self.out, self.err = code, out, err


def run_cli(args: list[str], env: dict | None = None, stdin: str = "") -> Ran:
    """The command line in this process (``dermalase.cli.main``), its exit code and output."""
    from contextlib import redirect_stderr, redirect_stdout

    from dermalase.cli import main

    out, err = io.StringIO(), io.StringIO()
    saved = (sys.argv, sys.stdin, dict(os.environ))
    sys.argv = ["dermalase", *args]
    sys.stdin = io.StringIO(stdin)
    if env is not None:
        os.environ.clear()
        os.environ.update(env)
    code = 0
    try:
        with redirect_stdout(out), redirect_stderr(err):
            try:
                main()
            except SystemExit as exc:
                code = int(exc.code or 0)
    finally:
        sys.argv, sys.stdin = saved[0], saved[1]
        os.environ.clear()
        os.environ.update(saved[2])
    return Ran(code, out.getvalue(), err.getvalue())


@pytest.fixture
def env(tmp_path):
    e = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL",))}
    e.update(DERMALASE_DATA_DIR=str(tmp_path / "data"), DERMALASE_PASSWORD="a-password-1")
    return e


def _closed_port_url() -> str:
    return f"postgresql://nobody@127.0.0.1:{_free_port()}/dermalase"


def _cases(tmp: Path) -> list[tuple[list[str], dict, str]]:
    folder = tmp / "a-folder"
    folder.mkdir()
    text = tmp / "notes.txt"
    text.write_text("not a database\n")
    blocker = tmp / "a-file"
    blocker.write_text("x")
    return [
        (["--database-url", "nonsense"], {}, "--database-url"),
        (["--database-url", "mysql://u@h/db"], {}, "--database-url"),
        ([], {"DATABASE_URL": "::not a url::"}, "DATABASE_URL"),
        (["--database-url", _closed_port_url()], {}, "--database-url"),
        (["--database-url", f"sqlite:///{folder}"], {}, "--database-url"),
        (["--database-url", f"sqlite:///{text}"], {}, "--database-url"),
        ([], {"DERMALASE_DATA_DIR": str(blocker / "dermalase")}, "data folder"),
        (["--database-url", f"sqlite:///{blocker}/x.db"], {}, "--database-url"),
    ]


@pytest.mark.parametrize("command", ["serve", "users"])
def test_bad_database_options_are_one_line_naming_the_option(tmp_path, env, command):
    for args, extra, named in _cases(tmp_path):
        full = (["serve", "--port", str(_free_port())] if command == "serve"
                else ["users", "add", "carol"]) + args
        r = run_cli(full, {**env, **extra})
        assert r.code == 2, (full, extra, r.code, r.err)
        assert r.err.startswith("error: ") and r.err.count("\n") == 1, (full, r.err)
        assert named in r.err, (full, r.err)
        assert "Traceback" not in r.err and "internal error" not in r.err


def test_bad_tls_host_and_port_are_one_line_naming_the_option(tmp_path, env):
    port = str(_free_port())
    cert = tmp_path / "cert.pem"
    cert.write_text("not a certificate")
    for args, named in (
            (["--ssl-certfile", str(tmp_path / "missing.pem"), "--ssl-keyfile",
              str(tmp_path / "missing.key")], "--ssl-certfile"),
            (["--ssl-certfile", str(cert)], "--ssl-keyfile"),
            (["--ssl-certfile", str(cert), "--ssl-keyfile", str(cert)], "--ssl-certfile"),
            (["--host", "no-such-host.invalid"], "--host"),
            (["--host", "203.0.113.7"], "--host"),  # TEST-NET-3: not this machine's
            (["--port", "0"], "--port")):
        r = run_cli(["serve", "--port", port, *args] if "--port" not in args
                    else ["serve", *args], env)
        assert r.code == 2 and named in r.err and r.err.count("\n") == 1, (args, r.err)


def test_a_password_prompt_at_the_end_of_its_input_is_one_line_not_an_interruption(env):
    env = {k: v for k, v in env.items() if k != "DERMALASE_PASSWORD"}
    r = run_cli(["users", "add", "carol"], env, stdin="")
    assert r.code == 2, r.err
    assert "interrupted" not in r.err and "end of input" in r.err
    assert [line for line in r.err.splitlines() if line.strip()] == [r.err.strip()]
    r = run_cli(["users", "add", "carol"], env, stdin="one-password\nanother-one\n")
    assert r.code == 2 and "the same password typed twice" in r.err
    r = run_cli(["users", "add", "carol"], env, stdin="one-password\none-password\n")
    assert r.code == 0 and "added clinician carol" in r.out


@pytest.mark.parametrize("look_alike", ["\u0430dmin",  # Cyrillic a
                                        "ADMIN", "adm1n", "\uff41\uff44\uff4d\uff49\uff4e",
                                        "admin ", "rnaria"])
def test_look_alike_user_names_are_refused(env, look_alike):
    assert run_cli(["users", "add", "admin"], env).code == 0
    assert run_cli(["users", "add", "maria"], env).code == 0
    r = run_cli(["users", "add", look_alike], env)
    assert r.code == 2 and "username" in r.err and r.err.count("\n") == 1, (look_alike, r.err)


def test_names_are_stored_nfkc_normalised(env):
    from sqlalchemy import select

    from dermalase.web.db import User, open_database

    assert run_cli(["users", "add", "ｊｏｅ"], env).code == 0  # fullwidth: stored as "joe"
    make = open_database(f"sqlite:///{env['DERMALASE_DATA_DIR']}/dermalase.db")
    with make() as db:
        assert db.scalars(select(User.username)).all() == ["joe"]
    make.kw["bind"].dispose()
