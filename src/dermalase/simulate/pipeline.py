"""The simulation pipeline: Scenario -> run (full field or fractional, peers returning an SI
:class:`~dermalase.simulate.outcome.Outcome`) -> healing -> typed
:class:`~dermalase.simulate.summary.Summary` -> :class:`Result` (JSON summary + Dataset).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import data
from .. import healing as heal_model
from ..errors import InputError
from ..healing import Healing
from ..laser.fractional import Fractional
from . import budget
from .fractional import run_fractional
from .fullfield import run_full_field
from .outcome import Outcome
from .scenario import Scenario
from .summary import UNITS, HealingSummary, Summary

if TYPE_CHECKING:  # xarray (with pandas, ~0.25 s) is imported when a dataset is made
    import xarray as xr

__all__ = ["Result", "simulate", "summarize", "UNITS"]


class Result:
    """Outcome of one simulation: ``summary`` (the JSON contract), ``dataset`` (fields),
    ``typed`` (the :class:`Summary`, SI), ``outcome`` (the SI run) and ``healing``.

    ``dataset`` may be given as a function that makes it: it is then made on first access, so
    a caller that needs only the summary (the planner's probes, sweeps) never imports xarray
    (~0.3 s) nor builds the fields (issue 18)."""

    def __init__(self, summary: dict[str, Any], dataset: xr.Dataset | Callable[[], xr.Dataset],
                 scenario: Scenario, healing: Healing | None = None,
                 typed: Summary | None = None, outcome: Outcome | None = None):
        self.summary = summary
        self._dataset = dataset
        self.scenario = scenario
        self.healing = healing
        self.typed = typed
        self.outcome = outcome

    @property
    def dataset(self) -> xr.Dataset:
        if callable(self._dataset):
            self._dataset = self._dataset()
        return self._dataset

    def to_json(self) -> str:
        return json.dumps(self.summary, indent=2, allow_nan=False)

    def __repr__(self) -> str:
        from .display import result_repr

        return result_repr(self)

    def _repr_html_(self) -> str:
        from .display import result_html

        return result_html(self)

    def stored_summary(self) -> dict[str, Any]:
        """The store's ``summary`` entry: the JSON summary without its scenario and units
        (the store keys on the scenario; the units are the module's)."""
        return {k: v for k, v in self.summary.items() if k not in ("scenario", "units")}


def healing_of(outcome: Outcome, scenario: Scenario) -> tuple[Healing, HealingSummary]:
    """Re-epithelialization (front-migration model) and remodeling of a run (SI)."""
    skin = scenario.skin
    pattern = None
    if outcome.pattern is not None:
        pat = outcome.pattern
        assert outcome.zone is not None  # a fractional run has both
        pattern = (pat.positions, pat.side, outcome.zone.mtz_diameter)
    heal = heal_model.healing_for(skin, outcome.injury_depth,
                                  coagulum=outcome.coagulation_depth, pattern=pattern)
    dl = scenario.delivery
    density = dl.density if isinstance(dl, Fractional) else None
    finite_range = bool(np.isfinite(heal.days_range[1]))
    return heal, HealingSummary(
        days=float(heal.days) if np.isfinite(heal.days) else None,
        days_range=(float(heal.days_range[0]), float(heal.days_range[1])) if finite_range
        else None,
        wound_fraction=float(heal.wound_fraction),
        adnexa_survive=bool(outcome.injury_depth < heal_model.adnexa_depth(skin)),
        remodeling_volume=heal_model.remodeling_volume(outcome.solver, density))


def healing_warnings(outcome: Outcome, hs: HealingSummary, scenario: Scenario) -> list[str]:
    w = []
    if not hs.adnexa_survive:
        depth = heal_model.adnexa_depth(scenario.skin)
        w.append(f"the injury ({outcome.injury_depth * 1e6:.0f} um) reaches below the adnexa of "
                 f"the {scenario.skin.site} (bottom of the dermis, {depth * 1e6:.0f} um): the "
                 "wound heals from its edges only; risk of delayed healing and scarring")
    scar = heal_model.scarring_depth(scenario.skin)
    if outcome.pattern is None and hs.adnexa_survive and outcome.injury_depth > scar:
        w.append(f"the injury ({outcome.injury_depth * 1e6:.0f} um) is deeper than the depth at "
                 f"which a confluent wound scars ({scar * 1e6:.0f} um here: "
                 f"{data.constant('scarring_depth_fraction'):.0%} of the skin's thickness, "
                 "Dunkin et al., Plast Reconstr Surg 2007): risk of scarring")
    if hs.days is None:
        w.append("the wound has no surviving epidermis to heal from")
    return w


def dial_warnings(outcome: Outcome, scenario: Scenario) -> list[str]:
    """A device dial the run does not honour says so, with the numbers (issue 30): each dial
    the device record lists (devices/resolve.py ``DIAL_OUTCOMES``) is compared with the
    simulated quantity it names; beyond its tolerance (a fraction of the dial, and for a depth
    at least one grid cell) the run warns. Generic: the record says what to compare."""
    dev = scenario.device or {}
    out = []
    for d in dev.get("dials", ()):
        sim = getattr(outcome, d["quantity"])
        values = [float(v) for v in (sim if isinstance(sim, tuple | list) else (sim,))]
        target = d["value"] * d["si"]
        allowed = d["tolerance"] * abs(target)
        if d["kind"] == "depth":
            allowed = max(allowed, outcome.solver.dz)
        off = [(i, v) for i, v in enumerate(values) if abs(v - target) > allowed]
        if not off:
            continue
        unit = d["unit"] or ""

        def shown(v: float, unit: str = unit, d: dict = d) -> str:
            return f"{v / d['si']:.3g} {unit}".strip()

        got = shown(off[0][1]) if len(values) == 1 else ", ".join(
            f"pass {i + 1}: {shown(v)}" for i, v in off)
        rel = max(abs(v - target) for _, v in off) / abs(target) if target else math.inf
        out.append(f"{dev.get('name', 'device')} dial {d['setting']} = {d['value']:g} {unit} "
                   f"({d['means']}): the model simulates {got}, {rel:.0%} off the dial "
                   f"(tolerance {d['tolerance']:.0%}); the results are the model's, for the "
                   "physics the dial resolved to (scenario.device)")
    return out


def summarize(outcome: Outcome, hs: HealingSummary, warnings: list[str]) -> Summary:
    """The typed summary of a run and its healing."""
    return Summary(
        **outcome.findings(), ablation_per_pass=outcome.ablation_per_pass,
        regimes=outcome.regimes, geometry=outcome.solver.geometry, healing=hs,
        zone=outcome.zone, warnings=(*outcome.warnings, *warnings))


def simulate(scenario: Scenario | dict, *,
             progress: Callable[[float], None] | None = None) -> Result:
    """Run one scenario and return its :class:`Result`."""
    if isinstance(scenario, dict):
        scenario = Scenario.from_dict(scenario)
    if not isinstance(scenario, Scenario):
        raise InputError("scenario", scenario, "a Scenario or a scenario dict")
    budget.check(scenario)  # refuse up front what would run for hours
    run = run_fractional if scenario.fractional else run_full_field
    outcome = run(scenario, progress=progress)
    heal, hs = healing_of(outcome, scenario)
    typed = summarize(outcome, hs, healing_warnings(outcome, hs, scenario)
                      + dial_warnings(outcome, scenario))
    resolved = scenario.resolved()
    summary = typed.to_dict(resolved)

    def fields() -> xr.Dataset:
        from .dataset import to_dataset

        return to_dataset(outcome, heal, scenario.name, resolved, summary)

    return Result(summary=summary, dataset=fields, scenario=scenario, healing=heal,
                  typed=typed, outcome=outcome)
