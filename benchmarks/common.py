"""Shared helper of the benchmark scripts."""

from __future__ import annotations

import time


def best_of(fn, n=3):
    """(shortest wall time of ``n`` calls, the last result)."""
    times, out = [], None
    for _ in range(n):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def threads_line() -> str:
    """The thread count, the threading layer and the free cores the runs below see."""
    import numba

    from dermalase.physics.numerics import free_cores

    try:
        layer = numba.threading_layer()
    except ValueError:  # no parallel kernel has run yet in this process
        layer = f"{numba.config.THREADING_LAYER} (configured; none started yet)"
    return (f"threads: {numba.get_num_threads()}, threading layer: {layer}, free cores now: "
            f"{free_cores():.1f}")


def settle(below: float = 0.5, longest: float = 150.0) -> str:
    """Wait (at most ``longest`` s) until the 1-minute load average is under ``below``: the
    planner searches on threads only when the load average and the runnable count leave a
    core free for each, and the benchmarks before this one keep the average up for a minute
    or two. Returns a line saying what was waited and what is free."""
    import os

    from dermalase.physics.numerics import free_cores

    t0 = time.perf_counter()
    while os.getloadavg()[0] >= below and time.perf_counter() - t0 < longest:
        time.sleep(2.0)
    return (f"waited {time.perf_counter() - t0:.0f} s for the 1-minute load average to fall to "
            f"{os.getloadavg()[0]:.2f}; free cores: {free_cores():.1f}")
