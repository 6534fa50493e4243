"""The numerical settings of a run: a plain value, importable without the solver's compiled
kernels (the scenario layer builds one for every scenario it checks)."""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import require, require_choice


@dataclass(frozen=True)
class Numerics:
    """Numerical settings; defaults are converged (benchmarks/ and
    tests/simulate/test_convergence.py).

    geometry : "auto" | "1d" | "rz"
        auto: 1-D when the spot radius exceeds 20x the heated depth (optical depth plus
        diffusion length over the pulse), else axisymmetric r-z.
    resolution : float
        Refinement factor: dz and dt are divided by it.
    """

    geometry: str = "auto"
    resolution: float = 1.0
    domain_depth: float = 1.5e-3      # m, 1-D
    domain_depth_rz: float = 0.8e-3   # m, r-z
    cooling_time: float = 2.0         # s after the last pulse
    min_pulse_steps: int = 60
    max_pulse_steps: int = 20000
    front_cells_per_step: float = 0.25
    #: in r-z (cells of 1-5 um, not a fixed share of the optical depth) the front may move at
    #: most this many optical depths per step, and at most ``front_cells_per_step_rz`` cells
    #: (tests/physics/test_microchannel.py; docs/design.md has the measurements)
    front_optical_depths_rz: float = 0.2
    front_cells_per_step_rz: float = 0.5
    #: while light arrives, radial conduction (r-z) steps at most this fraction of dr^2/alpha
    #: of the narrowest ring, adding up the shorter steps of the front
    radial_step_fraction: float = 0.02
    growth: float = 1.15
    max_dt: float = 0.05              # s
    dz_max: float = 2e-6              # m
    dz_min_rz: float = 1e-6           # m, floor on dz in r-z (deep channels; see test_fractional)
    dz_max_rz: float = 5e-6           # m, cap on dz in ablative r-z runs (CO2 channels)
    n_snapshots: int = 48
    plume_shielding: bool = True      # ejecta in a crater absorb the beam (CO2: data/ejecta.csv)
    #: 1-D: while light arrives, conduction below the reach of the pulse (its deposit and
    #: heat, :meth:`SpotSolver.deep_cap`) waits and is solved once per pulse, or sooner when
    #: the pulse's heat nears it (docs/design.md; tests/physics/test_thermal.py)
    defer_deep: bool = True
    #: split the sweeps over threads: "auto" (see :meth:`Kernels.choose`), "never" or
    #: "always"; the result does not depend on it (tests/physics/test_threads.py)
    parallel: str = "auto"

    def __post_init__(self) -> None:
        require_choice("numerics.geometry", self.geometry, ("auto", "1d", "rz"))
        require_choice("numerics.parallel", self.parallel, ("auto", "never", "always"))
        for name in ("resolution", "domain_depth", "domain_depth_rz", "cooling_time",
                     "front_cells_per_step", "front_optical_depths_rz", "front_cells_per_step_rz",
                     "radial_step_fraction",
                     "max_dt", "dz_max", "dz_min_rz", "dz_max_rz"):
            require(f"numerics.{name}", getattr(self, name))
        for name in ("min_pulse_steps", "max_pulse_steps", "n_snapshots"):
            require(f"numerics.{name}", getattr(self, name), low=1, inclusive=True,
                    integer=True)
        require("numerics.growth", self.growth, low=1.0)


#: tissue within this (K) of its rest temperature is at rest for conduction: 1 µK, far below
#: anything the summary reports (a project choice; the convergence and validation tests hold)
REST_TOLERANCE = 1e-6
#: diffusion lengths of one step added below the deepest cell not at rest: an implicit step
#: carries a change at most e^-10 of the way that far
WINDOW_LENGTHS = 10.0


def window_margin(alpha: float, dt: float, dz: float) -> int:
    """Cells below the deepest cell not at rest that conduction also solves in a step of
    ``dt``: :data:`WINDOW_LENGTHS` diffusion lengths sqrt(alpha dt), plus two."""
    return int(math.ceil(WINDOW_LENGTHS * math.sqrt(alpha * dt) / dz)) + 2


#: readings of the runnable-task count :func:`free_cores` takes (a project choice: 5 ms)
RUNNABLE_SAMPLES = 5


def _own_running() -> int:
    """Threads of this process runnable now (/proc/self/task/*/stat, state R); 1 where the
    system does not say (this thread)."""
    try:
        tasks = list(Path("/proc/self/task").iterdir())
    except OSError:
        return 1
    running = 0
    for t in tasks:
        try:
            running += (t / "stat").read_text().rsplit(")", 1)[1].split()[0] == "R"
        except (OSError, IndexError):
            pass
    return max(running, 1)


def free_cores(loadavg: str | list[str] | None = None, own: int | None = None) -> float:
    """Cores not used by other processes, from the larger of two counts: the 1-minute load
    average (less this process), which lags a minute behind a process that has just started,
    and the number of tasks runnable right now (the fourth field of /proc/loadavg) less this
    process's own runnable threads, the fewest of :data:`RUNNABLE_SAMPLES` readings 1 ms apart.
    Counting this process's threads out matters: NumPy's OpenBLAS starts a worker thread that
    stays runnable for a while after the import, and cold plans read that as another process
    holding a core and ran serially. The fewest readings: a process that holds a core is
    runnable in every one, a thread that wakes for a moment is not. ``loadavg``: that file's
    text or several readings, ``own``: this process's runnable threads at them (default: read
    both). The number of cores when the system says neither."""
    n = os.cpu_count() or 1
    busy = 0.0
    try:
        busy = max(busy, os.getloadavg()[0] - 1.0)
    except (OSError, AttributeError):
        pass
    readings = []
    if loadavg is None:
        for k in range(RUNNABLE_SAMPLES):
            if k:
                time.sleep(1e-3)
            try:
                readings.append((Path("/proc/loadavg").read_text(), _own_running()))
            except OSError:
                break
    else:
        texts = [loadavg] if isinstance(loadavg, str) else list(loadavg)
        readings = [(t, 1 if own is None else own) for t in texts]
    try:
        if readings:
            busy = max(busy, min(float(t.split()[3].split("/")[0]) - mine
                                 for t, mine in readings))
    except (IndexError, ValueError):
        pass
    return n - busy
