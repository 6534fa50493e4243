"""Time stepping of one spot (a full-field spot or one fractional microbeam) with its passes.

Operator splitting per step: deposition (:mod:`~dermalase.physics.beam`) -> implicit conduction
in z (and r, Lie splitting) with Pennes perfusion -> boiling and ejection -> trapezoidal
Arrhenius update. Steps are derived by the model (:class:`Schedule`): during a pulse the front
may not move more than a fraction of a cell per step and the pulse is resolved by at least
``min_pulse_steps``; after it, steps grow geometrically (implicit scheme: no stability limit) to
seconds of cooling.

The parts, each built from its inputs and passed in: the :class:`~dermalase.physics.grid.Grid`,
the tissue model (:class:`~dermalase.physics.medium.Medium`, from the skin and a
:class:`~dermalase.physics.constants.PhysicalConstants`), the beam model (source protocol),
the schedule, the named tallies (:mod:`~dermalase.physics.tallies`) and trackers (snapshots,
progress).
"""

from __future__ import annotations

import contextlib
import functools
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..laser.delivery import FullField
from ..laser.sources import LaserSource
from ..tissue.model import SkinModel
from . import _kernel as kernel
from .ablation import ejecta_speed
from .beam import BeamModel, BeerLambert, PlumeShielded, Transport, Transported
from .constants import PhysicalConstants
from .grid import Grid, build_grid
from .medium import DAMAGE_SETS, Medium, build_medium
from .numerics import REST_TOLERANCE, WINDOW_LENGTHS, Numerics, free_cores, window_margin
from .tallies import TALLY_NAMES, as_dict, new_tally

#: Cells of a grid from which "auto" may split each sweep over threads. Every split is a
#: hand-off between threads, once per sweep and step. Measured on the 2-core machine of this
#: project (benchmarks/bench_threads.py, OpenMP layer, 2 threads): r-z channels of
#: 17,000-29,000 cells run 1.6-1.8x faster split when the machine is otherwise idle, but 2x
#: slower when another process keeps a core busy (a waiting thread spins for a peer the system
#: has descheduled); a 1-D run (one column) gains nothing.
MIN_PARALLEL_CELLS = 10_000


_LOCAL = threading.local()
#: runs in progress in this process (run_spot), so that "auto" counts the cores its sibling
#: runs hold: free_cores() counts this process's own threads out (a library's idle worker is
#: no other process), so runs side by side in threads of one process are counted here
_RUNS = [0]
_RUNS_LOCK = threading.Lock()


@contextlib.contextmanager
def _counted_run():
    with _RUNS_LOCK:
        _RUNS[0] += 1
    try:
        yield
    finally:
        with _RUNS_LOCK:
            _RUNS[0] -= 1


@contextlib.contextmanager
def serial_kernels():
    """Inside the block, in this thread, "auto" never splits a sweep over threads: the caller
    already runs simulations side by side (the planner's searches in threads)."""
    saved = getattr(_LOCAL, "serial", False)
    _LOCAL.serial = True
    try:
        yield
    finally:
        _LOCAL.serial = saved


@dataclass(frozen=True)
class Kernels:
    """The compiled sweeps one run uses (serial or split over threads)."""

    conduct_z: Callable
    conduct_r: Callable
    accumulate_damage: Callable

    @classmethod
    def choose(cls, nr: int, nz: int, mode: str = "auto", free: float | None = None) -> Kernels:
        """"auto" splits a sweep when the grid has ``MIN_PARALLEL_CELLS`` cells, the sweep
        has at least 4 lines per thread, and the machine has a free core for every thread
        (``free``: default :func:`free_cores` less the other runs in progress in this process);
        otherwise more threads could be slower."""
        import numba

        if mode == "auto" and getattr(_LOCAL, "serial", False):
            mode = "never"
        threads = numba.get_num_threads()
        @functools.cache  # asked once, and only of a grid that could be split
        def is_idle() -> bool:
            others = max(_RUNS[0] - 1, 0)  # sibling runs of this process, a core each
            cores = free if free is not None else free_cores() - others
            return cores >= threads - 0.5

        def split(lines: int) -> bool:
            if mode == "always":
                return True
            return mode == "auto" and threads > 1 and nr * nz >= MIN_PARALLEL_CELLS \
                and lines >= 4 * threads and is_idle()

        cols, rows = split(nr), nr > 1 and split(nz)  # one column: no radial sweep to split
        return cls(kernel.conduct_z_parallel if cols else kernel.conduct_z,
                   kernel.conduct_r_parallel if rows else kernel.conduct_r,
                   kernel.accumulate_damage_parallel if cols else kernel.accumulate_damage)


