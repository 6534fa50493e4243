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


def numba_cache_dir(package: Path, environ: dict | None = None,
                    writable=os.access) -> str | None:
    """The folder for numba's cache, or None to keep numba's default (next to the code)."""
    env = os.environ if environ is None else environ
    if env.get("NUMBA_CACHE_DIR"):
        return None
    if writable(package, os.W_OK):
        return None
    home = env.get("HOME")
    for base in (env.get("XDG_CACHE_HOME"), str(Path(home) / ".cache") if home else None,
                 tempfile.gettempdir()):
        if not base:
            continue
        b = Path(base)
        usable = b.is_dir() and writable(b, os.W_OK) or \
            not b.exists() and b.parent.is_dir() and writable(b.parent, os.W_OK)
        if usable:
            return str(b / "dermalase" / "numba")
    return None


def _configure_numba_cache() -> None:
    folder = numba_cache_dir(Path(__file__).resolve().parent)
    if folder is not None:
        import numba

        Path(folder).mkdir(parents=True, exist_ok=True)
        numba.config.CACHE_DIR = folder  # type: ignore[attr-defined]


_configure_numba_cache()
