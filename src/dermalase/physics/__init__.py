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


def _writable_dir(folder: Path) -> bool:
    """``folder`` exists or can be made, and a file can be made in it (numba's own test of a
    cache folder); False on any OS refusal."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".dermalase-probe.", dir=folder)
        os.close(fd)
        os.unlink(probe)
        return True
    except OSError:
        return False


def _configure_numba_cache() -> None:
    """Point numba at a cache folder it can write. A ``NUMBA_CACHE_DIR`` that cannot be
    written (read-only, another user's) is passed over with a one-line note on stderr: numba
    would otherwise refuse to compile the first cached kernel ("cannot cache function
    'thomas'", issue 30) whenever the package folder is read-only too. With no writable
    folder anywhere, one line names NUMBA_CACHE_DIR."""
    import sys

    from ..errors import InputError

    package = Path(__file__).resolve().parent
    given = os.environ.get("NUMBA_CACHE_DIR")
    env = dict(os.environ)
    if given and not _writable_dir(Path(given)):
        env.pop("NUMBA_CACHE_DIR")
    elif given:
        return
    folder = numba_cache_dir(package, env)
    if folder is not None and not _writable_dir(Path(folder)):
        try:  # taken by someone else: a private folder of our own
            folder = tempfile.mkdtemp(prefix="dermalase-numba-")
        except OSError:
            raise InputError("NUMBA_CACHE_DIR", given, "a folder this user can write, for "
                             "the compiled kernels (none of the cache or temporary folders "
                             "can be written)") from None
    if "numba" in sys.modules:  # already imported: its configuration is read
        import numba

        numba.config.CACHE_DIR = folder or ""  # type: ignore[attr-defined]
    elif folder:  # numba reads the variable when it is imported: a warm plan, which
        # compiles nothing, never imports it (~0.2 s; bench_planner, issue 18)
        os.environ["NUMBA_CACHE_DIR"] = folder
    if given and given != env.get("NUMBA_CACHE_DIR"):
        # the workers this process starts (Dask) inherit the usable folder
        if folder:
            os.environ["NUMBA_CACHE_DIR"] = folder
        else:
            del os.environ["NUMBA_CACHE_DIR"]
        print(f"note: NUMBA_CACHE_DIR ({given}) cannot be written by this user; compiled "
              f"kernels are kept in {folder or 'the package folder'} instead", file=sys.stderr)


_configure_numba_cache()
