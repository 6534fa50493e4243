"""Prediction intervals over the sourced ranges of the tissue inputs (issue 16)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from dermalase import Scenario
from dermalase.simulate import store
from dermalase.sweep.uncertainty import intervals, run_uncertainty, samples, sensitivity
from dermalase.tissue.model import water_ranges

ER = {"skin": {"site": "cheek"}, "laser": {"source": "er:yag", "pulse_duration": "250 us"},
      "delivery": {"fluence": "12.5 J/cm^2"}, "numerics": {"geometry": "1d", "cooling_time": "1 s"}}


@pytest.fixture
def study(tmp_path, monkeypatch):
    monkeypatch.setenv("DERMALASE_CACHE", str(tmp_path / "store"))
    monkeypatch.setattr(store, "_MEMORY", {})
    return run_uncertainty(Scenario.from_dict(ER), 32, seed=7, workers=0)


def test_the_samples_are_a_latin_hypercube_of_the_sourced_ranges():
    """Latin hypercube (McKay, Beckman & Conover 1979): along every input, each of the n
    equal strata of its range holds exactly one sample; the same seed gives the same
    samples."""
    names, values, scenarios = samples(Scenario.from_dict(ER), 20, seed=3)
    ranges = water_ranges()
    for j, name in enumerate(names):
        lo, hi = ranges[name.removeprefix("skin.water_")]
        strata = np.floor((values[:, j] - lo) / (hi - lo) * 20).astype(int)
        assert sorted(strata) == list(range(20)), name
    again = samples(Scenario.from_dict(ER), 20, seed=3)[1]
    np.testing.assert_array_equal(values, again)
    layer = {la.name: la.water for la in scenarios[0].skin.layers}
    assert layer["epidermis"] == pytest.approx(values[0, names.index("skin.water_epidermis")])


def test_intervals_are_ordered_and_the_ablation_depth_falls_with_the_water_it_must_boil(study):
    """An Er:YAG crater of ~70 um spans the stratum corneum, epidermis and papillary dermis;
    removing a volume costs the heating and boiling of its water, so more water there means a
    shallower crater: the strongest driver of the ablation depth is one of those layers, with a
    negative rank correlation, and the subcutis (1 mm below) drives it less."""
    iv = intervals(study)
    a = iv["ablation_depth_um"]
    assert a["p5"] <= a["p50"] <= a["p95"] and a["p95"] > a["p5"]
    ranked = sensitivity(study)["ablation_depth_um"]
    top, rho = ranked[0]
    assert top in ("skin.water_stratum_corneum", "skin.water_epidermis",
                   "skin.water_papillary_dermis") and rho < 0
    sub = dict(ranked)["skin.water_subcutis"]
    assert abs(sub) < abs(rho)
    assert study.attrs["failed"] == 0 and study.sizes["sample"] == 32


def test_the_command_line_reports_intervals_and_refuses_a_bad_count(tmp_path):
    env = dict(os.environ, DERMALASE_CACHE=str(tmp_path / "store"))
    base = [sys.executable, "-m", "dermalase.cli", "simulate", "default"]
    r = subprocess.run([*base, "--uncertainty", "1"], capture_output=True, text=True,
                       timeout=120, env=env)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "--uncertainty" in r.stderr
    r = subprocess.run([*base, "--uncertainty", "8", "--workers", "0", "--json"],
                       capture_output=True, text=True, timeout=600, env=env)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    u = out["uncertainty"]
    assert u["samples"] == 8 and "not checked" in u["note"]
    assert set(u["intervals"]["ablation_depth_um"]) == {"p5", "p50", "p95"}
    assert u["varied"] == [f"skin.water_{k}" for k in water_ranges()]
