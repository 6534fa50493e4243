"""The clinical envelope (issue 29, ``data/envelope.toml``): the numbers the settings search may
use for a patient, by treatment area, phototype, history item and device.

The envelope is data: areas (each with its skin preset and the dermis its depth limits come from)
and rows that block, limit, warn or add a step for a selection of areas, phototypes, history
answers and modalities. :func:`applying` gives the rows that apply to one patient, concern and
modality; :func:`bounds` folds their limits and the device's published ranges into the
:class:`Bounds` the search is given. The property tests (tests/planner/test_envelope.py) check
every search's bounds against each applying row separately, over the whole input space.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import dataclass, field
from typing import Any

from .. import data
from ..units import in_unit
from .modalities import GROUPS, MODALITIES, expand

ACTIONS = ("block", "limit", "warn", "step")
LIMIT_KEYS = ("energy_factor", "fluence_J_cm2", "energy_max_mJ", "passes_max",
              "injured_surface_max", "injured_surface_factor", "depth_max_um", "harm_depth_um",
              "harm_injured_surface", "interval_add_weeks", "interval_weeks", "first", "demote")
SELECTORS = ("areas", "except_areas", "regions", "area_flag", "phototypes", "history", "if_history",
             "modalities")
EVIDENCE = ("CONS", "REV", "STUDY", "VENDOR", "EXPERT", "DERIVED")


def _bad(where: str, what: str) -> ValueError:
    return ValueError(f"data/envelope.toml [{where}]: {what}")


@functools.cache
def envelope() -> dict:
    """``data/envelope.toml``, its shape checked once (a row without a source never loads)."""
    env = data.toml("envelope")
    from ..tissue.model import SITES

    for name, area in env["area"].items():
        if area["skin"] not in SITES:
            raise _bad(f"area.{name}", f"skin {area['skin']!r} is not a preset of data/sites.csv")
        if not (area.get("dermis_um", 0) > 0 and area.get("dermis_source")):
            raise _bad(f"area.{name}", "needs dermis_um > 0 and dermis_source")
    ids = set()
    for row in env["row"]:
        rid = row.get("id", "?")
        if rid in ids:
            raise _bad(rid, "row ids are unique")
        ids.add(rid)
        if row.get("action") not in ACTIONS:
            raise _bad(rid, f"action is one of {ACTIONS}")
        if not row.get("source") or row.get("evidence") not in EVIDENCE or not row.get("reason"):
            raise _bad(rid, f"needs a reason, a source and an evidence tag in {EVIDENCE}")
        unknown = set(row) - set(LIMIT_KEYS) - set(SELECTORS) - {
            "id", "action", "reason", "defer", "defer_scar", "source", "evidence", "policy",
            "relative"}
        if unknown:
            raise _bad(rid, f"unknown keys {sorted(unknown)}")
        for a in row.get("areas", ()):
            if a not in env["area"]:
                raise _bad(rid, f"area {a!r} is not declared")
    return env


def version() -> str:
    return str(envelope()["version"])


def areas() -> tuple[str, ...]:
    """Every treatment area a concern may name."""
    return tuple(envelope()["area"])


def area(name: str) -> dict:
    return envelope()["area"][name]


def skin_of(name: str) -> str:
    """The skin preset (data/sites.csv) an area is simulated with."""
    return str(area(name)["skin"])


def is_face(name: str) -> bool:
    return area(name)["region"] == "face"


def skin_depths_um(name: str) -> tuple[float, float]:
    """(epidermis incl. stratum corneum, dermis) of an area, µm: the epidermis of its skin
    preset, the dermis the area declares (the thinnest published value)."""
    row = next(r for r in data.table("sites") if r["site"] == skin_of(name))
    epi = float(row["stratum_corneum_um"]) + float(row["epidermis_um"])
    return epi, float(area(name)["dermis_um"])


def _expand(names) -> set[str]:
    return expand(names)


def _history_matches(sel: str, history: dict) -> bool | None:
    """True/False when the history answers the selector, None when it does not."""
    key, _, want = sel.partition("=")
    if key not in history:
        return None
    return history[key] is (want != "false")


def history_keys(row: dict) -> str | None:
    sel = row.get("history")
    return sel.partition("=")[0] if sel else None


def _matches_place(row: dict, area_name: str, phototype: int, modality: str) -> bool:
    a = area(area_name)
    if "areas" in row and area_name not in row["areas"]:
        return False
    if area_name in row.get("except_areas", ()):
        return False
    if "regions" in row and a["region"] not in row["regions"]:
        return False
    if "area_flag" in row and not a.get(row["area_flag"], False):
        return False
    if "phototypes" in row and not row["phototypes"][0] <= phototype <= row["phototypes"][1]:
        return False
    return "modalities" not in row or modality in _expand(row["modalities"])


def applying(area_name: str, phototype: int, history: dict, modality: str
             ) -> tuple[list[dict], list[str]]:
    """The rows that apply to this area, phototype, history and modality, and the history keys
    left unanswered that a row would decide (the modality is conditional on them)."""
    rows, unanswered = [], []
    for row in envelope()["row"]:
        if not _matches_place(row, area_name, phototype, modality):
            continue
        pre = row.get("if_history")  # the row asks its question only after this answer
        if pre and history.get(pre) is not True:
            if pre not in history and row["action"] in ("block", "limit"):
                unanswered.append(pre)
            continue
        sel = row.get("history")
        if sel:
            hit = _history_matches(sel, history)
            if hit is None:
                if row["action"] in ("block", "limit"):
                    unanswered.append(sel.partition("=")[0])
                continue
            if not hit:
                continue
        rows.append(row)
    return rows, unanswered


@dataclass(frozen=True)
class Bounds:
    """What the settings search may use for one modality (search units: J/cm^2 full field,
    mJ per microbeam fractional; fractions of the surface; µm)."""

    energy: tuple[float, float]          # the clinical range, scaled and clipped (searched first)
    energy_device: tuple[float, float]   # the widest the search may go (device and rows)
    passes_max: int | None = None
    injured_surface_max: float | None = None
    injured_surface_factor: float = 1.0
    depth_max_um: float = math.inf
    interval_add_weeks: tuple[float, float] = (0.0, 0.0)
    interval_weeks: tuple[float, float] | None = None
    first: bool = False
    rows: tuple[str, ...] = field(default_factory=tuple)
    #: a row of this patient lowered the top of the energy range: it is a hard ceiling (the
    #: search aims shallower rather than go above it, and says so)
    ceiling: bool = False
    #: ranked after the concern's other modalities
    demote: bool = False
    #: the limit rows that changed the numbers (each one's removal changes the bounds)
    changed: tuple[str, ...] = field(default_factory=tuple)
    #: the binding device's lowest injured surface (its coverage dial's bottom): a history row
    #: that lowers the energy lowers the density aimed at too, never below what the device
    #: delivers (review 29b)
    injured_surface_min: float | None = None

    def key(self) -> dict[str, Any]:
        """The bounds as plain values (the search's store key)."""
        return {"energy": list(self.energy), "energy_device": list(self.energy_device),
                "passes_max": self.passes_max, "injured_surface_max": self.injured_surface_max,
                "injured_surface_factor": self.injured_surface_factor,
                "depth_max_um": None if math.isinf(self.depth_max_um) else self.depth_max_um,
                "ceiling": self.ceiling}


def _spot_cm(device: str, value: object) -> float:
    """A catalogue spot diameter in cm, kept in the store: a warm plan reads it without building
    pint's registry (~0.3 s of a 1 s warm command-line plan; bench_planner)."""
    from ..simulate import store

    args = {"device": device, "value": str(value)}
    return float(store.cached_call("device-spot", args,
                                   lambda: {"cm": in_unit("spot", value, "cm")})["cm"])


@functools.cache
def device_limits(modality: str) -> dict[str, Any] | None:
    """The binding device's published ranges in the search's quantities, or None (no device:
    the modality is blocked). Keys: ``device``, ``energy`` (J/cm^2 full field, mJ fractional),
    ``passes``, ``injured_surface`` (fraction), ``depth_um`` (channel), ``density_cm2``."""
    from ..devices.catalogue import catalogue

    spec = envelope().get("device", {}).get(modality)
    if spec is None or spec["device"] not in catalogue():
        return None
    dev = catalogue()[spec["device"]]
    if modality not in dev.modalities:
        return None
    out: dict[str, Any] = {"device": dev.key, "model": f"{dev.vendor} {dev.model}"}
    for dial in spec["dials"]:
        s = dev.settings[dial]
        lo, hi = s.low, s.high
        if s.rule == "energy_over_spot":
            spot_cm = _spot_cm(dev.key, dev.fixed["spot_diameter"].value)
            area_cm2 = math.pi * spot_cm ** 2 / 4
            out["energy"] = (lo * 1e-3 / area_cm2, hi * 1e-3 / area_cm2)
        elif s.rule == "depth_per_fluence":
            out["energy"] = (lo / s.params["rate"], hi / s.params["rate"])
        elif s.rule in ("energy", "fluence"):
            out["energy"] = (lo, hi)
        elif s.rule in ("passes", "stack"):
            out["passes"] = (int(lo), int(hi))
        elif s.rule == "injured_surface":
            out["injured_surface"] = (lo / 100, hi / 100)
        elif s.rule == "channel_depth":
            out["depth_um"] = (lo, hi)
        elif s.rule == "density":
            out["density_cm2"] = (lo, hi)
        elif s.rule == "coagulation_train":
            out["coagulation_um"] = (lo, hi)
        else:
            raise _bad(f"device.{modality}", f"dial {dial!r} (rule {s.rule}) does not bind")
    return out


def margin() -> float:
    return float(data.toml("planner_rules")["policy"]["harm_margin"])


def depth_limit_um(area_name: str, modality: str) -> tuple[float, str]:
    """The depth the area's own skin allows a modality (µm from the surface) and why: the
    epidermis plus a fraction of the dermis, a margin below it (policy)."""
    pol = envelope()["policy"]
    epi, dermis = skin_depths_um(area_name)
    if modality in GROUPS["full-field"]:
        f, src = pol["full_field_dermis_fraction"], pol["full_field_dermis_fraction_source"]
    elif modality in GROUPS["ablative-fractional"]:
        f, src = pol["fractional_dermis_fraction"], pol["fractional_dermis_fraction_source"]
    else:
        return math.inf, ""
    depth = (1 - margin()) * (epi + f * dermis)
    return depth, (f"{area_name} skin: epidermis {epi:.0f} µm + {100 * f:.0f} % of the "
                   f"{dermis:.0f} µm dermis, {100 * margin():.0f} % below it ({src}; "
                   f"{area(area_name)['dermis_source']})")


AREA_SELECTORS = ("areas", "except_areas", "regions", "area_flag")


def bounds(area_name: str, phototype: int, history: dict, modality: str,
           settings: dict, area_specific: bool = False) -> Bounds:
    """The search bounds of ``modality`` for this patient: the clinical energy range of the
    modality's settings (``planner_rules.toml``), every applying row's limit, the area's
    depth, and the binding device's ranges, each the tightest of all that apply.
    ``area_specific``: the settings were published for this area, so the area's energy factors
    are not applied again (the phototype's and the history's are)."""
    rows, _ = applying(area_name, phototype, history, modality)
    limits = [r for r in rows if r["action"] == "limit"]
    b = _fold(area_name, modality, settings, limits, area_specific)

    def numbers(x: Bounds) -> tuple:
        return (x.key(), x.interval_add_weeks, x.interval_weeks)

    changed = tuple(r["id"] for r in limits
                    if numbers(_fold(area_name, modality, settings,
                                     [q for q in limits if q is not r], area_specific))
                    != numbers(b))
    return dataclasses.replace(b, rows=tuple(r["id"] for r in rows), changed=changed)


def _fold(area_name: str, modality: str, settings: dict, rows: list[dict],
          area_specific: bool) -> Bounds:
    """The bounds that the limit ``rows`` and the device give (see :func:`bounds`)."""
    full_field = modality.startswith("full-field")
    unit = "fluence_J_cm2" if full_field else "pulse_energy_mJ"
    d0, d1 = (float(x) for x in settings.get(unit, (0.0, math.inf)))
    c0, c1 = (float(x) for x in settings.get("clinical_" + unit, (d0, d1)))
    dev = device_limits(modality) or {}
    if "energy" in dev:
        d0, d1 = max(d0, dev["energy"][0]), min(d1, dev["energy"][1])
    passes_max = dev["passes"][1] if "passes" in dev else None
    surf_max = dev["injured_surface"][1] if "injured_surface" in dev else None
    depth_max, _ = depth_limit_um(area_name, modality)
    if "depth_um" in dev:
        depth_max = min(depth_max, dev["depth_um"][1])
    fa, fb = 1.0, 1.0
    factor = 1.0
    add = (0.0, 0.0)
    interval = None
    first = demote = ceiling = False
    rel = [1.0, 1.0, 1.0]  # a relative row's factors (energy low, high; injured surface)
    for row in rows:
        if row.get("action", "limit") != "limit":
            continue
        if row.get("relative"):  # a feathering band: lower than whatever else applies
            if "energy_factor" in row:
                rel[0] *= row["energy_factor"][0]
                rel[1] *= row["energy_factor"][1]
            rel[2] *= float(row.get("injured_surface_factor", 1.0))
            if "passes_max" in row:
                passes_max = min(passes_max or 99, int(row["passes_max"]))
            continue
        # settings published for this very area already carry its lower energy
        if "energy_factor" in row and not (area_specific and set(row) & set(AREA_SELECTORS)):
            fa, fb = min(fa, row["energy_factor"][0]), min(fb, row["energy_factor"][1])
        if "fluence_J_cm2" in row and full_field:
            lo, hi = (float(x) for x in row["fluence_J_cm2"])
            ceiling = ceiling or hi < c1
            c0, c1 = max(c0, lo), min(c1, hi)
            d0, d1 = max(d0, lo), min(d1, hi)
        if "energy_max_mJ" in row and not full_field:
            hi = float(row["energy_max_mJ"])
            ceiling = ceiling or hi < c1
            c1, d1 = min(c1, hi), min(d1, hi)
        if "passes_max" in row:
            passes_max = min(passes_max or 99, int(row["passes_max"]))
        if "injured_surface_max" in row:
            surf_max = min(surf_max or 1.0, float(row["injured_surface_max"]))
        if "harm_injured_surface" in row:
            surf_max = min(surf_max or 1.0, row["harm_injured_surface"] * (1 - margin()))
        if "harm_depth_um" in row:
            depth_max = min(depth_max, row["harm_depth_um"] * (1 - margin()))
        if "depth_max_um" in row:
            depth_max = min(depth_max, float(row["depth_max_um"]))
        if "injured_surface_factor" in row:
            factor = min(factor, float(row["injured_surface_factor"]))
        if "interval_add_weeks" in row:
            a, b = row["interval_add_weeks"]
            add = (max(add[0], a), max(add[1], b))
        if "interval_weeks" in row:
            interval = tuple(row["interval_weeks"])
        first = first or bool(row.get("first"))
        demote = demote or bool(row.get("demote"))
    # a feathering band's factors multiply whatever else applies (issue 33)
    fa, fb, factor = fa * rel[0], fb * rel[1], factor * rel[2]
    # the energy factors scale the clinical range; a factor that lowers its top makes the
    # lowered clinical top a hard ceiling for this patient (issue 29 review A2): the search
    # never leaves it upward. The search writes energies to 3 decimals: the top is rounded
    # down so that no written setting passes a device's or the envelope's maximum.
    d1 = math.floor(d1 * fb * 1000) / 1000
    c0, c1 = c0 * fa, min(c1 * fb, d1)
    if fb < 1 or ceiling:
        ceiling = True
        d1 = math.floor(c1 * 1000) / 1000
        c1 = d1
    c0 = min(c0, c1)
    d0 = min(d0, c0)
    surf_min = dev["injured_surface"][0] if "injured_surface" in dev else None
    return Bounds((c0, c1), (d0, d1), passes_max, surf_max, factor, depth_max, add,
                  interval, first, (), ceiling, demote, (), surf_min)


#: the unit of each device range (:func:`device_limits`), in the search's quantities
RANGE_UNITS = {"passes": "", "injured_surface": "1", "depth_um": "µm", "density_cm2": "/cm^2",
               "coagulation_um": "µm"}


def range_unit(modality: str, key: str) -> str:
    if key == "energy":
        return "J/cm^2" if modality.startswith("full-field") else "mJ"
    return RANGE_UNITS[key]


def describe() -> dict[str, Any]:
    """The envelope as plain data (``dermalase envelope``): areas with their depth limits,
    rows with their selectors and limits, and the device ranges in the search's units."""
    env = envelope()
    areas_out = {}
    for name, a in env["area"].items():
        ff, _ = depth_limit_um(name, "full-field-co2")
        fr, _ = depth_limit_um(name, "fractional-co2")
        areas_out[name] = {**a, "full_field_depth_max_um": round(ff, 1),
                           "fractional_depth_max_um": round(fr, 1)}
    rows = []
    for r in env["row"]:
        rows.append({"id": r["id"], "action": r["action"],
                     "when": {k: r[k] for k in SELECTORS if k in r},
                     "limits": {k: r[k] for k in LIMIT_KEYS if k in r},
                     "reason": r["reason"], "defer": r.get("defer", ""),
                     "source": r["source"], "evidence": r["evidence"],
                     "policy": bool(r.get("policy"))})
    devices: dict[str, Any] = {}
    for m in MODALITIES:
        d = device_limits(m)
        devices[m] = None if d is None else {
            "device": d["device"], "model": d["model"],
            "ranges": {k: [round(float(x), 4) for x in v] for k, v in d.items()
                       if k not in ("device", "model")},
            "units": {k: range_unit(m, k) for k in d if k not in ("device", "model")}}
    return {"version": version(), "file": "data/envelope.toml", "policy": env["policy"],
            "harm_margin": margin(), "areas": areas_out, "rows": rows, "devices": devices}
