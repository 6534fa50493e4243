"""Time stepping of one full-field treatment: deposition, ablation, conduction, damage.

Operator splitting per step: Beer-Lambert deposition (exact cell integral) -> implicit
conduction in z (and r, Lie splitting) with Pennes perfusion -> boiling and ejection ->
trapezoidal Arrhenius update. Steps are derived by the model: during a pulse the front may not
move more than one cell per step and the pulse is resolved by at least ``min_pulse_steps``;
after it, steps grow geometrically (implicit scheme: no stability limit) to seconds of cooling.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .. import data
from ..laser.delivery import FullField
from ..laser.sources import LaserSource
from ..tissue import properties as props
from ..tissue.model import SkinModel
from . import _kernel as K
from .ablation import ablation_enthalpy, ejecta_speed
from .damage import COAGULATION_SET, NECROSIS_SET, arrhenius_sets

TALLY_NAMES = ("absorbed", "reflected", "vaporized", "ablated", "boundary", "perfusion",
               "transmitted", "plume")
# absorbed: energy deposited in tissue; reflected: specular loss at the surface; vaporized:
# carried off by vapor; ablated: carried off by ejected cells; boundary / perfusion: conducted
# out of the domain bottom / removed by blood; transmitted: beam left at the domain bottom;
# plume: absorbed by the ejecta in a crater on the way down (they leave with it).
# ``retained`` (heat still in the tissue at the end) is summed from the final enthalpy field.


@dataclass(frozen=True)
class Numerics:
    """Numerical settings; defaults are converged (benchmarks/ and tests/test_convergence.py).

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
    growth: float = 1.15
    max_dt: float = 0.05              # s
    dz_max: float = 2e-6              # m
    dz_min_rz: float = 1e-6           # m, floor on dz in r-z (deep channels; see test_fractional)
    dz_max_rz: float = 5e-6           # m, cap on dz in ablative r-z runs (CO2 channels)
    n_snapshots: int = 48
    plume_shielding: bool = True      # ejecta in a crater absorb the beam (CO2: data/ejecta.csv)


@dataclass
class PassRecord:
    index: int
    regime: str
    surface_before: float   # m, depth of the surface on the axis before the pass
    surface_after: float
    pulse_steps: int
    energy: dict = field(default_factory=dict)  # J per category during this pulse + interval


@dataclass
class SolverOutput:
    z: np.ndarray                 # cell centres, m
    r: np.ndarray                 # cell centres, m (one value 0 in 1-D)
    layer_index: np.ndarray       # (nz,) layer of each z cell
    layer_names: tuple[str, ...]
    top: np.ndarray               # (nr,) first alive cell per column
    omega: dict[str, np.ndarray]  # set name -> (nr, nz)
    tmax: np.ndarray              # (nr, nz), C
    water: np.ndarray             # (nr, nz), final water volume fraction
    times: np.ndarray             # snapshot times, s
    snapshots: np.ndarray         # (nt, nr, nz) temperature, C (NaN where ablated)
    tallies: dict[str, float]     # J (1-D: per m^2)
    passes: list[PassRecord]
    geometry: str
    dz: float
    steps: int
    extra: dict = field(default_factory=dict)


def radial_faces(w: float, R: float, resolution: float = 1.0, growth: float = 1.08):
    """Radial cell faces (m): uniform, dr = min(w/20, 10 um)/resolution, out to 1.3 w (the beam
    and the crater edge), then growing geometrically by ``growth`` per cell out to R."""
    dr = min(w / 20.0, 10e-6) / resolution
    n_uniform = int(math.ceil(min(1.3 * w, R) / dr))
    faces = list(np.arange(n_uniform + 1) * dr)
    step = dr
    while faces[-1] < R:
        step *= growth
        faces.append(faces[-1] + step)
    return np.array(faces)


