"""Fractional pipeline (issue 3): contract keys, pattern invariants, warnings, figure, CLI."""

import json
import math
import subprocess
import sys
from functools import cache

import numpy as np
import pytest

from dermalase import simulate
from dermalase.report import treatment_figure
from dermalase.testing import assert_summary_finite

CONTRACT = ("ablation_depth_um", "coagulation_depth_um", "injury_depth_um", "deepest_layer",
            "peak_temperature_C", "channel_diameter_um", "coagulation_collar_um",
            "mtz_diameter_um", "surface_injury_fraction", "reepithelialization_days", "units",
            "version", "scenario", "bulk_temperature_rise_K")


def scen(src="er:yag", energy="3 mJ", stack=1, diameter="250 um", tau="250 us", **deliv):
    d = {"mode": "fractional", "microbeam_diameter": diameter, "pulse_energy": energy,
         "stack": stack}
    d.update(deliv or {"coverage": 0.1})
    return {"skin": {"site": "cheek", "phototype": 2},
            "laser": {"source": src, "pulse_duration": tau}, "delivery": d}


@cache
def er(**deliv):
    return simulate(scen(**dict(deliv)))


def test_contract_keys_and_finite():
    s = er().summary
    for k in CONTRACT:
        assert k in s
    assert_summary_finite(s)
    assert s["channel_diameter_um"] > 0 and s["mtz_diameter_um"] >= s["channel_diameter_um"]
    assert s["injury_depth_um"] == pytest.approx(s["ablation_depth_um"]
                                                 + s["coagulation_depth_um"])
    json.dumps(s, allow_nan=False)


def test_surface_injury_is_coverage_times_area_ratio():
    """Grid pattern: injured fraction = coverage x (MTZ / microbeam diameter)^2, up to the
    unfilled margin of the 1 cm^2 square (the lattice fills floor(side/pitch)^2 cells)."""
    r = er()
    s, d = r.summary, r.scenario.delivery
    side = math.sqrt(d.area)
    n = math.floor(side / d.spacing + 1e-9)
    fill = (n * d.spacing / side) ** 2
    expect = d.coverage * (s["mtz_diameter_um"] * 1e-6 / d.microbeam_diameter) ** 2 * fill
    assert s["surface_injury_fraction"] == pytest.approx(expect, rel=0.03)
    assert s["zones"] == n * n


def test_merging_zones_are_flagged():
    """Coverage near 1 with a Gaussian beam whose MTZ is wider than the beam: zones touch."""
    s = er(coverage=0.75).summary
    assert s["zones_merge"] is True and s["bridge_width_um"] == 0.0  # no bridge left
    assert any("merge" in w for w in s["warnings"])
    assert er().summary["zones_merge"] is False


def test_bulk_rise_grows_with_repetition_rate():
    slow = er(coverage=0.1, repetition_rate="50 Hz").summary["bulk_temperature_rise_K"]
    fast = er(coverage=0.1, repetition_rate="2000 Hz").summary["bulk_temperature_rise_K"]
    at_once = er().summary["bulk_temperature_rise_K"]
    assert slow < fast <= at_once * (1 + 1e-9)


def test_results_carry_their_validation_warnings():
    s = simulate(scen(src="co2", energy="2 mJ", diameter="120 um", tau="1 ms")).summary
    assert any("fractional CO2" in w and "collar" in w for w in s["warnings"])
    assert s["energy_per_zone_J"]["absorbed_by_plume"] > 0.0
    s = er().summary
    assert any("erbium" in w and "not validated" in w for w in s["warnings"])
    assert s["energy_per_zone_J"]["absorbed_by_plume"] == 0.0


def test_dataset_has_pattern_and_units():
    ds = er().dataset
    for v in ("zone_x", "zone_y", "zone_fire_time", "bulk_rise", "collar_thickness"):
        assert "units" in ds[v].attrs
    assert np.isfinite(ds["bulk_rise"].values).all()


def test_figure_has_two_panels(tmp_path):
    fig = treatment_figure(er(), tmp_path / "f.png")
    assert (tmp_path / "f.png").read_bytes()[:4] == b"\x89PNG"
    assert len(fig.axes) == 2


@pytest.mark.parametrize(("key", "value", "field"), [
    ("coverage", "0", "delivery.coverage"), ("coverage", "1.5", "delivery.coverage"),
    ("stack", "0", "delivery.stack"), ("density", '"5000 /cm^2"', "delivery")])
