"""Scenario parsing: units at the boundary, strict keys, clear errors, round trip."""

import pytest

from dermalase import InputError, Scenario

BASE = {
    "skin": {"site": "cheek", "phototype": 2},
    "laser": {"source": "er:yag", "pulse_duration": "250 us"},
    "delivery": {"mode": "full-field", "spot_diameter": "4 mm", "fluence": "10 J/cm^2"},
}


def with_(section, key, value):
    d = {k: dict(v) for k, v in BASE.items()}
    if value is None:
        d[section].pop(key)
    else:
        d[section][key] = value
    return d


def test_units_are_converted_to_si():
    sc = Scenario.from_dict(BASE)
    assert sc.delivery.fluence == pytest.approx(1.0e5)          # J/m^2
    assert sc.delivery.pulse_duration == pytest.approx(250e-6)  # s
    assert sc.delivery.spot_diameter == pytest.approx(4e-3)     # m


def test_pulse_energy_gives_fluence():
    d = with_("delivery", "fluence", None)
    d["delivery"]["pulse_energy"] = "1.2566370614359172 J"  # pi (2 mm)^2 x 10 J/cm^2
    assert Scenario.from_dict(d).delivery.fluence == pytest.approx(1.0e5)


@pytest.mark.parametrize(("section", "key", "value", "field"), [
    ("skin", "site", "moon", "skin.site"),
    ("skin", "phototype", 7, "skin.phototype"),
    ("skin", "phototype", 0, "skin.phototype"),
    ("skin", "colour", "red", "skin.colour"),
    ("laser", "source", "ruby", "laser.source"),
    ("laser", "source", "er:glass", "laser.source"),
    ("laser", "pulse_duration", "-5 us", "laser.pulse_duration"),
    ("laser", "pulse_duration", "10 J", "laser.pulse_duration"),
    ("laser", "pulse_duration", "1 h", "laser.pulse_duration"),
    ("laser", "pulse_duration", None, "laser.pulse_duration"),
    ("delivery", "fluence", "-3 J/cm^2", "delivery.fluence"),
    ("delivery", "fluence", "0 J/cm^2", "delivery.fluence"),
    ("delivery", "fluence", "1e9 J/cm^2", "delivery.fluence"),
    ("delivery", "fluence", "ten", "delivery.fluence"),
    ("delivery", "fluence", "10 mm", "delivery.fluence"),
    ("delivery", "fluence", float("nan"), "delivery.fluence"),
    ("delivery", "fluence", None, "delivery.fluence"),
    ("delivery", "spot_diameter", "1 um", "delivery.spot_diameter"),
    ("delivery", "passes", 0, "delivery.passes"),
    ("delivery", "passes", 2.5, "delivery.passes"),
    ("delivery", "mode", "sideways", "delivery.mode"),
    ("delivery", "profile", "square", "delivery.profile"),
    ("delivery", "overlap", 0.5, "delivery.overlap"),
])
def test_bad_input_names_the_field(section, key, value, field):
    with pytest.raises(InputError) as err:
        Scenario.from_dict(with_(section, key, value))
    assert err.value.field == field
    msg = str(err.value)
    assert field in msg and "allowed" in msg and "\n" not in msg


def test_unknown_top_level_key():
    d = dict(BASE, colour="red")
    with pytest.raises(InputError, match="colour"):
        Scenario.from_dict(d)


def test_missing_section():
    d = {k: v for k, v in BASE.items() if k != "laser"}
    with pytest.raises(InputError, match="laser"):
        Scenario.from_dict(d)


def test_round_trip_through_dict():
    sc = Scenario.from_dict(BASE)
    again = Scenario.from_dict(sc.to_dict())
    assert again.resolved() == sc.resolved()


@pytest.mark.parametrize("delivery, field", [
    ({"train_pulses": 3}, "delivery.train_fluence"),
    ({"train_pulses": 3, "train_fluence": "1 J/cm^2"}, "delivery.train_duration"),
    ({"train_pulses": 3, "train_fluence": "1 J/cm^2", "train_duration": "0.5 ms"},
     "delivery.train_duration"),  # three 250 us pulses need 0.75 ms
    ({"train_fluence": "1 J/cm^2"}, "delivery.train_fluence"),
    ({"train_pulses": 101, "train_fluence": "1 J/cm^2", "train_duration": "50 ms"},
     "delivery.train_pulses"),
    ({"train_pulses": 2, "train_fluence": "1 J/cm^2", "train_duration": "1 s"},
     "delivery.train_duration"),
])
def test_a_train_is_checked_as_a_whole(delivery, field):
    d = {**BASE, "delivery": {"fluence": "10 J/cm^2", **delivery}}
    with pytest.raises(InputError) as e:
        Scenario.from_dict(d)
    assert e.value.field == field


def test_the_resource_guard_counts_the_train():
    from dermalase.physics.solver import SpotSolver, predicted_work

    sc = Scenario.from_dict({**BASE, "delivery": {"fluence": "10 J/cm^2", "passes": 2,
                                          "train_pulses": 5, "train_fluence": "0.3 J/cm^2",
                                          "train_duration": "10 ms"}})
    _, steps = predicted_work(sc.skin, sc.source, sc.delivery, sc.numerics, sc.constants)
    run = SpotSolver(sc.skin, sc.source, sc.delivery, sc.numerics, sc.constants).run()
    assert 0.7 * run.steps <= steps <= 1.3 * run.steps


def test_a_layers_water_can_be_set_within_its_sourced_range():
    """[skin] water_<layer> sets a layer's water mass fraction inside the range its source gives
    (data/layers.csv); protein and fat keep their proportion; the scenario round-trips and its
    key changes. Outside the range: one line naming the field and the range."""
    from dermalase import InputError, Scenario
    from dermalase.tissue.model import water_ranges

    lo, hi = water_ranges()["epidermis"]
    d = {"skin": {"site": "cheek", "water_epidermis": lo},
         "laser": {"source": "er:yag", "pulse_duration": "250 us"},
         "delivery": {"fluence": "5 J/cm^2"}}
    sc = Scenario.from_dict(d)
    epi = next(la for la in sc.skin.layers if la.name == "epidermis")
    assert epi.water == lo and epi.water + epi.protein + epi.fat == pytest.approx(1.0)
    assert Scenario.from_dict(sc.to_dict()).resolved() == sc.resolved()
    plain = Scenario.from_dict({**d, "skin": {"site": "cheek"}})
    assert sc.resolved() != plain.resolved()
    # at 2.94 um the absorption is the water's (Beer-Lambert, water-dominated): less water,
    # less absorption in the layer
    wet = next(la for la in plain.skin.layers if la.name == "epidermis")
    assert epi.absorption(2940) < wet.absorption(2940)
    with pytest.raises(InputError) as err:
        Scenario.from_dict({**d, "skin": {"site": "cheek", "water_epidermis": hi + 0.05}})
    assert err.value.field == "skin.water_epidermis" and f"{hi:g}" in str(err.value)
