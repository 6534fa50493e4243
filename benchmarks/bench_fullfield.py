"""Speed of one full-field simulation (issue 2 target: < 1 s, converged, on 2 cores).

Reports wall time after JIT warm-up, the grid and steps, and two ratios measured in this
process: (a) against a refined reference run (resolution 4), with the accuracy difference, and
(b) the compiled conduction kernel against the SciPy reference solver on the same grid.
Run: ``make bench``.
"""

from __future__ import annotations

import platform
import time

import numpy as np
from common import best_of, threads_line  # noqa: E402  (benchmarks/ is run as scripts)

from dermalase import simulate
from dermalase.physics.thermal import conduct_kernel, implicit_step_1d

CASES = {
    "default Er:YAG 12.5 J/cm^2, 250 us, 1 pass": {
        "skin": {"site": "cheek", "phototype": 2},
        "laser": {"source": "er:yag", "pulse_duration": "250 us"},
        "delivery": {"fluence": "12.5 J/cm^2", "passes": 1}},
    "CO2 7 J/cm^2, 1 ms, 2 passes": {
        "skin": {"site": "perioral", "phototype": 2},
        "laser": {"source": "co2", "pulse_duration": "1 ms"},
        "delivery": {"fluence": "7 J/cm^2", "passes": 2}},
}




def main() -> None:
    print(f"machine: {platform.processor() or platform.machine()}, "
          f"python {platform.python_version()}")
    print(threads_line())
    for name, d in CASES.items():
        simulate(d)  # JIT warm-up (cached on disk after the first run)
        t1, r1 = best_of(lambda d=d: simulate(d))
        ref = dict(d, numerics={"resolution": 4})
        t4, r4 = best_of(lambda ref=ref: simulate(ref), n=2)
        s1, s4 = r1.summary, r4.summary
        ds = r1.dataset
        print(f"\n{name}")
        print(f"  wall time: {t1 * 1e3:.0f} ms  (grid: {ds.sizes['z']} cells, dz = "
              f"{ds.attrs['dz_m'] * 1e6:.3g} um, {ds.attrs['time_steps']} time steps)")
        print(f"  reference (resolution 4): {t4 * 1e3:.0f} ms -> speed ratio {t4 / t1:.1f}x; "
              f"ablation {s1['ablation_depth_um']:.2f} vs {s4['ablation_depth_um']:.2f} um, "
              f"coagulation {s1['coagulation_depth_um']:.2f} vs "
              f"{s4['coagulation_depth_um']:.2f} um")
    # kernel vs reference solver, same grid and steps
    n, dz, dt, steps = 4000, 0.35e-6, 1e-6, 200
    T0 = 37.0 + 60.0 * np.exp(-np.arange(n) * dz / 5e-6)
    conduct_kernel(T0[None, :], 3.6e6, 0.5, dz, dt, 1)
    tk, _ = best_of(lambda: conduct_kernel(T0[None, :], 3.6e6, 0.5, dz, dt, steps), n=3)

    def ref_solver():
        T = T0.copy()
        for _ in range(steps):
            T = implicit_step_1d(T, 3.6e6, 0.5, dz, dt)
        return T
    tr, _ = best_of(ref_solver, n=3)
    print(f"\nconduction, {n} cells x {steps} steps: compiled kernel {tk * 1e3:.1f} ms, SciPy "
          f"reference {tr * 1e3:.1f} ms -> ratio {tr / tk:.1f}x")
    fractional_groundwork()
    channel_steps()
    nonablative_zone()
    later_passes()