@dataclass
class PassRecord:
    index: int
    regime: str
    surface_before: float   # m, depth of the surface on the axis before the pass
    surface_after: float
    pulse_steps: int
    energy: dict = field(default_factory=dict)  # J per category during this pulse + interval
    train_ablation: float = 0.0  # m removed on the axis by the pass's sub-ablative train


@dataclass
class SolverOutput:
    """Fields and accounts of one run (SI; temperatures in C)."""

    grid: Grid
    layer_names: tuple[str, ...]
    top: np.ndarray               # (nr,) first alive cell per column
    omega: dict[str, np.ndarray]  # set name -> (nr, nz)
    tmax: np.ndarray              # (nr, nz), C
    water: np.ndarray             # (nr, nz), final water volume fraction
    times: np.ndarray             # snapshot times, s
    snapshots: np.ndarray         # (nt, nr, nz) temperature, C (NaN where ablated)
    tallies: dict[str, float]     # J (1-D: per m^2); names of physics.tallies plus "retained"
    passes: list[PassRecord]
    steps: int
    delivered: float              # J arriving at the surface over all passes (1-D: per m^2)
    ejecta_speed: float | None    # m/s where the plume shielded the beam, else None

    @property
    def z(self) -> np.ndarray:
        return self.grid.z

    @property
    def r(self) -> np.ndarray:
        return self.grid.r

    @property
    def dz(self) -> float:
        return self.grid.dz

    @property
    def geometry(self) -> str:
        return self.grid.geometry

    @property
    def layer_index(self) -> np.ndarray:
        return self.grid.layer_index

    @property
    def area(self) -> np.ndarray:
        return self.grid.area


@dataclass
class State:
    """The evolving fields of a run (arrays (nr, nz) unless said)."""

    H: np.ndarray            # volumetric enthalpy, J/m^3
    H0: np.ndarray           # initial enthalpy
    water0: np.ndarray       # initial water volume fraction
    water: np.ndarray        # water volume fraction
    water_optics: np.ndarray  # water that sets absorption (frozen during a pulse)
    vapor: np.ndarray        # water boiled off in the current pass
    top: np.ndarray          # (nr,) first alive cell per column
    omega: np.ndarray        # (sets, nr, nz) Arrhenius integrals
    rate: np.ndarray         # damage rate at the previous step (trapezoid rule)
    tmax: np.ndarray         # peak temperature, C
    T: np.ndarray            # temperature, C
    T_next: np.ndarray
    #: (nr,) per column, the row from which the tissue is at rest and its temperature is
    #: current (what the last step solved; raised by whatever heats deeper)
    reach: np.ndarray
    tally: np.ndarray = field(default_factory=new_tally)
    t: float = 0.0
    steps: int = 0

    def accounts(self, dz: float, area: np.ndarray, water_heat: float) -> dict[str, float]:
        """The tallies (J) with every account relative to body temperature, plus ``retained``.

        The kernels count the vapor's enthalpy from 0 C (``water_heat`` = C_w T_body per unit
        water fraction is heat the water had before the laser came) and measure ejected and
        remaining cells against their initial state, water included. Water that boiled off took
        its body heat with it, so those two views disagree by ``water_heat`` per unit of water
        lost; here the vapor tally gives it back to the cells that lost the water: ``retained``
        is the heat the tissue still in place holds above what its present solid and water would
        hold at body temperature (zero once it has cooled back, however dry), and ``ablated``
        the same for the ejected cells. The sum of the accounts is unchanged.
        """
        alive = np.arange(self.H.shape[1])[None, :] >= self.top[:, None]
        lost = (self.water0 - self.water) * water_heat * dz * area[:, None]
        d = as_dict(self.tally)
        d["vaporized"] -= float(np.sum(lost))
        d["ablated"] += float(np.sum(np.where(alive, 0.0, lost)))
        d["retained"] = float(np.sum(np.where(alive, self.H - self.H0, 0.0) * dz * area[:, None])
                              + np.sum(np.where(alive, lost, 0.0)))
        return d


def initial_state(medium: Medium) -> State:
    k = medium.constants
    Cw, Ta = k.water_heat_capacity, k.body_temperature
    water = medium.water.copy()
    H = (medium.Cs + water * Cw) * Ta
    shape = water.shape
    st = State(H=H, H0=H.copy(), water0=water.copy(), water=water, water_optics=water.copy(),
               vapor=np.zeros(shape), top=np.zeros(shape[0], dtype=np.int64),
               omega=np.zeros((len(DAMAGE_SETS), *shape)), rate=np.zeros((len(DAMAGE_SETS),
                                                                          *shape)),
               tmax=np.full(shape, Ta), T=np.empty(shape), T_next=np.empty(shape),
               reach=np.zeros(shape[0], dtype=np.int64))
    refresh_temperature(st, medium, k.boiling_temperature)
    st.rate[:] = medium.damage_rate(st.T)
    return st


