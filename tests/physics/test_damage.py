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


# --- collagen at millisecond heating (issue 31, item 5) ---
#: Jacques SL, J Biomed Opt 2006;11:041108 (abstract): dS = a + b dH over tissue transitions
JACQUES_A, JACQUES_B = -327.5, 31.47e-4          # J/(mol K), 1/K
K_B, PLANCK = 1.380649e-23, 6.62607015e-34       # J/K, J s (CODATA 2018, exact)


def collagen():
    from dermalase.physics.damage import COLLAGEN_SET, arrhenius_sets

    return arrhenius_sets()[COLLAGEN_SET]


def test_collagen_pair_lies_on_the_entropy_enthalpy_line():
    """A = (k_B T / h) exp(dS / R) with dS = a + b Ea (Jacques 2006), k_B T / h at 100 C as the
    data row states; Ea is Pearce et al. 1993's measured activation energy."""
    c = collagen()
    R = data.constant("gas_constant")
    ln_a = np.log(K_B * 373.15 / PLANCK) + (JACQUES_A + JACQUES_B * c.Ea) / R
    assert np.log(c.A) == pytest.approx(ln_a, abs=1e-3)
    assert c.Ea == pytest.approx(3.06e5)  # Pearce et al., Proc SPIE 1993;1876:180


def test_collagen_denatures_within_a_millisecond_between_86_and_102_C():
    """The line puts Omega = 1 at ~86-102 C for a 1 ms hold for the 15-20 cooperative bonds of
    most tissues (tissue-response.md sec. 3, arithmetic on Jacques 2006)."""
    T = 86.0
    while collagen().time_to_threshold(T) > 1e-3:
        T += 0.05
    assert 86.0 < T < 102.0, T


def test_complete_denaturation_above_85_C_under_laser_heating():
    """Feedback-controlled 1.9 um laser heating of cornea: complete denaturation above 85 C,
    as in a water bath (SPIE 1998;3245:276-281): holds of a second (feedback heating) reach
    Omega = 1 at 85 C."""
    assert collagen().time_to_threshold(85.0) < 1.0


def test_collagen_override_moves_along_the_line():
    """constants.collagen_activation_energy moves the pair along Jacques' line within its
    10-20 bonds; outside them it is refused with the field named."""
    from dermalase.errors import InputError
    from dermalase.physics.constants import PhysicalConstants
    from dermalase.physics.damage import collagen_set, on_entropy_enthalpy_line

    assert on_entropy_enthalpy_line(collagen().Ea) == pytest.approx(collagen().A, rel=1e-3)
    k = PhysicalConstants.from_data().replace(collagen_activation_energy=3.8e5)
    moved = collagen_set(k.collagen_activation_energy)
    assert moved.Ea == 3.8e5 and moved.time_to_threshold(90.0) < collagen().time_to_threshold(90.0)
    with pytest.raises(InputError, match="collagen_activation_energy"):
        PhysicalConstants.from_data().replace(collagen_activation_energy=1e6)
