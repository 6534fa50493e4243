"""Treatment records: what was done, checked as a scenario is, resolved to physics as a
``[device]`` scenario is, and compared with the plan it came from.

A record holds the date, the treating clinician, the catalogue device and its settings in the
device's own terms, the area(s) treated, the passes, the anaesthesia, the care given (antiviral
prophylaxis, test spot, priming) and free notes. Every setting is checked against the device's
range by the device layer itself (:func:`dermalase.devices.resolve.check`), so a setting
outside the range is refused with the same one-line error as in a scenario; the physics is
then resolved per area (:func:`resolve`) and stored beside the settings.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from ..errors import InputError

ANAESTHESIA = ("none", "topical", "local infiltration", "nerve block", "oral sedation",
               "intravenous sedation", "general")
#: the care steps a record says were given (the plan's steps name them)
CARE = {"antiviral": "Antiviral prophylaxis", "test_spot": "Test spot first",
        "priming": "Skin priming (e.g. topical retinoid or hydroquinone before)"}
#: words in a plan's steps that mean each care step was planned
_CARE_WORDS = {"antiviral": ("antiviral", "valacyclovir"), "test_spot": ("test spot",),
               "priming": ("priming", "prime ", "hydroquinone", "pre-treat")}
MAX_NOTE = 5000
MAX_AREAS = 12
#: a delivered setting within this fraction of the plan's is not a departure (the plan's
#: readings are rounded to 3-4 significant figures)
SAME_WITHIN = 0.02


@dataclass(frozen=True)
class Treatment:
    """One treatment session as recorded (settings in the device's own terms)."""

    treated_on: date
    clinician: str
    device: str
    settings: dict[str, Any]
    modality: str
    areas: tuple[str, ...]
    passes: int | None = None
    anaesthesia: str = "none"
    care: dict[str, bool] = field(default_factory=dict)
    consent_signed_on: date | None = None
    notes: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["treated_on"] = self.treated_on.isoformat()
        d["consent_signed_on"] = self.consent_signed_on.isoformat() \
            if self.consent_signed_on else None
        d["areas"] = list(self.areas)
        return d

    def scenario(self, area: str, phototype: int) -> dict[str, Any]:
        """The ``[device]`` scenario of this treatment on ``area``."""
        from ..planner.envelope import skin_of

        return {"name": f"treatment on {area}", "skin": {"site": skin_of(area),
                                                          "phototype": phototype},
                "device": {"name": self.device, **self.settings}}


def _date(fld: str, v: Any, after: date | None = None) -> date | None:
    if v is None or (isinstance(v, str) and not v.strip()):
        return None
    if isinstance(v, date):
        d = v
    else:
        try:
            d = date.fromisoformat(str(v).strip())
        except ValueError:
            raise InputError(fld, v, "a date written YYYY-MM-DD") from None
    low = after or date(1990, 1, 1)
    if not low <= d <= date.today():
        raise InputError(fld, v, f"a date from {low.isoformat()} to today")
    return d


def text(fld: str, v: Any, limit: int, required: bool = False) -> str | None:
    from ..schema import printable

    if v is None or (isinstance(v, str) and not v.strip()):
        if required:
            raise InputError(fld, v or "", "a value (required)")
        return None
    if not isinstance(v, str) or len(v) > limit:
        raise InputError(fld, str(v)[:40], f"text of at most {limit} characters")
    return printable(v.replace("\r\n", "\n").replace("\n", " \n ")).replace(" \n ", "\n")\
        .strip()


def _whole(fld: str, v: Any, low: int, high: int) -> int | None:
    if v is None or (isinstance(v, str) and not v.strip()):
        return None
    try:
        x = float(v)
    except (TypeError, ValueError):
        raise InputError(fld, v, f"a whole number from {low} to {high}") from None
    if isinstance(v, bool) or not math.isfinite(x) or x != int(x) or not low <= x <= high:
        raise InputError(fld, v, f"a whole number from {low} to {high}")
    return int(x)


def _flag(fld: str, v: Any) -> bool:
    if v in (True, "yes", "on", "true", "1", 1):
        return True
    if v in (None, False, "", "no", "off", "false", "0", 0):
        return False
    raise InputError(fld, v, "yes or no")


def _settings(device, given: dict, passes: int | None) -> dict[str, Any]:
    """The device's settings as written, unit-less ones as numbers (as a TOML file has
    them), the passes folded in where the device has a passes dial."""
    out: dict[str, Any] = {}
    for k, v in given.items():
        if v is None or (isinstance(v, str) and not v.strip()):
            continue
        s = device.settings.get(k)
        if s is not None and s.unit == "" and isinstance(v, str) \
                and re.fullmatch(r"\s*\d+\s*", v):
            v = int(v)
        out[k] = v.strip() if isinstance(v, str) else v
    if passes is not None and "passes" in device.settings:
        if "passes" in out and str(out["passes"]) != str(passes):
            raise InputError("treatment.passes", passes, f"the device's passes setting "
                             f"({out['passes']}) or nothing")
        out["passes"] = passes
    return out


def check(d: dict, phototype: int) -> Treatment:
    """A treatment from its fields (``treated_on``, ``clinician``, ``device``, ``settings``,
    ``modality``, ``areas``, ``passes``, ``anaesthesia``, ``care``, ``consent_signed_on``,
    ``notes``), checked; one :class:`InputError` naming the field."""
    from ..devices import resolve
    from ..devices.catalogue import get as device
    from ..planner.envelope import areas as all_areas

    treated = _date("treatment.treated_on", d.get("treated_on"))
    if treated is None:
        raise InputError("treatment.treated_on", "", "the date of the treatment (required)")
    clinician = text("treatment.clinician", d.get("clinician"), 64, required=True)
    dev = device(d.get("device"), "treatment.device")
    # a device the planner has no modality for is its own kind of treatment (no published
    # recovery figure to predict from; the model still predicts its healing)
    modality = d.get("modality") or (dev.modalities[0] if dev.modalities else
                                     f"device:{dev.key}")
    if dev.modalities and modality not in dev.modalities:
        raise InputError("treatment.modality", modality, "one of " + ", ".join(
            dev.modalities) + f" (what {dev.key} delivers)")
    areas = tuple(a for a in (d.get("areas") or ()) if a)
    if not areas:
        raise InputError("treatment.areas", "", "at least one treated area")
    known = all_areas()
    for a in areas:
        if a not in known:
            raise InputError("treatment.areas", a, "one of " + ", ".join(known))
    if len(areas) > MAX_AREAS or len(set(areas)) != len(areas):
        raise InputError("treatment.areas", ", ".join(areas), f"at most {MAX_AREAS} "
                         "different areas")
    passes = _whole("treatment.passes", d.get("passes"), 1, 20)
    anaesthesia = d.get("anaesthesia") or "none"
    if anaesthesia not in ANAESTHESIA:
        raise InputError("treatment.anaesthesia", anaesthesia, "one of " + ", ".join(
            ANAESTHESIA))
    care = {k: _flag(f"treatment.care.{k}", (d.get("care") or {}).get(k)) for k in CARE}
    settings = _settings(dev, dict(d.get("settings") or {}), passes)
    t = Treatment(treated, clinician or "", dev.key, settings, modality, areas, passes,
                  anaesthesia, care, _date("treatment.consent_signed_on",
                                           d.get("consent_signed_on")),
                  text("treatment.notes", d.get("notes"), MAX_NOTE))
    for a in areas:  # the device's own checks, as a [device] scenario gets them
        try:
            if dev.unsupported:  # the simulator cannot run it: its settings' ranges only
                sc = t.scenario(a, phototype)
                resolve.Resolution(dev, sc["device"], {})._read()
            else:
                resolve.check(t.scenario(a, phototype))
        except InputError as exc:
            raise InputError(_field(exc.field), exc.value, exc.allowed) from None
    return t


def _field(f: str) -> str:
    if f == "device.name":
        return "treatment.device"
    return "treatment.settings." + f.removeprefix("device.") if f.startswith("device.") \
        else f"treatment.{f}"


def resolve_physics(t: Treatment, phototype: int) -> list[tuple[str, Any]]:
    """(area, physics :class:`~dermalase.simulate.Scenario`) of each treated area, resolved
    from the device's settings exactly as a ``[device]`` scenario is (model-resolved dials
    included: this may simulate)."""
    from ..devices import get, scenario_from_dict

    if get(t.device).unsupported:
        return []
    return [(a, scenario_from_dict(t.scenario(a, phototype))) for a in t.areas]


# -- departures from the plan ------------------------------------------------------------------
def planned_candidate(plan: dict, concern: int, modality: str) -> dict | None:
    """The plan's candidate of ``modality`` for concern ``concern`` (the recommendation first)."""
    plans = plan.get("plans") or [plan]
    if not 0 <= concern < len(plans):
        return None
    p = plans[concern]
    cands = [p.get("recommended")] + list(p.get("candidates") or [])
    return next((c for c in cands if c and c.get("modality") == modality), None)


def departures(t: Treatment, plan: dict, concern: int = 0) -> list[str]:
    """How the treatment departs from the plan's concern ``concern`` (empty: as planned)."""
    plans = plan.get("plans") or [plan]
    if not 0 <= concern < len(plans):
        return [f"concern {concern + 1} is not in the plan"]
    p = plans[concern]
    rec = p.get("recommended") or {}
    out = []
    if rec and rec.get("modality") != t.modality:
        out.append(f"modality {t.modality} instead of the recommended {rec.get('modality')}")
    cand = planned_candidate(plan, concern, t.modality)
    if cand is None:
        out.append(f"{t.modality} was not a candidate of the plan")
        return out
    site = (p.get("concern") or {}).get("site")
    if site and site not in t.areas:
        out.append(f"areas {', '.join(t.areas)}; the plan's area is {site}")
    readings = {x["device"]: x for x in cand.get("devices") or []}
    if t.device not in readings:
        out.append(f"device {t.device}; the plan read its settings on "
                   f"{', '.join(readings) or 'no device'}")
    else:
        out += _setting_changes(readings[t.device].get("settings") or {}, t.settings)
    steps = " ".join(str(s) for s in cand.get("steps") or []).lower()
    for k, words in _CARE_WORDS.items():
        if any(w in steps for w in words) and not t.care.get(k):
            out.append(f"{CARE[k].split(' (')[0].lower()} was in the plan's care, not given")
    return out


def _setting_changes(planned: dict, given: dict) -> list[str]:
    from ..units import split_quantity

    out = []
    for k, want in planned.items():
        have = given.get(k)
        if have is None:
            out.append(f"{k}: not recorded (plan: {want})")
            continue
        try:
            a, b = split_quantity(k, str(want)), split_quantity(k, str(have))
        except InputError:
            a = b = None
        if a and b and a[1].replace("µ", "u") == b[1].replace("µ", "u"):
            if abs(a[0] - b[0]) <= SAME_WITHIN * max(abs(a[0]), 1e-12):
                continue
        elif str(want).strip() == str(have).strip():
            continue
        out.append(f"{k} {have} instead of the planned {want}")
    return out
