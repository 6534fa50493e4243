"""Prediction intervals: the sourced ranges of the tissue inputs, propagated through the model.

The inputs varied are those whose range the data files give, that a scenario (or its physical
constants) can set, and that the scenario does not set itself (a value the user gives is their
knowledge, not an uncertainty):

- the water mass fraction of each skin layer (data/layers.csv ``water_range``), which sets each
  layer's absorption and its heat capacity and conductivity (Cooper & Trezek's mixture);
- the thickness of the layers whose site range is sourced (data/thickness_ranges.csv);
- the absorption coefficient of water at the laser's wavelength (data/water_absorption.csv
  ``mua_low``-``mua_high``);
- the activation energy of the cell-necrosis Arrhenius set (data/arrhenius.csv ``Ea`` range).

The collagen set, the healing parameters (their own range stays in
``reepithelialization_days_range``) and the constants without a sourced range are not varied.
A Latin hypercube of ``n`` samples (SciPy's ``qmc.LatinHypercube``, seeded) spans the ranges
uniformly; every sample is one simulation on the sweep engine (serial, a LocalCluster or a
cluster). Reported per summary quantity: the 5th, 50th and 95th percentiles; and per
quantity, the inputs ranked by the magnitude of their Spearman rank correlation with it (the
sensitivity ranking).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import xarray as xr

from ..errors import InputError
from ..physics.damage import necrosis_set
from ..tissue.model import thickness_ranges, water_ranges
from ..tissue.properties import water_absorption

#: most samples in one study
MAX_SAMPLES = 10_000
#: the percentiles reported
PERCENTILES = (5.0, 50.0, 95.0)
#: units of the varied inputs, by prefix
INPUT_UNITS = {"skin.water_absorption": "1/m", "skin.water_": "1", "skin.thickness_": "m",
               "constants.necrosis_activation_energy": "J/mol"}


def input_unit(name: str) -> str:
    return next(u for prefix, u in INPUT_UNITS.items() if name.startswith(prefix))


def inputs(scenario) -> dict[str, tuple[float, float]]:
    """The varied inputs (dotted names: ``skin.<field>`` or ``constants.<name>``) and their
    sourced ranges (SI), leaving out those the scenario sets."""
    skin = scenario.resolved()["skin"]
    out: dict[str, tuple[float, float]] = {}
    layers = {la.name for la in scenario.skin.layers}
    out.update({f"skin.water_{n}": r for n, r in water_ranges().items()
                if n in layers and skin.get(f"water_{n}") is None})
    out.update({f"skin.thickness_{n}": r for n, r in thickness_ranges(scenario.skin.site).items()
                if skin.get(f"thickness_{n}_m") is None})
    if skin.get("water_absorption_per_m") is None:
        _, lo, hi, _ = water_absorption(scenario.source.wavelength_nm)
        out["skin.water_absorption"] = (lo, hi)
    span = necrosis_set().Ea_range
    if span is not None and scenario.constants.necrosis_activation_energy is None:
        out["constants.necrosis_activation_energy"] = span
    return out


def _apply(scenario, row: dict[str, float]):
    """``scenario`` with the sample's inputs set."""
    skin = {k.split(".", 1)[1]: v for k, v in row.items() if k.startswith("skin.")}
    consts = {k.split(".", 1)[1]: v for k, v in row.items() if k.startswith("constants.")}
    return scenario.replace(skin=skin, constants=scenario.constants.replace(**consts))


def input_names() -> list[str]:
    """Every input a study may vary, whatever the scenario (site, wavelength)."""
    from ..tissue.model import THICKNESS_LAYERS

    return ([f"skin.water_{n}" for n in water_ranges()]
            + [f"skin.thickness_{n}" for n in THICKNESS_LAYERS]
            + ["skin.water_absorption", "constants.necrosis_activation_energy"])


def at_unit_point(scenario, unit: dict[str, float]):
    """``scenario`` with each input it may vary set at the fraction ``unit[name]`` (0-1) of its
    own sourced range (its site's thickness, its wavelength's absorption): one point of a unit
    hypercube drawn once for cases of different sites."""
    spec = inputs(scenario)
    return _apply(scenario, {k: lo + unit[k] * (hi - lo) for k, (lo, hi) in spec.items()
                             if k in unit})


