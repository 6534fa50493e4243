"""The simulation store: results kept in memory and on disk, keyed by what determines them.

A key is the SHA-256 of the resolved scenario (its name and device settings aside), the kind of
result, the package version and a fingerprint of the model's code and data, so a physics change
never serves an old result. Each disk entry (``$DERMALASE_CACHE``, default
``~/.cache/dermalase``) holds its key, its value and a digest of the value: an entry that is
unreadable, of the wrong shape, misplaced or edited is discarded, computed again and replaced,
with a note (:func:`take_notes`) for whoever reports on the run (the planner's warnings, a
sweep's attributes). Used by the planner's searches, by sweeps, whose interrupted runs resume
from what is stored, and by the device dials that the model resolves.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import math
import os
import stat
from collections.abc import Callable
from pathlib import Path

from .._version import __version__
from ..data import cache_root
from ..io.files import atomic_write
from .scenario import Scenario

_MEMORY: dict[str, dict] = {}
#: while a list: every (kind, key, value) a computation used or made is appended (what a worker
#: sends back to the client, which keeps the store; see :func:`recording`)
_RECORD: list[tuple[str, str, dict]] | None = None
#: while True, a value not stored raises :class:`Missing` instead of being computed
_OFFLINE = False


class Missing(LookupError):
    """A value the store does not hold was asked for while computing is off (:func:`offline`)."""


@contextlib.contextmanager
def recording():
    """Collect every (kind, key, value) read or written inside the block; yields the list."""
    global _RECORD
    saved, _RECORD = _RECORD, []
    try:
        yield _RECORD
    finally:
        _RECORD = saved


@contextlib.contextmanager
def offline():
    """Inside the block, :func:`cached` of a value the store lacks raises :class:`Missing`: a
    caller learns whether a computation can be answered from the store alone."""
    global _OFFLINE
    saved, _OFFLINE = _OFFLINE, True
    try:
        yield
    finally:
        _OFFLINE = saved


def put_records(records) -> None:
    """Keep values recorded elsewhere (a worker's :func:`recording`) by their keys. A key made
    by another version or model names nothing here and is harmless."""
    for kind, name, value in records:
        if _valid(kind, value):
            _put(kind, name, value)


def cache_dir() -> Path:
    """The store's folder (``$DERMALASE_CACHE``; empty or unset: ``~/.cache/dermalase``)."""
    return cache_root()


def model_fingerprint() -> str:
    """Hash of the package's code and data and of the calibration in force
    (:func:`dermalase.calibration.current`; the published one adds nothing): a physics change
    invalidates the disk cache even when the version string stays the same (an editable install
    between releases), and a result made under one calibration is never served under
    another."""
    return _with_calibration("all")


def _with_calibration(part: str) -> str:
    from ..calibration import current

    code, cal = code_fingerprint(), current().fingerprint(part)
    if not cal:
        return code
    return hashlib.sha256(f"{code}:{cal}".encode()).hexdigest()[:16]


#: kinds of stored result that do not depend on the calibration (no healing in them): keyed by
#: the code alone, so a new calibration does not recompute the channel probes
CALIBRATION_FREE = ("channel",)


def _model_for(kind: str) -> str:
    """The model part of a stored result's key: the code, and the calibration's healing values
    where the result holds a healing time (a summary, a search): the recovery factors change
    no simulation."""
    return code_fingerprint() if kind in CALIBRATION_FREE else _with_calibration("healing")


@functools.cache
def code_fingerprint() -> str:
    """Hash of the package's code and data."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    files = []
    for top, dirs, names in os.walk(root):  # os.walk: a third of pathlib.rglob's time
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        rel = os.path.relpath(top, root).replace(os.sep, "/")
        files += [(name if rel == "." else f"{rel}/{name}", os.path.join(top, name))
                  for name in names if name.endswith((".py", ".csv", ".toml"))]
    h = hashlib.sha256()
    for rel, path in sorted(files):
        h.update(rel.encode())
        with open(path, "rb") as f:
            h.update(f.read())
    return h.hexdigest()[:16]


def key(kind: str, scenario: Scenario) -> str:
    """The store's key of a ``kind`` of result of ``scenario``."""
    resolved = {k: v for k, v in scenario.resolved().items() if k not in ("name", "device")}
    blob = json.dumps({"kind": kind, "scenario": resolved, "version": __version__,
                       "model": _model_for(kind)}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


#: Keys every cached entry must hold as finite numbers (per kind).
REQUIRED = {"summary": ("injury_depth_um", "ablation_depth_um", "surface_injury_fraction"),
            "channel": ("injury_depth_um", "channel_depth_um", "mtz_diameter_um"),
            "sweep-summary": ("injury_depth_um", "ablation_depth_um",
                              "surface_injury_fraction")}


def _valid(kind: str, value) -> bool:
    if not isinstance(value, dict):
        return False
    for k in REQUIRED.get(kind, ()):
        v = value.get(k)
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) \
                or v < 0:
            return False
    return True


#: notes on cache entries found damaged or edited and discarded (read by the plan's warnings)
NOTES: list[str] = []


def take_notes() -> list[str]:
    """The cache notes gathered since the last call (each once)."""
    out = list(dict.fromkeys(NOTES))
    NOTES.clear()
    return out


def _digest(value: dict) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()


def discard(path: Path, why: str) -> None:
    """Note that the entry at ``path`` was not trusted (it is computed again)."""
    NOTES.append(f"cache entry {path.name} in {path.parent} was {why}; it was discarded and "
                 "simulated again")


class NotRegular(OSError):
    """A store path that is not a regular file."""


def read_regular(path: Path) -> bytes:
    """The bytes of the store file at ``path``; the one way the store's files are read. The
    file is opened without waiting and read only when it is a regular file: a FIFO put in
    place of an entry blocked a plain read forever, waiting for a writer (issue 30).
    Raises FileNotFoundError, :class:`NotRegular` or another OSError."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise NotRegular(f"{path} is not a regular file")
        os.set_blocking(fd, True)
        with os.fdopen(os.dup(fd), "rb") as fh:
            return fh.read()
    finally:
        os.close(fd)


def _read_entry(path: Path, key: str, kind: str) -> dict | None:
    """The value stored at ``path`` if it is whole and unchanged: written for this key, its
    digest matching, every required number finite and non-negative. None if there is no entry;
    a damaged or edited one is discarded with a note."""
    try:
        raw = json.loads(read_regular(path).decode("utf-8"))
    except FileNotFoundError:
        return None
    except NotRegular:
        discard(path, "not a regular file (a pipe, a device or a folder)")
        return None
    except (OSError, ValueError):
        discard(path, "unreadable")
        return None
    value = raw.get("value") if isinstance(raw, dict) else None
    if not (isinstance(value, dict) and raw.get("key") == key
            and raw.get("sha256") == _digest(value)):
        discard(path, "damaged or edited (its digest does not match)")
        return None
    if not _valid(kind, value):
        discard(path, "of the wrong shape")
        return None
    return value


def cached(kind: str, scenario: Scenario, compute: Callable[[Scenario], dict]) -> dict:
    """``compute(scenario)`` -> JSON-able dict, kept in memory and on disk. Each disk entry
    carries its key and a digest of its value: an entry that is unreadable, of the wrong shape,
    or edited (a changed depth would silently change a plan) is recomputed and replaced, with a
    note (:func:`take_notes`). The digest detects damage and casual edits, not a deliberate
    forgery: the store is the user's own folder."""
    return _cached(kind, key(kind, scenario), lambda: compute(scenario))


def args_key(kind: str, args: dict) -> str:
    """The store's key of a ``kind`` of result computed from the JSON-able ``args`` (not a
    scenario: e.g. a planner search, keyed by what it searches)."""
    blob = json.dumps({"kind": kind, "args": args, "version": __version__,
                       "model": _model_for(kind)}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def cached_call(kind: str, args: dict, compute: Callable[[], dict]) -> dict:
    """``compute()`` -> JSON-able dict, kept as :func:`cached` keeps a scenario's result, keyed
    by ``args`` (:func:`args_key`)."""
    return _cached(kind, args_key(kind, args), compute)


def _cached(kind: str, name: str, compute: Callable[[], dict]) -> dict:
    value = _get(kind, name)
    if value is None:
        if _OFFLINE:
            raise Missing(kind)
        value = compute()
        _put(kind, name, value)
    return value


def stored(kind: str, scenario: Scenario) -> dict | None:
    """The stored value of ``scenario`` if there is a good one (memory, then disk), else None;
    computes nothing."""
    return _get(kind, key(kind, scenario))


def _get(kind: str, name: str) -> dict | None:
    value = _MEMORY.get(name)
    if value is None:
        value = _read_entry(cache_dir() / f"{name}.json", name, kind)
        if value is not None:
            _MEMORY[name] = value
    if value is not None and _RECORD is not None:
        _RECORD.append((kind, name, value))
    return value


def store(path: Path, name: str, value: dict) -> None:
    """Write one entry atomically (best effort: a read-only home keeps the memory store)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(path, "cache") as tmp:
            Path(tmp).write_text(json.dumps({"key": name, "sha256": _digest(value),
                                             "value": value}), encoding="utf-8")
    except (OSError, ValueError):  # OutputError is a ValueError
        pass


def put(kind: str, scenario: Scenario, value: dict) -> None:
    """Keep ``value`` as the ``kind`` of result of ``scenario`` (memory and disk)."""
    _put(kind, key(kind, scenario), value)


def _put(kind: str, name: str, value: dict) -> None:
    _MEMORY[name] = value
    if _RECORD is not None:
        _RECORD.append((kind, name, value))
    store(cache_dir() / f"{name}.json", name, value)
