"""Beer-Lambert energy deposition in layered, non-scattering tissue.

.. math:: \\Phi(z) = (1 - R_s)\\,F\\,\\exp\\Big(-\\int_0^z \\mu_a(z')\\,dz'\\Big),\\qquad
          q(z) = \\mu_a(z)\\,\\Phi(z)

Valid where absorption dominates scattering (2,790-10,600 nm in water-rich tissue: mu_a of
10^2-10^4 /cm against reduced scattering of order 10 /cm in the mid-infrared; Vogel &
Venugopalan, Chem Rev 2003;103:577-644). The compiled, cell-integrated version used in the
time stepping is :func:`dermalase.physics._kernel.deposit`.
"""

from __future__ import annotations

import numpy as np


def absorbed_energy_density(fluence: float, mua: np.ndarray, dz: float,
                            reflectance: float = 0.0) -> np.ndarray:
    """Energy absorbed per unit volume (J/m^3) in each cell of a column.

    Parameters
    ----------
    fluence : float
        Incident fluence, J/m^2.
    mua : array
        Absorption coefficient of each cell, 1/m.
    dz : float
        Cell thickness, m.
    reflectance : float
        Specular reflectance at the surface (0-1).

    The cell integral :math:`F(e^{-\\tau_{top}} - e^{-\\tau_{bot}})/dz` conserves energy exactly.
    """
    tau = np.concatenate([[0.0], np.cumsum(np.asarray(mua) * dz)])
    return (1.0 - reflectance) * fluence * (np.exp(-tau[:-1]) - np.exp(-tau[1:])) / dz

