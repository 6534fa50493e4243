"""Hostile and awkward input at the boundary (issue 17): each case from the issue's list, with
the promise it must keep (a clean InputError naming the field, or a correct value)."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import numpy as np
import pytest

from dermalase import InputError, Scenario, simulate
from dermalase.laser.delivery import FullField
from dermalase.laser.fractional import Fractional
from dermalase.physics.solver import Numerics
from dermalase.units import to_si

BASE = {"skin": {"site": "cheek"}, "laser": {"source": "er:yag", "pulse_duration": "250 us"},
        "delivery": {"fluence": "10 J/cm^2"}}


def with_(section, **kw):
    d = {k: dict(v) for k, v in BASE.items()}
    d[section].update(kw)
    return d


def test_a_bound_written_with_units_is_inside_the_range():
    # 50 um converts to 4.9999999999999996e-05 m; the inclusive bound is 5e-05 m
    sc = Scenario.from_dict(with_("delivery", spot_diameter="50 um"))
    assert sc.delivery.spot_diameter == 5e-05


@pytest.mark.parametrize("text", ["9**9**9 J/cm^2", "10 J/cm^2^2^2", "1e999999 J/cm^2",
                                  "J/cm^2", "ten J/cm^2", "10 J/cm^2 please",
                                  "10 " + "m" * 80])
def test_unit_strings_that_are_not_a_number_and_a_unit_are_refused_at_once(text):
    t0 = time.perf_counter()
    with pytest.raises(InputError) as err:
        Scenario.from_dict(with_("delivery", fluence=text))
    assert err.value.field == "delivery.fluence"
    assert time.perf_counter() - t0 < 1.0  # no exponent tower is ever evaluated


def test_percent_superscripts_and_micro_sign_mean_what_they_say():
    assert to_si("coverage", "11 %", "dimensionless") == pytest.approx(0.11)
    assert to_si("fluence", "10 J/cm²", "J/m^2") == pytest.approx(1e5)
    assert to_si("tau", "250 µs", "s") == pytest.approx(250e-6)
    assert to_si("density", "100 /cm^2", "1/m^2") == pytest.approx(1e6)


def test_a_wavelength_that_contradicts_the_source_is_an_error():
    with pytest.raises(InputError) as err:
        Scenario.from_dict(with_("laser", wavelength="10600 nm"))
    assert err.value.field == "laser.wavelength"
    assert Scenario.from_dict(with_("laser", wavelength="2940 nm")).source.key == "er:yag"


def test_numpy_numbers_are_numbers():
    sc = Scenario.from_dict(with_("delivery", fluence=np.float32(1e5), passes=np.int64(2)))
    assert (sc.delivery.fluence, sc.delivery.passes) == (1e5, 2)


def test_control_characters_never_reach_the_output(tmp_path):
    sc = Scenario.from_dict(dict(BASE, name="\u001b[2J\u001b[31mred\u0007"))
    assert sc.name == "[2J[31mred"
    p = tmp_path / "s.toml"
    p.write_text('name = "\\u001b[2Jevil"\n[skin]\nsite = "cheek"\n[laser]\nsource = "er:yag"\n'
                 'pulse_duration = "250 us"\n[delivery]\nfluence = "10 J/cm^2"\n',
                 encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "dermalase.cli", "simulate", str(p), "--json"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "\x1b" not in r.stdout and json.loads(r.stdout)["scenario"]["name"] == "[2Jevil"


def test_simulate_without_a_scenario_is_an_input_error():
    with pytest.raises(InputError) as err:
        simulate(None)  # type: ignore[arg-type]
    assert err.value.field == "scenario"


@pytest.mark.parametrize(("build", "field"), [
    (lambda: FullField(-4e-3, 1e5, 250e-6), "delivery.spot_diameter"),
    (lambda: FullField(4e-3, 0.0, 250e-6), "delivery.fluence"),
    (lambda: FullField(4e-3, float("nan"), 250e-6), "delivery.fluence"),
    (lambda: FullField(4e-3, 1e5, 250e-6, passes=0), "delivery.passes"),
    (lambda: FullField(4e-3, 1e5, 250e-6, profile="square"), "delivery.profile"),
    (lambda: Fractional(microbeam_diameter=120e-6, pulse_energy=0.01, pulse_duration=1e-3,
                        density=1e6, stack=0), "delivery.stack"),
    (lambda: Fractional(microbeam_diameter=120e-6, pulse_energy=0.01, pulse_duration=1e-3,
                        density=float("inf")), "delivery.density"),
    (lambda: Numerics(geometry="3d"), "numerics.geometry"),
    (lambda: Numerics(resolution=0.0), "numerics.resolution"),
    (lambda: Numerics(cooling_time=float("nan")), "numerics.cooling_time"),
])
def test_objects_built_in_python_are_checked_too(build, field):
    with pytest.raises(InputError) as err:
        build()
    assert err.value.field == field


def test_merged_zones_report_no_bridge_and_a_fractional_energy_balance():
    r = simulate({"skin": {"site": "cheek"},
                  "laser": {"source": "er:yag", "pulse_duration": "250 us"},
                  "delivery": {"mode": "fractional", "microbeam_diameter": "250 um",
                               "pulse_energy": "2 mJ", "coverage": 0.6, "pattern": "random",
                               "area": "0.05 cm^2"},
                  "numerics": {"resolution": 0.5, "cooling_time": "0.2 s"}})
    s = r.summary
    assert s["zones_merge"] is True
    assert s["bridge_width_um"] >= 0.0
    e = s["energy_balance_J_m2"]
    out = (e["reflected"] + e["removed_by_ablation"] + e["absorbed_by_plume"]
           + e["retained_in_tissue"] + e["conducted_and_perfused_out"] + e["transmitted"])
    assert out == pytest.approx(e["delivered"], rel=0.01)


@pytest.mark.parametrize(("source", "tau"), [("er:yag", "250 us"), ("co2", "1 ms")])
def test_heat_left_in_the_tissue_is_never_negative_after_long_cooling(source, tau):
    """Issue 17: three passes then 60 s of cooling reported a negative ``retained_in_tissue``
    (the body heat of boiled-off water was counted as leaving twice). Tissue cooled back to
    body temperature holds no heat above it, however dry: the account is >= 0, and the
    balance still closes."""
    s = simulate({"skin": {"site": "cheek"}, "laser": {"source": source, "pulse_duration": tau},
                  "delivery": {"fluence": "10 J/cm^2", "passes": 3},
                  "numerics": {"geometry": "1d", "cooling_time": "60 s"}}).summary
    e = s["energy_balance_J_m2"]
    assert e["retained_in_tissue"] >= 0.0, e
    parts = sum(v for k, v in e.items() if k != "delivered")
    assert parts == pytest.approx(e["delivered"], rel=1e-6)


@pytest.mark.parametrize(("source", "tau"), [("er:yag", "250 us"), ("co2", "10 ms")])
def test_settings_that_ablate_through_the_skin_say_so(source, tau):
    """Issue 17: 200 J/cm^2 x 10 passes removes more than the skin model holds. The run must
    finish with finite numbers and say that its depths are lower bounds, never report the
    grid's edge as a result."""
    from dermalase.testing import assert_summary_finite

    s = simulate({"skin": {"site": "cheek"}, "laser": {"source": source, "pulse_duration": tau},
                  "delivery": {"fluence": "200 J/cm^2", "passes": 10},
                  "numerics": {"geometry": "1d", "cooling_time": "0.1 s"}}).summary
    assert_summary_finite(s)
    assert any("lower bounds" in w for w in s["warnings"])
    assert any("left the bottom" in w for w in s["warnings"])