def fractional_groundwork() -> None:
    """Issue 3 targets: one microchannel with 3 stacked pulses < 2 s; 1 cm^2 bulk heating < 5 s;
    and the whole fractional example end to end."""
    import math

    from dermalase import Scenario
    from dermalase.physics import pattern as P
    from dermalase.physics.microchannel import run_channel, zone_geometry

    sc = Scenario.from_dict({
        "skin": {"site": "cheek", "phototype": 2},
        "laser": {"source": "er:yag", "pulse_duration": "250 us"},
        "delivery": {"mode": "fractional", "microbeam_diameter": "250 um",
                     "pulse_energy": "2 mJ", "stack": 3, "coverage": 0.1}})
    run_channel(sc.skin, sc.source, sc.delivery, sc.numerics)  # warm-up
    t, out = best_of(lambda: run_channel(sc.skin, sc.source, sc.delivery, sc.numerics), n=2)
    g = zone_geometry(out)
    print(f"\nmicrochannel Er:YAG 250 um, 2 mJ x 3 stacked: {t:.2f} s (target 2 s), depth "
          f"{g.channel_depth * 1e6:.0f} um, grid {len(out.r)} x {len(out.z)}, {out.steps} steps")
    # CO2 on Hantash's beam (120 um 1/e^2, 30 W: 10 mJ lasts 0.33 ms), 3 stacked pulses, with
    # and without plume shielding (ratio in the same process)
    co2 = Scenario.from_dict({
        "skin": {"site": "neck", "phototype": 2},
        "laser": {"source": "co2", "pulse_duration": "0.33333 ms"},
        "delivery": {"mode": "fractional", "microbeam_diameter": "120 um",
                     "pulse_energy": "10 mJ", "stack": 3, "coverage": 0.1}})
    plain = dataclasses_replace(co2.numerics, plume_shielding=False)
    tc, oc = best_of(lambda: run_channel(co2.skin, co2.source, co2.delivery, co2.numerics), n=1)
    t0, o0 = best_of(lambda: run_channel(co2.skin, co2.source, co2.delivery, plain), n=1)
    print(f"microchannel CO2 120 um, 10 mJ x 3 stacked: {tc:.2f} s with plume shielding "
          f"(depth {zone_geometry(oc).channel_depth * 1e6:.0f} um, {oc.steps} steps), {t0:.2f} s "
          f"without (depth {zone_geometry(o0).channel_depth * 1e6:.0f} um) -> ratio "
          f"{tc / t0:.2f}")
    d = dataclasses_replace(sc.delivery, density=2000e4, repetition_rate=500.0)
    pos = P.positions(d)
    tf = P.firing_times(d, pos)
    heat = P.ZoneHeat(2e-3, 500e-6, 80e-6, 3.6e6, 1.4e-7)
    P.bulk_heating(pos[:20], tf[:20], heat, 0.01)  # warm-up
    t, b = best_of(lambda: P.bulk_heating(pos, tf, heat, math.sqrt(d.area)), n=2)
    print(f"bulk heating, 1 cm^2, {len(pos)} zones at 500 Hz: {t:.2f} s (target 5 s), "
          f"bridge-mean rise {b.mean_rise:.1f} K")
    from dermalase.cli.main import example_path
    from dermalase.simulate import fractional

    ex = Scenario.from_toml(example_path("fractional_er_yag"))

    def whole():  # the channel is simulated every time (not taken from the process's last runs)
        fractional._CHANNELS.clear()
        return simulate(ex)
    t, r = best_of(whole, n=2)
    print(f"whole fractional example (channel 10 mJ x 3, pattern, bulk heating, healing): "
          f"{t:.2f} s, channel {r.summary['ablation_depth_um']:.0f} um")


def channel_steps() -> None:
    """Issue 18: r-z channels with the front step in optical depths and the radial sweep added
    up over the pulse's steps, against a refined reference in the same process (front step 4x
    finer, radial sweep on every step), with the depth and zone differences."""
    from dermalase import Scenario
    from dermalase.cli.main import example_path
    from dermalase.physics.microchannel import run_channel, zone_geometry

    co2 = Scenario.from_dict({
        "skin": {"site": "neck"}, "laser": {"source": "co2", "pulse_duration": "0.33333 ms"},
        "delivery": {"mode": "fractional", "microbeam_diameter": "120 um",
                     "pulse_energy": "20 mJ", "coverage": 0.05}})
    er = Scenario.from_toml(example_path("fractional_er_yag"))
    for name, sc in (("CO2 120 um, 20 mJ, stack 1 (goal 0.5 s)", co2),
                     ("fractional_er_yag channel, Er:YAG 10 mJ x 3", er)):
        ref = dataclasses_replace(sc.numerics, front_optical_depths_rz=0.05,
                                  front_cells_per_step_rz=0.05, radial_step_fraction=1e-12)
        run_channel(sc.skin, sc.source, sc.delivery, sc.numerics)  # warm-up
        t, o = best_of(lambda sc=sc: run_channel(sc.skin, sc.source, sc.delivery, sc.numerics),
                       n=3)
        tr, orf = best_of(lambda sc=sc, ref=ref: run_channel(sc.skin, sc.source, sc.delivery,
                                                             ref), n=1)
        g, gr = zone_geometry(o), zone_geometry(orf)
        print(f"{name}: {t:.2f} s ({o.steps} steps, parallel {sc.numerics.parallel}); "
              f"reference {tr:.2f} s ({orf.steps} steps) -> ratio {tr / t:.1f}x; depth "
              f"{g.channel_depth * 1e6:.0f} vs {gr.channel_depth * 1e6:.0f} um, zone "
              f"{g.mtz_diameter * 1e6:.1f} vs {gr.mtz_diameter * 1e6:.1f} um")