def refresh_temperature(st: State, medium: Medium, Tb: float) -> None:
    """``st.T`` = T(H) in every row (boiling at ``Tb``), and ``st.T_next`` the same: the
    steps after it update both only inside their windows (kernel.temperature)."""
    every_row = np.full(st.H.shape[0], st.H.shape[1], dtype=np.int64)
    k = medium.constants
    kernel.temperature(st.H, st.water, medium.Cs, k.water_heat_capacity, Tb,
                       k.dry_ablation_temperature, st.T, every_row)
    st.T_next[:] = st.T


@dataclass(frozen=True)
class Schedule:
    """The step rule: confined then free steps within each pulse, geometric growth after it.

    Ejection starts ``t_ej`` after the pulse does (Vogel & Venugopalan 2003 sec. VI-VII): until
    then deposited energy superheats the tissue water, up to its limit of superheat (the
    spinodal: it then boils explosively, but stays in place). A pulse shorter than ``t_ej``
    ablates in blow-off (material leaves after it), a longer one in steady state.
    """

    tau: float
    t_conf: float
    n_conf: int
    n_free: int
    growth: float
    max_dt: float

    @classmethod
    def build(cls, spot: FullField, medium: Medium, grid: Grid, numerics: Numerics,
              volumetric: bool, peak_fluence: float | None = None) -> Schedule:
        """The schedule of a pulse of ``spot`` (``peak_fluence``: J/m^2 on the axis, default
        the spot's; a sub-pulse of a train gives its own)."""
        tau = spot.pulse_duration
        peak = spot.peak_fluence if peak_fluence is None else peak_fluence
        # the front may move at most ``front_cells_per_step`` cells per step (1-D, cells a third
        # of the optical depth), in r-z at most 0.2 optical depths and half a cell: a boiling
        # surface cell conducts heat for the whole step, so coarser steps under-ablate
        front_step = numerics.front_cells_per_step * grid.dz if grid.nr == 1 else \
            min(numerics.front_optical_depths_rz / medium.front_absorption / numerics.resolution,
                numerics.front_cells_per_step_rz * grid.dz)
        dt_front = front_step * medium.front_enthalpy \
            / (peak / tau)
        n_pulse = int(min(numerics.max_pulse_steps,
                          max(numerics.min_pulse_steps * numerics.resolution,
                              math.ceil(tau / dt_front))))
        if volumetric:  # volumetric deposition: no surface front to resolve
            n_pulse = int(numerics.min_pulse_steps * numerics.resolution)
        t_conf = min(tau, medium.constants.ejection_delay)
        n_conf = int(math.ceil(numerics.min_pulse_steps * numerics.resolution / 2))
        n_free = n_pulse if t_conf < tau * (1 - 1e-9) else 0
        return cls(tau, t_conf, n_conf, n_free, numerics.growth, numerics.max_dt)

    @property
    def blow_off(self) -> bool:
        return self.n_free == 0

    def pulse(self) -> list[float]:
        """Steps of one pulse; the first ``n_conf`` are confined (no ejection)."""
        steps = [self.t_conf / self.n_conf] * self.n_conf
        if self.n_free:
            steps += [(self.tau - self.t_conf) / self.n_free] * self.n_free
        return steps

    def cooling(self, dt: float, t: float, t_end: float):
        """Steps from ``t`` to ``t_end``, growing from ``dt``."""
        while t < t_end * (1 - 1e-12):
            dt = min(dt * self.growth, self.max_dt, t_end - t)
            yield dt
            t += dt


class Tracker:
    """Watches a run: called after every step and after every pass (no-ops by default)."""

    def after_step(self, state: State) -> None:
        pass

    def after_pass(self, done: int, passes: int) -> None:
        pass


class Progress(Tracker):
    """Tracker: reports the fraction of passes done to ``callback``."""

    def __init__(self, callback: Callable[[float], None]):
        self.callback = callback

    def after_pass(self, done: int, passes: int) -> None:
        self.callback(done / passes)


class Snapshots(Tracker):
    """Tracker: the temperature field (NaN where ablated) at the given times."""

    def __init__(self, times: np.ndarray):
        self.times = times
        self.taken: list[np.ndarray] = []
        self.at: list[float] = []
        self._next = 0

    def take(self, state: State) -> None:
        T = state.T.copy()
        for i in range(len(state.top)):
            T[i, : state.top[i]] = np.nan
        self.taken.append(T)
        self.at.append(state.t)
        self._next += 1

    def after_step(self, state: State) -> None:
        while self._next < len(self.times) and \
                state.t >= self.times[self._next] * (1 - 1e-9):
            self.take(state)


