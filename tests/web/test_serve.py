"""``dermalase users add`` and ``dermalase serve`` as a user runs them."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx2 as httpx


def test_users_add_and_serve(tmp_path):
    url = f"sqlite:///{tmp_path / 'serve.db'}"
    env = {**os.environ, "DERMALASE_PASSWORD": "first-password",
           "DERMALASE_SECRET_KEY": "s" * 40}
    r = subprocess.run([sys.executable, "-m", "dermalase.cli", "users", "add", "ann", "--role",
                        "admin", "--database-url", url], capture_output=True, text=True,
                       env=env, timeout=120)
    assert r.returncode == 0 and "added admin ann" in r.stdout, r.stderr
    r = subprocess.run([sys.executable, "-m", "dermalase.cli", "users", "add", "ann",
                        "--database-url", url], capture_output=True, text=True, env=env,
                       timeout=120)
    assert r.returncode == 2 and "not already taken" in r.stderr and r.stderr.count("\n") == 1
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "dermalase.cli", "serve", "--host",
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
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=30)
    assert "without TLS" in err  # bound beyond loopback without TLS: warned
    assert f"http://0.0.0.0:{port}" in out
