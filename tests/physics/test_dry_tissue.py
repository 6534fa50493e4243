"""The dry state and the phase changes that bound the temperature (issue 30): water boils at
its limit of superheat while no material may leave, dry tissue decomposes at its own plateau and
leaves with the tissue above it, transported light follows the water. Expected values come from
the enthalpy bookkeeping (H = C T below a plateau), not from the code's output."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from dermalase import Scenario
from dermalase.physics import _kernel as kernel
from dermalase.physics.beam import Transported
from dermalase.physics.constants import PhysicalConstants
from dermalase.physics.deposition import monte_carlo
from dermalase.physics.solver import run_spot
from dermalase.physics.tallies import Tally, new_tally
from dermalase.tissue.model import build_skin

K = PhysicalConstants.from_data()
CW = K.water_heat_capacity
CS = 1.2e6      # J/(m^3 K), a solid part
TD = K.dry_ablation_temperature


def column(water, H):
    """One column of cells (1, n) with the given water fractions and enthalpies."""
    w = np.array([water], dtype=float)
    return (np.array([H], dtype=float), np.full_like(w, CS), w)


def test_a_dry_cell_heats_on_its_solid_part_up_to_its_plateau():
    H, Cs, w = column([0.0, 0.0, 0.0, 0.5], [CS * 200.0, CS * TD, CS * TD * 3.0,
                                             (CS + 0.5 * CW) * 150.0])
    T = np.empty_like(H)
    kernel.temperature(H, w, Cs, CW, 100.0, TD, T, np.array([4], dtype=np.int64))
    np.testing.assert_allclose(T[0], [200.0, TD, TD, 100.0])


def test_during_the_ejection_delay_water_boils_at_its_limit_of_superheat_and_stays():
    """A wet cell given X J/m^3 above the spinodal plateau loses X / (rho L(T_sp)) of water and
    the vapor's enthalpy, and nothing leaves (eject_wet and remove_dry off)."""
    Tsp, rhoL = K.explosive_boiling()
    assert Tsp == K.spinodal_temperature
    w0 = 0.6
    C = CS + w0 * CW
    X = 2.0e8
    H, Cs, w = column([w0, w0], [C * Tsp + X, C * 40.0])
    H0, vap, top, tally = H.copy(), np.zeros_like(H), np.zeros(1, dtype=np.int64), new_tally()
    kernel.vaporize_and_eject(H, H0, w, vap, Cs, top, CW, rhoL, Tsp, 0.6, TD, 0.0, False, False,
                              1e-6, np.ones(1), tally, 2)
    d = X / rhoL
    assert w[0, 0] == pytest.approx(w0 - d, rel=1e-12)
    assert H[0, 0] == pytest.approx(C * Tsp + X - d * (rhoL + CW * Tsp), rel=1e-12)
    assert top[0] == 0 and tally[Tally.ABLATED] == 0.0
    assert tally[Tally.VAPORIZED] == pytest.approx(d * (rhoL + CW * Tsp) * 1e-6, rel=1e-12)


@pytest.mark.parametrize("h_dry", [0.0, 5.0e8])
def test_decomposed_dry_tissue_leaves_with_the_tissue_above_it(h_dry):
    """Under a wet surface that is not boiling, a dry cell holding its decomposition enthalpy
    leaves and takes the cells above it (their heat goes to the ablated account); one just short
    of it stays, and so does everything while no material may leave."""
    wet = (CS + 0.6 * CW) * 60.0
    for extra, gone in ((1.0e3, True), (-1.0e3, False)):
        H, Cs, w = column([0.6, 0.0, 0.0, 0.6], [wet, CS * 150.0, CS * TD + h_dry + extra, wet])
        H0 = H.copy()
        H0[0, 1:3] = CS * 37.0
        for remove in (True, False):
            Hk, wk, top, tally = H.copy(), w.copy(), np.zeros(1, dtype=np.int64), new_tally()
            kernel.vaporize_and_eject(Hk, H0, wk, np.zeros_like(H), Cs, top, CW, K.
                                      water_latent_heat_volumetric, 100.0, 0.6, TD, h_dry,
                                      False, remove, 1e-6, np.ones(1), tally, 4)
            expect = 3 if (gone and remove) else 0
            assert top[0] == expect
            assert tally[Tally.ABLATED] == pytest.approx(
                float(np.sum(H[0, :expect] - H0[0, :expect])) * 1e-6)


def test_absorption_follows_the_water_and_the_wet_cells_take_what_dry_ones_pass_on():
    nr, nz = 2, 4
    field = np.full((nr, nz), 1.0e3)  # 1/m^3 per J delivered
    medium = SimpleNamespace(mua_water=1.0e4, mua_other=np.zeros((nr, nz)),
                             water=np.full((nr, nz), 0.7))
    grid = SimpleNamespace(dz=1e-6, area=np.array([1e-9, 3e-9]))
    beam = Transported(SimpleNamespace(field=field, reflected=0.0), grid, medium)
    water = medium.water.copy()
    water[0, 0] = 0.0      # boiled dry: no chromophore left
    water[1, 1] = 0.35     # half boiled
    st = SimpleNamespace(H=np.zeros((nr, nz)), water=water, top=np.zeros(nr, dtype=np.int64),
                         reach=np.zeros(nr, dtype=np.int64), tally=new_tally())
    beam.deposit(st, np.full(nr, 1.0 / grid.area.sum()))  # 1 J in the step
    e = 1.0
    intact = float(np.sum(field * grid.area[:, None])) * grid.dz * e
    assert st.H[0, 0] == 0.0
    share = np.where(water > 0, water / 0.7, 0.0)
    scale = intact / (float(np.sum(field * share * grid.area[:, None])) * grid.dz * e)
    np.testing.assert_allclose(st.H, field * share * scale * e, rtol=1e-12)
    assert st.tally[Tally.ABSORBED] == pytest.approx(intact, rel=1e-12)


