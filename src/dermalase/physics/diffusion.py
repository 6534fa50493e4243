"""Diffusion-theory references for the Monte Carlo engine."""

from __future__ import annotations

import math

import numpy as np


def farrell_rd(r: np.ndarray, mua: float, mus_reduced: float) -> np.ndarray:
    """Diffuse reflectance Rd(r) (1/m^2) of a semi-infinite medium with a matched boundary
    (n = 1) for a pencil beam: dipole diffusion solution of Farrell TJ, Patterson MS, Wilson B.
    Med Phys 1992;19:879-888 (eq. 3 with A = 1: z_b = 2D)."""
    mutp = mua + mus_reduced
    D = 1.0 / (3.0 * mutp)
    mueff = math.sqrt(mua / D)
    z0 = 1.0 / mutp
    zb = 2.0 * D
    ap = mus_reduced / mutp
    r1 = np.sqrt(z0**2 + r**2)
    r2 = np.sqrt((z0 + 2 * zb) ** 2 + r**2)
    return ap / (4 * math.pi) * (z0 * (mueff + 1 / r1) * np.exp(-mueff * r1) / r1**2
                                 + (z0 + 2 * zb) * (mueff + 1 / r2) * np.exp(-mueff * r2) / r2**2)
