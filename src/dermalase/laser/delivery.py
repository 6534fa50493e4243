"""Full-field delivery: a spot of given diameter, fluence per pulse, profile and passes."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class FullField:
    """Full-field (spot) delivery. SI units.

    Attributes
    ----------
    spot_diameter : float
        m. For a Gaussian profile, the 1/e^2 diameter.
    fluence : float
        J/m^2 per pulse: pulse energy / (pi (d/2)^2). For a Gaussian beam the peak (axis)
        fluence is twice this.
    pulse_duration : float
        s; temporal top-hat.
    passes : int
        Number of passes; each pass sees the tissue the previous one left.
    pass_interval : float
        s between passes (the tissue cools meanwhile).
    profile : str
        ``"top-hat"`` or ``"gaussian"``.
    """

    spot_diameter: float
    fluence: float
    pulse_duration: float
    passes: int = 1
    pass_interval: float = 2.0
    profile: str = "top-hat"

    @property
    def pulse_energy(self) -> float:
        return self.fluence * math.pi * (self.spot_diameter / 2) ** 2

    def fluence_at(self, r):
        """Local fluence (J/m^2) at radius r (m, array or float)."""
        import numpy as np

        r = np.asarray(r, dtype=float)
        w = self.spot_diameter / 2
        if self.profile == "gaussian":
            return 2.0 * self.fluence * np.exp(-2.0 * r**2 / w**2)
        return np.where(r <= w, self.fluence, 0.0)

    @property
    def peak_fluence(self) -> float:
        return 2.0 * self.fluence if self.profile == "gaussian" else self.fluence
