"""Full-field delivery: a spot of given diameter, fluence per pulse, profile and passes."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import require, require_choice


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
    train_pulses, train_fluence, train_duration : int, float, float
        A train of ``train_pulses`` sub-ablative pulses (each of ``pulse_duration`` and
        ``train_fluence`` J/m^2) after each ablative pulse, spread evenly over
        ``train_duration`` s: the period ``train_duration / train_pulses`` ends with a
        sub-pulse, so the train ends ``train_duration`` after the ablative pulse. How devices
        add coagulation to erbium resurfacing (Sciton's coagulation mode: clinical-evidence.md
        section 2). ``pass_interval`` runs from the end of the train. 0 pulses: no train.
    stack, repetition_rate : int, float or None
        ``stack`` pulses (each with its train) fire on the same spot in each pass, one every
        1 / ``repetition_rate`` s, start to start (issue 31: stacked pulses, and the pulses of
        a scanned pass that overlap on one site); each sees the heat, the drier floor and the
        crater the ones before left. ``pass_interval`` runs from the end of the last.
    """

    spot_diameter: float
    fluence: float
    pulse_duration: float
    passes: int = 1
    pass_interval: float = 2.0
    profile: str = "top-hat"
    beam_quality: float = 1.0  # M^2 (1: ideal Gaussian beam)
    train_pulses: int = 0
    train_fluence: float = 0.0
    train_duration: float = 0.0
    stack: int = 1
    repetition_rate: float | None = None

    def __post_init__(self) -> None:
        require("delivery.spot_diameter", self.spot_diameter)
        require("delivery.fluence", self.fluence)
        require("laser.pulse_duration", self.pulse_duration)
        require("delivery.passes", self.passes, low=1, inclusive=True, integer=True)
        require("delivery.pass_interval", self.pass_interval, inclusive=True)
        require_choice("delivery.profile", self.profile, ("top-hat", "gaussian"))
        require("delivery.beam_quality", self.beam_quality, low=1.0, inclusive=True)
        require("delivery.train_pulses", self.train_pulses, low=0, inclusive=True,
                integer=True)
        if self.train_pulses:
            require("delivery.train_fluence", self.train_fluence)
            require("delivery.train_duration", self.train_duration,
                    low=self.train_pulses * self.pulse_duration * (1 - 1e-9), inclusive=True)
        require("delivery.stack", self.stack, low=1, inclusive=True, integer=True)
        require("delivery.repetition_rate", self.repetition_rate, optional=self.stack == 1)
        busy = self.pulse_duration + self.train_duration
        if self.stack > 1 and self.repetition_rate * busy > 1.0 + 1e-9:  # type: ignore[operator]
            from ..errors import InputError

            raise InputError("delivery.repetition_rate", self.repetition_rate,
                             f"at most {1.0 / busy:g} Hz: one pulse (and its train) must end "
                             "before the next starts")

    @property
    def stack_gap(self) -> float:
        """s from the end of one stacked pulse (and its train) to the start of the next."""
        if self.stack <= 1 or self.repetition_rate is None:
            return 0.0
        return max(1.0 / self.repetition_rate - self.pulse_duration - self.train_duration, 0.0)

    @property
    def pass_time(self) -> float:
        """s from the start of a pass to the end of its last pulse (and train)."""
        return self.stack * (self.pulse_duration + self.train_duration) \
            + (self.stack - 1) * self.stack_gap

    @property
    def train_period(self) -> float:
        """s from the start of one train period to the next (0: no train)."""
        return self.train_duration / self.train_pulses if self.train_pulses else 0.0

    @property
    def train_peak_fluence(self) -> float:
        """J/m^2 on the axis per sub-pulse of the train (0: no train)."""
        if not self.train_pulses:
            return 0.0
        return self.peak_fluence * self.train_fluence / self.fluence

    @property
    def pulse_energy(self) -> float:
        return self.fluence * math.pi * (self.spot_diameter / 2) ** 2

    def rayleigh_range(self, wavelength: float) -> float:
        """z_R = pi w0^2 / (M^2 lambda), m (Siegman AE. Lasers. 1986, ch. 17)."""
        return math.pi * (self.spot_diameter / 2) ** 2 / (self.beam_quality * wavelength)

    def fluence_at(self, r, z=0.0, wavelength: float | None = None):
        """Local fluence (J/m^2) at radius r and depth z below the waist (m, arrays or floats).

        Gaussian beams spread with depth, w(z) = w0 sqrt(1 + (z/z_R)^2), waist at the skin
        surface, and keep their energy: F = F0 (w0/w)^2 exp(-2 r^2 / w^2). Rays are taken as
        vertical, so each radial column sees the fluence at its own depth. Top-hat spots are
        taken as collimated.
        """
        import numpy as np  # on use: a repeated plan imports no NumPy
        r = np.asarray(r, dtype=float)
        w0 = self.spot_diameter / 2
        if self.profile == "gaussian":
            w: float | np.ndarray = w0
            if wavelength is not None:
                w = w0 * np.sqrt(1.0 + (np.asarray(z) / self.rayleigh_range(wavelength)) ** 2)
            return 2.0 * self.fluence * (w0 / w) ** 2 * np.exp(-2.0 * r**2 / w**2)
        return np.where(r <= w0, self.fluence, 0.0)

    @property
    def peak_fluence(self) -> float:
        return 2.0 * self.fluence if self.profile == "gaussian" else self.fluence
