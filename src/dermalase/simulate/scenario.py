"""Scenario: the validated, resolved description of one simulation (TOML or Python).

Quantities are accepted as strings with units (``"250 us"``) or SI numbers, checked with pint
at this boundary, and stored as SI floats. Unknown keys are errors.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..laser.delivery import FullField
from ..laser.sources import SOURCES, LaserSource, get_source
from ..physics.solver import Numerics
from ..tissue.model import SITES, SkinModel, build_skin
from ..units import to_si

_TOP = {"name", "skin", "laser", "delivery", "numerics"}
_SKIN = {"site", "phototype"}
_LASER = {"source", "wavelength", "pulse_duration"}
_FULL = {"mode", "spot_diameter", "fluence", "pulse_energy", "passes", "pass_interval", "profile"}
_NUM = {"geometry", "resolution", "cooling_time"}

#: Ranges accepted for inputs (SI). Wide enough for every clinical device in
#: shared/reference/clinical-evidence.md section 2; beyond them the model is not meant to run.
LIMITS = {
    "spot_diameter": (50e-6, 20e-3),     # m
    "fluence": (0.0, 2.0e6),             # J/m^2 (200 J/cm^2)
    "pulse_energy": (0.0, 50.0),         # J
    "pass_interval": (0.0, 600.0),       # s
    "passes": (1, 10),
    "cooling_time": (0.01, 60.0),        # s
    "resolution": (0.25, 8.0),
}


def _check_keys(section: str, got: dict, allowed: set[str]) -> None:
    for key in got:
        if key not in allowed:
            where = f"{section}.{key}" if section else key
            raise InputError(where, got[key],
                             "no such key; known keys: " + ", ".join(sorted(allowed)))


class Scenario:
    """A resolved simulation scenario (immutable after construction)."""

    def __init__(self, *, name: str, skin: SkinModel, source: LaserSource, delivery: FullField,
                 numerics: Numerics = Numerics(), raw: dict | None = None):
        self.name = name
        self.skin = skin
        self.source = source
        self.delivery = delivery
        self.numerics = numerics
        self.raw = raw or {}

    # -- construction -------------------------------------------------------------------
    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Scenario:
        if not isinstance(d, dict):
            raise InputError("scenario", d, "a table of sections [skin], [laser], [delivery]")
        _check_keys("", d, _TOP)
        for sec in ("skin", "laser", "delivery"):
            if sec not in d:
                raise InputError(sec, None, f"a [{sec}] section is required")
            if not isinstance(d[sec], dict):
                raise InputError(sec, d[sec], "a table")
        skin_d, laser_d, deliv_d = d["skin"], d["laser"], d["delivery"]
        num_d = d.get("numerics", {})
        _check_keys("skin", skin_d, _SKIN)
        _check_keys("laser", laser_d, _LASER)
        _check_keys("numerics", num_d, _NUM)

        site = skin_d.get("site", "cheek")
        if site not in SITES:
            raise InputError("skin.site", site, "one of " + ", ".join(SITES))
        skin = build_skin(site, skin_d.get("phototype", 2))

        if "source" in laser_d:
            source = get_source(str(laser_d["source"]))
        elif "wavelength" in laser_d:
            source = get_source(wavelength=to_si("laser.wavelength", laser_d["wavelength"], "m",
                                                 low=0.0))
        else:
            raise InputError("laser.source", None, "one of " + ", ".join(SOURCES))
        if not source.ablative:
            raise InputError("laser.source", source.key,
                             "an ablative source (co2, er:yag, er:ysgg); non-ablative sources need "
                             "the Monte Carlo transport engine, not yet available")
        if "pulse_duration" not in laser_d:
            raise InputError("laser.pulse_duration", None, "a duration such as '250 us'")
        tau = to_si("laser.pulse_duration", laser_d["pulse_duration"], "s",
                    low=source.min_pulse_duration, high=source.max_pulse_duration,
                    low_inclusive=True)

        mode = deliv_d.get("mode", "full-field")
        if mode == "fractional":
            raise InputError("delivery.mode", mode, "'full-field' (fractional delivery is not yet "
                             "implemented)")
        if mode != "full-field":
            raise InputError("delivery.mode", mode, "'full-field' or 'fractional'")
        _check_keys("delivery", deliv_d, _FULL)
        d_spot = to_si("delivery.spot_diameter", deliv_d.get("spot_diameter", "4 mm"), "m",
                       low=LIMITS["spot_diameter"][0], high=LIMITS["spot_diameter"][1],
                       low_inclusive=True)
        if "fluence" in deliv_d and "pulse_energy" in deliv_d:
            raise InputError("delivery.pulse_energy", deliv_d["pulse_energy"],
                             "either fluence or pulse_energy, not both")
        if "fluence" in deliv_d:
            fluence = to_si("delivery.fluence", deliv_d["fluence"], "J/m^2",
                            low=LIMITS["fluence"][0], high=LIMITS["fluence"][1])
        elif "pulse_energy" in deliv_d:
            energy = to_si("delivery.pulse_energy", deliv_d["pulse_energy"], "J",
                           low=LIMITS["pulse_energy"][0], high=LIMITS["pulse_energy"][1])
            fluence = energy / (3.141592653589793 * (d_spot / 2) ** 2)
            if fluence > LIMITS["fluence"][1]:
                raise InputError("delivery.pulse_energy", deliv_d["pulse_energy"],
                                 "an energy giving at most 200 J/cm^2 over the spot")
        else:
            raise InputError("delivery.fluence", None, "a fluence such as '10 J/cm^2' "
                             "(or pulse_energy with spot_diameter)")
        passes = deliv_d.get("passes", 1)
        lo, hi = LIMITS["passes"]
        if isinstance(passes, bool) or not isinstance(passes, int) or not lo <= passes <= hi:
            raise InputError("delivery.passes", passes, f"an integer {lo}-{hi}")
        interval = to_si("delivery.pass_interval", deliv_d.get("pass_interval", "2 s"), "s",
                         low=LIMITS["pass_interval"][0], high=LIMITS["pass_interval"][1])
        profile = deliv_d.get("profile", "top-hat")
        if profile not in ("top-hat", "gaussian"):
            raise InputError("delivery.profile", profile, "'top-hat' or 'gaussian'")
        delivery = FullField(d_spot, fluence, tau, passes, interval, profile)

        geometry = num_d.get("geometry", "auto")
        if geometry not in ("auto", "1d", "rz"):
            raise InputError("numerics.geometry", geometry, "'auto', '1d' or 'rz'")
        res = num_d.get("resolution", 1.0)
        if isinstance(res, bool) or not isinstance(res, int | float) or not (
                LIMITS["resolution"][0] <= res <= LIMITS["resolution"][1]):
            raise InputError("numerics.resolution", res, "a number 0.25-8")
        cooling = to_si("numerics.cooling_time", num_d.get("cooling_time", "2 s"), "s",
                        low=LIMITS["cooling_time"][0], high=LIMITS["cooling_time"][1],
                        low_inclusive=True)
        numerics = Numerics(geometry=geometry, resolution=float(res), cooling_time=cooling)
        name = d.get("name", "scenario")
        if not isinstance(name, str):
            raise InputError("name", name, "a string")
        return cls(name=name, skin=skin, source=source, delivery=delivery, numerics=numerics,
                   raw=d)

    @classmethod
    def from_toml(cls, path: str | Path) -> Scenario:
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise InputError("scenario file", str(path), "a readable TOML file") from exc
        try:
            d = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise InputError("scenario file", str(path), f"valid TOML ({exc})") from exc
        return cls.from_dict(d)

    # -- resolved form ----------------------------------------------------------------------
    def resolved(self) -> dict[str, Any]:
        """The scenario with every value resolved, in SI units (keys name the unit)."""
        dl = self.delivery
        return {
            "name": self.name,
            "skin": {"site": self.skin.site, "phototype": self.skin.phototype},
            "laser": {"source": self.source.key, "wavelength_m": self.source.wavelength,
                      "pulse_duration_s": dl.pulse_duration},
            "delivery": {"mode": "full-field", "spot_diameter_m": dl.spot_diameter,
                         "fluence_J_m2": dl.fluence, "pulse_energy_J": dl.pulse_energy,
                         "passes": dl.passes, "pass_interval_s": dl.pass_interval,
                         "profile": dl.profile},
            "numerics": {"geometry": self.numerics.geometry,
                         "resolution": self.numerics.resolution,
                         "cooling_time_s": self.numerics.cooling_time},
        }

    def to_dict(self) -> dict[str, Any]:
        """A scenario dict (unit strings) that :meth:`from_dict` reads back to the same scenario."""
        dl = self.delivery
        return {
            "name": self.name,
            "skin": {"site": self.skin.site, "phototype": self.skin.phototype},
            "laser": {"source": self.source.key, "pulse_duration": f"{dl.pulse_duration!r} s"},
            "delivery": {"mode": "full-field", "spot_diameter": f"{dl.spot_diameter!r} m",
                         "fluence": f"{dl.fluence!r} J/m^2", "passes": dl.passes,
                         "pass_interval": f"{dl.pass_interval!r} s", "profile": dl.profile},
            "numerics": {"geometry": self.numerics.geometry,
                         "resolution": self.numerics.resolution,
                         "cooling_time": f"{self.numerics.cooling_time!r} s"},
        }
