"""Sweep speed-up (issue 16 goal: close to 2 on 2 cores): the same 64-point sweep (Er:YAG,
8 fluences x 8 pulse durations, 1-D, cheek) serially in this process and on a LocalCluster of 2
worker processes, each from an empty simulation store. The cluster's time includes starting it.
Also prints points per second per worker, the figure the scale estimate in docs/design.md uses.
Run: ``make bench``.
"""

from __future__ import annotations

import os
import tempfile
import time

SWEEP = {"name": "bench", "skin": {"site": "cheek"},
         "laser": {"source": "er:yag",
                   "pulse_duration": {"from": "100 us", "to": "2 ms", "steps": 8,
                                      "scale": "log"}},
         "delivery": {"fluence": {"from": "3 J/cm^2", "to": "24 J/cm^2", "steps": 8}},
         "numerics": {"geometry": "1d", "cooling_time": "1 s"}}


def timed(workers: int) -> tuple[float, float]:
    """(wall time of the whole sweep, seconds per point once the first point is back)."""
    from dermalase.simulate import store
    from dermalase.sweep import run_sweep, sweep_from_dict

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["DERMALASE_CACHE"] = tmp
        store._MEMORY.clear()
        sw = sweep_from_dict(SWEEP)
        arrivals: list[float] = []
        t0 = time.perf_counter()
        ds = run_sweep(sw, workers=workers,
                       progress=lambda done, total: arrivals.append(time.perf_counter()))
        dt = time.perf_counter() - t0
        assert ds.attrs["computed"] == 64 and ds.attrs["failed"] == 0
    first, last = arrivals[1], arrivals[-1]  # arrivals[0]: the call before any point
    return dt, (last - first) / (len(arrivals) - 2)


def main() -> None:
    from dermalase import simulate

    simulate({"skin": {"site": "cheek"}, "laser": {"source": "er:yag",
             "pulse_duration": "250 us"}, "delivery": {"fluence": "5 J/cm^2"}})  # load kernels
    load = os.getloadavg()[0]
    serial, serial_pp = timed(0)
    cluster, cluster_pp = timed(2)
    print(f"sweep of 64 points (1-minute load before: {load:.2f} on {os.cpu_count()} cores): "
          f"serial {serial:.1f} s, LocalCluster of 2 workers {cluster:.1f} s (its start and "
          f"the workers' first import included) -> speed-up {serial / cluster:.2f}x; "
          f"once the first point is back: {serial_pp * 1e3:.0f} vs {cluster_pp * 1e3:.0f} ms "
          f"per point -> {serial_pp / cluster_pp:.2f}x (goal ~2 on 2 idle cores); "
          f"{1 / cluster_pp / 2:.2f} points/s per worker")


if __name__ == "__main__":
    main()
