"""Ablation: regimes and the closed-form limits used to check the numerical model.

The numerical model (:mod:`dermalase.physics._kernel`) boils water off cells whose enthalpy
exceeds the boiling plateau and ejects the boiling surface segment once the vapor it made
reaches a critical volume fraction; the front then moves down through layers of different
water content.

Two regimes (Vogel A, Venugopalan V. Mechanisms of pulsed laser ablation of biological tissues.
Chem Rev 2003;103:577-644, sec. VII):

- **blow-off** (pulse shorter than the ejection delay): energy is deposited before material
  leaves; ablation depth :math:`\\delta = \\mu_a^{-1}\\ln(F/F_{th})` with
  :math:`F_{th} = h_{abl}/\\mu_a`.
- **steady state** (longer pulses): the front recedes during the pulse;
  :math:`\\delta = (F - F_{th})/h_{abl}`.

Both limits are checked against the numerical model in tests/physics/test_ablation.py.
"""

from __future__ import annotations

import math


def blow_off_depth(fluence: float, mua: float, h_abl: float) -> float:
    """Blow-off ablation depth (m): ln(F / F_th) / mua, F_th = h_abl / mua (0 below threshold)."""
    f_th = h_abl / mua
    return max(0.0, math.log(fluence / f_th) / mua) if fluence > 0 else 0.0


def steady_state_depth(fluence: float, mua: float, h_abl: float) -> float:
    """Steady-state ablation depth (m): (F - F_th) / h_abl with F_th = h_abl / mua."""
    return max(0.0, (fluence - h_abl / mua) / h_abl)


def ablation_enthalpy(C: float, phi_w: float, T0: float, Tb: float, rho_L: float,
                      f_res: float) -> float:
    """Energy per volume (J/m^3) to eject a cell in the model: heat to Tb, then boil off
    (1 - f_res) of its water."""
    return C * (Tb - T0) + (1.0 - f_res) * phi_w * rho_L


# --- shielding by the plume in a crater (issue 3) ----------------------------------------------
#
# Ejecta leave the crater floor at speed u (measured for CO2 pulses on skin: data/ejecta.csv).
# A crater of depth d then holds the tissue ablated over the last d/u, which absorbs the beam on
# its way down: optical depth tau = f mua v d / u (f: absorbing fraction of the ejecta,
# constants.toml plume_absorbing_fraction). The recession speed is set by the shielded beam,
# v = I exp(-tau) / h_abl, so tau solves tau = s exp(-tau), s = f mua I d / (h_abl u):
# tau = W(s), transmitted fraction W(s)/s. Above the surface the plume spreads as a free jet
# and is not counted: the model is for craters deeper than wide (fractional channels).


def plume_transmission(s: float) -> float:
    """Fraction of the beam that crosses the plume of a crater, W(s)/s (1 at s = 0)."""
    from scipy.special import lambertw

    if s <= 0.0:
        return 1.0
    return float(lambertw(s).real) / s


def shielded_steady_depth(t: float, intensity: float, mua: float, h_abl: float,
                          speed: float, fraction: float = 1.0) -> float:
    """Depth (m) after time t of a crater drilled in steady state (no threshold) by a constant
    ``intensity`` (W/m^2) through its own plume: the closed form of dd/dt = a W(s)/s with
    a = I / h_abl, b = f mua / u and s = a b d. Substituting s = W e^W gives
    e^{2W} (2W + 1) - 1 = 4 a^2 b t, solved for W, then d = W e^W / (a b)."""
    from scipy.optimize import brentq

    a = intensity / h_abl
    b = fraction * mua / speed
    rhs = 4.0 * a * a * b * t
    if rhs <= 0.0:
        return a * t
    w = brentq(lambda w: math.exp(2 * w) * (2 * w + 1) - 1 - rhs, 0.0, 50.0)
    return w * math.exp(w) / (a * b)


def ejecta_speed(wavelength_nm: float, fluence: float) -> float | None:
    """Measured speed (m/s) of ejecta at ``fluence`` (J/m^2, peak), or None where no source
    gives one for the wavelength. Linear in fluence between the measured points, clamped to
    them outside (data/ejecta.csv: Nicola et al. 2002, CO2 only)."""
    import numpy as np

    from .. import data

    rows = [r for r in data.table("ejecta") if float(r["wavelength_nm"]) == float(wavelength_nm)]
    if not rows:
        return None
    f = np.array([float(r["fluence_J_cm2"]) for r in rows]) * 1e4
    u = np.array([float(r["speed_m_s"]) for r in rows])
    order = np.argsort(f)
    return float(np.interp(fluence, f[order], u[order]))
