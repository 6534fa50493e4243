"""A plan's physics read back in each device's own terms (the reverse of resolve.py).

For a candidate of a planner modality, every catalogue device that can deliver the modality
gets the settings its screen would show, by the same rules the catalogue states, with notes on
what the reading rests on: a dial rule's status, a model-resolved depth, a range the setting
leaves, a value the catalogue cannot give."""

from __future__ import annotations

import math
import re
from typing import Any

from ..laser.fractional import Fractional
from ..simulate import Scenario
from ..units import in_unit
from .catalogue import Device, Setting, for_modality


def device_terms(modality: str, scenario: Scenario | None, predicted: dict | None,
                 settings: dict) -> list[dict[str, Any]]:
    """The candidate's settings in each device's terms (one dict per device), written for
    reading (µm, µs), as a plan is."""
    out = [_terms(dev, scenario, predicted or {}, settings) for dev in for_modality(modality)]
    for t in out:
        t["settings"] = {k: _display(v) for k, v in t["settings"].items()}
        t["notes"] = [_display(n) for n in t["notes"]]
    return out


def _display(text: str) -> str:
    return re.sub(r"\bus\b", "µs", re.sub(r"\bum\b", "µm", text))


def _terms(dev: Device, sc: Scenario | None, pred: dict, published: dict) -> dict[str, Any]:
    out: dict[str, Any] = {"device": dev.key, "model": f"{dev.vendor} {dev.model}",
                           "settings": {}, "notes": [], "within_range": True}
    if sc is None:  # a literature-only candidate: the published settings of the device class
        out["settings"] = _published(dev, published)
        out["notes"].append("published settings of this device class (not simulated); "
                            "check them against the device's own screen")
        read = False
        for name, text in out["settings"].items():
            s = dev.settings.get(name)
            top = _top(text)
            if s is None or top is None or s.rule == "treatment_level":
                continue
            read = True
            _range_check(out, s, top)
        if not read:  # no number to read on this device: not within its range, unknown
            out["within_range"] = False
            out["notes"].append("no number to set on this device: the published settings "
                                "give none")
        return out
    phys = _physics(sc)
    for s in dev.settings.values():
        value = _reading(s, dev, phys, pred)
        if value is None:
            continue
        out["settings"][s.name] = _fmt(value, s.unit)
        _check(out, s, value)
    _fixed_notes(out, dev, phys)
    if phys.get("stack", 1) > 1 and "stack" not in dev.settings:
        out["notes"].append(f"the plan stacks {phys['stack']:.0f} pulses per zone: set it as the "
                            "device allows (stacking or repeated passes)")
    return out


def _published(dev: Device, published: dict) -> dict[str, str]:
    """Published settings (strings such as "40 mJ", "200-456 /cm^2") under the device's own
    setting names: energy, and the treatment levels whose MTZ density the range spans."""
    out: dict[str, str] = {}
    for key, value in published.items():
        if key == "pulse_energy" and "energy" in dev.settings:
            out["energy"] = str(value)
        elif key == "density" and "treatment_level" in dev.settings:
            numbers = [float(x) for x in str(value).split()[0].split("-")]
            levels = dev.settings["treatment_level"].params["levels"]
            inside = sorted(int(k) for k, d in levels.items()
                            if min(numbers) - 1e-9 <= float(d) <= max(numbers) + 1e-9)
            out["treatment_level"] = "-".join(str(x) for x in (inside[0], inside[-1])) \
                if inside else str(value)
            out["density"] = str(value)
        else:
            out[key] = str(value)
    return out


def _physics(sc: Scenario) -> dict[str, float]:
    """The candidate's physics in the units the device rules use."""
    d = sc.delivery
    p: dict[str, float] = {"pulse_duration_us": d.pulse_duration * 1e6}
    if isinstance(d, Fractional):
        p.update(energy_mJ=d.pulse_energy * 1e3, density_cm2=d.density * 1e-4,
                 side_mm=math.sqrt(d.area) * 1e3,
                 microbeam_um=d.microbeam_diameter * 1e6, stack=d.stack)
    else:
        p.update(fluence=d.fluence * 1e-4, passes=d.passes, spot_mm=d.spot_diameter * 1e3)
    return p


