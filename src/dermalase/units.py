"""Unit parsing at the boundary (TOML, CLI, API): strings with units become SI floats.

Only this module and the input models (:mod:`dermalase.schema`) know about unit strings;
everything inside the package works with SI floats.

A quantity string is a plain decimal number followed by a unit (``"250 um"``, ``"10 J/cm^2"``,
``"11 %"``). The number is read by Python's ``float``, never evaluated; only the unit goes to
pint, after a check of its characters and exponents, so no string can make pint compute an
exponent tower. Superscripts ² and ³ and the micro sign are accepted for their ASCII forms.
"""

from __future__ import annotations

import math
import numbers
import os
import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from .errors import InputError

if TYPE_CHECKING:  # pint is imported on the first unit string (~0.3 s of start-up otherwise)
    import pint

#: longest quantity string accepted (a range check, not a physical number)
MAX_QUANTITY_LENGTH = 64
_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,3})?"
_QUANTITY = re.compile(rf"^\s*({_NUMBER})\s*(.*?)\s*$")
_UNIT_CHARS = re.compile(r"^[A-Za-z_/*^.()\s\d-]*$")
#: an exponent of more than one digit, or an exponent of an exponent
_BAD_EXPONENT = re.compile(r"(\^|\*\*)\s*[+-]?\d{2,}|(\^|\*\*)\s*[+-]?[\d.]+\s*(\^|\*\*)")
_ASCII = str.maketrans({"²": "^2", "³": "^3", "µ": "u", "μ": "u", "·": "*"})


@lru_cache(maxsize=1)
def registry() -> pint.UnitRegistry:
    """pint's registry, its parsed definitions kept by pint's own cache (``cache_folder``) in
    ``$DERMALASE_CACHE/pint``: 0.01 s instead of 0.17 s to build (issue 18). A folder that
    cannot be written, or a cache pint cannot read, falls back to the registry built anew."""
    import pint

    from .data import cache_root

    try:
        folder = cache_root()
        (folder / "pint").mkdir(parents=True, exist_ok=True)
        if os.access(folder / "pint", os.W_OK):
            ureg: pint.UnitRegistry = pint.UnitRegistry(cache_folder=folder / "pint")
            return ureg
    except Exception:  # noqa: BLE001 - any failure of the cache: build without it
        pass
    return pint.UnitRegistry()


#: the units the scenarios, devices and patients are written in, each with its dimension
#: (exponents of m, kg, s) and its power of ten to SI: exact SI prefixes, no physics. A quantity
#: in one of them, asked for in another of the same dimension, is converted without pint, whose
#: import costs ~0.3 s of a cold plan (it imports dask when dask is installed); anything else
#: goes to pint. The conversion is one correctly rounded operation by an exact power of ten
#: (identity for the same unit), so "1000 um" in um is 1000 exactly and meets a bound of 1000.
#: tests/test_units.py checks every pair against pint.
_FAST_UNITS: dict[str, tuple[tuple[int, int, int], int]] = {
    **{u: ((1, 0, 0), e) for u, e in (("m", 0), ("cm", -2), ("mm", -3), ("um", -6),
                                       ("nm", -9))},
    **{u: ((0, 0, 1), e) for u, e in (("s", 0), ("ms", -3), ("us", -6), ("ns", -9))},
    **{u: ((0, 0, -1), e) for u, e in (("Hz", 0), ("kHz", 3))},
    **{u: ((2, 1, -2), e) for u, e in (("J", 0), ("mJ", -3))},
    **{u: ((2, 1, -3), e) for u, e in (("W", 0), ("mW", -3), ("kW", 3))},
    **{u: ((0, 1, -2), e) for u, e in (("J/m^2", 0), ("J/cm^2", 4), ("mJ/cm^2", 1))},
    **{u: ((-2, 0, 0), e) for u, e in (("1/m^2", 0), ("1/cm^2", 4), ("1/mm^2", 6))},
}


def _per(unit: str) -> str:
    """A reciprocal unit as pint reads it: "/cm^2" -> "1/cm^2" (others unchanged)."""
    return "1" + unit if unit.startswith("/") else unit


def _fast(number: float, unit: str, unit_text: str) -> float | None:
    """``number`` ``unit`` in ``unit_text`` from :data:`_FAST_UNITS`, or None (ask pint)."""
    a = _FAST_UNITS.get(unit)
    b = _FAST_UNITS.get(_per(unit_text))
    if a is None or b is None or a[0] != b[0]:
        return None
    k = a[1] - b[1]
    return number * 10 ** k if k >= 0 else number / 10 ** -k


