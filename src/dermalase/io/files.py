"""Atomic writes: outputs appear whole or not at all (no half-written files)."""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_write(path: str | os.PathLike):
    """Yield a temporary path in the target's folder; move it into place on success."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    os.close(fd)
    try:
        yield tmp
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600 files; give the usual permissions
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_netcdf(dataset, path: str | os.PathLike) -> None:
    with atomic_write(path) as tmp:
        dataset.to_netcdf(tmp, mode="w", engine="h5netcdf")
