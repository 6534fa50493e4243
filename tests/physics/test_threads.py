"""The result does not depend on the number of threads nor on whether sweeps are split."""

from __future__ import annotations

import dataclasses

import numba
import numpy as np
import pytest

from dermalase import Scenario
from dermalase.physics.microchannel import run_channel
from dermalase.physics.solver import MIN_PARALLEL_CELLS, Kernels

CHANNEL = {"skin": {"site": "cheek"}, "laser": {"source": "er:yag", "pulse_duration": "250 us"},
           "delivery": {"mode": "fractional", "microbeam_diameter": "250 um",
                        "pulse_energy": "1 mJ", "coverage": 0.1},
           "numerics": {"resolution": 0.5, "cooling_time": "0.05 s"}}


def channel(mode: str, threads: int):
    sc = Scenario.from_dict(CHANNEL)
    before = numba.get_num_threads()
    numba.set_num_threads(threads)
    try:
        return run_channel(sc.skin, sc.source, sc.delivery,  # type: ignore[arg-type]
                           dataclasses.replace(sc.numerics, parallel=mode))
    finally:
        numba.set_num_threads(before)


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="one thread only")
def test_split_sweeps_and_thread_count_give_identical_results():
    ref = channel("never", 1)
    for mode, threads in (("always", 2), ("always", 1), ("auto", 2)):
        out = channel(mode, threads)
        np.testing.assert_array_equal(out.top, ref.top)
        np.testing.assert_array_equal(out.tmax, ref.tmax)
        for name in ref.omega:
            np.testing.assert_array_equal(out.omega[name], ref.omega[name])
        assert out.tallies == ref.tallies


def test_auto_splits_only_large_grids_on_an_idle_machine():
    from dermalase.physics import _kernel as kernel

    one_d = Kernels.choose(1, 4345, free=8.0)  # one column: nothing to split
    assert one_d.conduct_z is kernel.conduct_z
    busy = Kernels.choose(46, 636, free=1.0)  # another process holds a core
    assert busy.conduct_z is kernel.conduct_z and busy.conduct_r is kernel.conduct_r
    tiny = Kernels.choose(20, MIN_PARALLEL_CELLS // 40, free=8.0)
    assert tiny.conduct_z is kernel.conduct_z
    if numba.get_num_threads() > 1:
        idle = Kernels.choose(46, 636, free=2.0)
        assert idle.conduct_z is kernel.conduct_z_parallel
        assert idle.conduct_r is kernel.conduct_r_parallel
    assert Kernels.choose(46, 636, "always", free=0.0).conduct_r is kernel.conduct_r_parallel
    never = Kernels.choose(46, 636, "never", free=8.0)
    assert never.conduct_r is kernel.conduct_r


def test_a_process_that_has_just_started_counts_before_the_load_average_sees_it(monkeypatch):
    """The 1-minute load average lags a minute behind a new process; the runnable count of
    /proc/loadavg (field 4, this process included) does not: either one marks a core busy."""
    import os

    from dermalase.physics.numerics import free_cores

    n = os.cpu_count() or 1
    monkeypatch.setattr(os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    assert free_cores("0.00 0.00 0.00 1/120 999") == n  # only this process runs
    assert free_cores("0.00 0.00 0.00 3/120 999") == n - 2  # two others run now
    monkeypatch.setattr(os, "getloadavg", lambda: (2.5, 0.0, 0.0))
    assert free_cores("2.50 0.00 0.00 1/120 999") == n - 1.5  # the average still counts
    assert free_cores("garbage") == n - 1.5  # an unreadable count falls back to the average
    monkeypatch.setattr(os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    # a task runnable in one reading of five is a blip; one runnable in all holds a core
    blip = ["0.00 0.00 0.00 1/120 999"] * 4 + ["0.00 0.00 0.00 2/120 999"]
    assert free_cores(blip) == n
    assert free_cores(["0.00 0.00 0.00 2/120 999"] * 5) == n - 1
    # this process's own runnable threads (NumPy's BLAS worker after the import) hold no core
    # that another process took
    assert free_cores("0.00 0.00 0.00 2/120 999", own=2) == n
    assert free_cores("0.00 0.00 0.00 3/120 999", own=2) == n - 1


@pytest.mark.skipif(numba.get_num_threads() < 2, reason="one thread only")
def test_runs_side_by_side_in_one_process_count_as_busy_cores(monkeypatch):
    """free_cores() counts this process's own threads out (NumPy's idle BLAS worker is no other
    process), so runs side by side in threads of one process are counted by the solver: with
    two cores free and a sibling run in progress, "auto" does not split."""
    from dermalase.physics import _kernel as kernel
    from dermalase.physics import solver

    monkeypatch.setattr(solver, "free_cores", lambda: float(numba.get_num_threads()))
    with solver._counted_run():
        assert Kernels.choose(46, 636).conduct_r is kernel.conduct_r_parallel  # alone
        with solver._counted_run():  # a sibling run
            assert Kernels.choose(46, 636).conduct_r is kernel.conduct_r
    assert solver._RUNS[0] == 0
