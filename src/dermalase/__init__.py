"""dermalase: physics-based simulator and treatment planner for laser skin resurfacing.

The public names are loaded on first use (PEP 562), so that a command that needs none of the
physics (``dermalase --help``, ``dermalase example``) starts without importing NumPy, numba,
xarray or pydantic (issue 18).
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING

from ._version import __version__
from .errors import InputError

if TYPE_CHECKING:  # what the lazy names are, for type checkers
    from .simulate import Result, Scenario, simulate

#: public name -> the module that defines it
_LAZY = {"Result": "dermalase.simulate", "Scenario": "dermalase.simulate",
         "simulate": "dermalase.simulate"}

__all__ = ["__version__", "InputError", "Result", "Scenario", "simulate"]


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'dermalase' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _Package(types.ModuleType):
    """``dermalase.simulate`` is the function, as when it was imported eagerly: importing the
    subpackage of the same name must not replace it with the module (the import system sets
    the parent's attribute after loading a submodule)."""

    def __setattr__(self, name: str, value) -> None:
        if isinstance(value, types.ModuleType) and name in _LAZY \
                and value.__name__ == f"{__name__}.{name}":
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
