"""The SI outcome of one run, before healing: what full-field and fractional runs both return."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..physics.solver import SolverOutput
from .summary import Findings, ZoneSummary


@dataclass(frozen=True)
class Outcome(Findings):
    """Depths (m), peak temperature (C), injured surface fraction, energy accounts and warnings
    of one run; ``zone`` and ``pattern`` for fractional runs (``pattern`` holds the zone
    positions, firing times and bulk heating of :mod:`dermalase.simulate.fractional`)."""

    solver: SolverOutput
    zone: ZoneSummary | None = None
    pattern: Any = None
    zone_geometry: Any = None
    warnings: tuple[str, ...] = field(default=())

    @property
    def ablation_per_pass(self) -> tuple[float, ...]:
        return tuple(float(r.surface_after - r.surface_before) for r in self.solver.passes)

    @property
    def regimes(self) -> tuple[str, ...]:
        return tuple(r.regime for r in self.solver.passes)


def energy_accounts(out: SolverOutput) -> dict[str, float]:
    """Where the delivered energy went (J; 1-D: J per m^2)."""
    t = out.tallies
    return {"delivered": out.delivered, "reflected": t["reflected"],
            "removed_by_ablation": t["vaporized"] + t["ablated"],
            "absorbed_by_plume": t["plume"],
            "retained_in_tissue": t["retained"],
            "conducted_and_perfused_out": t["boundary"] + t["perfusion"],
            "transmitted": t["transmitted"]}