def _reading(s: Setting, dev: Device, p: dict, pred: dict) -> float | None:
    rule = s.rule
    if rule == "depth_per_fluence":
        return s.params["rate"] * p["fluence"]
    if rule == "coagulation_train":
        return 0.0  # the planner's full-field candidates have no train
    if rule in ("passes", "stack"):
        return float(p.get(rule, 1))
    if rule == "fluence":
        return p.get("fluence")
    if rule == "energy_over_spot":
        spot = in_unit("spot", dev.fixed["spot_diameter"].value, "cm")
        return p["fluence"] * math.pi * spot * spot / 4 * 1e3
    if rule in ("energy",):
        return p.get("energy_mJ")
    if rule == "density":
        return p.get("density_cm2")
    if rule == "channel_depth":
        return pred.get("ablation_depth_um")
    if rule == "injured_surface":
        f = pred.get("surface_injury_fraction")
        return None if f is None else 100.0 * f
    if rule == "dwell":
        return p["pulse_duration_us"]
    if rule == "power":
        return p["energy_mJ"] * 1e-3 / (p["pulse_duration_us"] * 1e-6)
    if rule == "spacing":
        return 1e4 / math.sqrt(p["density_cm2"])
    if rule == "pattern_side":
        return p.get("side_mm")
    return None  # treatment_level: the levels cover only two densities


def _check(out: dict, s: Setting, v: float) -> None:
    if s.rule == "depth_per_fluence":
        out["notes"].append(f"{s.name}: by the dial rule {s.params['rate']:g} um per J/cm^2 "
                            f"[{s.params['rate_status']}]; the model's own depth is in the "
                            "predictions")
    if s.rule == "channel_depth":
        out["notes"].append(f"{s.name}: the model's channel depth (how the device turns this "
                            "dial into energy is not published)")
    if s.rule == "injured_surface":
        out["notes"].append(f"{s.name}: the model's injured surface, read as the device's "
                            "percentage (data/devices.toml says why)")
    _range_check(out, s, v)


def _range_check(out: dict, s: Setting, v: float) -> None:
    if not s.low - 1e-9 <= v <= s.high + 1e-9:
        out["within_range"] = False
        out["notes"].append(f"{s.name} {_fmt(v, s.unit)} is outside "
                            + ("the device's range" if s.checked else "the catalogue's check "
                               "range (no device range in the sources)")
                            + f" {s.low:g}-{s.high:g} {s.unit}".rstrip())


def _fixed_notes(out: dict, dev: Device, p: dict) -> None:
    mb = dev.fixed.get("microbeam_diameter")
    if mb is not None and mb.value is None:
        out["notes"].append("the device's microbeam size is not in the catalogue: these "
                            f"settings assume the plan's {p['microbeam_um']:g} um beam")
    elif mb is not None and mb.value is not None:
        beam = in_unit("beam", mb.value, "um")
        if abs(beam - p["microbeam_um"]) > 1e-6:
            out["notes"].append(f"the device's beam is {beam:g} um, the plan's "
                                f"{p['microbeam_um']:g} um: the settings are indicative")
    tau = dev.fixed.get("pulse_duration")
    if tau is not None and tau.rule == "energy_over_power":
        power = in_unit("power", tau.params["power"], "W")
        dev_us = p["energy_mJ"] * 1e-3 / power * 1e6
        if abs(dev_us - p["pulse_duration_us"]) > 0.05 * p["pulse_duration_us"]:
            out["notes"].append(f"the device delivers this energy in {dev_us:.0f} us "
                                f"({tau.params['power']}); the plan simulated "
                                f"{p['pulse_duration_us']:.0f} us")


def _top(text: str) -> float | None:
    """The top of a published setting such as "6-12 mJ", "80 µm" or "1" (None: no number)."""
    m = re.match(r"\s*([0-9.]+)(?:\s*-\s*([0-9.]+))?", str(text))
    return None if m is None else float(m.group(2) or m.group(1))


def _fmt(v: float, unit: str) -> str:
    """A reading to the precision a device's screen and the model have: 3 significant
    figures."""
    if unit == "":
        return f"{v:.0f}"
    if unit == "%":
        return f"{v:.1f} %"
    return f"{v:.3g} {unit}"
