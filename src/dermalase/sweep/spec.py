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
"""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..errors import InputError
from ..schema import read_toml
from ..units import in_unit, split_quantity

#: most points in one sweep, and most values along one axis
MAX_POINTS = 100_000
MAX_STEPS = 1_000
RANGE_KEYS = {"from", "to", "steps", "scale"}


@dataclass(frozen=True)
class Axis:
    """One swept field: its dotted name, the values written into the scenario, and the
    coordinate (numbers in ``unit``, or the values themselves as labels)."""

    name: str
    values: tuple[Any, ...]
    coords: tuple[Any, ...]
    unit: str

    @property
    def numeric(self) -> bool:
        return all(isinstance(c, float) for c in self.coords)


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

    def points(self):
        """(index tuple, scenario dict) of every point, in C order."""
        for idx in itertools.product(*(range(n) for n in self.shape)):
            d = json.loads(json.dumps(self.base))
            for axis, i in zip(self.axes, idx, strict=True):
                _put(d, axis.name, axis.values[i])
            yield idx, d

    def label(self, idx: tuple[int, ...]) -> str:
        return ", ".join(f"{a.name} = {a.values[i]}" for a, i in zip(self.axes, idx, strict=True))

    def to_dict(self) -> dict:
        return {"base": self.base, "axes": {a.name: list(a.values) for a in self.axes},
                "target_depth_m": list(self.target_depth) if self.target_depth else None}


def _put(d: dict, dotted: str, value: Any) -> None:
    keys = dotted.split(".")
    for k in keys[:-1]:
        d = d[k]
    d[keys[-1]] = value


def _range(name: str, spec: dict) -> Axis:
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
    start = split_quantity(f"{name}.from", spec["from"])
    if start is None:
        raise InputError(f"{name}.from", spec["from"], "a number or a quantity such as "
                         "'2 J/cm^2'")
    a, unit = start
    b = in_unit(f"{name}.to", spec["to"], unit)
    if not (math.isfinite(a) and math.isfinite(b)) or a == b:
        raise InputError(f"{name}.to", spec["to"], f"a finite value other than 'from' ({a:g} "
                         f"{unit})".replace(" )", ")"))
    if scale == "log" and (a <= 0 or b <= 0):
        raise InputError(f"{name}.from", spec["from"], "positive ends for a log range")
    grid = np.geomspace(a, b, steps) if scale == "log" else np.linspace(a, b, steps)
    coords = tuple(float(f"{v:.6g}") for v in grid)
    values = tuple(f"{c:g} {unit}" if unit else c for c in coords)
    return Axis(name, values, coords, unit)


def _list(name: str, items: list) -> Axis:
    if not 1 <= len(items) <= MAX_STEPS:
        raise InputError(name, items, f"a list of 1-{MAX_STEPS:,} values")
    if any(isinstance(v, dict | list) for v in items):
        raise InputError(name, items, "a list of plain values (numbers, quantities, names)")
    if len({json.dumps(v) for v in items}) != len(items):
        raise InputError(name, items, "a list without repeated values")
    first = split_quantity(name, items[0])
    if first is not None and all(split_quantity(name, v) is not None for v in items):
        try:
            coords = tuple(in_unit(name, v, first[1]) for v in items)
            return Axis(name, tuple(items), coords, first[1])
        except InputError:
            pass  # quantities of different kinds: labels
    return Axis(name, tuple(items), tuple(str(v) for v in items), "")


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
