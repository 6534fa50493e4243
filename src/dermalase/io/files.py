"""Outputs: checked before the work starts, written atomically (whole or not at all), and never
replacing anything but a regular file."""

from __future__ import annotations

import os
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path

from ..errors import InputError


class OutputError(InputError):
    """An output that cannot be written where asked (exit 2: the user's path or environment)."""

    def __init__(self, field: str, path: object, reason: str):
        super().__init__(field, path, reason)

    def __str__(self) -> str:
        from ..errors import _one_line

        return _one_line(f"{self.field}: cannot write {self.value!r}: {self.allowed}; nothing "
                         "was written", 1000)


def _reason(exc: OSError) -> str:
    """What the system said, in a few words: the errno's text where there is one, else the
    message's first line. (Files are written with plain file I/O, never by HDF5 on disk, so
    every write error is an OSError with its errno.)"""
    if exc.errno:
        return os.strerror(exc.errno)
    first = str(exc).strip().splitlines()
    return first[0] if first else type(exc).__name__


def check_output_path(field: str, path: str | os.PathLike) -> Path:
    """Refuse, before any work, an output that could not be written or would replace something
    that is not a regular file: a folder, a device, a pipe, a link, a missing or read-only
    folder, a name too long. Returns the path."""
    p = Path(path)
    text = str(path)
    if not text or p.name in ("", ".", ".."):
        raise OutputError(field, text, "it is a folder; give a file name")
    parent = p.parent if str(p.parent) else Path(".")
    try:
        name_max = os.pathconf(parent if parent.is_dir() else ".", "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):
        name_max = 255
    # the temporary file is ".<name>.<8 random>.tmp"
    if len(p.name.encode()) + 14 > name_max:
        raise OutputError(field, text, f"the file name is longer than {name_max - 14} bytes")
    try:
        if p.is_dir():
            raise OutputError(field, text, "it is a folder; give a file name")
        if p.is_symlink() or (p.exists() and not stat.S_ISREG(p.stat().st_mode)):
            raise OutputError(field, text, "it exists and is not a regular file (a device, a "
                              "pipe or a link); give a new or regular file")
        if not parent.is_dir():
            raise OutputError(field, text, "its folder does not exist")
    except OSError as exc:
        raise OutputError(field, text, exc.strerror or str(exc)) from None
    try:
        fd, probe = tempfile.mkstemp(prefix=".dermalase-probe.", dir=parent)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise OutputError(field, text, f"its folder is not writable ({exc.strerror})") from None
    return p


@contextmanager
def atomic_write(path: str | os.PathLike, field: str = "output"):
    """Yield a temporary path in the target's folder; move it into place on success. The
    target, if it exists, must be a regular file; a failed write (a full disk, a read-only
    folder) leaves the previous file intact and raises :class:`OutputError`."""
    path = check_output_path(field, path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp",
                                   dir=path.parent or ".")
    except OSError as exc:
        raise OutputError(field, str(path), exc.strerror or str(exc)) from None
    os.close(fd)
    try:
        yield tmp
        with open(tmp, "rb+") as fh:  # on disk before it replaces anything
            os.fsync(fh.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600 files; give the usual permissions
        os.replace(tmp, path)
    except OSError as exc:
        raise OutputError(field, str(path), _reason(exc)) from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_netcdf(dataset, path: str | os.PathLike, field: str = "--out") -> None:
    """``dataset`` as NetCDF-4 at ``path``, whole or not at all. The file is made in memory and
    then written with plain file I/O: HDF5 writing to a disk that fills up mid-file raises a
    RuntimeError and can crash the process when it closes the broken file; a plain write fails
    with the system's error (a full disk, a file-size limit), which is reported in one line."""
    data = bytes(dataset.to_netcdf(engine="h5netcdf"))
    with atomic_write(path, field) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(data)


def _is_zarr_store(p: Path) -> bool:
    return p.is_dir() and not p.is_symlink() and any(
        (p / marker).exists() for marker in ("zarr.json", ".zgroup", ".zattrs"))


def check_output_dir(field: str, path: str | os.PathLike) -> Path:
    """Refuse, before any work, a folder output (a Zarr store) that could not be written or
    would replace something other than an earlier Zarr store."""
    p = Path(path)
    if p.name in ("", ".", ".."):
        raise OutputError(field, str(path), "give a new folder name ending in .zarr")
    if p.exists() or p.is_symlink():
        if not _is_zarr_store(p):
            raise OutputError(field, str(path), "it exists and is not a Zarr store; give a "
                              "new name")
    # the parent must take a new entry; a file probe checks it and the name's length
    check_output_path(field, p.with_name(p.name + ".probe") if p.exists() else p)
    return p


@contextmanager
def atomic_directory(path: str | os.PathLike, field: str = "output"):
    """Yield a temporary folder beside ``path``; on success it takes the place of ``path`` (an
    earlier Zarr store there is replaced only once the new one is complete)."""
    path = check_output_dir(field, path)
    try:
        tmp = tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise OutputError(field, str(path), _reason(exc)) from None
    old = None
    try:
        yield tmp
        if path.exists():
            old = tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".old", dir=path.parent)
            os.replace(path, Path(old) / "store")
        os.replace(tmp, path)
    except OSError as exc:
        if old is not None and not path.exists():  # put the earlier store back
            os.replace(Path(old) / "store", path)
        raise OutputError(field, str(path), _reason(exc)) from None
    finally:
        import shutil

        for leftover in (tmp, old):
            if leftover is not None and os.path.exists(leftover):
                shutil.rmtree(leftover, ignore_errors=True)