def _parse(field: str, value: str, target: Any, unit_text: str) -> float:
    """A quantity string in the units of ``target`` (a pint Unit written ``unit_text``, or a
    function that returns it: pint is loaded only when the string needs it)."""
    example = f"a number and a unit such as '1 {unit_text}'" if unit_text != "dimensionless" \
        else "a number such as 0.1 (or '10 %')"
    if len(value) > MAX_QUANTITY_LENGTH:
        raise InputError(field, value[:MAX_QUANTITY_LENGTH] + "...",
                         f"{example}, at most {MAX_QUANTITY_LENGTH} characters")
    m = _QUANTITY.match(value.translate(_ASCII))
    if m is None:
        raise InputError(field, value, example)
    number, unit = float(m.group(1)), _per(m.group(2))  # "100 /cm^2"
    fast = _fast(number, unit, unit_text)  # only the table's exact strings: no check needed
    if fast is not None:
        return fast
    if callable(target):
        target = target()
    ureg = registry()
    if unit == "%":
        q: Any = ureg.Quantity(number / 100.0, "dimensionless")
    elif not unit:
        q = ureg.Quantity(number, "dimensionless")
    elif not _UNIT_CHARS.match(unit) or _BAD_EXPONENT.search(unit):
        raise InputError(field, value, example)
    else:
        try:
            q = ureg.Quantity(number, ureg.parse_units(unit))
        except Exception as exc:  # pint raises many error types for garbage
            raise InputError(field, value, example) from exc
    import pint

    try:
        return float(q.to(target).magnitude)
    except pint.DimensionalityError as exc:
        raise InputError(field, value, f"a quantity with units of {target:~}") from exc


def to_si(field: str, value: object, unit: str, *, low: float | None = None,
          high: float | None = None, low_inclusive: bool = False) -> float:
    """Parse ``value`` (a number in SI or a string with units) into a float in ``unit``.

    Parameters
    ----------
    field : str
        Name of the field, used in error messages (e.g. ``"delivery.fluence"``).
    value : str or float
        ``"250 um"``, ``"10 J/cm^2"``, or a plain number (NumPy numbers too) already in
        ``unit``.
    unit : str
        SI unit to convert to (``"m"``, ``"J/m^2"``, ``"s"``, ``"J"``).
    low, high : float, optional
        Allowed range in ``unit``; ``low`` is exclusive unless ``low_inclusive``. A value
        within 1e-9 (relative) of a bound is taken as the bound, so ``"50 um"`` meets an
        inclusive 5e-05 m although its conversion is 4.9999999999999996e-05.
    """
    def target():  # the pint unit: for a string, or for the message of an error
        return registry().Unit(unit)

    if isinstance(value, bool):
        raise InputError(field, value, f"a quantity in units of {target():~}")
    if isinstance(value, numbers.Real):  # an SI number needs no pint
        si = float(value)
    elif isinstance(value, str):
        si = _parse(field, value, target, unit)
    else:
        raise InputError(field, value, f"a number or a string with units of {target():~}")
    if not math.isfinite(si):
        raise InputError(field, value, "a finite number")
    for bound in (low, high):
        if bound is not None and bound != 0.0 and math.isclose(si, bound, rel_tol=1e-9):
            si = bound
    if low is not None and (si < low or (si == low and not low_inclusive)) \
            or high is not None and si > high:
        raise InputError(field, value, _range_text(low, high, target(), low_inclusive))
    return si


def _range_text(low, high, unit, low_inclusive) -> str:
    lo = "" if low is None else (f">= {low:g}" if low_inclusive else f"> {low:g}")
    hi = "" if high is None else f"<= {high:g}"
    both = " and ".join(x for x in (lo, hi) if x)
    return f"{both} {unit:~}".strip()


def split_quantity(field: str, value: object) -> tuple[float, str] | None:
    """``(number, unit text)`` of a quantity written ``"2 J/cm^2"`` (or a plain number: unit
    ""); None when ``value`` is neither (a word such as a site name). The unit is checked as
    :func:`to_si` checks it."""
    if isinstance(value, bool):
        return None
    if isinstance(value, numbers.Real):
        return float(value), ""
    if not isinstance(value, str):
        return None
    m = _QUANTITY.match(value.translate(_ASCII))
    if m is None:
        return None
    unit = m.group(2)
    if unit and unit != "%":
        _parse(field, value,
               lambda: registry().Unit(_per(unit)), unit)
    return float(m.group(1)), unit


def in_unit(field: str, value: object, unit: str) -> float:
    """``value`` (a quantity string or a number) as a number in ``unit`` (written as the user
    wrote it, e.g. "J/cm^2"); a bare number is taken as already in ``unit``."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value)
    if not unit:
        parsed = split_quantity(field, value)
        if parsed is None or parsed[1] not in ("", "%"):
            raise InputError(field, value, "a plain number like the other values")
        return parsed[0] / 100.0 if parsed[1] == "%" else parsed[0]
    return _parse(field, str(value), lambda: registry().Unit(_per(unit)), unit)
