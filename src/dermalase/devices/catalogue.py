"""The device catalogue (``data/devices.toml``): devices in their own terms, every value with its
status and source. Loading checks the file's shape, so a row without a source never loads."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from .. import data
from ..errors import InputError
from ..laser.sources import SOURCES

#: how a value is known (data/devices.toml explains each)
STATUSES = ("study", "review", "vendor", "expert", "derived", "model", "none")
#: rules a setting may follow (devices/resolve.py implements each)
RULES = ("depth_per_fluence", "coagulation_train", "passes", "stack", "fluence", "energy",
         "energy_over_spot", "channel_depth", "density", "treatment_level", "injured_surface",
         "power", "dwell", "spacing", "pattern_side")
#: physics values a device fixes, which the user may give where the catalogue has none
FIXED = ("microbeam_diameter", "pulse_duration", "spot_diameter")


@dataclass(frozen=True)
class Setting:
    """A setting on the device's screen."""

    name: str
    unit: str
    low: float
    high: float
    status: str
    source: str
    rule: str
    means: str = ""
    default: float | None = None
    params: dict = field(default_factory=dict)

    @property
    def checked(self) -> bool:
        """Whether the range is the device's (a sourced one), not a stand-in."""
        return self.status != "none"


@dataclass(frozen=True)
class Fixed:
    """A physics value the device fixes: a value, a rule, or nothing (the user gives it)."""

    name: str
    status: str
    source: str
    value: str | None = None
    rule: str | None = None
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Device:
    key: str
    vendor: str
    model: str
    delivery: str
    source: str | None
    modalities: tuple[str, ...]
    summary: str
    sources: tuple[str, ...]
    required: tuple[str, ...]
    settings: dict[str, Setting]
    fixed: dict[str, Fixed]
    exclusive: tuple[tuple[str, ...], ...] = ()
    unsupported: str | None = None

    def missing(self) -> list[str]:
        """The physics values the catalogue cannot give (the user must)."""
        return [k for k, f in self.fixed.items() if f.value is None and f.rule is None]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.key, "vendor": self.vendor, "model": self.model,
            "delivery": self.delivery, "laser": self.source,
            "wavelength_nm": SOURCES[self.source].wavelength_nm if self.source else None,
            "modalities": list(self.modalities),
            "summary": self.summary, "simulated": self.unsupported is None,
            "unsupported": self.unsupported, "needs_from_you": self.missing(),
            "settings": {s.name: {"unit": s.unit, "range": [s.low, s.high], "means": s.means,
                                  "status": s.status, "source": s.source, "rule": s.rule,
                                  **({"default": s.default} if s.default is not None else {}),
                                  **s.params}
                         for s in self.settings.values()},
            "fixed": {f.name: {"value": f.value, "rule": f.rule, "status": f.status,
                               "source": f.source, **f.params} for f in self.fixed.values()},
            "sources": list(self.sources)}


_SETTING_KEYS = {"unit", "range", "status", "source", "rule", "means", "default"}
_FIXED_KEYS = {"value", "status", "source", "rule"}


def _bad(where: str, what: str) -> ValueError:
    return ValueError(f"data/devices.toml [{where}]: {what}")


def _status(where: str, row: dict) -> str:
    st = row.get("status")
    if st not in STATUSES or not str(row.get("source", "")).strip():
        raise _bad(where, f"needs a status in {STATUSES} and a source")
    return st


def _setting(where: str, name: str, row: dict) -> Setting:
    rule = row.get("rule")
    if rule not in RULES:
        raise _bad(where, f"rule {rule!r} is not one of {RULES}")
    lo, hi = (float(x) for x in row["range"])
    if not lo <= hi:
        raise _bad(where, "range must be [low, high]")
    params = {k: v for k, v in row.items() if k not in _SETTING_KEYS}
    for k in params:  # a parameter of a rule carries its own status and source
        if k.endswith("_status") and params[k] not in STATUSES:
            raise _bad(where, f"{k} must be one of {STATUSES}")
    return Setting(name, row["unit"], lo, hi, _status(where, row), row["source"], rule,
                   row.get("means", ""), row.get("default"), params)


def _fixed(where: str, name: str, row: dict) -> Fixed:
    if name not in FIXED:
        raise _bad(where, f"fixed values are {FIXED}")
    params = {k: v for k, v in row.items() if k not in _FIXED_KEYS}
    return Fixed(name, _status(where, row), row["source"], row.get("value"), row.get("rule"),
                 params)


def _device(key: str, row: dict) -> Device:
    src = row.get("source")
    if src is not None and src not in SOURCES:
        raise _bad(key, f"laser {src!r} is not a key of data/lasers.csv")
    if not row.get("sources"):
        raise _bad(key, "a device needs its sources")
    settings = {n: _setting(f"{key}.settings.{n}", n, r)
                for n, r in row.get("settings", {}).items()}
    fixed = {n: _fixed(f"{key}.fixed.{n}", n, r) for n, r in row.get("fixed", {}).items()}
    dev = Device(key, row["vendor"], row["model"], row["delivery"], src,
                 tuple(row.get("modalities", ())), row["summary"], tuple(row["sources"]),
                 tuple(row.get("required", ())), settings, fixed,
                 tuple(tuple(x) for x in row.get("exclusive", ())), row.get("unsupported"))
    if dev.delivery not in ("full-field", "fractional"):
        raise _bad(key, "delivery is full-field or fractional")
    if src is None and dev.unsupported is None:
        raise _bad(key, "a device without a laser of the simulator says why (unsupported)")
    for name in dev.required:
        if name not in settings and name not in FIXED:
            raise _bad(key, f"required {name!r} is neither a setting nor a fixed value")
    return dev


@functools.cache
def catalogue() -> dict[str, Device]:
    """Every device of ``data/devices.toml`` by its catalogue name (checked once)."""
    return {k: _device(k, row) for k, row in data.toml("devices").items()}


def get(name: object, field_name: str = "device.name") -> Device:
    """The device named ``name`` (case-insensitive), or the one-line error listing them."""
    devices = catalogue()
    key = name.strip().lower() if isinstance(name, str) else name
    if not isinstance(key, str) or key not in devices:
        raise InputError(field_name, name, "one of " + ", ".join(devices)
                         + " (dermalase devices lists them)")
    return devices[key]


def for_modality(modality: str) -> list[Device]:
    """The simulated devices that can deliver a planner modality."""
    return [d for d in catalogue().values() if modality in d.modalities]
