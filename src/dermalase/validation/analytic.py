"""Analytic solutions and reference computations of the verification ladder (docs/validation.md):
used by the tests (tests/physics/) and by scripts/validation_table.py."""

from __future__ import annotations

import numpy as np
from scipy.special import erfc, erfcx

from .. import data, simulate
from ..physics.ablation import ablation_enthalpy
from ..physics.damage import arrhenius_sets
from ..physics.thermal import conduct_kernel, implicit_step_1d
from ..tissue import build_skin
from ..tissue import properties as props

# -- heat conduction --------------------------------------------------------------------------
KAPPA_C = 3.6e6   # J/m^3/K, arbitrary test material
KAPPA_K = 0.5     # W/m/K
KAPPA = KAPPA_K / KAPPA_C


def exp_profile_solution(z, t, mu, A):
    """Exponential initial profile A e^{-mu z} on a half-space with an adiabatic surface
    (even extension, heat-kernel convolution): u = A/2 e^{-z^2/4kt} [erfcx(x1) + erfcx(x2)],
    x1 = mu sqrt(kt) - z / (2 sqrt(kt)), x2 = mu sqrt(kt) + z / (2 sqrt(kt))."""
    s = np.sqrt(KAPPA * t)
    x1 = mu * s - z / (2 * s)
    x2 = mu * s + z / (2 * s)
    gauss = np.exp(-(z**2) / (4 * s * s))
    # e^{-z^2/4kt} erfcx(x1) = e^{mu^2 kt - mu z} erfc(x1): use the bounded form where x1 < 0
    term1 = np.where(x1 >= 0, gauss * erfcx(np.maximum(x1, 0)),
                     np.exp(mu * mu * s * s - mu * z) * erfc(np.minimum(x1, 0)))
    return 0.5 * A * (term1 + gauss * erfcx(x2))


def cell_average_exp(dz, n, mu, A):
    edges = np.arange(n + 1) * dz
    return A * (np.exp(-mu * edges[:-1]) - np.exp(-mu * edges[1:])) / (mu * dz)


def run_exp_case(dz, dt, t_end, mu=1.0 / 20e-6, A=50.0, depth=600e-6):
    n = int(round(depth / dz))
    T0 = 37.0 + cell_average_exp(dz, n, mu, A)
    steps = int(round(t_end / dt))
    T = conduct_kernel(T0[None, :], KAPPA_C, KAPPA_K, dz, t_end / steps, steps)[0]
    z = (np.arange(n) + 0.5) * dz
    exact = 37.0 + exp_profile_solution(z, t_end, mu, A)
    return np.max(np.abs(T - exact)), T, exact


def fit_order(h, err):
    return np.polyfit(np.log(h), np.log(err), 1)[0]


# -- Arrhenius damage: Henriques-Moritz threshold exposures ------------------------------------
HM = arrhenius_sets()["henriques-moritz"]

# Threshold exposures for transepidermal necrosis: surface temperature (C), time (s).
# Moritz AR, Henriques FC. Studies of thermal injury II. Am J Pathol 1947;23:695-720, as
# reproduced in the scald-burn literature (44 C ~6 h; 52 C 2 min; 54 C 30 s; 60 C 5 s; 70 C ~1 s).
MORITZ_HENRIQUES = [(44.0, 6 * 3600.0), (52.0, 120.0), (54.0, 30.0), (60.0, 5.0), (70.0, 1.0)]
BASAL_DEPTH = 80e-6  # m: basal layer depth Henriques used for his rate analysis (Henriques 1947)
#: Tolerance as an equivalent temperature error. Omega varies by ~e per 1.5 C here, and the
#: secondary reproductions of the threshold data differ by 2-3 C (e.g. 65-70 C for ~1 s).
TOL_KELVIN = 5.0


def contact_omega(Ts, t_exp):
    skin = build_skin("forearm", 2)
    ep, de = skin.layers[1], skin.layers[2]
    dz, n = 2e-6, 1000
    z = (np.arange(n) + 0.5) * dz
    C = np.where(z < 75e-6, ep.heat_capacity, de.heat_capacity)
    k = np.where(z < 75e-6, ep.conductivity, de.conductivity)
    T = np.full(n, 37.0)
    om = np.zeros(n)
    dts = np.geomspace(1e-4, t_exp / 20, 200)
    dts *= t_exp / dts.sum()
    for dt in dts:
        Tn = implicit_step_1d(T, C, k, dz, dt, top=("dirichlet", Ts))
        om += 0.5 * dt * (HM.rate(T) + HM.rate(Tn))
        T = Tn
    return om[int(BASAL_DEPTH / dz)]


# -- ablation limits ----------------------------------------------------------------------------
def depth(src, F, tau, site="forearm", constant_absorption=True):
    """Ablation depth (um) of one full-field pulse. ``constant_absorption``: water absorbs at
    its tabulated value whatever its temperature (the closed-form limits assume a constant
    mu_a; the model's water absorption falls with temperature at 2,940 nm, issue 31 item 1)."""
    from ..simulate import Scenario

    sc = Scenario.from_dict({"skin": {"site": site, "phototype": 2},
                             "laser": {"source": src, "pulse_duration": tau},
                             "delivery": {"fluence": f"{F} J/cm^2"}})
    if constant_absorption:
        sc = sc.replace(constants=sc.constants.replace(water_absorption_linear_until=20.0))
    return simulate(sc).summary["ablation_depth_um"]


def papillary_dermis_enthalpy():
    """Cheek papillary dermis and its ablation enthalpy h_abl (J/m^3), from the data tables."""
    pd = build_skin("cheek", 2).layers[2]
    cw = props.constituents()["water"]
    h = ablation_enthalpy(pd.heat_capacity, pd.volume_fractions["water"],
                          data.constant("body_temperature"), data.constant("boiling_temperature"),
                          cw.density * data.constant("water_latent_heat"),
                          data.constant("ejection_residual_water"))
    return pd, h
