"""A sweep's results as an xarray Dataset following the CF conventions as far as they apply.

One dimension per swept field, named by the field's last part (``fluence``; the dotted field is
the coordinate's ``field`` attribute), its coordinate in the unit the sweep was written in
(``J/cm^2``). Every summary quantity is a variable named without its unit (``ablation_depth``,
``units = "um"``), with a ``long_name``; the layer reached and the geometry are flag variables
(``flag_values``/``flag_meanings``); what is the same for every point (the version, the
definitions of the coverage quantities) is an attribute, not a variable. The summary's old names
(``ablation_depth_um``, ...) are kept beside the new ones for one release, each marked
``deprecated``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import xarray as xr

from .engine import Outcome
from .spec import Sweep

#: the CF version these datasets follow (cfconventions.org)
CONVENTIONS = "CF-1.10"
#: the release that drops the summary's old variable names (ablation_depth_um, ...)
LEGACY_UNTIL = "0.3"
MISSING = ("NaN marks a point that failed (its 'error' says why) or a quantity that does not "
           "apply to that point (e.g. a bridge width in full field)")
#: unit suffixes of the summary's keys, and what replaces them in a variable's name
_SUFFIXES = (("_mm3_per_cm2", ""), ("_per_cm2", ""), ("_J_m2", ""), ("_um", ""), ("_C", ""),
             ("_K", ""), ("_J", ""), ("_days", "_time"))
#: long names of the summary's quantities (the summary contract, docs/design.md)
LONG_NAMES = {
    "ablation_depth": "depth of tissue removed on the beam axis",
    "coagulation_depth": "thickness of coagulated tissue below the ablation floor "
                         "(Arrhenius integral >= 1)",
    "injury_depth": "injury depth (ablation + coagulation)",
    "collagen_denaturation_depth": "depth of collagen denaturation below the ablation floor",
    "peak_temperature": "highest tissue temperature outside the ablated volume",
    "channel_diameter": "ablated channel diameter at the surface",
    "coagulation_collar": "thickness of the coagulated wall around the channel",
    "mtz_diameter": "diameter of the microthermal zone at the surface",
    "zone_max_width": "widest extent of the injured zone",
    "surface_injury_fraction": "fraction of the skin surface ablated or coagulated",
    "reepithelialization_time": "time until the wound is covered by epidermis",
    "reepithelialization_time_low": "re-epithelialization time, low end of the model's "
                                    "calibration range",
    "reepithelialization_time_high": "re-epithelialization time, high end of the model's "
                                     "calibration range",
    "ablation_per_pass": "depth ablated by each pass",
    "bulk_temperature_rise": "bridge-averaged temperature rise of the treated area",
    "bridge_peak_rise": "peak temperature rise of the untreated bridges",
    "bridge_damage_integral": "Arrhenius integral in the untreated bridges",
    "zones": "number of microthermal zones",
    "zone_density": "microthermal zones per area",
    "coverage": "beam coverage (fraction of the surface under the microbeams)",
    "zone_spacing": "distance between neighbouring zones",
    "bridge_width": "width of untreated skin between zones",
    "zones_merge": "whether neighbouring zones merge (1) or not (0)",
    "wound_fraction": "fraction of the surface that is a wound",
    "adnexa_survive": "whether the adnexa below the injury survive (1) or not (0)",
    "remodeling_index": "coagulated dermis per treated area (remodeling index)",
    "deepest_layer": "deepest skin layer reached by the injury",
    "geometry": "grid of the run",
    "regimes": "ablation regime of each pass",
    "warnings": "warnings of the run",
    "error": "one-line error of a failed point (empty if none)",
}
#: layers (flag_meanings of deepest_layer: the skin model's order) and geometries
LAYERS = ("stratum_corneum", "epidermis", "papillary_dermis", "reticular_dermis", "subcutis")
GEOMETRIES = ("1d", "rz")


def cf_name(key: str) -> str:
    """A summary key without its unit: ``ablation_depth_um`` -> ``ablation_depth``,
    ``energy_balance_J_m2.delivered`` -> ``energy_balance_delivered``."""
    head, _, sub = key.partition(".")
    for suffix, repl in _SUFFIXES:
        if head.endswith(suffix):
            head = head[: -len(suffix)] + repl
            break
    head = head.replace("_time_range", "_time")
    return f"{head}_{sub}" if sub else head


def _columns(summary: dict) -> dict[str, object]:
    """A summary flattened to one value per variable (old names: pairs become _low/_high,
    tables become dotted names, lists of text are joined; per-pass lists stay lists)."""
    out: dict[str, object] = {}
    for k, v in summary.items():
        if k in ("units", "definitions", "version"):
            continue
        if isinstance(v, dict):
            for sub, x in v.items():
                out[f"{k}.{sub}"] = x
        elif isinstance(v, list) and k.endswith("_range") and len(v) == 2:
            out[f"{k}_low"], out[f"{k}_high"] = v
        elif isinstance(v, list) and v and all(isinstance(x, int | float) for x in v):
            out[k] = list(v)
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


def _flags(values: list, meanings: tuple[str, ...], dims, shape, name: str):
    codes = np.array([-1 if v is None or v not in meanings else meanings.index(v)
                      for v in values], dtype=np.int8).reshape(shape)
    attrs = {"long_name": LONG_NAMES[name], "flag_values": np.arange(len(meanings),
                                                                     dtype=np.int8),
             "flag_meanings": " ".join(meanings), "_FillValue": np.int8(-1)}
    return dims, codes, attrs


def _coordinates(sweep: Sweep) -> dict[str, tuple]:
    coords: dict[str, tuple] = {}
    for dim, a in zip(sweep.dims, sweep.axes, strict=True):
        attrs = {"long_name": a.long_name or a.name, "field": a.name}
        if a.numeric:
            if a.unit or a.si_unit == "":
                attrs["units"] = a.unit or "1"
            coords[dim] = (dim, np.array(a.coords, dtype=float), attrs)
        else:
            coords[dim] = (dim, np.array([str(c) for c in a.coords], dtype=object), attrs)
    return coords


def _variables(names: list[str], rows: list, units: dict, dims: list[str],
               shape: tuple[int, ...]) -> tuple[dict, dict]:
    """The variables of the summary columns ``names`` (CF names) and the old names' copies."""
    data_vars: dict = {}
    legacy: dict = {}
    for old in names:
        values = [None if r is None else r.get(old) for r in rows]
        new = cf_name(old)
        if new == "deepest_layer":
            data_vars[new] = _flags(values, LAYERS, dims, shape, new)
            continue
        if new == "geometry":
            data_vars[new] = _flags(values, GEOMETRIES, dims, shape, new)
            continue
        attrs = {"long_name": LONG_NAMES.get(new, new.replace("_", " "))}
        if any(isinstance(v, list) for v in values):  # per pass
            n = max(len(v) for v in values if isinstance(v, list))
            arr = np.full((len(values), n), math.nan)
            for i, v in enumerate(values):
                if isinstance(v, list):
                    arr[i, : len(v)] = [math.nan if x is None else float(x) for x in v]
            u = _unit(units, old)
            data_vars[new] = ((*dims, "pass"), arr.reshape(*shape, n),
                              {**attrs, "units": u} if u else attrs)
            continue
        if any(isinstance(v, str) for v in values):
            data_vars[new] = (dims, np.array(["" if v is None else str(v) for v in values],
                                             dtype=object).reshape(shape), attrs)
            continue
        arr = np.array([math.nan if v is None else float(v)
                        for v in values]).reshape(shape)
        attrs["units"] = _unit(units, old) or "1"  # counts and yes/no (1/0) are numbers
        data_vars[new] = (dims, arr, attrs)
        if new != old and "." not in old:
            legacy[old] = (dims, arr, {**attrs, "deprecated": f"the old name of {new}, kept "
                                       f"until dermalase {LEGACY_UNTIL}"})
    return data_vars, legacy


