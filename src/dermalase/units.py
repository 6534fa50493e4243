"""Unit parsing at the boundary (TOML, CLI): strings with units become SI floats.

Only this module and :mod:`dermalase.simulate.scenario` know about unit strings; everything
inside the package works with SI floats.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import pint

from .errors import InputError


@lru_cache(maxsize=1)
def registry() -> pint.UnitRegistry:
    ureg: pint.UnitRegistry = pint.UnitRegistry()
    return ureg


def to_si(field: str, value: object, unit: str, *, low: float | None = None,
          high: float | None = None, low_inclusive: bool = False) -> float:
    """Parse ``value`` (a number in SI or a string with units) into a float in ``unit``.

    Parameters
    ----------
    field : str
        Name of the field, used in error messages (e.g. ``"delivery.fluence"``).
    value : str or float
        ``"250 um"``, ``"10 J/cm^2"``, or a plain number already in ``unit``.
    unit : str
        SI unit to convert to (``"m"``, ``"J/m^2"``, ``"s"``, ``"J"``).
    low, high : float, optional
        Allowed range in ``unit``; ``low`` is exclusive unless ``low_inclusive``.
    """
    ureg = registry()
    target = ureg.Unit(unit)
    if isinstance(value, bool):
        raise InputError(field, value, f"a quantity in units of {target:~}")
    if isinstance(value, int | float):
        si = float(value)
    elif isinstance(value, str):
        try:
            q: Any = ureg.Quantity(value.strip())
        except Exception as exc:  # pint raises many error types for garbage
            raise InputError(field, value, f"a quantity such as '1 {target:~}'") from exc
        if isinstance(q, int | float):
            si = float(q)
            if target != ureg.dimensionless:
                raise InputError(field, value, f"a quantity with units of {target:~}")
        else:
            try:
                si = float(q.to(target).magnitude)
            except pint.DimensionalityError as exc:
                raise InputError(field, value, f"a quantity with units of {target:~}") from exc
    else:
        raise InputError(field, value, f"a number or a string with units of {target:~}")
    if not math.isfinite(si):
        raise InputError(field, value, "a finite number")
    rng = _range_text(low, high, target, low_inclusive)
    if low is not None and (si < low or (si == low and not low_inclusive)):
        raise InputError(field, value, rng)
    if high is not None and si > high:
        raise InputError(field, value, rng)
    return si


def _range_text(low, high, unit, low_inclusive) -> str:
    lo = "" if low is None else (f">= {low:g}" if low_inclusive else f"> {low:g}")
    hi = "" if high is None else f"<= {high:g}"
    both = " and ".join(x for x in (lo, hi) if x)
    return f"{both} {unit:~}".strip()
