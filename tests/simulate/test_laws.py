"""Physical laws over the whole input space of valid scenarios (issue 30), and the hostile
settings that once broke them.

Each property draws valid scenarios as :func:`dermalase.testing.laws.valid_scenarios` does
(every source, site, phototype, delivery, stack and train; only the numerics chosen for speed)
and checks a law of physics, not a snapshot. Derandomized, no example database: CI runs the same
draws every time. ``make fuzz`` runs the same laws on 10,000+ draws (scripts/fuzz.py; counts in
docs/validation.md).
"""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from dermalase import Scenario, simulate
from dermalase.errors import InputError
from dermalase.physics.constants import PhysicalConstants
from dermalase.testing import laws


def draws(n: int):
    return settings(max_examples=n, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))


def accepted(d: dict) -> Scenario:
    """The scenario of ``d``; a draw the scenario layer refuses, or one predicted to take longer
    than this tier allows, is not a test of the laws (hypothesis draws another)."""
    try:
        sc = Scenario.from_dict(d)
    except InputError:
        assume(False)
        raise
    assume(laws.affordable(sc, laws.TEST_BUDGET_S))
    return sc


@given(laws.valid_scenarios(cheap=True))
@draws(100)
def test_every_run_obeys_the_single_run_laws(d):
    """Peak temperature of every cell <= the physical bound (400 C: dry tissue decomposes,
    data/constants.toml dry_ablation_temperature; water boils at or below its spinodal, 305 C),
    energy closes, depths within the skin model, coagulation >= 0, injured surface in [0, 1]."""
    sc = accepted(d)
    r = laws.run(d)
    assert laws.single_run_laws(r, sc.constants) == [], d


@given(laws.valid_scenarios(cheap=True), st.floats(1.1, 3.0))
@draws(40)
def test_more_energy_never_ablates_less(d, factor):
    accepted(d)
    more, check = laws.more_energy_law(d, factor)
    assume(more is not None)
    accepted(more)
    assert check(laws.run(d), laws.run(more)) == [], (d, factor)


@given(laws.valid_scenarios(cheap=True))
@draws(40)
def test_n_pulses_never_injure_less_than_n_minus_one(d):
    fewer, check = laws.more_pulses_law(d)
    assume(fewer is not None)
    accepted(d)
    accepted(fewer)
    assert check(laws.run(fewer), laws.run(d)) == [], d


@pytest.mark.xfail(strict=True, reason=(
    "a deeper wound whose necrotic layer thins as ablation eats into it still heals sooner "
    "(e.g. Er:YSGG 3.3 ms x 6 passes on the cheek, 2.4 -> 5.7 J/cm^2: 128 -> 212 um, "
    "9.95 -> 6.56 d): the clearance is linear in the dermal coagulum and the sources thin "
    "little over the first 0.2 mm of facial dermis; docs/design.md, 'Healing and depth: the "
    "law that still fails' (issue 31 item 7)"))
@given(laws.valid_scenarios(cheap=True), st.floats(1.1, 3.0))
@example({"skin": {"site": "cheek"},
          "laser": {"source": "er:ysgg", "pulse_duration": "3329.6 us"},
          "delivery": {"mode": "full-field", "spot_diameter": "3.3296 mm",
                       "fluence": "2.39711 J/cm^2", "passes": 6,
                       "pass_interval": "0.00918183 s", "beam_quality": 21.35}}, 2.39)
@draws(25)
def test_a_deeper_wound_never_heals_sooner_on_the_same_site_and_laser(d, factor):
    accepted(d)
    deeper, _ = laws.more_energy_law(d, factor)
    assume(deeper is not None)
    accepted(deeper)
    assert laws.healing_law(laws.run(d), laws.run(deeper)) == [], (d, factor)


# -- the hostile settings that found the runaway (issue 30) -------------------------------------
BOUND = PhysicalConstants.from_data().peak_temperature_bound
NOT_NON_ABLATIVE = "this setting is not non-ablative"


def fraxel_1927(energy: str, diameter: str, stack: int) -> dict:
    return {"skin": {"site": "cheek", "phototype": 2},
            "laser": {"source": "tm:fiber", "pulse_duration": "1 ms"},
            "delivery": {"mode": "fractional", "microbeam_diameter": diameter,
                         "pulse_energy": energy, "stack": stack, "coverage": 0.1}}


def test_the_bound_is_the_decomposition_of_dry_tissue():
    """The bound the laws use is the physics': dry tissue decomposes at 400 C (Choi et al.
    1999, within the 250-500 C of collagen thermogravimetry), water cannot stay liquid above its
    spinodal, 300-330 C at 1 atm (Vogel & Venugopalan 2003)."""
    k = PhysicalConstants.from_data()
    assert k.dry_ablation_temperature == 400.0
    assert 300.0 <= k.spinodal_temperature <= 330.0
    assert BOUND == 400.0