def to_dataset(sweep: Sweep, outcome: Outcome, fingerprint: str, version: str, *,
               legacy_names: bool = True) -> xr.Dataset:
    shape = sweep.shape
    dims = list(sweep.dims)
    rows = [None if s is None else _columns(s) for s in outcome.summaries]
    first = next((s for s in outcome.summaries if s), {})
    units: dict = first.get("units", {})
    names = list(dict.fromkeys(k for r in rows if r for k in r))
    data_vars, legacy = _variables(names, rows, units, dims, shape)
    for key, text in (first.get("definitions") or {}).items():
        if cf_name(key) in data_vars:
            data_vars[cf_name(key)][2]["comment"] = text
    data_vars["error"] = (dims, np.array(outcome.errors, dtype=object).reshape(shape),
                          {"long_name": LONG_NAMES["error"]})
    if legacy_names:
        data_vars.update(legacy)
    failed = sum(1 for e in outcome.errors if e)
    ds = xr.Dataset(data_vars, coords=_coordinates(sweep))
    ds.attrs.update({
        "Conventions": CONVENTIONS, "title": "dermalase sweep",
        "institution": "dermalase (physics-based laser resurfacing simulator)",
        "source": f"dermalase {version}", "dermalase_version": version,
        "model_fingerprint": fingerprint, "sweep": json.dumps(sweep.to_dict()),
        "swept_fields": " ".join(a.name for a in sweep.axes),
        "engine": outcome.engine, "points": sweep.size, "computed": outcome.computed,
        "from_store": outcome.from_store, "failed": failed,
        "seconds": round(outcome.seconds, 3), "missing_values": MISSING,
        "legacy_names": " ".join(legacy) if legacy_names else "",
        "notes": "; ".join(outcome.notes)})
    return ds


