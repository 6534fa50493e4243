"""Scenario: the validated, resolved description of one simulation (TOML or Python).

Quantities are accepted as strings with units (``"250 us"``) or SI numbers, checked with pint
at this boundary, and stored as SI floats. Unknown keys are errors.
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..laser.delivery import FullField
from ..laser.fractional import Fractional
from ..laser.sources import SOURCES, LaserSource, get_source
from ..physics.constants import PhysicalConstants
from ..physics.solver import Numerics
from ..tissue.model import SITES, SkinModel, build_skin
from ..units import to_si

_TOP = {"name", "skin", "laser", "delivery", "numerics"}
_SKIN = {"site", "phototype"}
_LASER = {"source", "wavelength", "pulse_duration"}
_FULL = {"mode", "spot_diameter", "fluence", "pulse_energy", "passes", "pass_interval", "profile"}
_FRAC = {"mode", "microbeam_diameter", "pulse_energy", "stack", "stack_interval", "coverage",
         "density", "pattern", "scan", "repetition_rate", "area", "profile", "seed"}
_NUM = {"geometry", "resolution", "cooling_time"}

#: Ranges accepted for inputs (SI). Wide enough for every clinical device in
#: shared/reference/clinical-evidence.md sections 2 and 8; beyond them the model is not meant
#: to run.
LIMITS = {
    "spot_diameter": (50e-6, 20e-3),       # m
    "fluence": (0.0, 2.0e6),               # J/m^2 (200 J/cm^2)
    "pulse_energy": (0.0, 50.0),           # J
    "pass_interval": (0.0, 600.0),         # s
    "passes": (1, 10),
    "cooling_time": (0.01, 60.0),          # s
    "resolution": (0.25, 8.0),
    "microbeam_diameter": (20e-6, 2e-3),   # m
    "microbeam_energy": (0.0, 0.5),        # J per microbeam pulse
    "stack": (1, 20),
    "density": (0.0, 1.0e8),               # 1/m^2 (10,000 /cm^2)
    "repetition_rate": (0.0, 1.0e5),       # 1/s
    "area": (1e-8, 1e-3),                  # m^2 (0.01 mm^2 - 10 cm^2)
}


def _check_keys(section: str, got: dict, allowed: set[str]) -> None:
    for key in got:
        if key not in allowed:
            where = f"{section}.{key}" if section else key
            raise InputError(where, got[key],
                             "no such key; known keys: " + ", ".join(sorted(allowed)))


def _int_in(field: str, value: object, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise InputError(field, value, f"an integer {lo}-{hi}")
    return value


def _choice(field: str, value: object, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise InputError(field, value, " or ".join(repr(a) for a in allowed))
    return str(value)


class Scenario:
    """A resolved simulation scenario (immutable after construction)."""

    def __init__(self, *, name: str, skin: SkinModel, source: LaserSource,
                 delivery: FullField | Fractional, numerics: Numerics = Numerics(),
                 constants: PhysicalConstants | None = None):
        self.name = name
        self.skin = skin
        self.source = source
        self.delivery = delivery
        self.numerics = numerics
        self.constants = constants if constants is not None else PhysicalConstants.from_data()

    @property
    def fractional(self) -> bool:
        return isinstance(self.delivery, Fractional)

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
        if not isinstance(num_d, dict):
            raise InputError("numerics", num_d, "a table")
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
        if not source.ablative and deliv_d.get("mode", "full-field") != "fractional":
            raise InputError("laser.source", source.key,
                             "an ablative source (co2, er:yag, er:ysgg) for full-field delivery; "
                             "non-ablative sources (er:glass, tm:fiber) are fractional only")
        if "pulse_duration" not in laser_d:
            raise InputError("laser.pulse_duration", None, "a duration such as '250 us'")
        tau = to_si("laser.pulse_duration", laser_d["pulse_duration"], "s",
                    low=source.min_pulse_duration, high=source.max_pulse_duration,
                    low_inclusive=True)

        mode = deliv_d.get("mode", "full-field")
        if mode == "fractional":
            delivery: FullField | Fractional = _fractional(deliv_d, tau)
        elif mode == "full-field":
            delivery = _full_field(deliv_d, tau)
        else:
            raise InputError("delivery.mode", mode, "'full-field' or 'fractional'")
        name = d.get("name", "scenario")
        if not isinstance(name, str):
            raise InputError("name", name, "a string")
        return cls(name=name, skin=skin, source=source, delivery=delivery,
                   numerics=_numerics(num_d))

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
        out: dict[str, Any] = {
            "name": self.name,
            "skin": {"site": self.skin.site, "phototype": self.skin.phototype},
            "laser": {"source": self.source.key, "wavelength_m": self.source.wavelength,
                      "pulse_duration_s": dl.pulse_duration},
        }
        if isinstance(dl, Fractional):
            out["delivery"] = {
                "mode": "fractional", "microbeam_diameter_m": dl.microbeam_diameter,
                "pulse_energy_J": dl.pulse_energy, "stack": dl.stack,
                "stack_interval_s": dl.interval, "density_per_m2": dl.density,
                "coverage": dl.coverage, "pattern": dl.pattern, "scan": dl.scan,
                "repetition_rate_Hz": dl.repetition_rate, "area_m2": dl.area,
                "profile": dl.profile, "seed": dl.seed}
        else:
            out["delivery"] = {
                "mode": "full-field", "spot_diameter_m": dl.spot_diameter,
                "fluence_J_m2": dl.fluence, "pulse_energy_J": dl.pulse_energy,
                "passes": dl.passes, "pass_interval_s": dl.pass_interval,
                "profile": dl.profile}
        out["numerics"] = {"geometry": self.numerics.geometry,
                           "resolution": self.numerics.resolution,
                           "cooling_time_s": self.numerics.cooling_time}
        return out

    def to_dict(self) -> dict[str, Any]:
        """A scenario dict (unit strings) that :meth:`from_dict` reads back to the same scenario."""
        dl = self.delivery
        out: dict[str, Any] = {
            "name": self.name,
            "skin": {"site": self.skin.site, "phototype": self.skin.phototype},
            "laser": {"source": self.source.key, "pulse_duration": f"{dl.pulse_duration!r} s"},
        }
        if isinstance(dl, Fractional):
            out["delivery"] = {
                "mode": "fractional", "microbeam_diameter": f"{dl.microbeam_diameter!r} m",
                "pulse_energy": f"{dl.pulse_energy!r} J", "stack": dl.stack,
                "stack_interval": f"{dl.interval!r} s", "density": f"{dl.density!r} 1/m^2",
                "pattern": dl.pattern, "scan": dl.scan, "area": f"{dl.area!r} m^2",
                "profile": dl.profile, "seed": dl.seed}
            if dl.repetition_rate is not None:
                out["delivery"]["repetition_rate"] = f"{dl.repetition_rate!r} Hz"
        else:
            out["delivery"] = {
                "mode": "full-field", "spot_diameter": f"{dl.spot_diameter!r} m",
                "fluence": f"{dl.fluence!r} J/m^2", "passes": dl.passes,
                "pass_interval": f"{dl.pass_interval!r} s", "profile": dl.profile}
        out["numerics"] = {"geometry": self.numerics.geometry,
                           "resolution": self.numerics.resolution,
                           "cooling_time": f"{self.numerics.cooling_time!r} s"}
        return out


def _full_field(deliv_d: dict, tau: float) -> FullField:
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
        fluence = energy / (math.pi * (d_spot / 2) ** 2)
        if fluence > LIMITS["fluence"][1]:
            raise InputError("delivery.pulse_energy", deliv_d["pulse_energy"],
                             "an energy giving at most 200 J/cm^2 over the spot")
    else:
        raise InputError("delivery.fluence", None, "a fluence such as '10 J/cm^2' "
                         "(or pulse_energy with spot_diameter)")
    passes = _int_in("delivery.passes", deliv_d.get("passes", 1), *LIMITS["passes"])
    interval = to_si("delivery.pass_interval", deliv_d.get("pass_interval", "2 s"), "s",
                     low=LIMITS["pass_interval"][0], high=LIMITS["pass_interval"][1])
    profile = _choice("delivery.profile", deliv_d.get("profile", "top-hat"),
                      ("top-hat", "gaussian"))
    return FullField(d_spot, fluence, tau, passes, interval, profile)


def _fractional(deliv_d: dict, tau: float) -> Fractional:
    _check_keys("delivery", deliv_d, _FRAC)
    if "microbeam_diameter" not in deliv_d:
        raise InputError("delivery.microbeam_diameter", None, "a diameter such as '120 um'")
    d = to_si("delivery.microbeam_diameter", deliv_d["microbeam_diameter"], "m",
              low=LIMITS["microbeam_diameter"][0], high=LIMITS["microbeam_diameter"][1],
              low_inclusive=True)
    if "pulse_energy" not in deliv_d:
        raise InputError("delivery.pulse_energy", None, "an energy per microbeam such as '10 mJ'")
    energy = to_si("delivery.pulse_energy", deliv_d["pulse_energy"], "J",
                   low=LIMITS["microbeam_energy"][0], high=LIMITS["microbeam_energy"][1])
    stack = _int_in("delivery.stack", deliv_d.get("stack", 1), *LIMITS["stack"])
    interval = None
    if "stack_interval" in deliv_d:
        interval = to_si("delivery.stack_interval", deliv_d["stack_interval"], "s", low=tau,
                         high=10.0, low_inclusive=True)
    if ("coverage" in deliv_d) == ("density" in deliv_d):
        raise InputError("delivery.coverage", deliv_d.get("coverage"),
                         "exactly one of coverage (0-1] or density (per cm^2)")
    if "coverage" in deliv_d:
        field = "delivery.coverage"
        cov = to_si(field, deliv_d["coverage"], "dimensionless", low=0.0, high=1.0)
        density = cov / (math.pi * d * d / 4)
    else:
        field = "delivery.density"
        density = to_si(field, deliv_d["density"], "1/m^2",
                        low=LIMITS["density"][0], high=LIMITS["density"][1])
    pattern = _choice("delivery.pattern", deliv_d.get("pattern", "grid"), ("grid", "random"))
    if pattern == "grid" and 1.0 / math.sqrt(density) <= d:
        raise InputError(field, deliv_d[field.split(".")[1]],
                         f"a value whose grid pitch (here {1e6 / math.sqrt(density):.0f} um) "
                         f"exceeds the microbeam diameter ({d * 1e6:.0f} um), i.e. "
                         f"coverage < pi/4")
    scan = _choice("delivery.scan", deliv_d.get("scan", "raster"), ("raster", "random"))
    rate = None
    if "repetition_rate" in deliv_d:
        rate = to_si("delivery.repetition_rate", deliv_d["repetition_rate"], "Hz",
                     low=LIMITS["repetition_rate"][0], high=LIMITS["repetition_rate"][1])
    area = to_si("delivery.area", deliv_d.get("area", "1 cm^2"), "m^2",
                 low=LIMITS["area"][0], high=LIMITS["area"][1], low_inclusive=True)
    if density * area < 1.0:
        raise InputError("delivery.area", deliv_d.get("area", "1 cm^2"),
                         "an area holding at least one microthermal zone at this density")
    profile = _choice("delivery.profile", deliv_d.get("profile", "gaussian"),
                      ("gaussian", "top-hat"))
    seed = _int_in("delivery.seed", deliv_d.get("seed", 0), 0, 2**31 - 1)
    return Fractional(d, energy, tau, density, stack, interval, pattern, scan, rate, area,
                      profile, seed)


def _numerics(num_d: dict) -> Numerics:
    geometry = _choice("numerics.geometry", num_d.get("geometry", "auto"), ("auto", "1d", "rz"))
    res = num_d.get("resolution", 1.0)
    if isinstance(res, bool) or not isinstance(res, int | float) or not (
            LIMITS["resolution"][0] <= res <= LIMITS["resolution"][1]):
        raise InputError("numerics.resolution", res, "a number 0.25-8")
    cooling = to_si("numerics.cooling_time", num_d.get("cooling_time", "2 s"), "s",
                    low=LIMITS["cooling_time"][0], high=LIMITS["cooling_time"][1],
                    low_inclusive=True)
    return Numerics(geometry=geometry, resolution=float(res), cooling_time=cooling)
