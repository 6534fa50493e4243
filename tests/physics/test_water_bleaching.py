"""Water absorption against temperature at the erbium lines (issue 31, item 1).

Numbers from the WOPP v3 pure-water file (Roettgers, McKee & Utschig, Opt Express 2014;22:25093;
shared/reference/tissue-response.md sec. 1): 2,940 nm a = 12,514 /cm, Psi_T = -58.2 /cm per K;
2,790 nm a = 5,906 /cm, Psi_T = +16.3 /cm per K, at 20 C.
"""

import numpy as np
import pytest

from dermalase.physics import _kernel as K
from dermalase.physics.constants import PhysicalConstants
from dermalase.physics.optics import absorbed_energy_density
from dermalase.physics.tallies import Tally, new_tally
from dermalase.tissue import properties as props

WOPP = {2940: (12514.0, -58.2), 2790: (5906.0, 16.3)}


def factor(wl, T, k=None):
    k = k or PhysicalConstants.from_data()
    beta = props.water_absorption_temperature_coefficient(wl)
    return K._bleach(T, beta, k.water_absorption_reference_temperature,
                     k.water_absorption_linear_until, k.water_absorption_floor)


@pytest.mark.parametrize("wl", [2940, 2790])
def test_the_relative_derivative_is_the_wopp_row(wl):
    a, psi = WOPP[wl]
    assert props.water_absorption_temperature_coefficient(wl) == pytest.approx(psi / a, rel=1e-3)
    # 100 C: the linear law (the tissue-response note: x 0.63 at 2,940 nm, x 1.22 at 2,790 nm)
    assert factor(wl, 100.0) == pytest.approx((a + psi * 80.0) / a, rel=1e-3)


def test_the_two_lines_cross_before_110_c():
    """Cummings & Walsh 1993 measured a greater effective absorption at 2.79 than at 2.94 um
    during ablation; the WOPP lines (absolute values at 20 C) cross before ~110 C."""
    (a1, p1), (a2, p2) = WOPP[2940], WOPP[2790]
    t_cross = 20.0 + (a1 - a2) / (p2 - p1)
    assert 100.0 < t_cross < 110.0
    assert a1 * factor(2940, t_cross + 1.0) < a2 * factor(2790, t_cross + 1.0)


def test_the_floor_and_the_law_limit():
    k = PhysicalConstants.from_data()
    assert factor(2940, 305.0) == pytest.approx(k.water_absorption_floor)
    assert factor(2940, 400.0) == factor(2940, k.water_absorption_linear_until)
    assert factor(2790, 305.0) == pytest.approx(1.0 + 16.3 / 5906.0 * 285.0, rel=1e-3)
    flat = k.replace(water_absorption_linear_until=20.0)  # no temperature dependence
    assert factor(2940, 100.0, flat) == 1.0
    assert props.water_absorption_temperature_coefficient(10600) == 0.0


def test_a_hot_column_absorbs_with_the_hot_coefficient_and_conserves():
    """A uniform column at 100 C takes Beer-Lambert with mu_a x f(100 C), exactly; the energy
    is conserved."""
    nz, dz, mua = 400, 0.25e-6, 1.25e6
    phiw = np.full((1, nz), 0.7)
    H = np.zeros((1, nz))
    tally = new_tally()
    k = PhysicalConstants.from_data()
    beta = props.water_absorption_temperature_coefficient(2940)
    K.deposit(H, phiw, np.zeros((1, nz)), np.zeros(1, dtype=np.int64), np.array([1.0e4]), mua,
              dz, np.ones(1), tally, np.zeros(1, dtype=np.int64), np.full((1, nz), 100.0), beta,
              k.water_absorption_reference_temperature, k.water_absorption_linear_until,
              k.water_absorption_floor)
    f = 1.0 + beta * 80.0
    ref = absorbed_energy_density(1.0e4, phiw[0] * mua * f, dz)
    np.testing.assert_allclose(H[0], ref, rtol=1e-9, atol=1e-12 * ref.max())
    assert np.isclose(tally[Tally.ABSORBED] + tally[Tally.TRANSMITTED], 1.0e4, rtol=1e-12)
