"""Physics: optics (Beer-Lambert), ablation, heat conduction (Pennes), Arrhenius damage.

Importing this package chooses where numba keeps its compiled kernels, before any is
decorated: next to the code when that folder is writable (a checkout, a user install), else in
the user's cache folder, else in a temporary folder, so that a system-wide or read-only install
runs for every user (issue 17). ``NUMBA_CACHE_DIR`` set by the user always wins.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def _usable(folder: Path, writable) -> bool:
    """``folder`` can be written, or made in a writable parent; False on any OS refusal (a
    home folder this user may not even look into)."""
    try:
        if folder.is_dir():
            return bool(writable(folder, os.W_OK))
        return not folder.exists() and folder.parent.is_dir() and \
            bool(writable(folder.parent, os.W_OK))
    except OSError:
        return False


def _user_tag() -> str:
    getuid = getattr(os, "getuid", None)
    return str(getuid()) if getuid is not None else os.environ.get("USERNAME", "user")


def numba_cache_dir(package: Path, environ: dict | None = None,
                    writable=os.access) -> str | None:
    """The folder for numba's cache, or None to keep numba's default (next to the code)."""
    env = os.environ if environ is None else environ
    if env.get("NUMBA_CACHE_DIR"):
        return None
    try:
        if writable(package, os.W_OK):
            return None
    except OSError:
        pass
    home = env.get("HOME")
    for base in (env.get("XDG_CACHE_HOME"), str(Path(home) / ".cache") if home else None):
        if base and _usable(Path(base), writable):
            return str(Path(base) / "dermalase" / "numba")
    # the shared temporary folder: one folder per user, so no user meets another's files
    tmp = Path(tempfile.gettempdir())
    if _usable(tmp, writable):
        return str(tmp / f"dermalase-{_user_tag()}" / "numba")
    return None


def _configure_numba_cache() -> None:
    folder = numba_cache_dir(Path(__file__).resolve().parent)
    if folder is not None:
        import numba

        try:
            Path(folder).mkdir(parents=True, exist_ok=True)
            if not os.access(folder, os.W_OK | os.X_OK):
                raise PermissionError(folder)
        except OSError:  # taken by someone else: a private folder of our own
            folder = tempfile.mkdtemp(prefix="dermalase-numba-")
        numba.config.CACHE_DIR = folder  # type: ignore[attr-defined]


_configure_numba_cache()
