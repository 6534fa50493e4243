"""Arrhenius damage: exact constant-temperature integral and Henriques-Moritz threshold data."""

import numpy as np
import pytest

from dermalase import data
from dermalase.validation.analytic import (
    HM,
    MORITZ_HENRIQUES,
    TOL_KELVIN,
    contact_omega,
)


def test_constant_temperature_integral_is_exact():
    """At constant T, Omega(t) = A exp(-Ea/RT) t exactly; Omega = 1 at t = 1/rate."""
    R = data.constant("gas_constant")
    for T in (50.0, 70.0, 90.0):
        rate = HM.A * np.exp(-HM.Ea / (R * (T + 273.15)))
        assert HM.time_to_threshold(T) == pytest.approx(1.0 / rate, rel=1e-12)




@pytest.mark.parametrize(("Ts", "t_exp"), MORITZ_HENRIQUES)
def test_henriques_moritz_threshold_exposures(Ts, t_exp):
    """Omega at the basal layer under the published threshold exposure is 1 within the
    equivalent temperature tolerance (measured errors are listed in docs/validation.md)."""
    om = contact_omega(Ts, t_exp)
    R = data.constant("gas_constant")
    dlnk_dT = HM.Ea / (R * (Ts + 273.15) ** 2)
    equivalent_error = abs(np.log(om)) / dlnk_dT
    assert equivalent_error < TOL_KELVIN, (om, equivalent_error)


def test_threshold_time_falls_with_temperature():
    times = [HM.time_to_threshold(T) for T in range(44, 80, 2)]
    assert all(a > b for a, b in zip(times, times[1:], strict=False))