def _skip_temperature(lnA, Ea, R, t_total, omega_max=1e-4) -> float:
    """Temperature (C) below which every set's rate x t_total < omega_max."""
    # k(T) t = omega_max  <=>  T = Ea / (R (lnA - ln(omega_max / t)))
    return float(min(Ea[s] / (R * (lnA[s] - np.log(omega_max / t_total)))
                     for s in range(len(lnA)))) - 273.15


def _retained(H, H0, top, dz, area) -> float:
    """Heat (J) held by the tissue that is still in place, relative to the initial state."""
    alive = np.arange(H.shape[1])[None, :] >= top[:, None]
    return float(np.sum(np.where(alive, H - H0, 0.0) * dz * area[:, None]))


def choose_geometry(skin: SkinModel, source: LaserSource, delivery: FullField,
                    numerics: Numerics) -> str:
    if numerics.geometry in ("1d", "rz"):
        return numerics.geometry
    # the viable epidermis/dermis decide the heated depth (the stratum corneum is too thin)
    mua = min(layer.absorption(source.wavelength_nm) for layer in skin.layers[1:3])
    kappa = skin.layers[1].conductivity / skin.layers[1].heat_capacity
    heated = 3.0 / mua + math.sqrt(4.0 * kappa * delivery.pulse_duration)
    return "1d" if delivery.spot_diameter / 2 >= 20.0 * heated else "rz"


#: radial extent (m) of r-z runs with a transported (scattered) deposition: at 1,550 nm a
#: 0.3 mm domain left about half the absorbed energy outside
TRANSPORT_RADIUS = 2.0e-3