def check_count(n: int) -> None:
    """Refuse a number of samples outside 2-:data:`MAX_SAMPLES` (one line)."""
    if isinstance(n, bool) or not isinstance(n, int) or not 2 <= n <= MAX_SAMPLES:
        raise InputError("--uncertainty", n, f"a number of samples 2-{MAX_SAMPLES:,}")


def samples(scenario, n: int, seed: int = 1):
    """(input names, (n, k) array of input values, the n scenarios)."""
    from scipy.stats import qmc

    check_count(n)
    spec = inputs(scenario)
    names = list(spec)
    lo = np.array([spec[k][0] for k in names])
    hi = np.array([spec[k][1] for k in names])
    unit = qmc.LatinHypercube(d=len(names), seed=seed).random(n)
    values = lo + unit * (hi - lo)
    scenarios = [_apply(scenario, {k: float(v) for k, v in zip(names, row, strict=True)})
                 for row in values]
    return names, values, scenarios


def run_uncertainty(scenario, n: int, *, seed: int = 1, workers: int | None = 0,
                    scheduler: str | None = None,
                    progress: Callable[[int, int], None] | None = None) -> xr.Dataset:
    """The samples' inputs and summaries as a Dataset along ``sample``, with the intervals and
    the sensitivity ranking in its attributes (see :func:`intervals`, :func:`sensitivity`)."""
    from .._version import __version__
    from ..simulate.store import model_fingerprint
    from .dataset import _columns, _unit
    from .engine import SAMPLES_GUARD, run_scenarios

    names, values, scenarios = samples(scenario, n, seed)
    out = run_scenarios(scenarios, workers=workers, scheduler=scheduler, progress=progress,
                        guard=SAMPLES_GUARD)
    rows = [None if s is None else _columns(s) for s in out.summaries]
    units: dict = next((s.get("units", {}) for s in out.summaries if s), {})
    ranges = inputs(scenario)
    data = {k: ("sample", values[:, j], {"range": list(ranges[k]), "units": input_unit(k),
                                          "description": "varied input (sourced range)"})
            for j, k in enumerate(names)}
    keys = [k for k in dict.fromkeys(k for r in rows if r for k in r)
            if all(r is None or r.get(k) is None or isinstance(r.get(k), int | float)
                   for r in rows)]
    for k in keys:
        arr = np.array([math.nan if r is None or r.get(k) is None else float(r[k])  # type: ignore[arg-type]
                        for r in rows])
        u = _unit(units, k)
        data[k] = ("sample", arr, {"units": u} if u else {})
    data["error"] = ("sample", np.array(out.errors, dtype=object), {})
    ds = xr.Dataset(data, coords={"sample": np.arange(n)})
    ds.attrs.update({"title": "dermalase prediction intervals", "dermalase_version": __version__,
                     "model_fingerprint": model_fingerprint(), "samples": n, "seed": seed,
                     "sampling": "Latin hypercube over the sourced ranges",
                     "varied": ", ".join(names), "engine": out.engine,
                     "failed": sum(1 for e in out.errors if e)})
    return ds


def intervals(ds: xr.Dataset) -> dict[str, dict[str, float]]:
    """Per output quantity: p5, p50, p95 over the samples that ran (failed ones left out)."""
    out = {}
    varied = set(str(ds.attrs.get("varied", "")).split(", "))
    for k, v in ds.data_vars.items():
        if k in varied or v.dtype.kind != "f" or not np.isfinite(v.values).any():
            continue
        p = np.nanpercentile(v.values, PERCENTILES)
        out[str(k)] = {f"p{q:g}": float(x) for q, x in zip(PERCENTILES, p, strict=True)}
    return out


def sensitivity(ds: xr.Dataset) -> dict[str, list[tuple[str, float]]]:
    """Per output quantity that varies: the inputs ranked by |Spearman rho| with it."""
    from scipy.stats import spearmanr

    varied = [k for k in str(ds.attrs.get("varied", "")).split(", ") if k]
    out = {}
    for k in intervals(ds):
        y = ds[k].values
        ok = np.isfinite(y)
        if ok.sum() < 3 or np.ptp(y[ok]) == 0:
            continue
        ranks = []
        for name in varied:
            rho = spearmanr(ds[name].values[ok], y[ok]).statistic
            ranks.append((name, 0.0 if not np.isfinite(rho) else float(rho)))
        out[k] = sorted(ranks, key=lambda t: -abs(t[1]))
    return out
