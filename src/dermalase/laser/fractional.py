"""Fractional delivery: microbeams that each drill a channel (microthermal zone) over a fraction
of the surface. SI units."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import require, require_choice
from .delivery import FullField


@dataclass(frozen=True, kw_only=True)
class Fractional:
    """Fractional delivery.

    Attributes
    ----------
    microbeam_diameter : float
        m; 1/e^2 diameter for a Gaussian microbeam.
    pulse_energy : float
        J per microbeam pulse.
    pulse_duration : float
        s.
    stack : int
        Pulses fired into the same channel.
    stack_interval : float
        s between the starts of stacked pulses (default: back to back, = pulse_duration).
    density : float
        Microthermal zones per m^2 (coverage = density x pi d^2 / 4).
    pattern : str
        ``"grid"`` (square lattice) or ``"random"`` (uniform, seeded).
    scan : str
        Firing order: ``"raster"`` or ``"random"``.
    repetition_rate : float or None
        Microbeam firing rate across the pattern, 1/s. None: all zones fired at once (an upper
        bound on bulk heating).
    area : float
        Treated area, m^2.
    profile : str
        ``"gaussian"`` or ``"top-hat"``.
    seed : int
        Seed of the random pattern and scan order.
    beam_quality : float
        M^2 of the microbeam (1: ideal Gaussian); sets its spread with depth.
    """

    microbeam_diameter: float
    pulse_energy: float
    pulse_duration: float
    density: float
    stack: int = 1
    stack_interval: float | None = None
    pattern: str = "grid"
    scan: str = "raster"
    repetition_rate: float | None = None
    area: float = 1.0e-4  # 1 cm^2, the pattern area of issue 3
    profile: str = "gaussian"
    seed: int = 0
    beam_quality: float = 1.0

    def __post_init__(self) -> None:
        require("delivery.microbeam_diameter", self.microbeam_diameter)
        require("delivery.pulse_energy", self.pulse_energy)
        require("laser.pulse_duration", self.pulse_duration)
        require("delivery.density", self.density)
        require("delivery.stack", self.stack, low=1, inclusive=True, integer=True)
        require("delivery.stack_interval", self.stack_interval, low=self.pulse_duration,
                inclusive=True, optional=True)
        require_choice("delivery.pattern", self.pattern, ("grid", "random"))
        require_choice("delivery.scan", self.scan, ("raster", "random"))
        require("delivery.repetition_rate", self.repetition_rate, optional=True)
        require("delivery.area", self.area)
        require_choice("delivery.profile", self.profile, ("gaussian", "top-hat"))
        require("delivery.seed", self.seed, inclusive=True, integer=True)
        require("delivery.beam_quality", self.beam_quality, low=1.0, inclusive=True)

    @property
    def coverage(self) -> float:
        """Fraction of the surface under microbeams (nominal, by beam diameter)."""
        return self.density * math.pi * self.microbeam_diameter**2 / 4

    @property
    def spacing(self) -> float:
        """Lattice pitch of the grid pattern, m (mean spacing for a random one)."""
        return 1.0 / math.sqrt(self.density)

    @property
    def interval(self) -> float:
        return self.pulse_duration if self.stack_interval is None else self.stack_interval

    def as_spot(self) -> FullField:
        """One microbeam as a spot: fluence = E / (pi (d/2)^2), stacked pulses as passes."""
        fluence = self.pulse_energy / (math.pi * (self.microbeam_diameter / 2) ** 2)
        wait = max(self.interval - self.pulse_duration, 0.0)
        return FullField(spot_diameter=self.microbeam_diameter, fluence=fluence,
                         pulse_duration=self.pulse_duration, passes=self.stack,
                         pass_interval=wait, profile=self.profile,
                         beam_quality=self.beam_quality)
