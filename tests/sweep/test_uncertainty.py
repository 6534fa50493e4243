"""Prediction intervals over the sourced ranges of the tissue inputs (issue 16)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from dermalase import InputError, Scenario
from dermalase.simulate import store
from dermalase.sweep.uncertainty import (
    at_unit_point,
    input_names,
    inputs,
    intervals,
    run_uncertainty,
    samples,
    sensitivity,
)
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
    samples; each sample reaches the physics (layer water and thickness, water absorption,
    the necrosis activation energy)."""
    sc = Scenario.from_dict(ER)
    names, values, scenarios = samples(sc, 20, seed=3)
    ranges = inputs(sc)
    assert names == list(ranges)
    assert ranges["skin.water_absorption"] == (12000e2, 13000e2)  # data: 12,000-13,000 /cm
    assert ranges["skin.thickness_epidermis"] == pytest.approx((30e-6, 63e-6))  # Chopra 2015
    for j, name in enumerate(names):
        lo, hi = ranges[name]
        strata = np.floor((values[:, j] - lo) / (hi - lo) * 20).astype(int)
        assert sorted(strata) == list(range(20)), name
    again = samples(sc, 20, seed=3)[1]
    np.testing.assert_array_equal(values, again)
    first = dict(zip(names, values[0], strict=True))
    layer = {la.name: la for la in scenarios[0].skin.layers}
    assert layer["epidermis"].water == pytest.approx(first["skin.water_epidermis"])
    assert layer["epidermis"].thickness == pytest.approx(first["skin.thickness_epidermis"])
    assert layer["papillary_dermis"].water_mua == \
        pytest.approx(first["skin.water_absorption"])
    assert scenarios[0].constants.necrosis_activation_energy == \
        pytest.approx(first["constants.necrosis_activation_energy"])


def test_what_the_scenario_sets_is_not_varied_and_each_site_has_its_own_ranges():
    mine = Scenario.from_dict({**ER, "skin": {"site": "cheek", "thickness_epidermis": "45 um",
                                              "water_epidermis": 0.68}})
    assert "skin.thickness_epidermis" not in inputs(mine)
    assert "skin.water_epidermis" not in inputs(mine)
    forearm = Scenario.from_dict({**ER, "skin": {"site": "forearm"}})
    assert "skin.thickness_epidermis" not in inputs(forearm)  # no sourced range there
    half = {k: 0.5 for k in input_names()}
    a = {la.name: la.thickness for la in at_unit_point(Scenario.from_dict(ER), half).skin.layers}
    b = {la.name: la.thickness
         for la in at_unit_point(Scenario.from_dict({**ER, "skin": {"site": "neck"}}),
                                 half).skin.layers}
    assert a["reticular_dermis"] == pytest.approx(0.5 * (720e-6 + 990e-6))  # cheek
    assert b["reticular_dermis"] == pytest.approx(0.5 * (830e-6 + 1450e-6))  # neck


def test_the_necrosis_activation_energy_is_refused_outside_its_sourced_span():
    k = Scenario.from_dict(ER).constants
    with pytest.raises(InputError, match="necrosis_activation_energy"):
        k.replace(necrosis_activation_energy=6.0e5)
    assert k.replace(necrosis_activation_energy=6.25e5).necrosis_activation_energy == 6.25e5


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
    assert u["varied"][:5] == [f"skin.water_{k}" for k in water_ranges()]
    assert {"skin.thickness_epidermis", "skin.water_absorption",
            "constants.necrosis_activation_energy"} <= set(u["varied"])
