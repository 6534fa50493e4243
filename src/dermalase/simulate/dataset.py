"""The xarray Dataset of one simulation: fields on the grid, the pattern and the healing curve."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import xarray as xr

from .._version import __version__
from ..healing import DAY, Healing
from ..physics.damage import COLLAGEN_SET, NECROSIS_SET, arrhenius_sets
from ..physics.solver import SolverOutput
from .outcome import Outcome


def _damage(out: SolverOutput, name: str) -> tuple:
    aset = arrhenius_sets()[name]
    return (("r", "z"), out.omega[name], {"units": "1", "long_name": "Arrhenius integral, "
                                           + aset.endpoint, "source": aset.source})


#: the CF version these datasets follow (cfconventions.org)
CONVENTIONS = "CF-1.10"


def _radial(out: SolverOutput) -> tuple[dict, dict]:
    """The radial coordinate and, on an r-z grid, its cell bounds (CF ``bounds``). A 1-D run is
    one laterally uniform column on the beam axis: r = 0 and no bounds (no sentinel face)."""
    if out.geometry == "1d":
        return ({"r": ("r", np.zeros(1), {"units": "um", "long_name": "radius from the beam "
                                          "axis", "comment": "1-D run: one laterally uniform "
                                          "column, shown on the axis"})}, {})
    faces = out.grid.r_faces * 1e6
    bounds = np.column_stack([faces[:-1], faces[1:]])
    return ({"r": ("r", out.r * 1e6, {"units": "um", "long_name": "radius from the beam axis "
                                      "(cell centre)", "bounds": "r_bounds"})},
            {"r_bounds": (("r", "nv"), bounds, {"units": "um",
                                                 "long_name": "radial cell faces"})})


def grid_dataset(out: SolverOutput, name: str, scenario: dict, summary: dict) -> xr.Dataset:
    """Fields of the run (µm coordinates) with the scenario and summary as attributes."""
    r_coord, r_bounds = _radial(out)
    layers = list(out.layer_names)
    return xr.Dataset(
        {
            "temperature": (("t", "r", "z"), out.snapshots,
                            {"units": "degC", "long_name": "tissue temperature",
                             "comment": "NaN (the fill value) where the tissue is ablated"}),
            "peak_temperature": (("r", "z"), out.tmax,
                                 {"units": "degC", "long_name": "highest tissue temperature "
                                  "reached"}),
            "damage_necrosis": _damage(out, NECROSIS_SET),
            "damage_collagen": _damage(out, COLLAGEN_SET),
            "water_fraction": (("r", "z"), out.water, {"units": "1",
                                                        "long_name": "water volume fraction"}),
            "surface_depth": (("r",), out.top * out.dz * 1e6,
                              {"units": "um", "long_name": "depth of the crater floor"}),
            "layer": (("z",), out.layer_index.astype(np.int32),
                      {"long_name": "skin layer",
                       "flag_values": np.arange(len(layers), dtype=np.int32),
                       "flag_meanings": " ".join(layers)}),
            **r_bounds,
        },
        coords={"t": ("t", out.times, {"units": "s", "long_name": "time since the first "
                                       "pulse started"}),
                **r_coord,
                "z": ("z", out.z * 1e6, {"units": "um", "positive": "down",
                                         "long_name": "depth below the original skin surface "
                                         "(cell centre)"})},
        attrs={
            "Conventions": CONVENTIONS,
            "title": f"dermalase simulation: {name}",
            "institution": "dermalase (physics-based laser resurfacing simulator)",
            "source": f"dermalase {__version__}",
            "dermalase_version": __version__,
            "scenario": json.dumps(scenario),
            "summary": json.dumps({k: v for k, v in summary.items() if k != "scenario"}),
            "geometry": out.geometry,
            "backend": "numba",
            "dz_m": out.dz,
            "time_steps": out.steps,
        },
    )


def add_pattern(ds: xr.Dataset, outcome: Outcome) -> xr.Dataset:
    """Zone positions, firing times and bulk heating series of a fractional run."""
    geom, pat = outcome.zone_geometry, outcome.pattern
    return ds.assign(
        zone_x=(("zone",), pat.positions[:, 0] * 1e6, {"units": "um", "long_name":
                                                         "zone centre, x"}),
        zone_y=(("zone",), pat.positions[:, 1] * 1e6, {"units": "um", "long_name":
                                                         "zone centre, y"}),
        zone_fire_time=(("zone",), pat.fire_times, {"units": "s",
                                                    "long_name": "firing time of the zone"}),
        bulk_rise=(("bulk_t",), pat.bulk.mean_series,
                   {"units": "K", "long_name": "bridge-averaged temperature rise"}),
        collar_thickness=(("collar_z",), geom.collar * 1e6,
                          {"units": "um", "long_name": "coagulated wall thickness"}),
    ).assign_coords(
        bulk_t=("bulk_t", pat.bulk.times, {"units": "s", "long_name": "time since the "
                                           "first zone fired"}),
        collar_z=("collar_z", geom.collar_depth * 1e6, {"units": "um", "long_name": "depth "
                                                        "below the skin surface"}),
    ).assign_attrs(pattern_side_um=pat.side * 1e6, mtz_diameter_um=geom.mtz_diameter * 1e6,
                   channel_diameter_um=geom.channel_diameter * 1e6)


def add_healing_curve(ds: xr.Dataset, heal: Healing) -> xr.Dataset:
    """Open wound fraction over time (d)."""
    t_end = max(heal.days_range[1] if np.isfinite(heal.days_range[1]) else 30.0, 1.0) * 1.2
    times = np.linspace(0.0, t_end, 121) * DAY
    return ds.assign(
        open_wound_fraction=(("heal_t",), heal.open_fraction(times),
                             {"units": "1", "long_name": "open (not re-epithelialized) "
                              "fraction of the treated surface"})
    ).assign_coords(heal_t=("heal_t", times / DAY, {"units": "d", "long_name": "time since "
                                                    "the treatment"}))


def to_dataset(outcome: Outcome, heal: Healing, name: str, scenario: dict,
               summary: dict[str, Any]) -> xr.Dataset:
    ds = grid_dataset(outcome.solver, name, scenario, summary)
    if outcome.pattern is not None:
        ds = add_pattern(ds, outcome)
    return add_healing_curve(ds, heal)