def dataclasses_replace(obj, **kw):
    import dataclasses

    return dataclasses.replace(obj, **kw)


def nonablative_zone() -> None:
    """Issue 18 (goal < 1 s, transport kept by optical properties): a 1,550 nm zone (Monte Carlo
    deposition, 200,000 packets) with its transport computed, then at another energy with the
    transport kept; the reference is the first, in the same process."""
    from dermalase.physics import deposition
    from dermalase.simulate import fractional

    d = {"skin": {"site": "cheek"}, "laser": {"source": "er:glass", "pulse_duration": "10 ms"},
         "delivery": {"mode": "fractional", "microbeam_diameter": "140 um",
                      "pulse_energy": "10 mJ", "coverage": 0.1}}
    deposition._TRANSPORTS.clear()
    fractional._CHANNELS.clear()
    t0 = time.perf_counter()
    first = simulate(d).summary
    t1 = time.perf_counter()
    d["delivery"]["pulse_energy"] = "40 mJ"
    fractional._CHANNELS.clear()
    kept = simulate(d).summary
    t2 = time.perf_counter()
    print(f"1,550 nm zone, 140 um: 10 mJ with its Monte Carlo transport {t1 - t0:.2f} s "
          f"(reference), 40 mJ with the transport kept {t2 - t1:.2f} s (goal 1 s) -> ratio "
          f"{(t1 - t0) / (t2 - t1):.1f}x; injury depth {first['injury_depth_um']:.0f} and "
          f"{kept['injury_depth_um']:.0f} um")


def later_passes() -> None:
    """Issue 18: full-field Er:YAG passes after the first, with the rows below the pulse's
    reach waiting (Numerics.defer_deep, the default), against every row solved on every step
    (the reference), in the same process; the crater and coagulation of each."""
    import dataclasses

    from dermalase import Scenario

    for passes, fluence in ((2, "15 J/cm^2"), (3, "12.5 J/cm^2")):
        sc = Scenario.from_dict({
            "skin": {"site": "perioral", "phototype": 2},
            "laser": {"source": "er:yag", "pulse_duration": "250 us"},
            "delivery": {"fluence": fluence, "passes": passes}})

        def with_defer(on: bool, sc=sc) -> Scenario:
            return Scenario(name=sc.name, skin=sc.skin, source=sc.source, delivery=sc.delivery,
                            numerics=dataclasses.replace(sc.numerics, defer_deep=on),
                            constants=sc.constants)
        t, r = best_of(lambda: simulate(with_defer(True)))
        tr, rr = best_of(lambda: simulate(with_defer(False)))
        a, b = r.summary, rr.summary
        print(f"Er:YAG {fluence} x {passes} passes (1-D): {t * 1e3:.0f} ms with the deep rows "
              f"waiting, reference (every row every step) {tr * 1e3:.0f} ms -> ratio "
              f"{tr / t:.1f}x; ablation {a['ablation_depth_um']:.2f} vs "
              f"{b['ablation_depth_um']:.2f} um, coagulation {a['coagulation_depth_um']:.2f} vs "
              f"{b['coagulation_depth_um']:.2f} um")


if __name__ == "__main__":
    main()
