"""Resource guard (issue 17): a run whose predicted time or memory exceeds a stated limit is
refused up front, with what to change, instead of running for hours or being killed.

The prediction counts the work the solver and the pattern will do (cells x time steps of the
spot or channel; bridge points x zones x sample times of the bulk heating) and divides it by
throughputs measured on this project's 2-core machine, taken at a third of the measured value
so that a busy machine is covered (benchmarks/bench_fullfield.py: the default Er:YAG case runs
27 million cell-steps/s, the Er:YAG channel 16 million; bulk heating 160 million zone
evaluations/s). Only the order of magnitude matters: the limit is ten minutes by default.

Memory is predicted from the same cell count: every per-cell array the solver holds (the state,
the Arrhenius integrals and rates of each damage set, the medium) plus the temperature
snapshots, counted twice (the result's dataset copies them). The limit is half the machine's
memory by default. A Monte Carlo run (``dermalase mc``) is timed on a pilot of a few thousand
packets of the same medium and refused when its photon count would take longer than the limit.
"""

from __future__ import annotations

import math
import os
import time
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
#: float64 arrays per cell besides the snapshots: state (H, H0, water0, water, water_optics,
#: vapor, tmax, T, T_next), medium (C_s, k_s, perfusion, water, v_crit, layer) and, per damage set,
#: the integral and the rate (physics/solver.py State; physics/medium.py Medium)
_ARRAYS_PER_CELL = 15
#: copies of each snapshot array (the solver's and the dataset's)
_SNAPSHOT_COPIES = 2
#: default memory limit: this fraction of the machine's memory; DERMALASE_MAX_MEMORY_GB changes it
MEMORY_FRACTION = 0.5
#: packets in the Monte Carlo pilot that times a run
PILOT_PHOTONS = 2000
#: bridge points x sample times of the bulk heating (physics/pattern.py bulk_heating defaults)
_POINTS_X_TIMES = 200 * 160


@dataclass(frozen=True)
class Budget:
    solver_seconds: float
    pattern_seconds: float
    cells: int
    steps: int
    zones: int
    memory_bytes: float = 0.0

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
    from ..physics.medium import DAMAGE_SETS
    from ..physics.solver import Numerics

    per_cell = _ARRAYS_PER_CELL + 2 * len(DAMAGE_SETS) + _SNAPSHOT_COPIES * Numerics.n_snapshots
    return Budget(cells * steps / CELL_STEPS_PER_S, zones * _POINTS_X_TIMES / ZONE_EVALS_PER_S,
                  cells, steps, zones, memory_bytes=8.0 * per_cell * cells)


def limit_seconds() -> float:
    text = os.environ.get("DERMALASE_MAX_SECONDS", "")
    try:
        value = float(text) if text else MAX_SECONDS
    except ValueError:
        raise InputError("DERMALASE_MAX_SECONDS", text, "a number of seconds") from None
    if not value > 0:
        raise InputError("DERMALASE_MAX_SECONDS", text, "a positive number of seconds")
    return value


def limit_bytes() -> float:
    """The memory a run may use: DERMALASE_MAX_MEMORY_GB, else half the machine's memory."""
    text = os.environ.get("DERMALASE_MAX_MEMORY_GB", "")
    if text:
        try:
            value = float(text)
        except ValueError:
            raise InputError("DERMALASE_MAX_MEMORY_GB", text, "a number of GB") from None
        if not (value > 0 and math.isfinite(value)):
            raise InputError("DERMALASE_MAX_MEMORY_GB", text, "a positive number of GB")
        return value * 1e9
    try:
        return MEMORY_FRACTION * os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # not POSIX: no memory guard
        return math.inf


def check(scenario) -> Budget:
    """Refuse a scenario predicted to run longer, or to need more memory, than the limits,
    naming what drives it."""
    b = predict(scenario)
    memory = limit_bytes()
    if b.memory_bytes > memory:
        raise InputError("numerics.resolution", scenario.numerics.resolution,
                         f"settings predicted to fit in {memory / 1e9:.3g} GB of memory (these: "
                         f"~{b.memory_bytes / 1e9:.3g} GB for {b.cells:,} cells); lower it, "
                         "or set DERMALASE_MAX_MEMORY_GB to allow more")
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


def check_monte_carlo(runs) -> float:
    """Refuse MCML runs (``io.mcml.MCIRun``) predicted to take longer than the limit, from a
    timed pilot of :data:`PILOT_PHOTONS` packets of each medium. Returns the predicted s."""
    from ..physics.montecarlo import run as mc_run

    limit = limit_seconds()
    total = 0.0
    for i, r in enumerate(runs):
        n = min(r.n_photons, PILOT_PHOTONS)
        mc_run(r.medium, min(n, 10), dr=r.dr, dz=r.dz, nr=r.nr, nz=r.nz)  # loads the kernel
        t0 = time.perf_counter()
        mc_run(r.medium, n, dr=r.dr, dz=r.dz, nr=r.nr, nz=r.nz)
        total += (time.perf_counter() - t0) * r.n_photons / n
        if total > limit:
            raise InputError(f"mci run {i + 1} photons", r.n_photons,
                             f"a count predicted to finish within {limit:.0f} s (these runs: "
                             f"~{total:.0f} s or more, timed on {n:,} packets); lower it, or set "
                             "DERMALASE_MAX_SECONDS to allow longer runs")
    return total
