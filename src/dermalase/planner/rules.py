"""The rule base (data/planner_rules.toml) applied to a patient and a concern.

Rules are data: history, phototype and site rules block, warn, add a step or limit a modality
group; concern rules give the target depth, the indicated modalities and the ones the concern
excludes. This module only matches them; it holds no clinical numbers.

Unknown never counts as safe: a history rule whose key the patient file does not answer does not
fire, but every modality it touches becomes *conditional* on that answer (``Verdict.conditional``)
and the planner never recommends a conditional option.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .. import data
from . import envelope
from .modalities import GROUPS, LABELS, MODALITIES, expand
from .patient import Concern, Patient

__all__ = ["GROUPS", "LABELS", "MODALITIES", "expand"]


def is_ablative(modality: str) -> bool:
    return modality in GROUPS["ablative"]


def rules() -> dict:
    return data.toml("planner_rules")


def is_face(site: str) -> bool:
    return envelope.is_face(site)


@dataclass
class Verdict:
    """What the rules say about one modality for one patient and concern."""

    modality: str
    blocked: list = field(default_factory=list)    # (reason, source, evidence, rule id, defer)
    warnings: list = field(default_factory=list)   # (reason, source)
    steps: list = field(default_factory=list)      # (reason, source)
    limits: list = field(default_factory=list)     # (reason, source, row id)
    conditional: list = field(default_factory=list)  # unanswered history keys that decide it
    #: the search bounds of the clinical envelope (data/envelope.toml) for this patient
    bounds: envelope.Bounds | None = None

    @property
    def injured_surface_max(self) -> float | None:
        return self.bounds.injured_surface_max if self.bounds else None

    @property
    def injured_surface_factor(self) -> float:
        return self.bounds.injured_surface_factor if self.bounds else 1.0

    @property
    def depth_max_um(self) -> float | None:
        return None if self.bounds is None or math.isinf(self.bounds.depth_max_um) \
            else self.bounds.depth_max_um

    @property
    def passes_max(self) -> int | None:
        return self.bounds.passes_max if self.bounds else None

    @property
    def interval_add_weeks(self) -> tuple[float, float]:
        return self.bounds.interval_add_weeks if self.bounds else (0.0, 0.0)

    @property
    def interval_weeks(self) -> tuple[float, float] | None:
        return self.bounds.interval_weeks if self.bounds else None


#: the concerns that are scars: a row's scar-care advice (``defer_scar``) is for them only
SCAR_CONCERNS = ("acne-scars",)


def _record(v: Verdict, rule: dict, rid: str, scar: bool = False) -> None:
    """Record one rule's action; ``scar``: the concern is a scar (review 29b item 4: scar care
    is advised only to a patient with a scar to treat)."""
    act = rule["action"]
    if act == "block":
        defer = rule.get("defer", "")
        if scar and rule.get("defer_scar"):
            defer = f"{defer}; {rule['defer_scar']}" if defer else rule["defer_scar"]
        v.blocked.append((rule["reason"], rule["source"], rule["evidence"], rid, defer))
    elif act == "warn":
        v.warnings.append((rule["reason"], rule["source"]))
    elif act == "step":
        v.steps.append((rule["reason"], rule["source"]))
    elif act == "limit":
        v.limits.append((rule["reason"], rule["source"], rid))
    else:
        raise ValueError(f"unknown rule action {act!r}")


def _history_applies(rule: dict, history: dict) -> bool:
    """Whether a history rule fires on an answered key. A value the rule cannot decide on (not
    a finite number for a months test) makes it fire: a rule that cannot decide blocks."""
    key = rule["key"]
    if key == "_always":
        return True
    value = history[key]
    if rule["test"] == "true":
        return value is True
    if rule["test"] == "false":  # the answer is no (e.g. topical treatment not yet tried)
        return value is False
    if rule["test"] == "months_below":
        if isinstance(value, bool) or not isinstance(value, int | float) or \
                not math.isfinite(value):
            return True
        return value < float(rule["value"])
    raise ValueError(f"unknown rule test {rule['test']!r}")


def verdicts(patient: Patient, concern: Concern) -> dict[str, Verdict]:
    """Apply every history, phototype, site and concern rule to each modality."""
    r = rules()
    out = {m: Verdict(m) for m in MODALITIES}
    crule = concern_rule(concern, patient)
    scar = crule["kind"] in SCAR_CONCERNS or bool(concern.scar_type)
    for rule in r["history"]:
        if "regions" in rule and envelope.area(concern.site)["region"] not in rule["regions"]:
            continue
        if "concerns" in rule and crule["kind"] not in rule["concerns"]:
            continue
        mods = expand(rule["modalities"])
        key = rule["key"]
        if key != "_always" and not patient.answered(key):
            for m in mods:
                if key not in out[m].conditional:
                    out[m].conditional.append(key)
            continue
        if key == "isotretinoin_months_ago" and key not in patient.history:
            continue  # answered by isotretinoin_never = true
        if _history_applies(rule, patient.history):
            for m in mods:
                _record(out[m], rule, rule["id"], scar)
    for m in MODALITIES:  # the clinical envelope: area, phototype, history, device
        rows, unanswered = envelope.applying(concern.site, patient.phototype, patient.history, m)
        for row in rows:
            _record(out[m], row, row["id"], scar)
        for key in unanswered:
            if key not in out[m].conditional:
                out[m].conditional.append(key)
        if envelope.device_limits(m) is None:
            out[m].blocked.append(("no catalogue device delivers this modality within a "
                                   "published range", "data/envelope.toml [device]",
                                   "DERIVED", "no-device", ""))
        out[m].bounds = envelope.bounds(concern.site, patient.phototype, patient.history, m,
                                        r["settings"].get(m, {}))
    ex = crule.get("exclude")
    if ex:
        for m in expand(ex["modalities"]):
            out[m].blocked.append((ex["reason"], ex["source"], "EXPERT",
                                   f"concern-{concern.kind}", ex.get("defer", "")))
    for reason, src, *tags in crule.get("cautions", []):
        only = [t.split("=", 1)[1].split(",") for t in tags if t.startswith("areas=")]
        if only and concern.site not in only[0]:
            continue  # a caution for other areas (e.g. the neck's)
        for m in MODALITIES:
            out[m].warnings.append((reason, src))
    for reason, src in crule.get("cautions_ablative", []):
        for m in GROUPS["ablative"]:
            out[m].warnings.append((reason, src))
    return out


def melasma_first(concern: Concern, patient: Patient | None) -> bool:
    """Uneven tone in phototypes III-VI is planned as melasma until the patient's answer says
    it is not (clinical-evidence-2 E49-E53, E57: ablative and high-energy settings worsen
    melasma; issue 29)."""
    return (concern.kind == "uneven-tone" and patient is not None and patient.phototype >= 3
            and patient.history.get("melasma") is not False)


def concern_rule(concern: Concern, patient: Patient | None = None) -> dict:
    kind = "melasma" if melasma_first(concern, patient) else concern.kind
    for c in rules()["concern"]:
        if c["kind"] == kind and c["severity"][0] <= concern.severity <= c["severity"][1]:
            return c
    raise LookupError(f"no concern rule for {concern}")  # patient parsing prevents this


def recovery(modality: str, injury_um: float | None, area: str | None = None,
             passes: int | None = None) -> dict | None:
    """The published recovery row of a modality at an injury depth (deepest row when the
    depth is unknown: the conservative choice). A row published for some areas (``areas``,
    and ``passes_max``: a single pass) is used there before the modality's general rows."""
    rows = [r for r in rules()["recovery"] if r["modality"] == modality]
    own = [r for r in rows if "areas" in r and area in r["areas"]
           and passes is not None and passes <= r.get("passes_max", passes)]
    if own:
        return own[0]
    rows = [r for r in rows if "areas" not in r]
    if not rows:
        return None
    if injury_um is None:
        return max(rows, key=lambda r: r.get("min_injury_um", 0))
    for r in rows:
        if r.get("min_injury_um", -math.inf) <= injury_um <= r.get("max_injury_um", math.inf):
            return r
    return rows[-1]
