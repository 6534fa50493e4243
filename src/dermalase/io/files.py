"""Outputs: checked before the work starts, written atomically (whole or not at all), and never
replacing anything but a regular file."""

from __future__ import annotations

import errno
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


class StdoutError(OutputError):
    """Standard output refused a write (a full disk, a file-size limit, a closed pipe)."""

    def __init__(self, exc: OSError):
        super().__init__("stdout", "<stdout>", _reason(exc))

    def __str__(self) -> str:
        return (f"stdout: cannot write the output: {self.allowed}; what reached it is "
                "incomplete")


class GuardedStdout:
    """Standard output for the command line (issue 30): every write reaches the file whole or
    raises :class:`StdoutError`, which the command line reports in one line (exit 2).

    Text is encoded and written to the binary layer in a loop: with ``PYTHONUNBUFFERED`` the
    text layer sits on the raw file, whose short write at a file-size limit it ignores (1,024
    bytes of cut JSON and exit 0). After a failure, the file descriptor is pointed at
    /dev/null, so that the interpreter's last flush of what is left cannot fail again."""

    def __init__(self, stream):
        self.stream = stream

    @property
    def encoding(self) -> str:
        return getattr(self.stream, "encoding", None) or "utf-8"

    @property
    def errors(self) -> str:
        return getattr(self.stream, "errors", None) or "strict"

    def isatty(self) -> bool:
        return self.stream is not None and bool(self.stream.isatty())

    def fileno(self) -> int:
        return self.stream.fileno()

    def __getattr__(self, name: str):
        return getattr(self.stream, name)

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        buffer = getattr(self.stream, "buffer", None)
        try:
            if self.stream is None:  # started with stdout closed (``>&-``)
                raise OSError(errno.EBADF, os.strerror(errno.EBADF))
            if buffer is None:  # a text-only stream (StringIO, a test's capture)
                self.stream.write(text)
                return len(text)
            self.stream.flush()  # what the text layer holds goes first
            view = memoryview(text.encode(self.encoding, self.errors))
            while view:
                n = buffer.write(view)
                if not n:  # a non-blocking stream that takes nothing
                    raise OSError(errno.EAGAIN, os.strerror(errno.EAGAIN))
                view = view[n:]
            return len(text)
        except OSError as exc:
            raise self._failed(exc) from None

    def flush(self) -> None:
        if self.stream is None:
            return
        try:
            self.stream.flush()
            buffer = getattr(self.stream, "buffer", None)
            if buffer is not None:
                buffer.flush()
        except OSError as exc:
            raise self._failed(exc) from None

    def _failed(self, exc: OSError) -> StdoutError:
        try:
            fd = os.open(os.devnull, os.O_WRONLY)
            os.dup2(fd, self.stream.fileno())
            os.close(fd)
        except (OSError, AttributeError, ValueError):
            pass
        return StdoutError(exc)


def _reason(exc: OSError) -> str:
    """What the system said, in a few words: the errno's text where there is one, else the
    message's first line. (Files are written with plain file I/O, never by HDF5 on disk, so
    every write error is an OSError with its errno.)"""
    if exc.errno:
        return os.strerror(exc.errno)
    first = str(exc).strip().splitlines()
    return first[0] if first else type(exc).__name__


#: figure formats, by file extension: the formats matplotlib's Agg backend writes with the
#: packages installed (Pillow for JPEG and TIFF) that keep the figures' transparency
#: (PostScript does not: EPS and PS are left out). A figure is written in the format its name
#: ends with; any other name is refused before the run (issue 30: ``--figure f.txt`` wrote a
#: PNG under a text file's name).
FIGURE_FORMATS = {"png": "png", "pdf": "pdf", "svg": "svg", "jpg": "jpeg", "jpeg": "jpeg",
                  "tif": "tiff", "tiff": "tiff"}


def figure_format(field: str, path: str | os.PathLike) -> str:
    """The format of the figure ``path`` names by its extension (case aside)."""
    ext = Path(path).suffix.lower().lstrip(".")
    if ext not in FIGURE_FORMATS:
        raise OutputError(field, str(path), "a figure is written in the format its name ends "
                          "with: " + ", ".join(f".{e}" for e in FIGURE_FORMATS))
    return FIGURE_FORMATS[ext]


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