@pytest.mark.parametrize(("energy", "diameter"), [("10 mJ", "120 um"), ("28 mJ", "250 um")])
def test_stacked_thulium_pulses_ablate_within_the_bound_and_say_so(energy, diameter):
    """Fraxel-1927-like, stack 3, 10 % coverage: reported 27,180 C (10 mJ, 120 um) and
    9,255 C (28 mJ, 250 um) before issue 30, with no warning. The tissue boils dry and
    decomposes: the model ablates, the peak stays at or below the bound, and the result says
    in plain words that the setting is not non-ablative."""
    r = simulate(fraxel_1927(energy, diameter, 3))
    out = r.outcome.solver
    assert float(out.tmax.max()) <= BOUND
    assert r.summary["peak_temperature_C"] <= BOUND
    assert r.summary["ablation_depth_um"] > 0
    assert any(w.startswith(NOT_NON_ABLATIVE) for w in r.summary["warnings"])


def test_the_schema_maximum_of_a_thulium_microbeam_stays_within_the_bound():
    """0.5 J into a 20 um microbeam, 20 pulses stacked (the accepted maxima): 1.2e8 C before
    issue 30. (A 0.01 cm^2 pattern: the zones' bulk heating of 1 cm^2 of 20 um zones is most
    of the run and no part of the bound.)"""
    d = fraxel_1927("10 mJ", "20 um", 20)
    d["delivery"]["area"] = "0.01 cm^2"
    d["numerics"] = {"resolution": 0.5, "cooling_time": "0.1 s"}
    sc = Scenario.from_dict(d)
    # 0.5 J set past the scenario layer: a cap on the local fluence of a microbeam (issue 30
    # item 2) may refuse it at the gate, and the physics must stay bounded all the same
    extreme = Scenario(name="schema maximum", skin=sc.skin, source=sc.source,
                       delivery=dataclasses.replace(sc.delivery, pulse_energy=0.5),
                       numerics=sc.numerics)
    r = simulate(extreme)
    assert float(r.outcome.solver.tmax.max()) <= BOUND
    assert any(w.startswith(NOT_NON_ABLATIVE) for w in r.summary["warnings"])


def test_a_single_clinical_thulium_pulse_is_not_called_ablative():
    """The warning is about the setting, not the laser: one 10 mJ pulse into a 250 um beam boils
    no tissue dry enough to decompose, and says nothing of ablation."""
    r = simulate(fraxel_1927("10 mJ", "250 um", 1))
    assert r.summary["ablation_depth_um"] == 0
    assert not any(w.startswith(NOT_NON_ABLATIVE) for w in r.summary["warnings"])


def test_ten_passes_of_er_yag_at_200_j_cm2_stay_within_the_bound():
    """Er:YAG 200 J/cm^2 x 10 passes (the accepted maximum fluence): 1,158-1,465 C before
    issue 30, from the first microsecond of each pulse, when the model let the tissue water
    superheat without limit while no material may leave (the ejection delay)."""
    r = simulate({"skin": {"site": "cheek"}, "laser": {"source": "er:yag",
                                                         "pulse_duration": "250 us"},
                  "delivery": {"fluence": "200 J/cm^2", "passes": 10}})
    assert float(r.outcome.solver.tmax.max()) <= BOUND
    assert r.summary["peak_temperature_C"] <= BOUND


#: found by ``make fuzz`` at its full count (docs/validation.md, physical laws): a thulium
#: microbeam far above clinical energies (153 mJ into 150 um, 22.7 ms; clinical 1,927 nm pulses
#: carry 5-20 mJ) that boils its column dry and removes it at 400 C
THULIUM_PAIR = {"name": "law", "skin": {"site": "cheek", "phototype": 5},
                "laser": {"source": "tm:fiber", "pulse_duration": "22714.5 us"},
                "numerics": {"resolution": 0.5, "cooling_time": "0.0227145 s"},
                "delivery": {"mode": "fractional", "microbeam_diameter": "150 um",
                             "pulse_energy": "153.48 mJ", "stack": 1, "coverage": 0.01,
                             "pattern": "random", "scan": "raster", "area": "1 cm^2",
                             "profile": "gaussian", "seed": 1000,
                             "beam_quality": 16.92117474131964}}


@pytest.mark.xfail(strict=True, reason=(
    "1.1x the energy of a dry-boiled thulium column removes 136 um instead of 152 um (four "
    "4 um cells less; 1.2x: 148 um). Not diagnosed; the likely cause: in the model desiccated "
    "tissue absorbs nothing at 1,927 nm (water is its only chromophore there), so how much of "
    "the dried column reaches 400 C depends on when it dried, not only on the energy; the "
    "absorption of desiccated dermis or char is the missing datum, as for the CO2 plateau "
    "(docs/design.md, 'The CO2 floor and a dry crust'). The same depths come from the code "
    "before issue 31's merge"))
def test_more_energy_never_ablates_less_on_the_thulium_pair_make_fuzz_found():
    more, check = laws.more_energy_law(THULIUM_PAIR, 1.1)
    assert more is not None
    assert check(laws.run(THULIUM_PAIR), laws.run(more)) == []
