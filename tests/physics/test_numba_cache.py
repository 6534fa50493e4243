"""The compiled-kernel cache works for any user and install location (issue 17)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from dermalase.physics import numba_cache_dir


def test_a_read_only_package_caches_in_the_users_folder(tmp_path):
    pkg = tmp_path / "site-packages" / "dermalase" / "physics"
    home_cache = tmp_path / "cache"
    home_cache.mkdir()

    def writable(path, mode):
        return Path(path) != pkg  # the installed package is read-only

    env = {"XDG_CACHE_HOME": str(home_cache), "HOME": str(tmp_path)}
    assert numba_cache_dir(pkg, env, writable) == str(home_cache / "dermalase" / "numba")
    # a writable package keeps numba's default; the user's own setting always wins
    assert numba_cache_dir(pkg, env, lambda p, m: True) is None
    assert numba_cache_dir(pkg, dict(env, NUMBA_CACHE_DIR="/x"), writable) is None


def test_no_writable_home_falls_back_to_a_temporary_folder(tmp_path):
    pkg = tmp_path / "pkg"
    tmp = __import__("tempfile").gettempdir()

    def writable(path, mode):
        return str(path) == tmp  # only the temporary folder can be written

    folder = numba_cache_dir(pkg, {"HOME": "/nonexistent"}, writable)
    assert folder == str(Path(tmp) / f"dermalase-{os.getuid()}" / "numba")


def test_the_command_line_starts_with_a_cache_folder_given(tmp_path):
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "nb"))
    r = subprocess.run([sys.executable, "-m", "dermalase.cli", "--help"], env=env,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "Traceback" not in r.stderr
