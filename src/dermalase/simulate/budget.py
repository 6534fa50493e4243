"""Resource guard (issue 17): a run whose predicted time exceeds a stated limit is refused up
front, with what to change, instead of running for hours or being killed.

The prediction counts the work the solver and the pattern will do (cells x time steps of the
spot or channel; bridge points x zones x sample times of the bulk heating) and divides it by
throughputs measured on this project's 2-core machine, taken at a third of the measured value
so that a busy machine is covered (benchmarks/bench_fullfield.py: the default Er:YAG case runs
27 million cell-steps/s, the Er:YAG channel 16 million; bulk heating 160 million zone
evaluations/s). Only the order of magnitude matters: the limit is ten minutes by default.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from ..errors import InputError
from ..physics.microchannel import channel_setup
from ..physics.solver import predicted_work
from .fullfield import full_field_numerics

#: cell-steps per second and zone evaluations per second assumed (a third of measured)
CELL_STEPS_PER_S = 5.0e6
ZONE_EVALS_PER_S = 5.0e7
#: default limit (s); DERMALASE_MAX_SECONDS changes it
MAX_SECONDS = 600.0
#: bridge points x sample times of the bulk heating (physics/pattern.py bulk_heating defaults)
_POINTS_X_TIMES = 200 * 160


@dataclass(frozen=True)
class Budget:
    solver_seconds: float
    pattern_seconds: float
    cells: int
    steps: int
    zones: int

    @property
    def seconds(self) -> float:
        return self.solver_seconds + self.pattern_seconds


def predict(scenario) -> Budget:
    """The predicted work and time of ``scenario`` (no simulation is run)."""
    sc, k = scenario, scenario.constants
    zones = 0
    if sc.fractional:
        d = sc.delivery
        num, transport = channel_setup(sc.skin, sc.source, d, sc.numerics, k)
        cells, steps = predicted_work(sc.skin, sc.source, d.as_spot(), num, k,
                                      transported=transport is not None,
                                      eject=sc.source.ablative or transport is None)
        zones = int(d.density * d.area)
    else:
        cells, steps = predicted_work(sc.skin, sc.source, sc.delivery,
                                      full_field_numerics(sc), k)
    return Budget(cells * steps / CELL_STEPS_PER_S, zones * _POINTS_X_TIMES / ZONE_EVALS_PER_S,
                  cells, steps, zones)


def limit_seconds() -> float:
    text = os.environ.get("DERMALASE_MAX_SECONDS", "")
    try:
        value = float(text) if text else MAX_SECONDS
    except ValueError:
        raise InputError("DERMALASE_MAX_SECONDS", text, "a number of seconds") from None
    if not value > 0:
        raise InputError("DERMALASE_MAX_SECONDS", text, "a positive number of seconds")
    return value


def check(scenario) -> Budget:
    """Refuse a scenario predicted to run longer than the limit, naming what drives it."""
    b = predict(scenario)
    limit = limit_seconds()
    if b.seconds <= limit:
        return b
    if b.pattern_seconds > b.solver_seconds:
        field, value = "delivery.area", f"{scenario.delivery.area * 1e4:g} cm^2"
        what = f"{b.zones:,} zones"
    else:
        field, value = "numerics.resolution", scenario.numerics.resolution
        what = f"{b.cells:,} cells x {b.steps:,} time steps"
    raise InputError(field, value, f"settings predicted to finish within {limit:.0f} s "
                     f"(these: ~{b.seconds:.0f} s for {what}); lower it, or set "
                     "DERMALASE_MAX_SECONDS to allow longer runs")
