"""Scenario, pipeline and Result.

The pipeline (and with it NumPy's compiled kernels, numba and SciPy) loads on first use of
``simulate``, ``Result``, ``simulate_zone`` or ``zone_probe`` (PEP 562): a plan served from the
simulation store, or a scenario that is only checked, never imports it (issue 18).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from .scenario import Scenario

if TYPE_CHECKING:  # what the lazy names are, for type checkers
    from .fractional import simulate_zone, zone_probe
    from .pipeline import Result, simulate

#: public name -> the submodule that defines it
_LAZY = {"Result": "pipeline", "simulate": "pipeline", "simulate_zone": "fractional",
         "zone_probe": "fractional"}

__all__ = ["Result", "Scenario", "simulate", "simulate_zone", "zone_probe"]


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
