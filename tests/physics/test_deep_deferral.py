"""1-D conduction below the reach of a pulse waits and is solved once (issue 18): the same
wound as solving every row on every step, the same energy balance, and the cap where it is
meant to be."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from dermalase import Scenario
from dermalase.physics.solver import SpotSolver, initial_state, run_spot


def scenario(src: str, tau: str, fluence: str, passes: int) -> Scenario:
    return Scenario.from_dict({
        "skin": {"site": "perioral", "phototype": 2},
        "laser": {"source": src, "pulse_duration": tau},
        "delivery": {"mode": "full-field", "spot_diameter": "4 mm", "fluence": fluence,
                     "passes": passes}})


def run(sc: Scenario, defer: bool):
    num = dataclasses.replace(sc.numerics, defer_deep=defer)
    return run_spot(sc.skin, sc.source, sc.delivery, num, sc.constants)  # type: ignore[arg-type]


def depth_of(out, name: str) -> float:
    """Depth (m) of the deepest cell with Omega >= 1 of set ``name`` below the surface."""
    hit = np.nonzero(out.omega[name][0] >= 1.0)[0]
    return (hit.max() + 1 - out.top[0]) * out.dz if hit.size else 0.0


@pytest.mark.parametrize(("src", "tau", "fluence", "passes"),
                         [("er:yag", "250 us", "15 J/cm^2", 3),
                          ("er:yag", "1 ms", "10 J/cm^2", 3),
                          ("er:yag", "250 us", "5 J/cm^2", 4),
                          ("er:ysgg", "250 us", "5 J/cm^2", 3)])
def test_waiting_rows_give_the_wound_of_every_row_on_every_step(src, tau, fluence, passes):
    """Under later passes (tissue warm to the bottom), solving the rows below the pulse's
    reach once per pulse instead of on every step of it (Lie splitting of the faces, implicit
    and conservative) changes the crater and the coagulated and denatured layers by at most
    one cell, the peak temperature by less than 0.15 K from 20 cells (7 um) below the surface
    down (0.1 K before issue 30; 0.12 K measured since, in the 3-pass case after a threshold
    event), and the energy balance not at all. In the first 20 cells the peak temperature may
    move by up to 1.5 K: boiling and ejection there are threshold events, which a change of
    1e-9 K decides a step earlier or later (measured: 3e-9 K before such an event, 0.98 K
    after; with boiling at the limit of superheat during the ejection delay (issue 30) 1.27 K
    in the 3-pass 15 J/cm^2 case, while the same run solving every row flips the same way at
    0.2-1.5 K for fluences 0.1 % apart; docs/design.md reports the same for the coagulation
    train)."""
    sc = scenario(src, tau, fluence, passes)
    every, waited = run(sc, False), run(sc, True)
    dz = every.dz
    assert abs(int(every.top[0]) - int(waited.top[0])) <= 1
    for name in every.omega:
        assert abs(depth_of(every, name) - depth_of(waited, name)) <= dz * 1.01, name
    t0 = max(every.top[0], waited.top[0])
    diff = np.abs(every.tmax[0] - waited.tmax[0])
    assert np.max(diff[t0:t0 + 20]) < 1.5
    assert np.max(diff[t0 + 20:]) < 0.15
    assert waited.delivered == pytest.approx(every.delivered, rel=1e-12)
    for rec in waited.passes:
        e = rec.energy
        parts = (e["reflected"] + e["vaporized"] + e["ablated"] + e["retained_change"]
                 + e["boundary"] + e["perfusion"] + e["transmitted"] + e["plume"])
        assert parts == pytest.approx(e["delivered"], rel=1e-9)


def test_the_cap_lies_below_the_reach_of_erbium_and_nowhere_for_co2():
    """Er:YAG (optical depth ~1 um): the cap lies 18 optical depths of the least absorbing
    layer (its water at body temperature) plus 10 diffusion lengths over the pulse, and a
    quarter more, below the surface: far above the bottom of the 1-D domain. CO2 (optical
    depth ~20 um): that passes the bottom, so nothing waits. Turned off, nothing waits either."""
    import math

    from dermalase.physics.numerics import WINDOW_LENGTHS

    er = scenario("er:yag", "250 us", "15 J/cm^2", 2)
    solver = SpotSolver(er.skin, er.source, er.delivery, er.numerics, er.constants)
    st = initial_state(solver.medium)
    solver.set_deep_cap(st)
    m = solver.medium
    # the water's absorption at body temperature (issue 31: -0.47 %/K from 20 C at 2,940 nm)
    f = 1.0 - 58.2 / 12514.0 * (37.0 - 20.0)
    resting = m.water_layer * m.mua_water * f + m.mua_other_layer
    reach = 18.0 / float(np.min(resting)) + WINDOW_LENGTHS * math.sqrt(
        solver.alpha_max * solver.schedule.tau)
    rows = math.ceil(reach / solver.grid.dz)
    assert solver._cap[0] == rows + max(8, rows // 4) < solver.grid.nz // 4
    off = SpotSolver(er.skin, er.source, er.delivery,
                     dataclasses.replace(er.numerics, defer_deep=False), er.constants)
    off.set_deep_cap(initial_state(off.medium))
    assert off._cap[0] == off.grid.nz
    co2 = scenario("co2", "1 ms", "7 J/cm^2", 2)
    c = SpotSolver(co2.skin, co2.source, co2.delivery, co2.numerics, co2.constants)
    c.set_deep_cap(initial_state(c.medium))
    assert c._cap[0] == c.grid.nz


@pytest.mark.parametrize(("tau", "fluence"), [("250 us", "15.1 J/cm^2"),
                                              ("1 ms", "10 J/cm^2")])
def test_at_the_end_of_a_later_pulse_the_column_is_the_same(tau, fluence):
    """Right after the second Er:YAG pulse (the first pass and its 2 s of cooling before it),
    the temperature profile with the deep rows waiting matches solving every row on every
    step: within 1e-6 K in the first 20 cells under the surface and within 2e-3 K below them
    (measured: 1.6e-4 K at 250 us, 9.4e-4 K at 1 ms, where the rows are 1-16 K above body
    temperature), with the same crater. The fluences
    are ones where no ejection falls within round-off of its threshold: at 14.9, 14.99 and
    15 J/cm^2 (and 15.01 before issue 30) a difference of 1e-13 of the enthalpy, the round-off
    of solving the deep rows at once, ejects a cell one step apart, and the column differs by
    0.25-1.5 K near the surface for that reason alone (a threshold event, not the deferral:
    the other test bounds it)."""
    sc = scenario("er:yag", tau, fluence, 2)
    state = {}
    for defer in (False, True):
        num = dataclasses.replace(sc.numerics, defer_deep=defer)
        solver = SpotSolver(sc.skin, sc.source, sc.delivery, num, sc.constants)
        st = initial_state(solver.medium)
        solver.run_pass(st, 0, [])
        solver.pulse(st, [])
        state[defer] = (int(st.top[0]), st.T[0].copy())
    (t_every, T_every), (t_waited, T_waited) = state[False], state[True]
    assert t_every == t_waited
    diff = np.abs(T_every - T_waited)[t_every:]
    assert np.max(diff[:20]) < 1e-6
    assert np.max(diff[20:]) < 2e-3
