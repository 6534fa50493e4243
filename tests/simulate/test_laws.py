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
from hypothesis import HealthCheck, assume, event, example, given, settings
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


#: the pair that broke the unconditional law "a deeper wound never heals sooner" (issue 31 item
#: 7): Er:YSGG 3.3 ms x 6 passes on the cheek, 2.4 -> 5.7 J/cm^2 (x 2.39)
ER_YSGG_PAIR = ({"skin": {"site": "cheek"},
                 "laser": {"source": "er:ysgg", "pulse_duration": "3329.6 us"},
                 "delivery": {"mode": "full-field", "spot_diameter": "3.3296 mm",
                              "fluence": "2.39711 J/cm^2", "passes": 6,
                              "pass_interval": "0.00918183 s", "beam_quality": 21.35}}, 2.39)


#: a nearly confluent thulium pattern (99.5 % of the surface) whose zones widen 602 -> 650 um
#: with twice the energy: its 99 % closure moved 1e-4 d sooner, within the map's pixel (0.04 d;
#: Wound.resolution, laws.healing_law)
THULIUM_CONFLUENT = ({"name": "law", "skin": {"site": "cheek", "phototype": 2},
                      "laser": {"source": "tm:fiber", "pulse_duration": "49787.1 us"},
                      "numerics": {"resolution": 0.5, "cooling_time": "0.367879 s"},
                      "delivery": {"mode": "fractional", "microbeam_diameter": "150 um",
                                   "pulse_energy": "135.335 mJ", "stack": 1, "coverage": 0.5,
                                   "pattern": "random", "scan": "raster",
                                   "area": "0.0564161 cm^2", "profile": "gaussian",
                                   "seed": 1}}, 2.0)


@given(laws.valid_scenarios(cheap=True), st.floats(1.1, 3.0))
@example(*ER_YSGG_PAIR)
@example(*THULIUM_CONFLUENT)
@draws(60)
def test_a_wound_no_shallower_with_no_thinner_coagulum_never_heals_sooner(d, factor):
    """Healing is monotone in the product order of (injury depth, dermal coagulum) on the same
    site and laser (laws.healing_law: why not in depth alone). Pairs with more energy; a pair
    that is not ordered (the deeper wound has the thinner coagulum) is outside the premise."""
    accepted(d)
    more, _ = laws.more_energy_law(d, factor)
    assume(more is not None)
    accepted(more)
    a, b = laws.wound(laws.run(d)), laws.wound(laws.run(more))
    ordered = laws.healing_premise(a, b)
    event(f"ordered: {ordered}")
    assume(ordered)
    assert laws.healing_law(a, b) == [], (d, factor)


def test_more_fluence_on_the_long_erbium_pulse_ablates_deeper_and_leaves_a_thinner_coagulum():
    """Why the unconditional law failed on ER_YSGG_PAIR: at 2.4 J/cm^2 a 3.3 ms Er:YSGG pulse
    ablates slowly and its heat spreads ahead of the front; at 2.39x the fluence the front moves
    faster and leaves a thinner necrotic layer (~ kappa / v) although the wound is deeper. The
    pair is therefore outside the healing law's premise, and the law reports nothing."""
    d, factor = ER_YSGG_PAIR
    more, _ = laws.more_energy_law(d, factor)
    a, b = laws.wound(laws.run(d)), laws.wound(laws.run(more))
    assert b.depth > a.depth
    assert b.coagulum < a.coagulum
    assert not laws.healing_premise(a, b)
    assert laws.healing_law(a, b) == []


