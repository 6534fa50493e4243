"""Dose–response figures of a sweep: depth curves over one swept field, depth maps over two,
with the target depth band drawn."""

from __future__ import annotations

import numpy as np
import xarray as xr

DEPTHS = (("ablation_depth", "ablation"), ("coagulation_depth", "coagulation"),
          ("injury_depth", "injury (ablation + coagulation)"))
#: units as a clinician writes them
_PRETTY = (("um", "µm"), ("us", "µs"), ("^2", "²"), ("^3", "³"), ("degC", "°C"))


def clinical_unit(unit: str) -> str:
    """``J/cm^2`` -> ``J/cm²``, ``us`` -> ``µs``, ``um`` -> ``µm``, ``degC`` -> ``°C``."""
    for a, b in _PRETTY:
        unit = unit.replace(a, b)
    return unit


def _axis_label(ds: xr.Dataset, dim: str) -> str:
    """The swept field in words with its unit: "Fluence per pulse (J/cm²)"."""
    words = str(ds[dim].attrs.get("long_name") or dim)
    unit = ds[dim].attrs.get("units")
    return f"{words} ({clinical_unit(unit)})" if unit and unit != "1" else words


def _positions(ds: xr.Dataset, dim: str):
    c = ds[dim].values
    if c.dtype.kind == "f":
        return c, None
    return np.arange(len(c)), [str(x) for x in c]


def _log_scale(values, labels) -> bool:
    """A numeric axis whose values are spaced more evenly by ratio than by difference (a log
    range, or 250 us, 1 ms, 4 ms) is drawn on a log scale."""
    if labels is not None or len(values) < 3 or values.min() <= 0:
        return False
    d, r = np.diff(values), np.diff(np.log(values))
    return bool(np.std(r) / np.mean(r) < np.std(d) / np.mean(d))


def dose_response_figure(ds: xr.Dataset, path=None, *, target_um: tuple[float, float] | None
                         = None):
    """Curves (one swept field, the others at their first value) or maps (two)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    dims = [str(d) for d in ds["injury_depth"].dims]
    rest = {d: 0 for d in dims[2:]}
    sub = ds.isel(rest) if rest else ds
    fixed = ", ".join(f"{ds[d].attrs.get('long_name', d)} = {ds[d].values[0]}"
                      f" {clinical_unit(ds[d].attrs.get('units', ''))}".rstrip() for d in rest)
    if len(dims) == 1:
        fig, ax = plt.subplots(figsize=(7, 4.5))
        x, labels = _positions(ds, dims[0])
        for var, label in DEPTHS:
            ax.plot(x, sub[var].values, marker="o", label=label)
        if labels:
            ax.set_xticks(x, labels)
        if _log_scale(x, labels):
            ax.set_xscale("log")
        if target_um:
            ax.axhspan(*target_um, color="#1e6b2e", alpha=0.15, label="target depth")
        ax.set_xlabel(_axis_label(ds, dims[0]))
        ax.set_ylabel("depth below the skin surface (µm)")
        ax.legend()
        ax.grid(alpha=0.3)
    else:
        fig, axes = plt.subplots(1, 3, figsize=(15, 4.5), constrained_layout=True)
        x, xl = _positions(ds, dims[1])
        y, yl = _positions(ds, dims[0])
        for ax, (var, label) in zip(axes, DEPTHS, strict=True):
            z = sub[var].transpose(dims[0], dims[1]).values
            mesh = ax.pcolormesh(x, y, z, shading="nearest", cmap="magma_r")
            fig.colorbar(mesh, ax=ax, label=f"{label} depth (µm)")
            if target_um and np.isfinite(z).any() and len(x) > 1 and len(y) > 1:
                ax.contour(x, y, sub["injury_depth"].transpose(dims[0], dims[1]).values,
                           levels=sorted(target_um), colors="#1e6b2e", linewidths=2)
            if xl:
                ax.set_xticks(x, xl)
            if yl:
                ax.set_yticks(y, yl)
            if _log_scale(x, xl):
                ax.set_xscale("log")
            if _log_scale(y, yl):
                ax.set_yscale("log")
            ax.set_xlabel(_axis_label(ds, dims[1]))
            ax.set_ylabel(_axis_label(ds, dims[0]))
            ax.set_title(label)
        if target_um:
            fig.suptitle(f"green lines: injury depth {target_um[0]:g}-{target_um[1]:g} µm "
                         "(target band)")
    if fixed:
        fig.text(0.01, 0.01, f"at {fixed}", fontsize=8)
    if path is not None:
        from ..io.files import atomic_write, figure_format

        fmt = figure_format("--figure", path)  # the format the name ends with
        with atomic_write(path, "--figure") as tmp:
            fig.savefig(tmp, dpi=120, format=fmt)
        plt.close(fig)
    return fig