def test_the_transport_fills_every_ring_and_keeps_its_energy():
    """Rings of 1.5 um under transport annuli of 3 um (a 60 um beam): each ring gets the energy
    of the area it shares with each annulus; none is left empty."""
    skin = build_skin("forearm", 2)
    rfaces = np.arange(0.0, 121e-6, 1.5e-6)
    dz = 4e-6
    z = (np.arange(50) + 0.5) * dz
    dep = monte_carlo(skin, 1550.0, 30e-6, "gaussian", rfaces, z, dz, n_photons=20_000, seed=3)
    first = dep.field[:, 0]
    assert np.all(first[:20] > 0.0)  # the beam's core: no empty ring
    res = dep.result
    dr = 3e-6
    ring_mc = np.pi * dr**2 * (2 * np.arange(res.A_rz.shape[0]) + 1)
    inside = res.A_rz[: int(round(rfaces[-1] / dr)), :50] * ring_mc[: int(round(rfaces[-1] / dr)),
                                                                    None] * dz
    vol = np.pi * np.diff(rfaces**2)[:, None] * dz
    assert float(np.sum(dep.field * vol)) == pytest.approx(float(inside.sum()), rel=1e-9)


def stacked_thulium(h_dry: float):
    sc = Scenario.from_dict({
        "skin": {"site": "cheek", "phototype": 2},
        "laser": {"source": "tm:fiber", "pulse_duration": "1 ms"},
        "delivery": {"mode": "fractional", "microbeam_diameter": "120 um",
                     "pulse_energy": "10 mJ", "stack": 3, "coverage": 0.1},
        "numerics": {"resolution": 0.5, "cooling_time": "0.1 s"}})
    from dermalase.physics.microchannel import run_channel

    k = sc.constants.replace(dry_decomposition_enthalpy=h_dry)
    return run_channel(sc.skin, sc.source, sc.delivery, sc.numerics, k)


def test_a_decomposition_enthalpy_holds_dry_tissue_longer_and_the_energy_still_closes():
    """With an enthalpy of decomposition the dry tissue takes more energy to leave: the channel
    is no deeper, the peak stays at the plateau, and every joule is accounted for."""
    runs = [stacked_thulium(h) for h in (0.0, 3.0e9)]
    for out in runs:
        t = out.tallies
        parts = sum(t[k] for k in ("reflected", "vaporized", "ablated", "plume", "retained",
                                   "boundary", "perfusion", "transmitted"))
        assert parts == pytest.approx(out.delivered, rel=1e-9)
        assert float(out.tmax.max()) <= K.peak_temperature_bound
    assert runs[1].top[0] <= runs[0].top[0]
    assert runs[0].top[0] > 0


def test_the_default_ablative_runs_do_not_change_below_boiling():
    """A pulse that never reaches boiling boils nothing and removes nothing: the plateaus act
    only at their temperatures."""
    sc = Scenario.from_dict({"skin": {"site": "cheek"},
                             "laser": {"source": "er:yag", "pulse_duration": "1 ms"},
                             "delivery": {"fluence": "0.05 J/cm^2"}})
    out = run_spot(sc.skin, sc.source, sc.delivery, sc.numerics, sc.constants)
    assert out.top[0] == 0
    assert out.tallies["vaporized"] == 0.0
    assert float(out.tmax.max()) < 100.0


def test_a_dry_crust_goes_with_the_boiling_tissue_under_it():
    """A crust with no water left (not decomposed) over wet tissue that has made the vapor it
    needs: the crust is ruptured by that steam and goes with it (Thomsen et al., Proc SPIE
    1991;1422; issue 31 item 6). Before, each crust cell asked for a cell's worth of vapor it
    could not make, and blocked the ejection."""
    v_crit = 0.6
    H, Cs, w = column([0.0, 0.0, 0.0, 0.7, 0.7],
                      [CS * 300.0, CS * 300.0, CS * 300.0, (CS + 0.7 * CW) * 100.0,
                       (CS + 0.7 * CW) * 60.0])
    vap = np.array([[0.0, 0.0, 0.0, v_crit, 0.0]])  # the wet cell made its vapor this pulse
    top = np.zeros(1, dtype=np.int64)
    new_top, _ = kernel._boiling_segment(0, H, w, vap, Cs, top, CW, 100.0, v_crit, TD, 0.0)
    assert new_top == 4  # the crust and the boiling cell; the cell below is not boiling


def test_more_fluence_under_a_crust_never_ablates_less():
    """The fuzz's pair (docs/design.md, dry tissue: Er:YSGG, 9.4 ms, 1 -> 1.1 J/cm^2 with a
    2.72 J/cm^2 train pulse, forearm, 0.74 mm spot): 1.1 J/cm^2 ablated 0 um where 1 J/cm^2
    ablated 20 um. The law allows one cell (1 um here)."""
    from dermalase import simulate

    for train in ("9.4 ms", "20 ms", "50 ms"):
        depth = []
        for fluence in ("1 J/cm^2", "1.1 J/cm^2"):
            sc = Scenario.from_dict({
                "skin": {"site": "forearm", "phototype": 2},
                "laser": {"source": "er:ysgg", "pulse_duration": "9.4 ms"},
                "delivery": {"spot_diameter": "0.74 mm", "fluence": fluence, "train_pulses": 1,
                             "train_fluence": "2.72 J/cm^2", "train_duration": train}})
            depth.append(simulate(sc).summary["ablation_depth_um"])
        assert depth[1] >= depth[0] - 1.0 - 1e-9, (train, depth)