def test_ordinary_settings_keep_their_domain_and_have_no_domain_warning():
    s = simulate(BASE).summary
    assert not any("bottom of the simulated domain" in w for w in s["warnings"])


FRACTIONAL = {"skin": {"site": "cheek"}, "laser": {"source": "er:yag", "pulse_duration": "250 us"},
              "delivery": {"mode": "fractional", "microbeam_diameter": "250 um",
                           "pulse_energy": "10 mJ", "stack": 3, "coverage": 0.11}}


def test_runs_predicted_to_take_hours_are_refused_up_front(monkeypatch):
    """Issue 17: a resource guard instead of a hang; the message says what to lower and how to
    raise the limit."""
    from dermalase.simulate import budget

    fine = dict(FRACTIONAL, numerics={"resolution": 8})
    t0 = time.perf_counter()
    with pytest.raises(InputError) as err:
        simulate(fine)
    assert time.perf_counter() - t0 < 5.0
    assert err.value.field == "numerics.resolution" and "DERMALASE_MAX_SECONDS" in str(err.value)
    wide = dict(FRACTIONAL, delivery={"mode": "fractional", "microbeam_diameter": "20 um",
                                      "pulse_energy": "0.5 mJ", "density": "10000 /cm^2",
                                      "area": "10 cm^2"})
    sc = Scenario.from_dict(wide)
    b = budget.predict(sc)
    assert b.zones == 100_000  # 10,000 /cm^2 x 10 cm^2
    monkeypatch.setenv("DERMALASE_MAX_SECONDS", "1")
    with pytest.raises(InputError) as err:
        simulate(wide)
    assert err.value.field == "numerics.resolution"  # the 20 um channel costs more here
    # where the pattern costs more than the channel, the area is named
    monkeypatch.setattr(budget, "predict", lambda scenario: budget.Budget(1.0, 90.0, 10, 10,
                                                                          100_000))
    with pytest.raises(InputError) as err:
        budget.check(sc)
    assert err.value.field == "delivery.area" and "100,000 zones" in str(err.value)
    monkeypatch.setenv("DERMALASE_MAX_SECONDS", "ten")
    with pytest.raises(InputError) as err:
        simulate(BASE)
    assert err.value.field == "DERMALASE_MAX_SECONDS"


def test_the_prediction_counts_the_steps_the_solver_takes():
    """The guard's step count is the solver's own (default Er:YAG: the same 955 steps)."""
    from dermalase.simulate import budget

    sc = Scenario.from_dict(BASE)
    b = budget.predict(sc)
    assert b.steps == simulate(sc).outcome.solver.steps


def test_runs_predicted_to_need_more_memory_than_allowed_are_refused(monkeypatch):
    """Issue 17: the resource guard covers memory too; the limit is a stated setting."""
    monkeypatch.setenv("DERMALASE_MAX_MEMORY_GB", "0.001")
    with pytest.raises(InputError) as err:
        simulate(BASE)
    assert err.value.field == "numerics.resolution" and "DERMALASE_MAX_MEMORY_GB" in str(err.value)
    monkeypatch.setenv("DERMALASE_MAX_MEMORY_GB", "nan")
    with pytest.raises(InputError) as err:
        simulate(BASE)
    assert err.value.field == "DERMALASE_MAX_MEMORY_GB"
