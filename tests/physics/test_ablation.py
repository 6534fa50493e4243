"""The numerical ablation model against its closed-form limits (Vogel & Venugopalan 2003)."""

import math

import pytest

from dermalase import data, simulate
from dermalase.physics.ablation import ablation_enthalpy, blow_off_depth, steady_state_depth
from dermalase.tissue import build_skin
from dermalase.tissue import properties as props


def depth(src, F, tau, site="forearm"):
    return simulate({"skin": {"site": site, "phototype": 2},
                     "laser": {"source": src, "pulse_duration": tau},
                     "delivery": {"fluence": f"{F} J/cm^2"}}).summary["ablation_depth_um"]


def papillary_dermis_enthalpy():
    """Cheek papillary dermis and its ablation enthalpy h_abl (J/m^3), from the data tables."""
    pd = build_skin("cheek", 2).layers[2]
    cw = props.constituents()["water"]
    h = ablation_enthalpy(pd.heat_capacity, pd.volume_fractions["water"],
                          data.constant("body_temperature"), data.constant("boiling_temperature"),
                          cw.density * data.constant("water_latent_heat"),
                          data.constant("ejection_residual_water"))
    return pd, h


def test_blow_off_log_slope_is_optical_depth():
    """Blow-off (Q-switched Er:YAG, 90 ns): delta = ln(F/F_th)/mu_a, so 4x the fluence adds
    ln(4)/mu_a. Both craters stay in the forearm stratum corneum (18 um), whose mu_a is used.
    Tolerance 15 % (conduction during the ~1 us before ejection, one-cell quantization)."""
    sc = build_skin("forearm", 2).layers[0]
    mua = sc.absorption(2940)
    d1, d4 = depth("er:yag", 5, "90 ns"), depth("er:yag", 20, "90 ns")
    assert d4 < 18.0
    expected = (blow_off_depth(20e4, mua, 1.0) - blow_off_depth(5e4, mua, 1.0)) * 1e6
    assert expected == pytest.approx(math.log(4) / mua * 1e6)
    assert d4 - d1 == pytest.approx(expected, rel=0.15)


def test_steady_state_slope_is_inverse_ablation_enthalpy():
    """Steady state (Er:YAG 250 us): delta = (F - F_th)/h_abl, so depth grows by 1/h_abl per
    unit fluence once the front is in the papillary dermis. Tolerance 5 % (heat conducted
    ahead of the front is not ablated)."""
    pd, h = papillary_dermis_enthalpy()
    mua = pd.absorption(2940)
    slope_model = (depth("er:yag", 25, "250 us", "cheek")
                   - depth("er:yag", 15, "250 us", "cheek")) / 10.0
    slope_exact = (steady_state_depth(25e4, mua, h) - steady_state_depth(15e4, mua, h)) / 10 * 1e6
    assert 72.0 < depth("er:yag", 15, "250 us", "cheek") < 222.0  # front in papillary dermis
    assert slope_model == pytest.approx(slope_exact, rel=0.05)
