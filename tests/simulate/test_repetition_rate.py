"""Pulses stacked on one spot at a repetition rate (issue 31 item 2): the fields, their checks,
and the physics they run (each pulse sees what the ones before left)."""

import pytest

from dermalase import Scenario, simulate
from dermalase.errors import InputError


def er(**delivery) -> dict:
    return {"skin": {"site": "forearm", "phototype": 2},
            "laser": {"source": "er:yag", "pulse_duration": "250 us"},
            "delivery": {"fluence": "10 J/cm^2", **delivery},
            "numerics": {"resolution": 0.5, "cooling_time": "0.5 s"}}


@pytest.mark.parametrize(("delivery", "field"), [
    ({"repetition_rate": "10 Hz"}, "delivery.repetition_rate"),       # one pulse: no rate
    ({"stack": 3}, "delivery.repetition_rate"),                       # stacked: a rate needed
    ({"stack": 3, "repetition_rate": "5000 Hz"}, "delivery.repetition_rate"),  # 200 us < 250
    ({"stack": 0, "repetition_rate": "10 Hz"}, "delivery.stack"),
    ({"stack": 2, "repetition_rate": "-1 Hz"}, "delivery.repetition_rate"),
])
def test_bad_rates_name_the_field(delivery, field):
    with pytest.raises(InputError) as err:
        Scenario.from_dict(er(**delivery))
    assert err.value.field == field


def test_a_stack_is_passes_at_the_rate():
    """Two pulses stacked at 10 Hz are two passes 0.1 s apart, start to start (the pass
    interval runs from the end of a pulse): the same physics, pulse for pulse."""
    a = simulate(Scenario.from_dict(er(stack=2, repetition_rate="10 Hz"))).summary
    b = simulate(Scenario.from_dict(er(passes=2, pass_interval=f"{0.1 - 250e-6} s"))).summary
    for key in ("ablation_depth_um", "coagulation_depth_um", "collagen_denaturation_depth_um",
                "peak_temperature_C"):
        assert a[key] == pytest.approx(b[key], rel=1e-9, abs=1e-9), key
    assert sum(a["ablation_per_pass_um"]) == pytest.approx(sum(b["ablation_per_pass_um"]), abs=2e-3)
    assert len(a["ablation_per_pass_um"]) == 1  # one pass of two stacked pulses


def test_a_stack_ablates_more_than_one_pulse_and_the_energy_closes():
    one = simulate(Scenario.from_dict(er())).summary
    three = simulate(Scenario.from_dict(er(stack=3, repetition_rate="10 Hz"))).summary
    assert three["ablation_depth_um"] > one["ablation_depth_um"]
    bal = three["energy_balance_J_m2"]
    parts = sum(v for k, v in bal.items() if k != "delivered")
    assert parts == pytest.approx(bal["delivered"], rel=1e-6)
    assert bal["delivered"] == pytest.approx(3 * 10e4 * 1.0, rel=1e-9)
