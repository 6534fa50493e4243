"""Prediction intervals: the sourced ranges of the tissue inputs, propagated through the model.

The inputs varied are those whose range the data files give and a scenario can set: the water
mass fraction of each skin layer (data/layers.csv ``water_range``), which sets each layer's
absorption (water dominates at 2.94 and 10.6 µm and at 1,550 nm) and its heat capacity and
conductivity (Cooper & Trezek's mixture). A Latin hypercube of ``n`` samples (SciPy's
``qmc.LatinHypercube``, seeded) spans those ranges uniformly; every sample is one simulation on
the sweep engine (serial, a LocalCluster or a cluster). Reported per summary quantity: the
5th, 50th and 95th percentiles; and per quantity, the inputs ranked by the magnitude of their
Spearman rank correlation with it (the sensitivity ranking). The healing time's own range
(the calibration corners) stays in ``reepithelialization_days_range``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import xarray as xr

from ..errors import InputError
from ..tissue.model import water_ranges

#: most samples in one study
MAX_SAMPLES = 10_000
#: the percentiles reported
PERCENTILES = (5.0, 50.0, 95.0)


def inputs(scenario) -> dict[str, tuple[float, float]]:
    """The varied inputs (``skin.water_<layer>``) and their sourced ranges."""
    return {f"skin.water_{layer}": rng for layer, rng in water_ranges().items()
            if layer in {la.name for la in scenario.skin.layers}}


def samples(scenario, n: int, seed: int = 1):
    """(input names, (n, k) array of input values, the n scenarios)."""
    from scipy.stats import qmc

    if isinstance(n, bool) or not isinstance(n, int) or not 2 <= n <= MAX_SAMPLES:
        raise InputError("--uncertainty", n, f"a number of samples 2-{MAX_SAMPLES:,}")
    spec = inputs(scenario)
    names = list(spec)
    lo = np.array([spec[k][0] for k in names])
    hi = np.array([spec[k][1] for k in names])
    unit = qmc.LatinHypercube(d=len(names), seed=seed).random(n)
    values = lo + unit * (hi - lo)
    scenarios = [scenario.replace(skin={k.split(".", 1)[1]: float(v) for k, v in
                                        zip(names, row, strict=True)}) for row in values]
    return names, values, scenarios


def run_uncertainty(scenario, n: int, *, seed: int = 1, workers: int | None = 0,
                    scheduler: str | None = None,
                    progress: Callable[[int, int], None] | None = None) -> xr.Dataset:
    """The samples' inputs and summaries as a Dataset along ``sample``, with the intervals and
    the sensitivity ranking in its attributes (see :func:`intervals`, :func:`sensitivity`)."""
    from .._version import __version__
    from ..simulate.store import model_fingerprint
    from .dataset import _columns, _unit
    from .engine import run_scenarios

    names, values, scenarios = samples(scenario, n, seed)
    out = run_scenarios(scenarios, workers=workers, scheduler=scheduler, progress=progress)
    rows = [None if s is None else _columns(s) for s in out.summaries]
    units: dict = next((s.get("units", {}) for s in out.summaries if s), {})
    data = {k: ("sample", values[:, j], {"range": list(inputs(scenario)[k]),
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
