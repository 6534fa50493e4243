"""Issue 30, item 3: a device dial the simulation does not honour is said in the run's own
warnings (summary, JSON, command line), with the number; generic over every dial the catalogue
maps to a simulated quantity (devices/resolve.py DIAL_OUTCOMES)."""

import pytest

from dermalase import Scenario, simulate
from dermalase.devices import scenario_from_dict
from dermalase.devices.catalogue import catalogue
from dermalase.devices.resolve import DIAL_OUTCOMES, DIAL_TOLERANCE


def resolve(name, **settings):
    return scenario_from_dict({"skin": {"site": "cheek", "phototype": 2},
                               "device": {"name": name, **settings}})


def dial_warnings(summary, setting):
    return [w for w in summary["warnings"] if f"dial {setting} =" in w]


def test_the_contour_ablation_dial_of_50_um_says_what_the_model_ablates():
    """The hostile input: Contour TRL ablation = "50 um" simulated ~71 um with warnings: []."""
    s = simulate(resolve("sciton-contour-trl", ablation="50 um")).summary
    simulated = s["ablation_per_pass_um"][0]
    assert abs(simulated - 50) > DIAL_TOLERANCE * 50  # the model's erbium gap (issue 13)
    (w,) = dial_warnings(s, "ablation")
    assert "sciton-contour-trl" in w and "50 um" in w and f"{simulated:.3g} um" in w
    assert s["scenario"]["device"]["dials"][0]["quantity"] == "ablation_per_pass"


def test_a_dial_within_its_tolerance_is_not_flagged():
    """Fraxel re:pair coverage (injured surface) is resolved by the model's zone width: the run
    lands within the tolerance of the dial and no dial warning is added."""
    s = simulate(resolve("fraxel-repair", energy="10 mJ", coverage="15 %")).summary
    assert abs(s["surface_injury_fraction"] - 0.15) <= DIAL_TOLERANCE * 0.15
    assert dial_warnings(s, "coverage") == []


@pytest.mark.parametrize(("quantity", "value", "si", "kind", "warns"), [
    # a full-field spot injures its whole surface, by definition: 100 % honoured, 50 % not
    ("surface_injury_fraction", 100.0, 1e-2, "fraction", False),
    ("surface_injury_fraction", 50.0, 1e-2, "fraction", True),
    # 10 J/cm^2 cannot vaporize 1 mm: heating and vaporizing the water of tissue 70 % water
    # takes 0.7 x 2.6 kJ/g ~ 1.8 kJ/cm^3, so at most ~60 um
    ("ablation_depth", 1000.0, 1e-6, "depth", True),
])
def test_the_check_is_generic_over_the_dial_record(quantity, value, si, kind, warns):
    sc = Scenario.from_dict({"skin": {"site": "cheek"},
                             "laser": {"source": "er:yag", "pulse_duration": "250 us"},
                             "delivery": {"fluence": "10 J/cm^2"}})
    sc.device = {"name": "any-device", "dials": [
        {"setting": "dial", "value": value, "unit": "%" if kind == "fraction" else "um",
         "means": "what it means", "quantity": quantity, "si": si, "kind": kind,
         "tolerance": DIAL_TOLERANCE}]}
    assert bool(dial_warnings(simulate(sc).summary, "dial")) is warns


def test_every_outcome_dial_rule_of_the_catalogue_is_mapped():
    """A catalogue setting resolved by the model or by a clinical rule that promises an outcome
    names a summary quantity; the copied physics inputs do not need one."""
    copied = {"passes", "stack", "fluence", "energy", "energy_over_spot", "density",
              "pattern_side", "treatment_level", "power", "dwell", "spacing"}
    rules = {s.rule for d in catalogue().values() for s in d.settings.values()}
    assert rules - copied <= set(DIAL_OUTCOMES), rules - copied - set(DIAL_OUTCOMES)
