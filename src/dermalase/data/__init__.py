"""Sourced data tables (CSV/TOML with a source column) and their loaders."""

from __future__ import annotations

import csv
import tomllib
from functools import cache
from importlib import resources


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
