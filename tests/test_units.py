"""Unit strings at the boundary: the conversions done without pint agree with pint's."""

import subprocess
import sys

import pytest

from dermalase import units
from dermalase.errors import InputError

FAST = sorted(units._FAST_UNITS)


@pytest.mark.parametrize("given", FAST)
def test_every_unit_converted_without_pint_agrees_with_pint(given):
    """Every pair of the table (a unit given, a unit asked for): the same number as pint's
    conversion, and a pair of different dimensions refused with pint's message."""
    ureg = units.registry()
    for asked in FAST:
        text = f"2.5 {given}"
        try:
            expected = ureg.Quantity(2.5, ureg.parse_units(given)).to(asked).magnitude
        except Exception:  # noqa: BLE001 - pint refuses: so must the table
            expected = None
        if expected is None:
            with pytest.raises(InputError, match="units of"):
                units.in_unit("field", text, asked)
            assert units._fast(2.5, given, asked) is None
        else:
            assert units._fast(2.5, given, asked) == pytest.approx(expected, rel=1e-12)
            assert units.in_unit("field", text, asked) == pytest.approx(expected, rel=1e-12)


def test_a_value_at_a_bound_in_its_own_unit_or_a_prefix_away_is_exact():
    """A device dial's top, "1000 um" in um, must meet a bound of 1000 (the first table
    multiplied by 1e-6 and divided by 1e-6: 1000.0000000000001, refused)."""
    assert units.in_unit("device.depth", "1000 um", "um") == 1000.0
    assert units.in_unit("device.depth", "1 mm", "um") == 1000.0
    assert units.in_unit("device.energy", "70 mJ", "mJ") == 70.0
    assert units.to_si("delivery.fluence", "12.5 J/cm^2", "J/m^2") == 125000.0
    for given in units._FAST_UNITS:  # every unit in itself: the identity
        assert units._fast(0.1, given, given) == 0.1, given


def test_a_unit_outside_the_table_still_goes_to_pint():
    assert units.to_si("delivery.fluence", "1 kJ/m^2", "J/m^2") == pytest.approx(1000.0)
    assert units.to_si("laser.pulse_duration", "0.25 millisecond", "s") == pytest.approx(2.5e-4)
    with pytest.raises(InputError, match="delivery.fluence"):
        units.to_si("delivery.fluence", "10 J/cm^3", "J/m^2")


def test_a_scenario_written_in_the_usual_units_needs_no_pint():
    code = ("import sys\nfrom dermalase.simulate.scenario import Scenario\n"
            "Scenario.from_dict({'skin': {'site': 'cheek'}, 'laser': {'source': 'er:yag', "
            "'pulse_duration': '250 us'}, 'delivery': {'fluence': '10 J/cm^2', "
            "'spot_diameter': '4 mm', 'passes': 2, 'pass_interval': '2 s'}})\n"
            "print('pint' in sys.modules)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "False"
