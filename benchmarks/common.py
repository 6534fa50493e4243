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
