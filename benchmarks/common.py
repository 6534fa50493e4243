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
