"""Beer-Lambert deposition: energy conservation and agreement with the continuous profile."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from dermalase.physics import _kernel as K
from dermalase.physics.optics import absorbed_energy_density
from dermalase.physics.tallies import Tally, new_tally


@given(st.lists(st.floats(10.0, 2e6), min_size=1, max_size=50), st.floats(1e-7, 1e-5),
       st.floats(0.0, 0.1))
@settings(max_examples=60, deadline=None)
def test_absorbed_plus_transmitted_equals_incident(mua, dz, R):
    mua = np.array(mua)
    q = absorbed_energy_density(1.0e4, mua, dz, reflectance=R)
    transmitted = (1 - R) * 1.0e4 * np.exp(-np.sum(mua * dz))
    assert np.isclose(q.sum() * dz + transmitted, (1 - R) * 1.0e4, rtol=1e-10)


def test_cell_integral_converges_to_point_profile():
    """q(z) = mua F exp(-mua z) recovered as dz -> 0 (cell-centre comparison, error ~ dz^2)."""
    mua, F = 1.0e6, 1.0e4
    errs = []
    for dz in (4e-7, 2e-7, 1e-7):
        n = int(5e-6 / dz)
        z = (np.arange(n) + 0.5) * dz
        q = absorbed_energy_density(F, np.full(n, mua), dz)
        errs.append(np.max(np.abs(q - mua * F * np.exp(-mua * z))) / (mua * F))
    order = np.polyfit(np.log([4e-7, 2e-7, 1e-7]), np.log(errs), 1)[0]
    assert 1.8 < order < 2.2


def test_kernel_deposit_matches_reference_and_conserves():
    nz = 200
    dz = 0.5e-6
    phiw = np.full((1, nz), 0.7)
    phiw[0, :20] = 0.3  # drier stratum corneum
    H = np.zeros((1, nz))
    tally = new_tally()
    K.deposit(H, phiw, np.zeros((1, nz)), np.zeros(1, dtype=np.int64), np.array([1.0e4]),
              1.25e6, dz, np.ones(1), tally, np.zeros(1, dtype=np.int64), np.full((1, nz), 37.0),
              0.0, 20.0, 305.0, 0.1)
    ref = absorbed_energy_density(1.0e4, phiw[0] * 1.25e6, dz)
    # the kernel stops once 1e-14 of the beam is left (counted as transmitted)
    np.testing.assert_allclose(H[0], ref, rtol=1e-9, atol=1e-12 * ref.max())
    assert np.isclose(tally[Tally.ABSORBED] + tally[Tally.TRANSMITTED], 1.0e4, rtol=1e-12)
