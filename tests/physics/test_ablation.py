"""The numerical ablation model against its closed-form limits (Vogel & Venugopalan 2003)."""

import math

import pytest

from dermalase import data
from dermalase.physics.ablation import ablation_enthalpy, blow_off_depth, steady_state_depth
from dermalase.tissue import build_skin
from dermalase.tissue import properties as props
from dermalase.validation.analytic import depth, papillary_dermis_enthalpy


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


# --- shielding by the plume in the crater (issue 3) ----------------------------------------


def test_plume_transmission_is_the_fixed_point():
    """W(s)/s is the transmitted fraction T that solves tau = s T with T = exp(-tau); the
    compiled Lambert W equals SciPy's."""
    from scipy.special import lambertw

    from dermalase.physics._kernel import lambert_w
    from dermalase.physics.ablation import plume_transmission

    assert plume_transmission(0.0) == 1.0
    for s in (1e-6, 0.1, 1.0, 7.0, 300.0):
        t = plume_transmission(s)
        assert t == pytest.approx(math.exp(-s * t), rel=1e-10)
        assert lambert_w(s) == pytest.approx(float(lambertw(s).real), rel=1e-12)


def test_ejecta_speed_follows_the_measurements():
    """Nicola et al. 2002: 9 m/s at 128 J/cm^2, 18 m/s at 384 J/cm^2 (CO2, skin); clamped
    outside, none for wavelengths without a measurement."""
    from dermalase.physics.ablation import ejecta_speed

    assert ejecta_speed(10600, 128e4) == pytest.approx(9.0)
    assert ejecta_speed(10600, 384e4) == pytest.approx(18.0)
    assert ejecta_speed(10600, 256e4) == pytest.approx(13.5)
    assert ejecta_speed(10600, 10e4) == pytest.approx(9.0)
    assert ejecta_speed(2940, 10e4) is None


@pytest.mark.parametrize("F", [100.0, 200.0])
def test_shielded_crater_matches_closed_form(F):
    """A wide CO2 beam (1-D) drilling through its own plume against the closed form of
    dd/dt = (I/h) W(s)/s, s = f mua I d / (h u) (physics/ablation.py). The model's start-up
    (heating to boiling, the stratum corneum and epidermis above the reticular dermis) is taken
    out by running the closed form for the time the unshielded front needs to reach its own
    depth at speed I/h (the steady-state law checked above). Both craters end in the reticular
    dermis, whose h and mua are used. Tolerance 3 %: the closed form treats all ejecta as
    reticular dermis."""
    from dermalase import Scenario
    from dermalase.physics.ablation import ejecta_speed, shielded_steady_depth
    from dermalase.physics.solver import Numerics, run_spot

    sc = Scenario.from_dict({"skin": {"site": "cheek", "phototype": 2},
                             "laser": {"source": "co2", "pulse_duration": "1 ms"},
                             "delivery": {"fluence": f"{F} J/cm^2", "spot_diameter": "6 mm"}})

    def crater(shield):
        out = run_spot(sc.skin, sc.source, sc.delivery,
                             Numerics(geometry="1d", plume_shielding=shield, cooling_time=1e-3))
        return out, out.top[0] * out.dz

    out, d = crater(True)
    _, d0 = crater(False)
    rd = sc.skin.layers[3]
    bounds = sc.skin.boundaries()
    assert bounds[2] < d < d0 < bounds[3]
    cw = props.constituents()["water"]
    h = ablation_enthalpy(rd.heat_capacity, rd.volume_fractions["water"],
                          data.constant("body_temperature"), data.constant("boiling_temperature"),
                          cw.density * data.constant("water_latent_heat"),
                          data.constant("ejection_residual_water"))
    R = props.fresnel_reflectance(props.water_absorption(10600)[3])
    intensity = (1 - R) * F * 1e4 / 1e-3
    u = ejecta_speed(10600, F * 1e4)
    assert out.ejecta_speed == pytest.approx(u)
    exact = shielded_steady_depth(d0 / (intensity / h), intensity, rd.absorption(10600), h, u,
                                  data.constant("plume_absorbing_fraction"))
    assert d == pytest.approx(exact, rel=0.03)
    # the plume takes a share of the pulse, which the balance reports
    assert 0.2 < out.tallies["plume"] / out.delivered < 0.7


def test_no_shielding_without_a_measured_ejecta_speed():
    """Er:YAG has no measured ejecta speed in data/ejecta.csv: its crater is unchanged."""
    from dermalase import Scenario
    from dermalase.physics.solver import Numerics, run_spot

    sc = Scenario.from_dict({"skin": {"site": "cheek", "phototype": 2},
                             "laser": {"source": "er:yag", "pulse_duration": "250 us"},
                             "delivery": {"fluence": "20 J/cm^2"}})
    a = run_spot(sc.skin, sc.source, sc.delivery, Numerics(plume_shielding=True))
    b = run_spot(sc.skin, sc.source, sc.delivery, Numerics(plume_shielding=False))
    assert a.top[0] == b.top[0] and a.tallies["plume"] == 0.0
