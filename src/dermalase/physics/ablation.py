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
