"""Threads: the same runs with the sweeps serial and split over threads, in one process.

Prints the threading layer and thread count, then for each case the wall time with the sweeps
serial ("never"), split over threads ("always") and as the solver picks ("auto"), as ratios
to the serial run, and checks that the three give the same result. Run on the busy machine
as it is: a split that is only faster on an idle machine is not chosen by "auto".
"""

from __future__ import annotations

import dataclasses

import numba
import numpy as np
from common import best_of  # noqa: E402  (benchmarks/ is run as scripts)

from dermalase import Scenario
from dermalase.physics.microchannel import run_channel
from dermalase.physics.solver import MIN_PARALLEL_CELLS, Kernels, run_spot

CASES = {
    "default Er:YAG 12.5 J/cm^2 (1-D)": {
        "skin": {"site": "cheek"}, "laser": {"source": "er:yag", "pulse_duration": "250 us"},
        "delivery": {"fluence": "12.5 J/cm^2"}},
    "Er:YAG 250 um channel, 2 mJ x 3 (r-z)": {
        "skin": {"site": "cheek"}, "laser": {"source": "er:yag", "pulse_duration": "250 us"},
        "delivery": {"mode": "fractional", "microbeam_diameter": "250 um", "pulse_energy": "2 mJ",
                     "stack": 3, "coverage": 0.1}},
    "CO2 120 um channel, 10 mJ (r-z)": {
        "skin": {"site": "neck"}, "laser": {"source": "co2", "pulse_duration": "333 us"},
        "delivery": {"mode": "fractional", "microbeam_diameter": "120 um",
                     "pulse_energy": "10 mJ", "coverage": 0.05}},
}


def run(sc: Scenario, mode: str):
    num = dataclasses.replace(sc.numerics, parallel=mode)
    if sc.fractional:
        return run_channel(sc.skin, sc.source, sc.delivery, num)  # type: ignore[arg-type]
    return run_spot(sc.skin, sc.source, sc.delivery, num)  # type: ignore[arg-type]


def main() -> None:
    print(f"threading layer: {numba.config.THREADING_LAYER} (in use: first parallel call), "
          f"threads: {numba.get_num_threads()}, auto splits grids from {MIN_PARALLEL_CELLS:,} "
          "cells")
    for name, d in CASES.items():
        sc = Scenario.from_dict(d)
        for mode in ("never", "always"):
            run(sc, mode)  # compile / load
        times, outs = {}, {}
        for mode in ("never", "always", "auto"):
            times[mode], outs[mode] = best_of(lambda m=mode, s=sc: run(s, m), n=3)
        same = all(np.array_equal(outs["never"].tmax, o.tmax) and
                   np.array_equal(outs["never"].top, o.top) for o in outs.values())
        g = outs["never"].grid
        k = Kernels.choose(g.nr, g.nz)
        picked = "split" if k.conduct_z is not Kernels.choose(g.nr, g.nz, "never").conduct_z \
            or k.conduct_r is not Kernels.choose(g.nr, g.nz, "never").conduct_r else "serial"
        print(f"{name}: grid {g.nr} x {g.nz}; serial {times['never'] * 1e3:.0f} ms, split "
              f"{times['always'] * 1e3:.0f} ms (ratio {times['never'] / times['always']:.2f}x), "
              f"auto ({picked}) {times['auto'] * 1e3:.0f} ms; identical results: {same}")
    print(f"threading layer used: {numba.threading_layer()}")


if __name__ == "__main__":
    main()