def test_cli_bad_fractional_input(tmp_path, key, value, field):
    extra = "" if key == "stack" else "stack = 1\n"
    cov = "" if key in ("coverage", "density") else "coverage = 0.1\n"
    p = tmp_path / "f.toml"
    p.write_text('[skin]\nsite = "cheek"\n[laser]\nsource = "er:yag"\n'
                 'pulse_duration = "250 us"\n[delivery]\nmode = "fractional"\n'
                 'microbeam_diameter = "250 um"\npulse_energy = "3 mJ"\n'
                 f"{extra}{cov}{key} = {value}\n")
    r = subprocess.run([sys.executable, "-m", "dermalase.cli", "simulate", str(p)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2, r.stderr
    assert r.stderr.count("\n") == 1 and field in r.stderr and "Traceback" not in r.stderr


def test_compare_full_field_and_fractional_examples():
    r = subprocess.run([sys.executable, "-m", "dermalase.cli", "compare", "default",
                        "fractional_er_yag"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    for k in ("mtz_diameter_um", "surface_injury_fraction", "bulk_temperature_rise_K"):
        assert k in r.stdout


def test_injury_at_the_domain_bottom_is_flagged():
    """Thin periorbital skin (1.15 mm in the model) and deep stacked Er:YAG channels: the
    injury reaches the bottom of the simulated skin, so depths are lower bounds."""
    s = simulate(scen(energy="20 mJ", stack=3, coverage=0.05) | {
        "skin": {"site": "periorbital", "phototype": 2}}).summary
    assert any("bottom of the simulated domain" in w for w in s["warnings"])


@pytest.mark.slow
def test_co2_reaches_beyond_1_mm_at_high_energy():
    """Clinical CO2 devices report channels deeper than 1 mm at their highest settings; with
    the plume in the channel, 2 x 30 mJ stacked on Hantash's beam (120 um, 30 W) gets there."""
    s = simulate(scen(src="co2", energy="30 mJ", stack=2, diameter="120 um",
                      tau=f"{30 / 30.0:.5f} ms")).summary
    assert s["ablation_depth_um"] > 1000.0


def test_a_non_ablative_zone_reuses_the_transport_of_its_optics_exactly():
    """Issue 18: the Monte Carlo transport of a 1,550 nm zone is kept by its arguments (the
    optical properties, beam, grid, photons, seed), so zones of other pulse energies on the same
    grid reuse it; the kept result is the result (the run is deterministic for a seed)."""
    from dermalase import simulate
    from dermalase.physics import deposition

    d = {"skin": {"site": "cheek"}, "laser": {"source": "er:glass", "pulse_duration": "10 ms"},
         "delivery": {"mode": "fractional", "microbeam_diameter": "140 um",
                      "pulse_energy": "10 mJ", "coverage": 0.1, "area": "0.05 cm^2"}}
    deposition._TRANSPORTS.clear()
    first = simulate(d).summary
    assert len(deposition._TRANSPORTS) == 1
    d["delivery"]["pulse_energy"] = "20 mJ"
    kept = simulate(d).summary
    assert len(deposition._TRANSPORTS) == 1  # the 20 mJ zone reused the 10 mJ transport
    deposition._TRANSPORTS.clear()
    fresh = simulate(d).summary
    assert kept == fresh and kept["injury_depth_um"] > first["injury_depth_um"]


def test_a_channel_is_kept_for_scenarios_that_differ_only_in_their_pattern():
    """Issue 18: the planner probes a channel, then simulates it at the coverage it chose. The
    channel run is kept by what it depends on (skin, laser, one microbeam's energy, stack and
    profile, every numerical setting and physical constant, seed) and not by the pattern
    (coverage, density, scan, area): a scenario that differs only in its pattern reuses it, one
    with another energy, stack, seed, setting or constant does not (also those a scenario file
    cannot set: no plume shielding, a confined boiling temperature), and the kept channel gives
    the same result as a fresh run."""
    import dataclasses

    from dermalase.simulate import Scenario
    from dermalase.simulate import fractional as fr

    base = Scenario.from_dict(scen(energy="2 mJ"))
    key = fr.channel_key(base)
    for change in ({"coverage": 0.2}, {"density": "300 /cm^2"}, {"pattern": "random"},
                   {"scan": "random"}, {"area": "0.5 cm^2"}):
        assert fr.channel_key(base.replace(delivery=change)) == key, change
    for change in ({"pulse_energy": "2.5 mJ"}, {"stack": 2}, {"seed": 3},
                   {"microbeam_diameter": "120 um"}):
        assert fr.channel_key(base.replace(delivery=change)) != key, change
    assert fr.channel_key(base.replace(numerics={"resolution": 0.5})) != key
    assert fr.channel_key(base.replace(skin={"site": "forearm"})) != key
    no_plume = Scenario(name=base.name, skin=base.skin, source=base.source,
                        delivery=base.delivery, constants=base.constants,
                        numerics=dataclasses.replace(base.numerics, plume_shielding=False))
    assert fr.channel_key(no_plume) != key
    hot = dataclasses.replace(base.constants, confined_boiling_temperature=150.0)
    assert fr.channel_key(base.replace(constants=hot)) != key

    fr._CHANNELS.clear()
    first = simulate(base)
    other = base.replace(delivery={"coverage": 0.2})
    kept = simulate(other)
    assert len(fr._CHANNELS) == 1 and kept.outcome.solver is first.outcome.solver
    fr._CHANNELS.clear()
    fresh = simulate(other)
    assert fresh.outcome.solver is not first.outcome.solver
    assert kept.summary == fresh.summary
    assert kept.summary["surface_injury_fraction"] > first.summary["surface_injury_fraction"]
