"""A sweep file: a scenario whose fields may be lists or ranges, one dimension per swept field.

```toml
[skin]
site = ["cheek", "neck"]                      # a list: one point per value
[laser]
source = "er:yag"
pulse_duration = ["250 us", "1 ms", "4 ms"]
[delivery]
fluence = {from = "2 J/cm^2", to = "20 J/cm^2", steps = 10}   # a range (scale = "log" too)
[sweep]
target_depth = ["50 um", "100 um"]            # optional: the band the figures draw
```

Every point is checked as a scenario before any runs (a bad value is one line naming the field
and the point); the run itself may still fail at a point (the resource guard, say), which the
dataset records without stopping the sweep.

Numbers follow the scenario's rule everywhere: a bare number is in the field's SI unit
(``pulse_duration = ["1 ms", 0.01]`` is 1 ms and 10 ms; ``{from = 20000, to = "20 J/cm^2"}``
runs from 2 to 20 J/cm^2). The coordinate is what each point simulates, shown in the unit of
the first value written with one (else the unit of the field's documented example, J/cm^2 for
a fluence); two values that are the same quantity (``["5 J/cm^2", "50000 J/m^2"]``) are refused.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
import re
from dataclasses import dataclass, field, replace
from typing import Any

from ..errors import InputError
from ..schema import read_toml
from ..units import in_unit, split_quantity, to_si

#: most points in one sweep, and most values along one axis
MAX_POINTS = 100_000
MAX_STEPS = 1_000
RANGE_KEYS = {"from", "to", "steps", "scale"}


@dataclass(frozen=True)
class Axis:
    """One swept field: its dotted name, the values written into the scenario, and the
    coordinate (numbers in ``unit``, or the values themselves as labels).

    A numeric axis also keeps ``si``: each point's value in the field's SI unit, exactly what
    the scenario of that point holds (a bare number is SI, as in a scenario file); the
    coordinate is that value in ``unit``."""

    name: str
    values: tuple[Any, ...]
    coords: tuple[Any, ...]
    unit: str
    si: tuple[float, ...] = ()
    si_unit: str = ""
    long_name: str = ""

    @property
    def numeric(self) -> bool:
        return all(isinstance(c, float) for c in self.coords)

    def text(self, i: int) -> str:
        """Point ``i`` of this axis as a person reads it (``fluence = 12 J/cm^2``)."""
        if self.numeric:
            return f"{self.coords[i]:g} {self.unit}".strip()
        return str(self.values[i])


@dataclass(frozen=True)
class Sweep:
    base: dict
    axes: tuple[Axis, ...]
    target_depth: tuple[float, float] | None  # m
    #: the checked Scenario of every point (C order), built once when the sweep is read
    scenarios: tuple = field(default=(), compare=False, repr=False)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(a.values) for a in self.axes)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def dims(self) -> tuple[str, ...]:
        """The dataset's dimension of each axis: the field's last part (``fluence`` for
        ``delivery.fluence``), or the whole field with underscores where two axes would share
        it (CF names have no dots; the dotted field is the coordinate's ``field`` attribute)."""
        short = [a.name.rsplit(".", 1)[-1] for a in self.axes]
        return tuple(s if short.count(s) == 1 and s not in RESERVED_NAMES
                     else a.name.replace(".", "_") for s, a in zip(short, self.axes, strict=True))

    def points(self):
        """(index tuple, scenario dict) of every point, in C order."""
        for idx in itertools.product(*(range(n) for n in self.shape)):
            d = json.loads(json.dumps(self.base))
            for axis, i in zip(self.axes, idx, strict=True):
                _put(d, axis.name, axis.values[i])
            yield idx, d

    def label(self, idx: tuple[int, ...]) -> str:
        return ", ".join(f"{a.name} = {a.text(i)}" for a, i in zip(self.axes, idx, strict=True))

    def to_dict(self) -> dict:
        return {"base": self.base, "axes": {a.name: list(a.values) for a in self.axes},
                "target_depth_m": list(self.target_depth) if self.target_depth else None}


#: names a swept field's dimension may not take (variables of the sweep's dataset)
RESERVED_NAMES = frozenset({"error", "geometry", "deepest_layer", "regimes", "warnings",
                            "pass"})


def _put(d: dict, dotted: str, value: Any) -> None:
    keys = dotted.split(".")
    for k in keys[:-1]:
        d = d[k]
    d[keys[-1]] = value


@functools.cache
def field_units() -> dict[str, tuple[str, str, str]]:
    """Every scenario field (dotted) -> (SI unit, the unit of its documented example, a name in
    words), from the one declaration of the scenario (dermalase.schema). Dimensionless fields
    have the SI unit ""."""
    from ..schema import _Checked, _submodels
    from ..simulate.scenario import ScenarioSpec

    out: dict[str, tuple[str, str, str]] = {}

    def walk(model, prefix: str) -> None:
        for name, info in model.model_fields.items():
            path = f"{prefix}.{name}" if prefix else name
            subs, _ = _submodels(info.annotation)
            if subs:
                for sub in subs:
                    walk(sub, path)
                continue
            meta = next((m for m in info.metadata if isinstance(m, _Checked)), None)
            unit = getattr(meta, "unit", "") or ""
            unit = "" if unit == "dimensionless" else unit
            example = split_quantity(path, getattr(meta, "example", "") or "x")
            shown = example[1] if example is not None and example[1] else unit
            words = re.split(r"[(.;]", info.description or "", maxsplit=1)[0].strip()
            words = re.sub(r", or give.*|; or give.*", "", words)
            out.setdefault(path, (unit, shown, words or name.replace("_", " ")))

    walk(ScenarioSpec, "")
    return out


def _si(name: str, value: Any, si_unit: str) -> float | None:
    """``value`` in the field's SI unit by the scenario's rule (a bare number is SI; a string
    carries its unit); None for a word (a site name, a source)."""
    parsed = split_quantity(name, value)
    if parsed is None:
        return None
    number, unit = parsed
    if not unit:
        return number
    if unit == "%":
        if si_unit:
            raise InputError(name, value, f"a quantity in units of {si_unit}")
        return number / 100.0
    if not si_unit:
        raise InputError(name, value, "a plain number (this field has no unit)")
    return to_si(name, value, si_unit)


def _scale(name: str, unit: str, si_unit: str) -> float:
    """SI value of one ``unit`` (``unit`` as written, e.g. J/cm^2)."""
    if unit == si_unit or not unit:
        return 1.0
    if unit == "%":
        return 0.01
    return to_si(name, f"1 {unit}", si_unit)


def _repeated(si: list[float]) -> float | None:
    """A value that appears twice among ``si`` (compared in SI, to 1 part in 10^9), or None."""
    order = sorted(si)
    return next((a for a, b in itertools.pairwise(order)
                 if math.isclose(a, b, rel_tol=1e-9, abs_tol=0.0)), None)


def _numeric_axis(name: str, values: tuple, si: list[float], units_written: list[str],
                  given: Any, what: str) -> Axis:
    si_unit, shown, words = field_units().get(name, ("", "", name))
    unit = next((u for u in units_written if u), shown)
    factor = _scale(name, unit, si_unit)
    twice = _repeated(si)
    if twice is not None:
        raise InputError(name, given, what.format(f"{twice / factor:.12g} {unit}".strip()))
    coords = tuple(float(f"{x / factor:.12g}") for x in si)
    return Axis(name, values, coords, unit, tuple(si), si_unit, words)


def _range(name: str, spec: dict) -> Axis:
    import numpy as np  # on use: a repeated plan imports no NumPy
    unknown = set(spec) - RANGE_KEYS
    if unknown or not {"from", "to", "steps"} <= set(spec):
        raise InputError(name, spec, "a list of values, or a range {from, to, steps} (and "
                         "optionally scale = 'linear' or 'log')")
    steps = spec["steps"]
    if isinstance(steps, bool) or not isinstance(steps, int) or not 2 <= steps <= MAX_STEPS:
        raise InputError(f"{name}.steps", steps, f"an integer 2-{MAX_STEPS:,}")
    scale = spec.get("scale", "linear")
    if scale not in ("linear", "log"):
        raise InputError(f"{name}.scale", scale, "'linear' or 'log'")
    si_unit = field_units().get(name, ("", "", ""))[0]
    ends, written = [], []
    for key in ("from", "to"):
        parsed = split_quantity(f"{name}.{key}", spec[key])
        value = None if parsed is None else _si(f"{name}.{key}", spec[key], si_unit)
        if value is None:
            raise InputError(f"{name}.{key}", spec[key], "a number or a quantity such as "
                             "'2 J/cm^2'")
        ends.append(value)
        written.append(parsed[1] if parsed is not None else "")
    a, b = ends
    if not math.isfinite(a):
        raise InputError(f"{name}.from", spec["from"], "a finite value")
    if not math.isfinite(b) or a == b:
        raise InputError(f"{name}.to", spec["to"], f"a finite value other than 'from' "
                         f"({spec['from']})")
    if scale == "log" and (a <= 0 or b <= 0):
        raise InputError(f"{name}.from", spec["from"], "positive ends for a log range")
    grid = np.geomspace(a, b, steps) if scale == "log" else np.linspace(a, b, steps)
    si = [float(v) for v in grid]
    si[0], si[-1] = a, b  # the ends exactly as given
    integral = not si_unit and all(x == round(x) for x in si)
    values = tuple(int(round(x)) if integral else x for x in si)
    return _numeric_axis(name, values, si, written, spec,
                         f"a range whose {steps} points differ ({{}} would appear twice, "
                         "compared in SI); fewer steps or a wider range")


def _list(name: str, items: list) -> Axis:
    if not 1 <= len(items) <= MAX_STEPS:
        raise InputError(name, items, f"a list of 1-{MAX_STEPS:,} values")
    if any(isinstance(v, dict | list) for v in items):
        raise InputError(name, items, "a list of plain values (numbers, quantities, names)")
    if len({json.dumps(v) for v in items}) != len(items):
        raise InputError(name, items, "a list without repeated values")
    si_unit = field_units().get(name, ("", "", ""))[0]
    parsed = [split_quantity(name, v) for v in items]
    if all(p is not None for p in parsed) and not any(isinstance(v, bool) for v in items):
        si = [_si(name, v, si_unit) for v in items]
        return _numeric_axis(name, tuple(items), [float(x) for x in si if x is not None],
                             [p[1] for p in parsed if p is not None], items,
                             "values that differ ({} appears twice, compared in SI)")
    return Axis(name, tuple(items), tuple(str(v) for v in items), "",
                long_name=field_units().get(name, ("", "", name))[2])


def _axes(d: dict, prefix: str = "") -> list[Axis]:
    out = []
    for k, v in d.items():
        name = f"{prefix}{k}"
        if isinstance(v, list):
            out.append(_list(name, v))
        elif isinstance(v, dict) and ("from" in v or "to" in v or "steps" in v):
            out.append(_range(name, v))
        elif isinstance(v, dict):
            out += _axes(v, f"{name}.")
    return out


def sweep_from_dict(d: dict) -> Sweep:
    """The sweep a dict describes; every point is checked as a scenario (one InputError, naming
    the field and the point, for the first bad one)."""
    from ..simulate import Scenario

    if not isinstance(d, dict):
        raise InputError("sweep", d, "a table of scenario sections")
    d = dict(d)
    extra = d.pop("sweep", {})
    if not isinstance(extra, dict) or set(extra) - {"target_depth"}:
        raise InputError("sweep", extra, "a [sweep] table with only target_depth")
    target = None
    if "target_depth" in extra:
        band = extra["target_depth"]
        if not (isinstance(band, list) and len(band) == 2):
            raise InputError("sweep.target_depth", band, "two depths such as ['50 um', "
                             "'100 um']")
        lo, hi = (in_unit("sweep.target_depth", v, "m") for v in band)
        if not 0 <= lo < hi:
            raise InputError("sweep.target_depth", band, "two depths, the first smaller")
        target = (lo, hi)
    axes = tuple(_axes(d))
    if not axes:
        raise InputError("sweep", "no list or range", "at least one swept field: a list of "
                         "values or a range {from, to, steps}")
    base = json.loads(json.dumps(d))
    for a in axes:
        _put(base, a.name, a.values[0])
    sweep = Sweep(base, axes, target)
    if sweep.size > MAX_POINTS:
        raise InputError("sweep", f"{sweep.size:,} points", f"at most {MAX_POINTS:,} points")
    scenarios = []
    for idx, point in sweep.points():
        try:
            scenarios.append(Scenario.from_dict(point))
        except InputError as exc:
            raise InputError(exc.field, exc.value, f"{exc.allowed} (at the sweep point "
                             f"{sweep.label(idx)})") from None
    return replace(sweep, scenarios=tuple(scenarios))


def read_sweep(path) -> Sweep:
    return sweep_from_dict(read_toml("sweep file", path))