def run_full_field(skin: SkinModel, source: LaserSource, delivery: FullField,
                   numerics: Numerics = Numerics(),
                   progress: Callable[[float], None] | None = None,
                   deposition: Callable | None = None, eject: bool = True) -> SolverOutput:
    """Simulate a full-field treatment (all passes and the final cooling).

    ``deposition(rfaces, z, dz)``, if given, replaces Beer-Lambert: it returns an object with
    ``field`` ((nr, nz), 1/m^3: fraction of the delivered energy absorbed per unit volume of each
    cell), ``reflected`` and ``lost`` fractions (physics/deposition.py, Monte Carlo). The
    optics are then static for the whole run (non-ablative lasers: no crater). With
    ``eject=False`` tissue boils but is never removed (non-ablative sources: the stratum
    corneum stays intact, Manstein et al. 2004)."""
    lam = source.wavelength_nm
    mua_w, _, _, n_refr = props.water_absorption(lam)
    reflect = props.fresnel_reflectance(n_refr)
    cw = props.constituents()["water"]
    Cw = cw.density * cw.specific_heat
    kw = cw.conductivity
    rhoL = cw.density * data.constant("water_latent_heat")
    Tb = data.constant("boiling_temperature")
    Ta = data.constant("body_temperature")
    Cb = data.constant("blood_volumetric_heat_capacity")
    R = data.constant("gas_constant")
    f_res = data.constant("ejection_residual_water")
    T_dry = data.constant("dry_ablation_temperature")
    t_ej = data.constant("ejection_delay")
    # vapor (volume fraction of a cell) needed to blow it off: (1 - f_res) of the water of
    # viable epidermis (the wettest tissue the model holds)
    v_crit = (1.0 - f_res) * max(layer.volume_fractions["water"] for layer in skin.layers)
    geometry = choose_geometry(skin, source, delivery, numerics)

    # --- grid -------------------------------------------------------------------------------
    mua_max = max(layer.absorption(lam) for layer in skin.layers)
    # r-z channels drilled by surface (Beer-Lambert) deposition may use cells of a third of the
    # optical depth up to dz_max_rz: CO2 channels at 5 um agree with a refined run
    # (tests/physics/test_microchannel.py)
    cap = numerics.dz_max_rz if (geometry == "rz" and deposition is None and eject) \
        else numerics.dz_max
    dz = min(1.0 / (3.0 * mua_max), cap)
    if geometry == "rz":
        dz = max(dz, numerics.dz_min_rz)
    dz /= numerics.resolution
    depth = min(skin.depth, numerics.domain_depth if geometry == "1d" else numerics.domain_depth_rz)
    nz = int(math.ceil(depth / dz))
    z = (np.arange(nz) + 0.5) * dz
    bounds = np.array(skin.boundaries())
    layer_index = np.minimum(np.searchsorted(bounds, z, side="right"), len(skin.layers) - 1)
    if geometry == "1d":
        rfaces = np.array([0.0, 1.0, 2.0])  # unused
        r = np.array([0.0])
        area = np.array([1.0])
        col_fluence = np.array([delivery.peak_fluence])
    else:
        w = delivery.spot_diameter / 2
        R_dom = w + max(0.3e-3, 0.5 * w)
        if deposition is not None:  # scattered light spreads mm sideways (e.g. 1,550 nm)
            R_dom = max(R_dom, TRANSPORT_RADIUS)
        rfaces = radial_faces(w, R_dom, numerics.resolution)
        r = 0.5 * (rfaces[1:] + rfaces[:-1])
        area = np.pi * (rfaces[1:] ** 2 - rfaces[:-1] ** 2)
        col_fluence = np.asarray(delivery.fluence_at(r), dtype=float)
        # one ghost face beyond R (the radial kernel reads the next cell width there)
        rfaces = np.concatenate([rfaces, [rfaces[-1] + (rfaces[-1] - rfaces[-2])]])
    nr = len(r)
    mc = deposition(rfaces, z, dz) if deposition is not None else None
    # a Gaussian beam spreads over the depth of the domain when its Rayleigh range is short
    divergent = (geometry == "rz" and delivery.profile == "gaussian"
                 and delivery.rayleigh_range(source.wavelength) < 100.0 * depth)
    delivered_total = 0.0

    # --- per-cell properties ----------------------------------------------------------------
    phi = [layer.volume_fractions for layer in skin.layers]
    Cs_l = np.array([props.solid_part(p)[0] for p in phi])
    ks_l = np.array([props.solid_part(p)[1] for p in phi])
    phiw_l = np.array([p["water"] for p in phi])
    perf_l = np.array([layer.perfusion * Cb for layer in skin.layers])
    mel_l = np.array([layer.melanin * props.melanin_absorption(lam) for layer in skin.layers])
    tile = lambda v: np.ascontiguousarray(np.broadcast_to(v[layer_index], (nr, nz)))  # noqa: E731
    Cs, ks, phiw, perf, mua_other = (tile(v).copy() for v in (Cs_l, ks_l, phiw_l, perf_l, mel_l))
    phiw_opt = phiw.copy()  # water that sets absorption: frozen during a pulse (static optics)
    vap = np.zeros_like(phiw)
    H = (Cs + phiw * Cw) * Ta
    H0 = H.copy()
    top = np.zeros(nr, dtype=np.int64)
    sets = arrhenius_sets()
    names = (COAGULATION_SET, NECROSIS_SET)
    lnA = np.log(np.array([sets[n].A for n in names]))
    Ea = np.array([sets[n].Ea for n in names])
    omega = np.zeros((len(names), nr, nz))
    rate = np.zeros_like(omega)  # damage rate at the previous step (trapezoid rule)
    tmax = np.full((nr, nz), Ta)
    T_old = np.empty((nr, nz))
    T_new = np.empty((nr, nz))
    tally = np.zeros(8)
    K.temperature(H, phiw, Cs, Cw, Tb, False, T_old)
    for s_, n_ in enumerate(names):
        rate[s_] = sets[n_].rate(T_old)

    # --- schedule -----------------------------------------------------------------------------
    tau = delivery.pulse_duration
    irr = delivery.peak_fluence / tau
    h_l = np.array([ablation_enthalpy(Cs_l[k] + phiw_l[k] * Cw, phiw_l[k], Ta, Tb, rhoL, f_res)
                    for k in range(len(skin.layers))])
    h_abl = float(h_l[1])  # viable epidermis: sets the time step of the ablation front
    # shielding by the plume in the crater, where the ejecta speed is measured (CO2)
    u_ej = ejecta_speed(lam, delivery.peak_fluence) if numerics.plume_shielding else None
    shielding = u_ej is not None and eject and mc is None
    if shielding:  # f mua / (h_abl u) of each layer (the ejecta come from the crater floor)
        plume_l = data.constant("plume_absorbing_fraction") * (phiw_l * mua_w + mel_l) \
            / (h_l * u_ej)
        plume_z = np.ascontiguousarray(plume_l[layer_index])
    # the front may move at most ``front_cells_per_step`` cells per step: a boiling surface cell
    # conducts heat for the whole step, so coarser steps under-ablate (first order in dt)
    dt_front = numerics.front_cells_per_step * dz * h_abl / irr
    n_pulse = int(min(numerics.max_pulse_steps,
                      max(numerics.min_pulse_steps * numerics.resolution,
                          math.ceil(tau / dt_front))))
    if mc is not None:  # volumetric deposition: no surface front to resolve
        n_pulse = int(numerics.min_pulse_steps * numerics.resolution)
    t_total = delivery.passes * tau + (delivery.passes - 1) * delivery.pass_interval \
        + numerics.cooling_time
    # below T_skip every damage set accumulates < 1e-4 over the whole run (far from the
    # Omega = 1 boundaries reported): not evaluated
    T_skip = _skip_temperature(lnA, Ea, R, t_total)
    snap_times = np.unique(np.concatenate([
        [0.0], tau * np.array([0.25, 0.5, 0.75, 1.0]),
        np.geomspace(max(tau, 1e-7) * 1.5, t_total, numerics.n_snapshots)]))
    snaps: list[np.ndarray] = []
    snap_t: list[float] = []
    records: list[PassRecord] = []
    t = 0.0
    steps = 0

    def record(tnow):
        T = T_old.copy()
        for i in range(nr):
            T[i, : top[i]] = np.nan
        snaps.append(T)
        snap_t.append(tnow)

    record(0.0)
    next_snap = 1

    def advance(dt, fluence_step, superheat):
        nonlocal t, steps, next_snap
        if fluence_step is not None and mc is not None:
            e_step = float(np.sum(fluence_step * area))  # J delivered in this step
            fld = mc.field
            if top.any():  # nothing is deposited in ablated cells: it leaves with the plume
                fld = fld.copy()
                for i in range(nr):
                    fld[i, : top[i]] = 0.0
            H[:] += fld * e_step
            absorbed = float(np.sum(fld * area[:, None])) * dz * e_step
            tally[0] += absorbed
            tally[6] += (1.0 - mc.reflected) * e_step - absorbed
        elif fluence_step is not None:
            K.deposit(H, phiw_opt, mua_other, top, fluence_step, mua_w, dz, area, tally)
        K.conduct_z(H, phiw, Cs, ks, perf, top, Cw, kw, Tb, Ta, dt, dz, superheat, area, tally)
        if nr > 1:
            K.conduct_r(H, phiw, Cs, ks, top, Cw, kw, Tb, dt, rfaces, superheat)
        if not superheat and eject:
            K.vaporize_and_eject(H, H0, phiw, vap, Cs, top, Cw, rhoL, Tb, v_crit, T_dry, dz,
                                 area, tally)
        K.temperature(H, phiw, Cs, Cw, Tb, superheat, T_new)
        K.accumulate_damage(T_old, T_new, top, lnA, Ea, R, dt, T_skip, rate, omega, tmax)
        T_old[:] = T_new
        t += dt
        steps += 1
        while next_snap < len(snap_times) and t >= snap_times[next_snap] * (1 - 1e-9):
            record(t)
            next_snap += 1

    for p in range(delivery.passes):
        # Ejection starts t_ej after the pulse does (Vogel & Venugopalan 2003 sec. VI-VII):
        # until then deposited energy superheats the tissue. A pulse shorter than t_ej ablates
        # in blow-off (material leaves after it), a longer one in steady state.
        t_conf = min(tau, t_ej)
        n_conf = int(math.ceil(numerics.min_pulse_steps * numerics.resolution / 2))
        n_free = n_pulse if t_conf < tau * (1 - 1e-9) else 0
        blow_off = n_free == 0
        before = top[0] * dz
        tally_before = tally.copy()
        retained_before = _retained(H, H0, top, dz, area)
        vap[:] = 0.0  # vapor made in earlier passes escaped without ejecting tissue
        phiw_opt[:] = phiw  # a new pulse sees the water the previous ones left
        delivered_pass = 0.0
        schedule = [t_conf / n_conf] * n_conf
        if n_free:
            schedule += [(tau - t_conf) / n_free] * n_free
        for n, dt in enumerate(schedule):
            # each column sees the beam at the depth of its own surface (divergent beams). Light
            # that has spread beyond a deep channel strikes its walls, which vertical columns
            # cannot represent: it is handed back in proportion to the local fluence (mostly
            # to the rim and wall columns), so each pulse delivers its full energy.
            if divergent:
                f_now = np.asarray(delivery.fluence_at(r, top * dz, source.wavelength))
                f_now *= float(np.sum(col_fluence * area)) / float(np.sum(f_now * area))
            else:
                f_now = col_fluence
            step_in = float(np.sum(f_now * area)) * dt / tau
            delivered_pass += step_in
            if mc is not None:  # the MC reflectance covers specular and diffuse
                tally[1] += mc.reflected * step_in
                step_fluence = f_now * dt / tau
            else:
                tally[1] += reflect * step_in
                step_fluence = (1.0 - reflect) * f_now * dt / tau
            if shielding:  # step_fluence is a fresh array: attenuated in place
                K.shield(step_fluence, top, dz, dt, plume_z, area, tally)
            advance(dt, step_fluence, n < n_conf)
            if n == n_conf - 1 and eject:  # confinement ends: boil, eject the superheated layer
                K.vaporize_and_eject(H, H0, phiw, vap, Cs, top, Cw, rhoL, Tb, v_crit,
                                     T_dry, dz, area, tally)
                K.temperature(H, phiw, Cs, Cw, Tb, False, T_old)
        regime = "blow-off" if blow_off else "confined-then-steady"
        wait = delivery.pass_interval if p < delivery.passes - 1 else numerics.cooling_time
        t_end = t + wait
        while t < t_end * (1 - 1e-12):
            dt = min(dt * numerics.growth, numerics.max_dt, t_end - t)
            advance(dt, None, False)
        energy = dict(zip(TALLY_NAMES, (float(x) for x in tally - tally_before), strict=True))
        energy["retained_change"] = _retained(H, H0, top, dz, area) - retained_before
        energy["delivered"] = delivered_pass
        delivered_total += delivered_pass
        records.append(PassRecord(p + 1, regime, before, top[0] * dz, len(schedule), energy))
        if progress is not None:
            progress((p + 1) / delivery.passes)

    tallies = dict(zip(TALLY_NAMES, (float(x) for x in tally), strict=True))
    tallies["retained"] = _retained(H, H0, top, dz, area)
    return SolverOutput(
        z=z, r=r, layer_index=layer_index, layer_names=tuple(la.name for la in skin.layers),
        top=top.copy(), omega={n: omega[s] for s, n in enumerate(names)}, tmax=tmax,
        water=phiw, times=np.array(snap_t), snapshots=np.array(snaps), tallies=tallies,
        passes=records, geometry=geometry, dz=dz, steps=steps,
        extra={"area": area,
               "delivered": delivered_total,
               "ejecta_speed": u_ej if shielding else None},
    )