def snapshot_times(tau: float, t_total: float, n: int) -> np.ndarray:
    return np.unique(np.concatenate([
        [0.0], tau * np.array([0.25, 0.5, 0.75, 1.0]),
        np.geomspace(max(tau, 1e-7) * 1.5, t_total, n)]))


def skip_temperature(lnA: np.ndarray, Ea: np.ndarray, R: float, t_total: float,
                     omega_max: float = 1e-4) -> float:
    """Temperature (C) below which every set's rate x t_total < omega_max."""
    # k(T) t = omega_max  <=>  T = Ea / (R (lnA - ln(omega_max / t)))
    return float(min(Ea[s] / (R * (lnA[s] - np.log(omega_max / t_total)))
                     for s in range(len(lnA)))) - 273.15


class SpotSolver:
    """One spot and its passes on a grid, with a tissue model and a beam model."""

    def __init__(self, skin: SkinModel, source: LaserSource, spot: FullField,
                 numerics: Numerics, constants: PhysicalConstants, *,
                 transport: Transport | None = None, eject: bool = True):
        self.skin, self.source, self.spot, self.numerics = skin, source, spot, numerics
        self.k = constants
        self.confined = constants.confined_boiling()  # (C, J/m^3) while light arrives
        self.explosive = constants.explosive_boiling()  # (C, J/m^3) during the ejection delay
        self.eject = eject
        self.grid = build_grid(skin, source, spot, numerics,
                               transported=transport is not None, ablative=eject)
        self.medium = build_medium(skin, source.wavelength_nm, self.grid, constants)
        self.beam = self._beam(transport)
        self.schedule = Schedule.build(spot, self.medium, self.grid, numerics,
                                       self.beam.volumetric)
        g = self.grid
        self.area = g.area
        self.kernel_r_faces = g.kernel_r_faces
        self.r = g.r
        self.kernels = Kernels.choose(g.nr, g.nz, numerics.parallel)
        self.lnA = self.medium.lnA
        self.col_fluence = np.array([spot.peak_fluence]) if g.geometry == "1d" \
            else np.asarray(spot.fluence_at(self.r), dtype=float)
        # a Gaussian beam spreads over the depth of the domain when its Rayleigh range is short
        depth = min(skin.depth, numerics.domain_depth_rz)
        self.divergent = (g.geometry == "rz" and spot.profile == "gaussian"
                          and spot.rayleigh_range(source.wavelength) < 100.0 * depth)
        self.train = Schedule.build(spot, self.medium, self.grid, numerics,
                                    self.beam.volumetric, spot.train_peak_fluence) \
            if spot.train_pulses else None
        self.t_total = spot.passes * spot.pass_time \
            + (spot.passes - 1) * spot.pass_interval + numerics.cooling_time
        # below T_skip every damage set accumulates < 1e-4 over the whole run (far from the
        # Omega = 1 boundaries reported): not evaluated
        self.T_skip = skip_temperature(self.medium.lnA, self.medium.Ea, constants.gas_constant,
                                       self.t_total)
        m = self.medium
        C = m.Cs + m.water * constants.water_heat_capacity
        #: conduction solves only the rows whose enthalpy has left its rest value by more than
        #: REST_TOLERANCE (K) of heat, plus a margin (:func:`window_margin`)
        self.rest_tolerance = REST_TOLERANCE * float(C.max())
        self.alpha_max = float(((m.ks + m.water * constants.water_conductivity) / C).max())
        #: radial conduction steps during a pulse: a fraction of the time heat takes to cross
        #: the narrowest ring (Numerics.radial_step_fraction)
        self.radial_step = numerics.radial_step_fraction * float(np.min(np.diff(g.r_faces))) \
            ** 2 / self.alpha_max if g.nr > 1 else 0.0
        self._radial_dt, self._radial_rows = 0.0, 0
        #: rows from which z-conduction waits during the current pulse (nz: none), the time
        #: waited, the surface row when the cap was set and how far it may move before the
        #: waiting rows are solved (:meth:`set_deep_cap`)
        self._cap = np.full(g.nr, g.nz, dtype=np.int64)
        self._deep_dt = 0.0
        self._anchor, self._slack = 0, g.nz

    def _beam(self, transport: Transport | None) -> BeamModel:
        if transport is not None:
            return Transported.monte_carlo(transport, self.skin, self.source.wavelength_nm,
                                           self.spot, self.grid, self.medium)
        u = None
        if self.numerics.plume_shielding and self.eject:
            u = self.k.ejecta_speed if self.k.ejecta_speed is not None \
                else ejecta_speed(self.source.wavelength_nm, self.spot.peak_fluence)
        if u is not None:
            return PlumeShielded(self.medium, self.grid, u)
        return BeerLambert(self.medium, self.grid)

    # -- one step ---------------------------------------------------------------------------
    def step(self, st: State, dt: float, fluence: np.ndarray | None, confined: bool) -> None:
        """Deposit ``fluence`` (J/m^2 per column, None between pulses), conduct, boil and
        eject, update the damage integrals. ``confined``: a step of the ejection delay (no
        material leaves; water boils at its limit of superheat)."""
        m, k, g = self.medium, self.k, self.grid
        Cw, kw = k.water_heat_capacity, k.water_conductivity
        Td = k.dry_ablation_temperature
        # while light arrives the matrix confines the tissue water, which boils at the confined
        # temperature (during the ejection delay: at the spinodal); between pulses it boils at
        # 1 atm (a superheated floor flashes)
        Tb, rhoL = self.boiling(fluence is not None, confined)
        if fluence is not None:
            self.beam.deposit(st, fluence)
        kern = self.kernels
        margin = window_margin(self.alpha_max, dt, g.dz)
        if self._deep_dt > 0.0 and int(st.top[0]) - self._anchor >= self._slack:
            self.flush_deep(st)  # the surface moved down by the cap's slack: so does the cap
            self.set_deep_cap(st)
        ends = st.reach  # in: rows at rest; out: each column's window (beyond: at rest)
        rows = kern.conduct_z(st.H, st.water, m.Cs, m.ks, m.perfusion, st.top, Cw, kw, Tb,
                              k.body_temperature, dt, g.dz, Td, self.area, st.tally,
                              st.H0, self.rest_tolerance, margin, ends, self._cap)
        if self._cap[0] < g.nz:
            self._deep_dt += dt
        if g.nr > 1:
            self.conduct_r(st, dt, rows, Tb, defer=fluence is not None and not confined)
        self.vaporize_and_eject(st, rows, fluence is not None, confined)
        kernel.temperature(st.H, st.water, m.Cs, Cw, Tb, Td, st.T_next, ends)
        # also leaves st.T = st.T_next (where they differ: inside the windows)
        kern.accumulate_damage(st.T, st.T_next, st.top, self.lnA, m.Ea, k.gas_constant, dt,
                               self.T_skip, st.rate, st.omega, st.tmax, ends)
        st.t += dt
        st.steps += 1

    def conduct_r(self, st: State, dt: float, rows: int, Tb: float,
                  defer: bool = False) -> None:
        """Radial conduction over ``dt`` and any deferred before it (``st.reach`` is raised to
        the rows it solves). While light arrives (``defer``) the steps follow the ablation
        front, far shorter than radial conduction needs: they are added up and solved at once
        when they reach :attr:`radial_step` (and at the end of each pulse,
        :meth:`flush_radial`). Implicit, so the longer step is stable; the splitting error
        stays below the front's (tests/physics/test_microchannel.py)."""
        self._radial_dt += dt
        self._radial_rows = max(self._radial_rows, rows)
        if defer and self._radial_dt < self.radial_step:
            return
        m, k = self.medium, self.k
        rows = self._radial_rows
        self.kernels.conduct_r(st.H, st.water, m.Cs, m.ks, st.top, k.water_heat_capacity,
                               k.water_conductivity, Tb, self._radial_dt,
                               self.kernel_r_faces, k.dry_ablation_temperature, rows)
        self._radial_dt, self._radial_rows = 0.0, 0
        np.maximum(st.reach, rows, out=st.reach)  # a radial sweep reaches every column

    def set_deep_cap(self, st: State) -> None:
        """1-D, while light arrives (:attr:`Numerics.defer_deep`): the rows from which
        z-conduction waits. Under a later pass the tissue is warm to the bottom of the domain,
        so every short step of the pulse solved every row (2-pass Er:YAG: 5x the time of one
        pass), while the pulse only changes the rows its light and heat reach below the
        surface: 18 optical depths of the least absorbing layer at body temperature
        (Medium.resting_layer_absorption; deeper, what the deposit adds
        is under the rest tolerance; it is kept in the enthalpy and solved with the waiting
        rows) plus 10 diffusion lengths over the pulse. The cap lies that reach and a quarter
        more below the surface; once the surface has moved down by that quarter, the waiting
        rows are solved and the cap moves down with it (:meth:`step`). No cap where it would
        pass the bottom (CO2)."""
        g = self.grid
        self._cap[:] = g.nz
        self._deep_dt = 0.0
        if not self.numerics.defer_deep or g.nr > 1:
            return
        # body-warm water absorbs less than the tabulated (issue 31); the few um heated ahead of
        # the front bleach further, which the cap's quarter of slack covers
        resting = self.medium.resting_layer_absorption
        weakest = float(np.min(resting[resting > 0]))
        reach = 18.0 / weakest \
            + WINDOW_LENGTHS * math.sqrt(self.alpha_max * self.schedule.tau)
        rows = int(math.ceil(reach / g.dz))
        self._slack = max(8, rows // 4)
        self._anchor = int(st.top[0])
        cap = self._anchor + rows + self._slack
        if cap < g.nz:
            self._cap[:] = cap

    def flush_deep(self, st: State) -> None:
        """Solve the rows that waited under the cap for the time they waited (with the row
        above the cap, leaving out the face above that row, which the steps solved: each face
        once; implicit, conservative), then their temperatures and Arrhenius integrals."""
        if self._deep_dt <= 0.0:
            return
        m, k, g = self.medium, self.k, self.grid
        Cw, kw = k.water_heat_capacity, k.water_conductivity
        Tb = self.boiling(True)[0]
        dt = self._deep_dt
        ends = np.full(g.nr, g.nz, dtype=np.int64)
        kernel.conduct_z(st.H, st.water, m.Cs, m.ks, m.perfusion, st.top, Cw, kw, Tb,
                         k.body_temperature, dt, g.dz, k.dry_ablation_temperature, self.area,
                         st.tally, st.H0,
                         self.rest_tolerance, window_margin(self.alpha_max, dt, g.dz), ends,
                         self._cap, True)  # ends: out, where the rows below rest
        T = np.empty_like(st.T_next)  # the rows above the cap keep the steps' temperatures
        kernel.temperature(st.H, st.water, m.Cs, Cw, Tb, k.dry_ablation_temperature, T,
                           np.full(g.nr, g.nz, dtype=np.int64))
        for i in range(g.nr):
            c = max(int(self._cap[i]) - 1, 0)
            st.T_next[i, c:] = T[i, c:]
        kernel.accumulate_damage_below(st.T, st.T_next, st.top, self.lnA, m.Ea,
                                       k.gas_constant, dt, self.T_skip, st.rate, st.omega,
                                       st.tmax, self._cap)
        np.maximum(st.reach, ends, out=st.reach)
        self._cap[:] = g.nz
        self._deep_dt = 0.0

    def flush_radial(self, st: State) -> None:
        """Solve the radial conduction deferred during a pulse (:meth:`conduct_r`: only lit
        steps are deferred, so it boils at the confined temperature)."""
        if self._radial_dt > 0.0:
            self.conduct_r(st, 0.0, 0, self.boiling(True)[0])

    def boiling(self, lit: bool, confined: bool = False) -> tuple[float, float]:
        """(boiling temperature C, latent heat J/m^3 of water) during the ejection delay
        (``confined``: the limit of superheat), while light arrives (``lit``: the confined
        temperature) or not (1 atm)."""
        k = self.k
        if confined:
            return self.explosive
        return self.confined if lit else (k.boiling_temperature, k.water_latent_heat_volumetric)

    def vaporize_and_eject(self, st: State, rows: int | None = None, lit: bool = True,
                           confined: bool = False) -> None:
        """Boil, remove decomposed dry tissue and eject (``rows``: only the first rows can
        boil; default all; ``lit``: while light arrives, at the confined boiling temperature;
        ``confined``: during the ejection delay, boiling only, at the limit of superheat).
        Wet boiling tissue is ejected only by ablative sources (``eject``); decomposed dry
        tissue leaves whatever the source (docs/design.md, "Dry tissue and the temperature
        bound")."""
        k = self.k
        Tb, rhoL = self.boiling(lit, confined)
        kernel.vaporize_and_eject(st.H, st.H0, st.water, st.vapor, self.medium.Cs, st.top,
                                  k.water_heat_capacity, rhoL, Tb, self.medium.v_crit,
                                  k.dry_ablation_temperature, k.dry_decomposition_enthalpy,
                                  self.eject and not confined, not confined, self.grid.dz,
                                  self.area, st.tally, st.H.shape[1] if rows is None else rows)

    # -- a pass -----------------------------------------------------------------------------
    def fluence_now(self, st: State) -> np.ndarray:
        """Fluence of the pulse arriving at each column (J/m^2). Each column sees the beam at
        the depth of its own surface (divergent beams). Light that has spread beyond a deep
        channel strikes its walls, which vertical columns cannot represent: it is handed back
        in proportion to the local fluence (mostly to the rim and wall columns), so each pulse
        delivers its full energy."""
        if not self.divergent:
            return self.col_fluence
        f = np.asarray(self.spot.fluence_at(self.r, st.top * self.grid.dz,
                                            self.source.wavelength))
        f *= float(np.sum(self.col_fluence * self.area)) / float(np.sum(f * self.area))
        return f

    def pulse(self, st: State, trackers, schedule: Schedule | None = None,
              scale: float = 1.0) -> tuple[float, float, int]:
        """One pulse (``schedule``: default the spot's; ``scale``: its fluence relative to the
        spot's, for a sub-pulse of a train); returns (J delivered, the last step, the number
        of steps)."""
        sch = schedule or self.schedule
        tau = sch.tau
        st.vapor[:] = 0.0  # vapor made in earlier passes escaped without ejecting tissue
        st.water_optics[:] = st.water  # a new pulse sees the water the previous ones left
        delivered = 0.0
        steps = sch.pulse()
        dt = steps[0]
        self.set_deep_cap(st)
        for n, dt in enumerate(steps):
            f_now = self.fluence_now(st)
            if scale != 1.0:
                f_now = f_now * scale
            step_in = float(np.sum(f_now * self.area)) * dt / tau
            delivered += step_in
            entering = self.beam.incident(f_now, dt, tau, step_in, st)
            self.step(st, dt, entering, n < sch.n_conf)
            for tr in trackers:
                tr.after_step(st)
            if n == sch.n_conf - 1:  # confinement ends: the superheated water flashes, and
                self.vaporize_and_eject(st)  # (ablative) the boiling tissue is ejected
                refresh_temperature(st, self.medium, self.boiling(True)[0])
        self.flush_deep(st)
        if self._radial_dt > 0.0:
            self.flush_radial(st)
            refresh_temperature(st, self.medium, self.boiling(True)[0])
        return delivered, dt, len(steps)

    def run_pass(self, st: State, p: int, trackers) -> tuple[PassRecord, float]:
        dz, area = self.grid.dz, self.area
        before = st.top[0] * dz
        heat = self.k.water_heat_capacity * self.k.body_temperature
        accounts_before = st.accounts(dz, area, heat)
        delivered, last_dt, n_steps = 0.0, 0.0, 0
        train_ablation = 0.0  # what the train's own sub-pulses removed (none without a train)
        for s in range(self.spot.stack):  # stacked pulses, 1 / repetition_rate apart
            if s > 0:
                for dt in self.schedule.cooling(last_dt, st.t, st.t + self.spot.stack_gap):
                    self.step(st, dt, None, False)
                    for tr in trackers:
                        tr.after_step(st)
            e, last_dt, n = self.pulse(st, trackers)
            delivered += e
            n_steps += n
            if self.train is not None:
                e, last_dt, n, removed = self.run_train(st, last_dt, trackers)
                delivered += e
                n_steps += n
                train_ablation += removed
        last = p == self.spot.passes - 1
        wait = self.numerics.cooling_time if last else self.spot.pass_interval
        for dt in self.schedule.cooling(last_dt, st.t, st.t + wait):
            self.step(st, dt, None, False)
            for tr in trackers:
                tr.after_step(st)
        energy = {k: v - accounts_before[k] for k, v in st.accounts(dz, area, heat).items()}
        energy["retained_change"] = energy.pop("retained")
        energy["delivered"] = delivered
        regime = "blow-off" if self.schedule.blow_off else "confined-then-steady"
        return PassRecord(p + 1, regime, before, st.top[0] * dz, n_steps, energy,
                          train_ablation=train_ablation), delivered

    def run_train(self, st: State, dt: float,
                  trackers) -> tuple[float, float, int, float]:
        """The sub-ablative train after a pulse: each period cools, then fires a sub-pulse.
        Returns (J delivered, the last step, pulse steps, m removed on the axis while the
        sub-pulses fired). Removal in the cooling gaps is not counted: after a short, intense
        ablative pulse the tissue goes on ablating for a while (issue 30: a single 1 us CO2
        pulse was said to have a train that ablated)."""
        spot, sch = self.spot, self.schedule
        assert self.train is not None
        scale = spot.train_fluence / spot.fluence
        delivered, steps, removed = 0.0, 0, 0.0
        for _ in range(spot.train_pulses):
            start = st.t + spot.train_period - spot.pulse_duration
            for step in sch.cooling(dt, st.t, start):
                self.step(st, step, None, False)
                for tr in trackers:
                    tr.after_step(st)
            top = int(st.top[0])
            e, dt, n = self.pulse(st, trackers, self.train, scale)
            removed += (int(st.top[0]) - top) * self.grid.dz
            delivered += e
            steps += n
        return delivered, dt, steps, removed

    # -- the run ----------------------------------------------------------------------------
    def run(self, progress: Callable[[float], None] | None = None) -> SolverOutput:
        st = initial_state(self.medium)
        snaps = Snapshots(snapshot_times(self.spot.pulse_duration, self.t_total,
                                         self.numerics.n_snapshots))
        snaps.take(st)
        trackers: tuple[Tracker, ...] = (snaps,) if progress is None \
            else (snaps, Progress(progress))
        records, delivered = [], 0.0
        for p in range(self.spot.passes):
            rec, e = self.run_pass(st, p, trackers)
            records.append(rec)
            delivered += e
            for tr in trackers:
                tr.after_pass(p + 1, self.spot.passes)
        tallies = st.accounts(self.grid.dz, self.area,
                              self.k.water_heat_capacity * self.k.body_temperature)
        return SolverOutput(
            grid=self.grid, layer_names=tuple(la.name for la in self.skin.layers),
            top=st.top.copy(), omega={n: st.omega[s] for s, n in enumerate(DAMAGE_SETS)},
            tmax=st.tmax, water=st.water, times=np.array(snaps.at),
            snapshots=np.array(snaps.taken), tallies=tallies, passes=records,
            steps=st.steps, delivered=delivered,
            ejecta_speed=self.beam.ejecta_speed if isinstance(self.beam, PlumeShielded)
            else None)


def predicted_work(skin: SkinModel, source: LaserSource, spot: FullField, numerics: Numerics,
                   constants: PhysicalConstants, *, transported: bool = False,
                   eject: bool = True) -> tuple[int, int]:
    """(cells, time steps) a run will take, without running it: the grid and the schedule it
    would build, cooling steps counted from the geometric growth to ``max_dt``."""
    grid = build_grid(skin, source, spot, numerics, transported=transported, ablative=eject)
    medium = build_medium(skin, source.wavelength_nm, grid, constants)
    sch = Schedule.build(spot, medium, grid, numerics, transported)
    pulse = sch.pulse()
    steps = 0
    if spot.train_pulses:  # each sub-pulse, and the cooling steps of each period before it
        train = Schedule.build(spot, medium, grid, numerics, transported,
                               spot.train_peak_fluence).pulse()
        gap = spot.train_period - spot.pulse_duration
        per = len(train) + sum(1 for _ in sch.cooling(min(pulse[-1], train[-1]), 0.0, gap))
        steps += spot.passes * spot.stack * spot.train_pulses * per
    if spot.stack > 1:  # the stacked pulses of each pass and the cooling between them
        between = sum(1 for _ in sch.cooling(pulse[-1], 0.0, spot.stack_gap))
        steps += spot.passes * (spot.stack - 1) * (len(pulse) + between)
    for p in range(spot.passes):
        wait = numerics.cooling_time if p == spot.passes - 1 else spot.pass_interval
        steps += len(pulse)
        dt, t = pulse[-1], 0.0
        while t < wait and dt < sch.max_dt:
            dt = min(dt * sch.growth, sch.max_dt)
            t += dt
            steps += 1
        steps += int(math.ceil(max(wait - t, 0.0) / sch.max_dt))
    return grid.nr * grid.nz, steps


def run_spot(skin: SkinModel, source: LaserSource, spot: FullField,
             numerics: Numerics = Numerics(), constants: PhysicalConstants | None = None, *,
             progress: Callable[[float], None] | None = None,
             transport: Transport | None = None, eject: bool = True) -> SolverOutput:
    """Simulate one spot (a full-field spot, or one microbeam with its stacked pulses as
    passes) and its cooling.

    ``transport``, if given, replaces Beer-Lambert by Monte Carlo photon transport (the
    :class:`~dermalase.physics.beam.Transported` model). With ``eject=False`` boiling tissue
    is not ejected (non-ablative sources: the stratum corneum stays intact, Manstein et al.
    2004); it dries, and dry tissue that reaches its decomposition temperature still leaves
    with the tissue above it: a setting past that is not non-ablative (the fractional result
    says so). ``constants``: default, the data files' values."""
    k = constants if constants is not None else PhysicalConstants.from_data()
    with _counted_run():
        return SpotSolver(skin, source, spot, numerics, k, transport=transport,
                          eject=eject).run(progress)


__all__ = ["Numerics", "PassRecord", "Progress", "Schedule", "Snapshots", "SolverOutput",
           "SpotSolver", "State", "Tracker", "run_spot", "TALLY_NAMES"]
