"""A scenario written in a device's own terms, resolved to the physics scenario.

``[device]`` replaces ``[laser]`` and ``[delivery]``: its ``name`` is a catalogue name and its
other keys are the device's settings (``ablation = "50 um"``) or a physics value the catalogue
cannot give (``microbeam_diameter = "60 um"``). Each setting is checked against the device's
range; each becomes physics by the rule its catalogue row names. Dials whose vendor rule is not
published (a depth to reach, a coagulation depth) are resolved by the model itself, through the
simulation store, and say so. The result is a :class:`~dermalase.simulate.Scenario` whose
``device`` attribute records the settings, how each physics value was obtained, and what was
left unchecked; it appears under ``device`` in the resolved scenario.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..schema import read_toml
from ..simulate import Scenario, store
from ..simulate.scenario import LIMITS
from ..units import in_unit, split_quantity
from .catalogue import FIXED, Device, Fixed, Setting, get

#: Numerics of the model's channel probes (the planner's: resolution 0.5 gives the channel
#: depth of resolution 1 within 0.5 % for CO2 and 2 % for Er:YAG, planner/search.py)
PROBE_NUMERICS = {"resolution": 0.5}
#: the channel-depth search doubles from the first energy (J) and stops at the second, the
#: simulator's microbeam limit
ENERGY_BRACKET = (0.5e-3, 0.5)
#: a model-resolved depth stops within this fraction of the dial (project choice, as the
#: planner's DEPTH_TOLERANCE)
DEPTH_TOLERANCE = 0.03
_FIXED_UNITS = {"microbeam_diameter": "um", "pulse_duration": "us", "spot_diameter": "mm"}
#: The dials that promise a simulated outcome, by their rule: the summary quantity (Findings
#: field, SI) the dial names, its SI value per dial unit, and its kind (a depth is resolved to
#: one grid cell). The other rules copy a physics input (energy, density, passes), honoured as
#: given. The simulation says when it departs from such a dial (issue 30).
DIAL_OUTCOMES = {"depth_per_fluence": ("ablation_per_pass", 1e-6, "depth"),
                 "channel_depth": ("ablation_depth", 1e-6, "depth"),
                 "coagulation_train": ("coagulation_depth", 1e-6, "depth"),
                 "injured_surface": ("surface_injury_fraction", 1e-2, "fraction")}
#: a simulated outcome within this fraction of its dial (or, for a depth, one grid cell) honours
#: it (project choice: above the 3 % the model's own dial searches stop at, DEPTH_TOLERANCE,
#: and below the spread of the clinical ablation rule itself, 3-5 um per J/cm^2, +-25 %)
DIAL_TOLERANCE = 0.10


def load_scenario(path: str | Path) -> Scenario:
    """A scenario file, physics (``[laser]``, ``[delivery]``) or device (``[device]``)."""
    return scenario_from_dict(read_toml("scenario file", path))


def scenario_from_dict(d: Any) -> Scenario:
    """:meth:`Scenario.from_dict`, or the device resolution when ``d`` has a ``[device]``."""
    if not isinstance(d, dict) or "device" not in d:
        return Scenario.from_dict(d)
    return _resolution(d).scenario()


def check(d: dict) -> None:
    """The one-line errors of a ``[device]`` scenario that need no simulation (settings, ranges,
    required values, the rules without the model): what a form checks before it queues the run
    whose model-resolved dials may take seconds."""
    r = _resolution(d)
    r._read()
    r._fixed()
    r._direct()
    if not any(s.rule in ("channel_depth", "coagulation_train", "injured_surface")
               and s.name in r.values for s in r.device.settings.values()):
        try:  # nothing left for the model: the whole scenario can be checked now
            r._base()
        except InputError as exc:
            raise InputError(f"{exc.field} (resolved from the {r.device.key} settings)",
                             exc.value, exc.allowed) from None


def _resolution(d: dict) -> Resolution:
    sec = d["device"]
    if not isinstance(sec, dict):
        raise InputError("device", sec, "a [device] table with name = \"<catalogue name>\"")
    for other in ("laser", "delivery"):
        if other in d:
            raise InputError(other, d[other], f"no [{other}] with [device]: the device sets it "
                             "(write the physics scenario without [device] instead)")
    device = get(sec.get("name"))
    if device.unsupported:
        raise InputError("device.name", device.key, f"a device the simulator can run: "
                         f"{device.unsupported}")
    return Resolution(device, sec, {k: v for k, v in d.items() if k != "device"})


class Resolution:
    """The resolution of one ``[device]`` section (the steps are methods)."""

    def __init__(self, device: Device, section: dict, rest: dict):
        self.device = device
        self.rest = rest
        self.given = {k: v for k, v in section.items() if k != "name"}
        self.values: dict[str, float] = {}
        self.laser: dict[str, Any] = {"source": device.source}
        self.delivery: dict[str, Any] = {"mode": device.delivery}
        self.how: list[dict] = []
        self.unchecked: list[str] = []
        self.cautions: list[str] = []

    # -- reading the settings --------------------------------------------------------------
    def _read(self) -> None:
        dev = self.device
        for name, raw in self.given.items():
            if name in dev.settings:
                self.values[name] = self._setting(dev.settings[name], raw)
            elif name in FIXED:
                self.values[name] = in_unit(f"device.{name}", raw, _FIXED_UNITS[name])
                if not math.isfinite(self.values[name]) or self.values[name] <= 0:
                    raise InputError(f"device.{name}", raw, "a positive quantity")
            else:
                raise InputError(f"device.{name}", raw, f"a setting of {dev.key}: "
                                 + ", ".join(list(dev.settings) + dev.missing()))
        for group in dev.exclusive:
            if sum(g in self.values for g in group) != 1:
                raise InputError(f"device.{group[0]}", self.given.get(group[0]),
                                 f"exactly one of {', '.join(group)} for {dev.key}")
        for name in dev.required:
            if name not in self.values:
                why = dev.fixed[name].source if name in dev.fixed else \
                    dev.settings[name].means or name
                raise InputError(f"device.{name}", None, f"a value for {dev.key} ({why})")
        for name, s in dev.settings.items():
            if name not in self.values and s.default is not None:
                self.values[name] = float(s.default)

    def _setting(self, s: Setting, raw: object) -> float:
        fld = f"device.{s.name}"
        if s.unit == "%":
            parsed = split_quantity(fld, raw)
            if parsed is None or parsed[1] not in ("", "%"):
                raise InputError(fld, raw, f"a percentage such as '{s.low:g} %'")
            v = parsed[0]
        elif s.unit == "":
            if isinstance(raw, bool) or not isinstance(raw, int | float) \
                    or not math.isfinite(raw) or raw != int(raw):
                raise InputError(fld, raw, f"a whole number from {s.low:g} to {s.high:g}")
            v = float(raw)
        else:
            v = in_unit(fld, raw, s.unit)
        if not math.isfinite(v) or not s.low <= v <= s.high:
            where = f"the range of {self.device.key}" if s.checked else \
                "the catalogue's check range (the device's own range has no source)"
            raise InputError(fld, raw, f"{s.low:g}-{s.high:g} {s.unit} ({where})".replace(
                "  ", " "))
        if not s.checked:
            self.unchecked.append(f"{s.name}: the device's own range is not in the sources "
                                  f"reached (checked against {s.low:g}-{s.high:g} {s.unit} "
                                  "instead)".replace("  ", " "))
        return v

    def _note(self, field: str, value: str, came_from: str, status: str, source: str) -> None:
        self.how.append({"field": field, "value": value, "from": came_from, "status": status,
                         "source": source})

    # -- the physics -------------------------------------------------------------------------
    def _fixed(self) -> None:
        for name, f in self.device.fixed.items():
            if name in self.values:
                si = self.values[name] * {"um": 1e-6, "us": 1e-6, "mm": 1e-3}[
                    _FIXED_UNITS[name]]
                self._put(name, si, "given in [device]", "given", "you")
            elif f.value is not None:
                self._put(name, f.value, "the catalogue", f.status, f.source)
                if f.status == "none":
                    self.unchecked.append(f"{name} {f.value} is a stand-in without a verified "
                                          f"source (dermalase devices {self.device.key})")

    def _put(self, name: str, value: Any, came_from: str, status: str, source: str) -> None:
        target = self.laser if name == "pulse_duration" else self.delivery
        target[name] = value
        section = "laser" if target is self.laser else "delivery"
        self._note(f"{section}.{name}", _text(value, name), came_from, status, source)

    def _direct(self) -> None:
        v = self.values
        for s in self.device.settings.values():
            if s.name not in v:
                continue
            x = v[s.name]
            if s.rule == "depth_per_fluence":
                fl = x / s.params["rate"]
                self.delivery["fluence"] = f"{fl:.4g} J/cm^2"
                self._note("delivery.fluence", f"{fl:.4g} J/cm^2", f"{s.name} {x:g} um / "
                           f"{s.params['rate']:g} um per J/cm^2", s.params["rate_status"],
                           s.params["rate_source"])
                if "model_gap" in s.params:
                    self.cautions.append(f"{s.name}: {s.params['model_gap']}")
            elif s.rule in ("passes", "stack"):
                self.delivery[s.rule] = int(x)
            elif s.rule == "fluence":
                self.delivery["fluence"] = f"{x:g} J/cm^2"
            elif s.rule in ("energy", "energy_over_spot"):  # per microbeam, or over the spot
                self.delivery["pulse_energy"] = f"{x:g} mJ"
            elif s.rule == "density":
                self.delivery["density"] = f"{x:g} /cm^2"
            elif s.rule == "pattern_side":
                self.delivery["area"] = f"{x * x:g} mm^2"
            elif s.rule == "treatment_level":
                self._level(s, x)
        self._power_dwell_spacing()
        self._pulse_rule()

    def _level(self, s: Setting, x: float) -> None:
        levels = {int(k): float(d) for k, d in s.params["levels"].items()}
        if int(x) not in levels:
            raise InputError(f"device.{s.name}", int(x), "a level with a published MTZ density: "
                             + ", ".join(str(k) for k in sorted(levels))
                             + f" ({s.source}); or give density")
        d = levels[int(x)]
        self.delivery["density"] = f"{d:g} /cm^2"
        self._note("delivery.density", f"{d:g} /cm^2", f"treatment level {int(x)}", s.status,
                   s.source)

    def _power_dwell_spacing(self) -> None:
        v = self.values
        if "power" in v and "dwell" in v:
            e = v["power"] * v["dwell"] * 1e-6
            self.delivery["pulse_energy"] = f"{e * 1e3:.4g} mJ"
            self.laser["pulse_duration"] = f"{v['dwell']:g} us"
            self._note("delivery.pulse_energy", f"{e * 1e3:.4g} mJ",
                       f"power {v['power']:g} W x dwell {v['dwell']:g} us", "derived",
                       "energy = power x dwell time")
        if "spacing" in v:
            d = 1.0 / (v["spacing"] * 1e-4) ** 2
            self.delivery["density"] = f"{d:.4g} /cm^2"
            self._note("delivery.density", f"{d:.4g} /cm^2", f"spacing {v['spacing']:g} um",
                       "derived", "MTZ per cm^2 = 1 / spacing^2 (square grid)")

    def _pulse_rule(self) -> None:
        f: Fixed | None = self.device.fixed.get("pulse_duration")
        if f is None or f.rule != "energy_over_power" or "pulse_duration" in self.values \
                or "pulse_energy" not in self.delivery:
            return
        power = in_unit("devices.toml power", f.params["power"], "W")
        energy = in_unit("device.energy", self.delivery["pulse_energy"], "J")
        tau = energy / power
        self.laser["pulse_duration"] = tau
        self._note("laser.pulse_duration", _text(tau, "pulse_duration"),
                   f"energy / {f.params['power']}", f.status, f.source)

    # -- dials the model resolves ------------------------------------------------------------
    def _base(self, **delivery: Any) -> Scenario:
        merged = {k: v for k, v in {**self.delivery, **delivery}.items() if v is not None}
        return Scenario.from_dict({**self.rest, "laser": self.laser, "delivery": merged})

    def _model(self) -> None:
        v, dev = self.values, self.device
        for s in dev.settings.values():
            if s.name in v and s.rule == "channel_depth":
                self._channel_depth(s, v[s.name])
        for s in dev.settings.values():
            if s.name in v and s.rule == "injured_surface":
                self._injured_surface(s, v[s.name] / 100.0)
            if s.name in v and s.rule == "coagulation_train" and v[s.name] > 0:
                self._train(s, v[s.name])

    def _probe(self, energy: float) -> dict:
        sc = self._base(pulse_energy=energy, coverage=0.05, density=None).replace(
            numerics=PROBE_NUMERICS)
        from ..simulate import zone_probe

        return store.cached("channel", sc, zone_probe)

    def _channel_depth(self, s: Setting, depth_um: float) -> None:
        lo, top = ENERGY_BRACKET
        # no higher than the input gate's local fluence over this microbeam (issue 30)
        diam = in_unit("delivery.microbeam_diameter",
                       self.delivery.get("microbeam_diameter", 0.0), "m")
        top = min(top, LIMITS["microbeam_fluence"][1] * math.pi * diam * diam / 4)
        hi = lo
        while self._probe(hi)["channel_depth_um"] < depth_um:  # double up from a small energy
            if hi >= top:
                raise InputError(f"device.{s.name}", f"{depth_um:g} um", "a depth the model "
                                 f"reaches with at most {top * 1e3:.4g} mJ per microbeam")
            lo, hi = hi, min(2 * hi, top)
        while hi / lo > 1 + DEPTH_TOLERANCE:  # bisection on log energy, to the tolerance
            mid = math.sqrt(lo * hi)
            lo, hi = (mid, hi) if self._probe(mid)["channel_depth_um"] < depth_um else (lo, mid)
        self.delivery["pulse_energy"] = f"{hi * 1e3:.4g} mJ"
        self._note("delivery.pulse_energy", f"{hi * 1e3:.4g} mJ", f"{s.name} {depth_um:g} um",
                   "model", s.params["rule_source"])
        self._pulse_rule()

    def _injured_surface(self, s: Setting, fraction: float) -> None:
        energy = in_unit("device.energy", self.delivery["pulse_energy"], "J")
        width = self._probe(energy)["mtz_diameter_um"] * 1e-4  # cm
        d = fraction / (math.pi * width ** 2 / 4)
        self.delivery["density"] = f"{d:.4g} /cm^2"
        self._note("delivery.density", f"{d:.4g} /cm^2",
                   f"{s.name} {fraction * 100:g} % over the model's zone {width * 1e4:.0f} um "
                   "wide", "model", f"{s.means}: {s.source}")

    def _train(self, s: Setting, coag_um: float) -> None:
        p = s.params
        spacing = in_unit("devices.toml train_spacing", p["train_spacing"], "s")

        def coag(n: int) -> float:
            sc = self._base(passes=1, **_train(n, p["train_fluence"], spacing))
            return store.cached("summary", sc, _summary)["coagulation_depth_um"]

        lo, hi = 1, int(p["max_pulses"])
        if coag(hi) < coag_um:
            raise InputError(f"device.{s.name}", f"{coag_um:g} um", "a coagulation the model "
                             f"reaches with {hi} train pulses (here {coag(hi):.0f} um)")
        while lo < hi:  # smallest count reaching the dial (coagulation grows with the count)
            mid = (lo + hi) // 2
            lo, hi = (mid + 1, hi) if coag(mid) < coag_um else (lo, mid)
        n = lo if lo == 1 or abs(coag(lo) - coag_um) <= abs(coag(lo - 1) - coag_um) else lo - 1
        self.delivery.update(_train(n, p["train_fluence"], spacing))
        self._note("delivery.train_pulses", f"{n} x {p['train_fluence']} over "
                   f"{n * spacing * 1e3:g} ms", f"{s.name} {coag_um:g} um (the model gives "
                   f"{coag(n):.0f} um)", "model", p["template_source"])

    # -- the result --------------------------------------------------------------------------
    def scenario(self) -> Scenario:
        self._read()
        self._fixed()
        self._direct()
        try:
            self._model()
            sc = self._base()
        except InputError as exc:
            if exc.field.startswith("device"):
                raise
            raise InputError(f"{exc.field} (resolved from the {self.device.key} settings)",
                             exc.value, exc.allowed) from None
        sc.device = {"name": self.device.key, "model": f"{self.device.vendor} "
                     f"{self.device.model}", "settings": {k: _plain(v) for k, v in
                                                         self.given.items()},
                     "resolved": self.how, "unchecked": self.unchecked,
                     "cautions": self.cautions, "dials": self._dials()}
        return sc

    def _dials(self) -> list[dict]:
        """The dials whose outcome the simulation checks (simulate/pipeline.py)."""
        out = []
        for s in self.device.settings.values():
            if s.name not in self.values or s.rule not in DIAL_OUTCOMES:
                continue
            if s.rule == "coagulation_train" and self.values[s.name] <= 0:
                continue  # no train: the dial adds nothing to check
            quantity, si, kind = DIAL_OUTCOMES[s.rule]
            out.append({"setting": s.name, "value": self.values[s.name], "unit": s.unit,
                        "means": s.means or s.name, "quantity": quantity, "si": si,
                        "kind": kind, "tolerance": DIAL_TOLERANCE})
        return out


def _train(n: int, fluence: str, spacing: float) -> dict:
    return {"train_pulses": n, "train_fluence": fluence, "train_duration": n * spacing}


def _summary(sc: Scenario) -> dict:
    from ..simulate import simulate

    return simulate(sc).stored_summary()


def _plain(v: object) -> object:
    return v if isinstance(v, str | int | float) else str(v)


def _text(value: Any, name: str) -> str:
    if isinstance(value, str):
        return value
    unit, scale = {"pulse_duration": ("us", 1e6), "microbeam_diameter": ("um", 1e6),
                   "spot_diameter": ("mm", 1e3)}[name]
    return f"{value * scale:.4g} {unit}"
