"""A sweep's results as an xarray Dataset: one dimension per swept field, every summary quantity
a variable (its unit in ``attrs``), the inputs and the engine in the attributes."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import xarray as xr

from .engine import Outcome
from .spec import Sweep

MISSING = ("NaN marks a point that failed (its 'error' says why) or a quantity that does not "
           "apply to that point (e.g. a bridge width in full field)")


def _columns(summary: dict) -> dict[str, object]:
    """A summary flattened to one value per variable: pairs become _low/_high, tables become
    dotted names, lists of text are joined."""
    out: dict[str, object] = {}
    for k, v in summary.items():
        if k == "units":
            continue
        if isinstance(v, dict):
            for sub, x in v.items():
                out[f"{k}.{sub}"] = x
        elif isinstance(v, list) and len(v) == 2 and all(isinstance(x, int | float)
                                                         for x in v):
            out[f"{k}_low"], out[f"{k}_high"] = v
        elif isinstance(v, list):
            out[k] = "; ".join(str(x) for x in v)
        else:
            out[k] = v
    return out


def _unit(units: dict, name: str) -> str | None:
    base = name.split(".")[0]
    for cand in (name, base, base.removesuffix("_low"), base.removesuffix("_high")):
        if cand in units:
            return units[cand]
    return None


def to_dataset(sweep: Sweep, outcome: Outcome, fingerprint: str, version: str) -> xr.Dataset:
    shape = sweep.shape
    dims = [a.name for a in sweep.axes]
    rows = [None if s is None else _columns(s) for s in outcome.summaries]
    units: dict = next((s.get("units", {}) for s in outcome.summaries if s), {})
    names = list(dict.fromkeys(k for r in rows if r for k in r))
    data_vars = {}
    for name in names:
        values = [None if r is None else r.get(name) for r in rows]
        texts = [v for v in values if isinstance(v, str)]
        if texts:
            arr = np.array(["" if v is None else str(v) for v in values], dtype=object)
        else:
            arr = np.array([math.nan if v is None else float(v)  # type: ignore[arg-type]
                            for v in values])
        attrs = {}
        u = _unit(units, name)
        if u:
            attrs["units"] = u
        data_vars[name] = (dims, arr.reshape(shape), attrs)
    data_vars["error"] = (dims, np.array(outcome.errors, dtype=object).reshape(shape),
                          {"description": "one-line error of a failed point ('' if none)"})
    coords: dict[str, tuple] = {}
    for a in sweep.axes:
        if a.numeric:
            coords[a.name] = (a.name, np.array(a.coords, dtype=float),
                              {"units": a.unit} if a.unit else {})
        else:
            coords[a.name] = (a.name, np.array(a.coords, dtype=object))
    failed = sum(1 for e in outcome.errors if e)
    ds = xr.Dataset(data_vars, coords=coords)
    ds.attrs.update({
        "title": "dermalase sweep", "dermalase_version": version,
        "model_fingerprint": fingerprint, "sweep": json.dumps(sweep.to_dict()),
        "engine": outcome.engine, "points": sweep.size, "computed": outcome.computed,
        "from_store": outcome.from_store, "failed": failed,
        "seconds": round(outcome.seconds, 3), "missing_values": MISSING,
        "notes": "; ".join(outcome.notes)})
    return ds


def write(ds: xr.Dataset, path: str | Path, field: str = "--out") -> None:
    """NetCDF (.nc) or Zarr (.zarr), whole or not at all (io/files.py)."""
    from ..io.files import atomic_directory, write_netcdf

    if str(path).endswith(".zarr"):
        with atomic_directory(path, field) as tmp:
            ds.to_zarr(tmp, mode="w", zarr_format=2, consolidated=True)
    else:
        write_netcdf(ds, path, field)
