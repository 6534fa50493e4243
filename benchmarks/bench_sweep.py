"""Sweeps on Dask (issues 16 and 35).

1. The same 64-point sweep (Er:YAG, 8 fluences x 8 pulse durations, 1-D, cheek) serially in
   this process and on a LocalCluster of 2 worker processes, each from an empty simulation
   store; the cluster's time includes starting it.
2. A 10^4-point 1-D study (100 fluences x 100 pulse durations) on a LocalCluster of one worker
   per core, points batched per task and the store filed a batch at a time: its wall time, the
   client's own share (reading the sweep, the resume check, the dataset), and its throughput
   per worker once the first batch is back, against the serial rate of the same points measured
   in the same run (the figure docs/design.md scales to 10^5 points on 100 workers).

Run: ``make bench`` (or this file alone; ``--quick`` runs a 2,000-point study instead).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time

SWEEP = {"name": "bench", "skin": {"site": "cheek"},
         "laser": {"source": "er:yag",
                   "pulse_duration": {"from": "100 us", "to": "2 ms", "steps": 8,
                                      "scale": "log"}},
         "delivery": {"fluence": {"from": "3 J/cm^2", "to": "24 J/cm^2", "steps": 8}},
         "numerics": {"geometry": "1d", "cooling_time": "1 s"}}


def study(side: int) -> dict:
    return {"name": "study", "skin": {"site": "cheek"},
            "laser": {"source": "er:yag",
                      "pulse_duration": {"from": "100 us", "to": "2 ms", "steps": side,
                                         "scale": "log"}},
            "delivery": {"fluence": {"from": "3 J/cm^2", "to": "24 J/cm^2", "steps": side}},
            "numerics": {"geometry": "1d", "cooling_time": "0.5 s"}}


def timed(spec: dict, workers: int) -> tuple[float, list[tuple[float, int]], object]:
    """(wall time of the whole sweep, (time, points done) at each arrival, dataset), from an
    empty store."""
    from dermalase.simulate import store
    from dermalase.sweep import run_sweep, sweep_from_dict

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["DERMALASE_CACHE"] = tmp
        store._MEMORY.clear()
        arrivals: list[tuple[float, int]] = []
        t0 = time.perf_counter()
        sw = sweep_from_dict(spec)
        ds = run_sweep(sw, workers=workers, yes=True,
                       progress=lambda done, total: arrivals.append((time.perf_counter(),
                                                                      done)))
        dt = time.perf_counter() - t0
        assert ds.attrs["computed"] == sw.size and ds.attrs["failed"] == 0, ds.attrs
    return dt, arrivals, ds


def per_point(arrivals: list[tuple[float, int]]) -> float:
    """Seconds per point from the first point back to the last (arrivals[0]: the call before
    any point)."""
    (first, n0), (last, n1) = arrivals[1], arrivals[-1]
    return (last - first) / (n1 - n0)


def serial_rate(spec: dict, n: int) -> float:
    """Points per second of ``n`` points of ``spec`` spread over it, run here one by one."""
    from dermalase.sweep import sweep_from_dict
    from dermalase.sweep.engine import run_point

    scenarios = sweep_from_dict(spec).scenarios
    sample = scenarios[:: max(1, len(scenarios) // n)][:n]
    t0 = time.perf_counter()
    for sc in sample:
        run_point(sc)
    return len(sample) / (time.perf_counter() - t0)


def main() -> None:
    from dermalase import simulate

    simulate({"skin": {"site": "cheek"}, "laser": {"source": "er:yag",
             "pulse_duration": "250 us"}, "delivery": {"fluence": "5 J/cm^2"}})  # load kernels
    cores = os.cpu_count() or 1
    load = os.getloadavg()[0]
    serial, arr_s, _ = timed(SWEEP, 0)
    cluster, arr_c, _ = timed(SWEEP, 2)
    serial_pp, cluster_pp = per_point(arr_s), per_point(arr_c)
    print(f"sweep of 64 points (1-minute load before: {load:.2f} on {cores} cores): "
          f"serial {serial:.1f} s, LocalCluster of 2 workers {cluster:.1f} s (its start and "
          f"the workers' first import included) -> speed-up {serial / cluster:.2f}x; "
          f"once the first point is back: {serial_pp * 1e3:.0f} vs {cluster_pp * 1e3:.0f} ms "
          f"per point -> {serial_pp / cluster_pp:.2f}x (goal ~2 on 2 idle cores)")

    side = 45 if "--quick" in sys.argv else 100
    spec = study(side)
    ref = serial_rate(spec, 100)
    load = os.getloadavg()[0]
    wall, arrivals, ds = timed(spec, cores)
    # arrivals: the resume check, the points timed here before the start, then a call per
    # point as each batch comes back; the cluster's rate: from the first batch to the last
    from dermalase.sweep.engine import PILOT_POINTS

    batch = ds.attrs["engine"]
    on_cluster = [a for a in arrivals if a[1] > PILOT_POINTS]
    first = next(a for a in reversed(on_cluster) if a[0] <= on_cluster[0][0] + 1e-3)
    rate = (on_cluster[-1][1] - first[1]) / (on_cluster[-1][0] - first[0])
    client = wall - (arrivals[-1][0] - arrivals[0][0])
    print(f"study of {side * side:,} 1-D points on {cores} workers (1-minute load before: "
          f"{load:.2f}): {wall:.1f} s in all on {batch}; the client's own share (reading the "
          f"sweep, the resume check, the dataset) {client:.1f} s; once the first batch is back "
          f"{rate:.1f} points/s = {rate / cores:.1f} points/s per worker, against "
          f"{ref:.1f} points/s serially here -> {rate / cores / ref:.2f}x of a serial core "
          f"per worker")
    est = 1e5 / (100 * rate / cores)
    print(f"scale: 10^5 such points on 100 workers at {rate / cores:.1f} points/s each "
          f"-> {est:.0f} s of compute, plus the cluster's start")


if __name__ == "__main__":
    main()
