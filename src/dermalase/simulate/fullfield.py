"""Full-field run: one spot with its passes (1-D or r-z) -> SI :class:`Outcome`."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from ..laser.delivery import FullField
from ..physics.damage import COLLAGEN_SET, NECROSIS_SET
from ..physics.microchannel import crater_depth_bound
from ..physics.solver import Numerics, SolverOutput, run_spot
from .outcome import Outcome, energy_accounts


def depth_below(mask: np.ndarray, top: int, dz: float) -> float:
    """Thickness (m) of the contiguous run of True cells starting at the surface cell."""
    run = mask[top:]
    if run.size == 0 or not run[0]:
        return 0.0
    stop = np.argmin(run) if not run.all() else run.size
    return float(stop) * dz


def peak_temperature(out: SolverOutput) -> float:
    """Highest temperature (C) reached by tissue still in place at the end (by any tissue when
    none is left)."""
    alive = np.arange(out.tmax.shape[1])[None, :] >= out.top[:, None]
    return float(np.max(out.tmax[alive])) if alive.any() else float(np.max(out.tmax))


#: share of the delivered energy leaving the domain bottom above which results are flagged
TRANSMITTED_WARNING = 0.01


def domain_warnings(out: SolverOutput, injury_depth: float) -> list[str]:
    """Warnings when the run reached the edge of its domain: the depths are then lower bounds
    (issue 17: never report the grid's edge as a result without saying so)."""
    w = []
    bottom = out.grid.bottom
    if injury_depth >= bottom - 2 * out.dz:
        w.append(f"the injury reached the bottom of the simulated domain ({bottom * 1e6:.0f} "
                 "um, the bottom of the skin model or of the grid): ablation and injury depths "
                 "are lower bounds; these settings remove more tissue than the model holds")
    share = out.tallies["transmitted"] / out.delivered if out.delivered > 0 else 0.0
    if share > TRANSMITTED_WARNING:
        w.append(f"{share:.0%} of the delivered energy left the bottom of the simulated domain; "
                 "energy figures below it are not modelled")
    return w


def full_field_outcome(out: SolverOutput, spot: FullField) -> Outcome:
    """Depths on the beam axis; energy per m^2 of the spot (1-D: of the treated surface)."""
    top = int(out.top[0])
    abl = top * out.dz
    coag = depth_below(out.omega[NECROSIS_SET][0] >= 1.0, top, out.dz)
    coll = depth_below(out.omega[COLLAGEN_SET][0] >= 1.0, top, out.dz)
    injury = abl + coag
    idx = min(int(np.ceil(injury / out.dz)) - 1, len(out.z) - 1) if injury > 0 else 0
    area = 1.0 if out.geometry == "1d" else np.pi * (spot.spot_diameter / 2) ** 2
    return Outcome(
        solver=out, ablation_depth=abl, coagulation_depth=coag, injury_depth=injury,
        collagen_denaturation_depth=coll,
        deepest_layer=out.layer_names[int(out.layer_index[idx])] if injury > 0 else None,
        peak_temperature=peak_temperature(out),
        surface_injury_fraction=1.0 if injury > 0 else 0.0,
        energy_balance={k: v / area for k, v in energy_accounts(out).items()},
        warnings=tuple(domain_warnings(out, injury) + train_warnings(out)))


def train_warnings(out: SolverOutput) -> list[str]:
    """A train meant to be sub-ablative that ablated says so."""
    removed = sum(rec.train_ablation for rec in out.passes)
    if removed <= 0.0:
        return []
    return [f"the pulse train ablated {removed * 1e6:.1f} um in the model: its fluence is above "
            "the model's ablation threshold, so it is not sub-ablative here (the model's "
            "thresholds: docs/validation.md, er-yag-threshold and co2-threshold)"]


def full_field_numerics(scenario) -> Numerics:
    """The scenario's numerics with a domain deep enough for the crater and the heat below it
    (up to the skin model's depth; ordinary settings keep the default domain)."""
    spot, num = scenario.delivery, scenario.numerics
    per_pass = (spot.peak_fluence + spot.train_pulses * spot.train_peak_fluence) * spot.stack
    need = crater_depth_bound(scenario.skin, per_pass, spot.passes,
                              scenario.constants) + 0.5e-3
    return dataclasses.replace(num, domain_depth=max(num.domain_depth, need),
                               domain_depth_rz=max(num.domain_depth_rz, need))


def run_full_field(scenario, progress: Callable[[float], None] | None = None) -> Outcome:
    """Simulate a full-field scenario."""
    out = run_spot(scenario.skin, scenario.source, scenario.delivery,
                   full_field_numerics(scenario), scenario.constants, progress=progress)
    return full_field_outcome(out, scenario.delivery)
