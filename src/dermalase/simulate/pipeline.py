"""The simulation pipeline: Scenario -> solver -> Result (summary + xarray Dataset)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

from .._version import __version__
from ..physics.damage import COLLAGEN_SET, NECROSIS_SET, arrhenius_sets
from ..physics.solver import SolverOutput, run_spot
from .scenario import Scenario

UNITS = {
    "ablation_depth_um": "um", "coagulation_depth_um": "um", "injury_depth_um": "um",
    "collagen_denaturation_depth_um": "um", "peak_temperature_C": "degC",
    "channel_diameter_um": "um", "coagulation_collar_um": "um", "mtz_diameter_um": "um",
    "surface_injury_fraction": "1", "reepithelialization_days": "d",
    "ablation_per_pass_um": "um", "energy_balance_J_m2": "J/m^2",
    "bulk_temperature_rise_C": "K", "bridge_peak_rise_C": "K", "bridge_damage_integral": "1",
    "zone_density_per_cm2": "1/cm^2", "coverage": "1", "zone_spacing_um": "um",
    "bridge_width_um": "um", "energy_per_zone_J": "J", "reepithelialization_days_range": "d",
    "wound_fraction": "1", "remodeling_index_mm3_per_cm2": "mm^3/cm^2", "zone_max_width_um": "um",
}


@dataclass
class Result:
    """Outcome of one simulation: ``summary`` (contract keys) and ``dataset`` (fields)."""

    summary: dict[str, Any]
    dataset: xr.Dataset
    scenario: Scenario
    healing: Any = None

    def to_json(self) -> str:
        return json.dumps(self.summary, indent=2, allow_nan=False)


def _depth_below(mask: np.ndarray, top: int, dz: float) -> float:
    """Thickness (m) of the contiguous run of True cells starting at the surface cell."""
    run = mask[top:]
    if run.size == 0 or not run[0]:
        return 0.0
    stop = np.argmin(run) if not run.all() else run.size
    return float(stop) * dz


def summarize(out: SolverOutput, scenario: Scenario) -> dict[str, Any]:
    top = int(out.top[0])
    abl = top * out.dz
    coag = _depth_below(out.omega[NECROSIS_SET][0] >= 1.0, top, out.dz)
    coll = _depth_below(out.omega[COLLAGEN_SET][0] >= 1.0, top, out.dz)
    injury = abl + coag
    idx = min(int(np.ceil(injury / out.dz)) - 1, len(out.z) - 1) if injury > 0 else 0
    alive = np.ones_like(out.tmax, dtype=bool)
    for i, t in enumerate(out.top):
        alive[i, :t] = False
    tally = out.tallies
    # per unit area of the spot (1-D: per m^2 of the uniformly treated surface)
    spot = scenario.delivery.as_spot() if scenario.fractional else scenario.delivery
    area = 1.0 if out.geometry == "1d" else np.pi * (spot.spot_diameter / 2) ** 2
    delivered = out.delivered
    balance = {
        "delivered": delivered / area,
        "reflected": tally["reflected"] / area,
        "removed_by_ablation": (tally["vaporized"] + tally["ablated"]) / area,
        "absorbed_by_plume": tally["plume"] / area,
        "retained_in_tissue": tally["retained"] / area,
        "conducted_and_perfused_out": (tally["boundary"] + tally["perfusion"]) / area,
        "transmitted": tally["transmitted"] / area,
    }
    per_pass = []
    for rec in out.passes:
        per_pass.append(round(float(rec.surface_after - rec.surface_before) * 1e6, 3))
    summary = {
        "ablation_depth_um": round(abl * 1e6, 3),
        "coagulation_depth_um": round(coag * 1e6, 3),
        "injury_depth_um": round(injury * 1e6, 3),
        "deepest_layer": out.layer_names[int(out.layer_index[idx])] if injury > 0 else None,
        "peak_temperature_C": round(float(np.max(out.tmax[alive])), 2),
        "collagen_denaturation_depth_um": round(coll * 1e6, 3),
        "channel_diameter_um": None,
        "coagulation_collar_um": None,
        "mtz_diameter_um": None,
        "surface_injury_fraction": 1.0 if injury > 0 else 0.0,
        "reepithelialization_days": None,
        "ablation_per_pass_um": per_pass,
        "regimes": [rec.regime for rec in out.passes],
        "geometry": out.geometry,
        "energy_balance_J_m2": {k: round(float(v), 3) for k, v in balance.items()},
        "warnings": [],
        "units": UNITS,
        "version": __version__,
        "scenario": scenario.resolved(),
    }
    return summary


def to_dataset(out: SolverOutput, scenario: Scenario, summary: dict) -> xr.Dataset:
    z_um = out.z * 1e6
    r_um = out.r * 1e6
    ds = xr.Dataset(
        {
            "temperature": (("t", "r", "z"), out.snapshots,
                            {"units": "degC", "long_name": "tissue temperature (NaN: ablated)"}),
            "peak_temperature": (("r", "z"), out.tmax, {"units": "degC"}),
            "damage_necrosis": (("r", "z"), out.omega[NECROSIS_SET],
                                {"units": "1", "long_name": "Arrhenius integral, "
                                 + arrhenius_sets()[NECROSIS_SET].endpoint,
                                 "source": arrhenius_sets()[NECROSIS_SET].source}),
            "damage_collagen": (("r", "z"), out.omega[COLLAGEN_SET],
                                {"units": "1", "long_name": "Arrhenius integral, "
                                 + arrhenius_sets()[COLLAGEN_SET].endpoint,
                                 "source": arrhenius_sets()[COLLAGEN_SET].source}),
            "water_fraction": (("r", "z"), out.water, {"units": "1",
                                                        "long_name": "water volume fraction"}),
            "surface_depth": (("r",), out.top * out.dz * 1e6,
                              {"units": "um", "long_name": "depth of the crater floor"}),
            "layer": (("z",), out.layer_index.astype(np.int32),
                      {"units": "1", "flag_meanings": " ".join(out.layer_names)}),
        },
        coords={"t": ("t", out.times, {"units": "s"}),
                "r": ("r", r_um, {"units": "um"}),
                "z": ("z", z_um, {"units": "um", "positive": "down"})},
        attrs={
            "title": f"dermalase simulation: {scenario.name}",
            "dermalase_version": __version__,
            "scenario": json.dumps(scenario.resolved()),
            "summary": json.dumps({k: v for k, v in summary.items() if k != "scenario"}),
            "geometry": out.geometry,
            "backend": "numba",
            "dz_m": out.dz,
            "time_steps": out.steps,
        },
    )
    return ds


def simulate(scenario: Scenario | dict, *,
             progress: Callable[[float], None] | None = None) -> Result:
    """Run one scenario and return its :class:`Result`."""
    if isinstance(scenario, dict):
        scenario = Scenario.from_dict(scenario)
    if scenario.fractional:
        from .fractional import simulate_fractional

        result = simulate_fractional(scenario, progress=progress)
    else:
        out = run_spot(scenario.skin, scenario.source, scenario.delivery,
                             scenario.numerics, progress=progress)
        summary = summarize(out, scenario)
        result = Result(summary=summary, dataset=to_dataset(out, scenario, summary),
                        scenario=scenario)
    return add_healing(result)


def add_healing(result: Result) -> Result:
    """Re-epithelialization and remodeling (issue 4): summary keys and healing curve."""
    from .. import healing as H

    heal = H.healing_for(result)
    s = result.summary
    finite = np.isfinite(heal.days)
    s["reepithelialization_days"] = round(heal.days, 2) if finite else None
    s["reepithelialization_days_range"] = (
        [round(heal.days_range[0], 2), round(heal.days_range[1], 2)]
        if np.isfinite(heal.days_range[1]) else None)
    s["wound_fraction"] = round(heal.wound_fraction, 5)
    depth = H.adnexa_depth(result.scenario.skin)
    s["adnexa_survive"] = bool(s["injury_depth_um"] * 1e-6 < depth)
    s["remodeling_index_mm3_per_cm2"] = round(H.remodeling_volume(result) * 1e5, 4)
    if not s["adnexa_survive"]:
        s["warnings"].append(
            f"the injury ({s['injury_depth_um']:.0f} um) reaches below the adnexa of the "
            f"{result.scenario.skin.site} (bottom of the dermis, {depth * 1e6:.0f} um): the "
            "wound heals from its edges only; risk of delayed healing and scarring")
    if not finite:
        s["warnings"].append("the wound has no surviving epidermis to heal from")
    t_end = max(heal.days_range[1] if np.isfinite(heal.days_range[1]) else 30.0, 1.0) * 1.2
    times = np.linspace(0.0, t_end, 121) * H.DAY
    result.healing = heal
    result.dataset = result.dataset.assign(
        open_wound_fraction=(("heal_t",), heal.open_fraction(times),
                             {"units": "1", "long_name": "open (not re-epithelialized) "
                              "fraction of the treated surface"})
    ).assign_coords(heal_t=("heal_t", times / H.DAY, {"units": "d"}))
    result.dataset.attrs["summary"] = json.dumps(
        {k: v for k, v in s.items() if k != "scenario"})
    return result