def test_the_healing_law_reports_a_deeper_wound_with_no_thinner_coagulum_healing_sooner():
    """The law can fail: hand-made wounds that break it, in either order, are reported; so is a
    shallower wound that never closes beside a deeper one that does, and a wider fractional
    zone at the same depth that closes sooner."""
    shallow = laws.Wound(depth=100e-6, coagulum=20e-6, days=5.0)
    deeper_sooner = laws.Wound(depth=150e-6, coagulum=20e-6, days=4.0)
    assert len(laws.healing_law(shallow, deeper_sooner)) == 1
    assert len(laws.healing_law(deeper_sooner, shallow)) == 1
    thicker_sooner = laws.Wound(depth=100e-6, coagulum=40e-6, days=4.0)
    assert len(laws.healing_law(shallow, thicker_sooner)) == 1
    never = laws.Wound(depth=100e-6, coagulum=20e-6, days=float("inf"))
    assert len(laws.healing_law(never, laws.Wound(depth=300e-6, coagulum=20e-6, days=30.0))) == 1
    zone = laws.Wound(depth=100e-6, coagulum=0.0, days=1.0, zone=100e-6)
    assert len(laws.healing_law(zone, laws.Wound(depth=100e-6, coagulum=0.0, days=0.5,
                                                 zone=200e-6))) == 1
    # on a sampled map, within one pixel of front travel is within the model's resolution
    mapped = dataclasses.replace(zone, resolution=0.04)
    wider = laws.Wound(depth=100e-6, coagulum=0.0, days=0.99, zone=200e-6, resolution=0.04)
    assert laws.healing_law(mapped, wider) == []
    assert len(laws.healing_law(mapped, dataclasses.replace(wider, days=0.9))) == 1


def test_the_healing_law_is_silent_on_a_deeper_wound_with_a_thinner_coagulum():
    """Outside the premise: the deeper wound's coagulum is thinner (Newman et al. 2000: a
    thinner coagulum heals sooner), so its healing sooner breaks nothing; nor does a deeper
    wound with no thinner coagulum that heals later or at the same time."""
    shallow = laws.Wound(depth=128e-6, coagulum=57e-6, days=9.9)
    deeper_thinner = laws.Wound(depth=212e-6, coagulum=26e-6, days=6.6)
    assert not laws.healing_premise(shallow, deeper_thinner)
    assert laws.healing_law(shallow, deeper_thinner) == []
    assert laws.healing_law(shallow, laws.Wound(depth=212e-6, coagulum=57e-6, days=9.9)) == []
    assert laws.healing_law(shallow, laws.Wound(depth=212e-6, coagulum=60e-6, days=12.0)) == []


def test_more_passes_of_short_pulse_er_yag_on_the_cheek_heal_later():
    """Same site, same laser, the same thin coagulum of short erbium pulses: one pass of
    12.5 J/cm^2, 250 us heals in 3-4 d (Pozner, MicroLaserPeel, clinical-evidence.md W2), a
    deep multi-pass Er:YAG resurfacing in about a week (clinical-evidence.md 7.1). Only the
    ordering the sources give is asserted: three passes ablate deeper and heal later than
    one."""
    def heal(passes: int) -> laws.Wound:
        return laws.wound(laws.run({"skin": {"site": "cheek"},
                                    "laser": {"source": "er:yag", "pulse_duration": "250 us"},
                                    "delivery": {"fluence": "12.5 J/cm^2",
                                                 "passes": passes}}))
    one, three = heal(1), heal(3)
    assert three.depth > one.depth
    assert three.days > one.days


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
    "4 um cells less; 1.2x: 148 um). The removed depth is not converged in the grid: 74, 96, "
    "76, 106, 92 um for 1.0-1.2x at resolution 1.0, 73 and 74 um (1.0, 1.1x) at 2.0: dried "
    "tissue absorbs nothing at 1,927 nm but its melanin, so whether a dried cell reaches "
    "decomposition (400 C) turns on a few degrees that a coarse cell averages away; the "
    "absorption of desiccated dermis is the missing datum (docs/design.md, 'A dry-boiled "
    "thulium column')"))
def test_more_energy_never_ablates_less_on_the_thulium_pair_make_fuzz_found():
    more, check = laws.more_energy_law(THULIUM_PAIR, 1.1)
    assert more is not None
    assert check(laws.run(THULIUM_PAIR), laws.run(more)) == []
