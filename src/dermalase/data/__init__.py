"""Sourced data tables (CSV/TOML with a source column) and their loaders."""

from __future__ import annotations

import csv
import os
import tomllib
from functools import cache
from importlib import resources
from pathlib import Path


@cache
def table(name: str) -> tuple[dict[str, str], ...]:
    """Rows of ``data/<name>.csv`` as dicts of strings (cached, read once)."""
    text = resources.files(__package__).joinpath(f"{name}.csv").read_text(encoding="utf-8")
    return tuple(csv.DictReader(text.splitlines()))


@cache
def constants() -> dict:
    """``data/constants.toml``: named constants, each with ``value`` and ``source``."""
    text = resources.files(__package__).joinpath("constants.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def constant(name: str) -> float:
    return float(constants()[name]["value"])


@cache
def toml(name: str) -> dict:
    """``data/<name>.toml`` parsed (cached)."""
    text = resources.files(__package__).joinpath(f"{name}.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def cache_root() -> Path:
    """The user's dermalase cache folder: ``$DERMALASE_CACHE``, else ``~/.cache/dermalase``.
    An empty (or blank) ``DERMALASE_CACHE`` means the default, as an empty ``XDG_CACHE_HOME``
    does in the XDG Base Directory specification: ``Path("")`` is the current folder, and the
    simulation store and pint's cache used to be written there (issue 30)."""
    given = os.environ.get("DERMALASE_CACHE")
    if given and given.strip():  # a blank value is a slip, not a folder named " "
        return Path(given)
    return Path.home() / ".cache" / "dermalase"