def _plain(v):
    """A JSON value: NaN -> None, NumPy scalars -> Python, 6 significant figures."""
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float):
        return None if not math.isfinite(v) else float(f"{v:.6g}")
    return v


def to_json(ds: xr.Dataset) -> dict:
    """The sweep as JSON: its dims, every unit, one record per point (flag variables by their
    meaning, per-pass variables as lists) and the attributes."""
    dims = [d for d in ds.sizes if d != "pass"]
    shape = tuple(ds.sizes[d] for d in dims)
    points = []
    for idx in np.ndindex(*shape):
        at = dict(zip(dims, idx, strict=True))
        rec: dict = {d: _plain(ds[d].values[i]) for d, i in at.items()}
        for name, var in ds.data_vars.items():
            vals = var.isel({d: at[d] for d in var.dims if d in at}).values
            if "flag_meanings" in var.attrs:
                code = int(vals)
                meanings = var.attrs["flag_meanings"].split()
                rec[str(name)] = meanings[code] if 0 <= code < len(meanings) else None
            elif "pass" in var.dims:
                rec[str(name)] = [_plain(x) for x in vals if np.isfinite(x)]
            else:
                rec[str(name)] = _plain(vals[()])
        points.append(rec)
    units = {str(k): v.attrs["units"] for k, v in {**ds.coords, **ds.data_vars}.items()
             if "units" in v.attrs}
    attrs = {k: _plain(v) for k, v in ds.attrs.items() if k != "sweep"}
    return {"dims": dims, "units": units, "points": points, "attrs": attrs}


def write(ds: xr.Dataset, path: str | Path, field: str = "--out") -> None:
    """NetCDF (.nc) or Zarr (.zarr), whole or not at all (io/files.py)."""
    from ..io.files import atomic_directory, write_netcdf

    if str(path).endswith(".zarr"):
        with atomic_directory(path, field) as tmp:
            ds.to_zarr(tmp, mode="w", zarr_format=2, consolidated=True)
    else:
        write_netcdf(ds, path, field)
