"""Laser sources: wavelength and the pulse durations each can produce (data/lasers.csv)."""

from __future__ import annotations

from dataclasses import dataclass

from .. import data
from ..errors import InputError


@dataclass(frozen=True)
class LaserSource:
    key: str
    wavelength: float          # m
    name: str
    min_pulse_duration: float  # s
    max_pulse_duration: float  # s
    ablative: bool
    source: str

    @property
    def wavelength_nm(self) -> float:
        return self.wavelength * 1e9


SOURCES: dict[str, LaserSource] = {
    r["source"]: LaserSource(r["source"], float(r["wavelength_nm"]) * 1e-9, r["name"],
                             float(r["min_pulse_duration_s"]), float(r["max_pulse_duration_s"]),
                             r["ablative"] == "true", r["source_ref"])
    for r in data.table("lasers")
}


def get_source(key: str | None = None, wavelength: float | None = None) -> LaserSource:
    """Look up a source by key (``"er:yag"``) or by wavelength in m."""
    if key is not None:
        k = key.strip().lower()
        if k not in SOURCES:
            raise InputError("laser.source", key, "one of " + ", ".join(SOURCES))
        return SOURCES[k]
    if wavelength is not None:
        for s in SOURCES.values():
            if abs(s.wavelength - wavelength) < 0.5e-9:
                return s
        allowed = ", ".join(f"{s.wavelength_nm:g} nm" for s in SOURCES.values())
        raise InputError("laser.wavelength", f"{wavelength * 1e9:g} nm", f"one of {allowed}")
    raise InputError("laser.source", None, "a source (" + ", ".join(SOURCES) + ") or a wavelength")
