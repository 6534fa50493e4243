"""Hostile .mci files (issue 17): every one is refused with one InputError before any photon
is launched; none hangs, aborts or is accepted as nonsense."""

from __future__ import annotations

import subprocess
import sys

import pytest

from dermalase import InputError
from dermalase.io.mcml import read_mci

GOOD = {"runs": "1", "photons": "1000", "grid": "0.01 0.01", "cells": "20 50 1",
        "layers": "1", "n_above": "1.0", "layer": "1.37 1.0 9.0 0.75 0.2", "n_below": "1.0"}


def mci(**change) -> str:
    v = dict(GOOD, **change)
    layer_lines = "\n".join([v["layer"]] * max(int(float(v["layers"])), 0)) \
        if v["layers"].lstrip("-").isdigit() else v["layer"]
    return (f"1.0\n{v['runs']}\nout.mco A\n{v['photons']}\n{v['grid']}\n{v['cells']}\n"
            f"{v['layers']}\n{v['n_above']}\n{layer_lines}\n{v['n_below']}\n")


@pytest.mark.parametrize(("change", "field"), [
    ({"layers": "0"}, "number of layers"), ({"layers": "-3"}, "number of layers"),
    ({"grid": "0.01 nan"}, "dr"), ({"grid": "nan 0.01"}, "dz"), ({"grid": "0.01 -1"}, "dr"),
    ({"layer": "1.37 1.0 inf 0.75 0.2"}, "layer 1"), ({"layer": "1.37 inf 9 0.75 0.2"}, "layer 1"),
    ({"layer": "1.37 1.0 9.0 0.75 inf"}, "layer 1"), ({"layer": "inf 1.0 9.0 0.75 0.2"}, "layer 1"),
    ({"layer": "0 1.0 9.0 0.75 0.2"}, "layer 1"), ({"layer": "nan 1.0 9.0 0.75 0.2"}, "layer 1"),
    ({"n_above": "0"}, "n above"), ({"n_below": "-1"}, "n below"), ({"n_above": "nan"}, "n above"),
    ({"runs": "0"}, "number of runs"), ({"runs": "-2"}, "number of runs"),
    ({"photons": "1e12"}, "photons"), ({"photons": "inf"}, "photons"),
    ({"photons": "0"}, "photons"), ({"cells": "100000 100000 1"}, "nz x nr"),
])
def test_bad_mci_is_refused_naming_the_field(tmp_path, change, field):
    p = tmp_path / "bad.mci"
    p.write_text(mci(**change))
    with pytest.raises(InputError) as err:
        read_mci(p)
    assert field in err.value.field


def test_the_good_file_reads(tmp_path):
    p = tmp_path / "good.mci"
    p.write_text(mci())
    (run,) = read_mci(p)
    assert run.n_photons == 1000 and len(run.medium.layers) == 1


def test_nan_dr_from_the_cli_is_exit_2_not_an_abort(tmp_path):
    p = tmp_path / "nan.mci"
    p.write_text(mci(grid="0.01 nan"))
    r = subprocess.run([sys.executable, "-m", "dermalase.cli", "mc", str(p), "--out-dir",
                        str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "dr" in r.stderr


def test_a_photon_count_that_would_take_hours_is_refused_up_front(tmp_path):
    """Issue 17: 1e8 packets in a thick, strongly scattering slab (mus = 1000 /cm, 10 cm: each
    packet takes thousands of steps) would run for hours. A pilot of a few thousand packets
    predicts it, and the run is refused in one line naming the photon count, in seconds."""
    import time

    p = tmp_path / "slow.mci"
    p.write_text(mci(photons="100000000", layer="1.37 0.01 1000.0 0.9 10"))
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "dermalase.cli", "mc", str(p), "--out-dir",
                        str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
    assert "photons" in r.stderr and "DERMALASE_MAX_SECONDS" in r.stderr
    assert time.perf_counter() - t0 < 120
    assert not (tmp_path / "out.mco").exists()
