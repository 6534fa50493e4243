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
from .patient import Concern, Patient

MODALITIES = ("full-field-co2", "full-field-er:yag", "fractional-co2", "fractional-er:yag",
              "non-ablative-fractional-er:glass", "non-ablative-fractional-tm:fiber")
GROUPS = {
    "full-field": ("full-field-co2", "full-field-er:yag"),
    "ablative-fractional": ("fractional-co2", "fractional-er:yag"),
    "ablative": ("full-field-co2", "full-field-er:yag", "fractional-co2", "fractional-er:yag"),
    "non-ablative": ("non-ablative-fractional-er:glass", "non-ablative-fractional-tm:fiber"),
    "all": MODALITIES,
}
#: Labels a clinician reads.
LABELS = {"full-field-co2": "full-field CO2 (10,600 nm)",
          "full-field-er:yag": "full-field Er:YAG (2,940 nm)",
          "fractional-co2": "ablative fractional CO2",
          "fractional-er:yag": "ablative fractional Er:YAG",
          "non-ablative-fractional-er:glass": "non-ablative fractional 1,550 nm",
          "non-ablative-fractional-tm:fiber": "non-ablative fractional 1,927 nm (thulium)"}


def expand(names) -> set[str]:
    out: set[str] = set()
    for n in names:
        out |= set(GROUPS.get(n, (n,)))
    return out


def is_ablative(modality: str) -> bool:
    return modality in GROUPS["ablative"]


def rules() -> dict:
    return data.toml("planner_rules")


def is_face(site: str) -> bool:
    return site in rules()["policy"]["face_sites"]


@dataclass
class Verdict:
    """What the rules say about one modality for one patient and concern."""

    modality: str
    blocked: list = field(default_factory=list)    # (reason, source, evidence, rule id, defer)
    warnings: list = field(default_factory=list)   # (reason, source)
    steps: list = field(default_factory=list)      # (reason, source)
    limits: list = field(default_factory=list)     # (reason, source)
    conditional: list = field(default_factory=list)  # unanswered history keys that decide it
    injured_surface_max: float | None = None
    injured_surface_factor: float = 1.0
    depth_max_um: float | None = None
    interval_add_weeks: tuple[float, float] = (0.0, 0.0)
    passes_max: int | None = None
    interval_weeks: tuple[float, float] | None = None  # a site's own interval, if it has one


def _limit(v: Verdict, rule: dict) -> None:
    margin = rules()["policy"]["harm_margin"]
    if "injured_surface_max" in rule:
        v.injured_surface_max = min(v.injured_surface_max or 1.0, rule["injured_surface_max"])
    if "harm_injured_surface" in rule:
        v.injured_surface_max = min(v.injured_surface_max or 1.0,
                                    rule["harm_injured_surface"] * (1 - margin))
    if "harm_depth_um" in rule:
        v.depth_max_um = min(v.depth_max_um or math.inf, rule["harm_depth_um"] * (1 - margin))
    if "injured_surface_factor" in rule:
        v.injured_surface_factor = min(v.injured_surface_factor, rule["injured_surface_factor"])
    if "interval_add_weeks" in rule:
        a, b = rule["interval_add_weeks"]
        v.interval_add_weeks = (max(v.interval_add_weeks[0], a), max(v.interval_add_weeks[1], b))
    if "passes_max" in rule:
        v.passes_max = min(v.passes_max or 99, rule["passes_max"])
    if "interval_weeks" in rule:
        v.interval_weeks = tuple(rule["interval_weeks"])


def _record(v: Verdict, rule: dict, rid: str) -> None:
    act = rule["action"]
    if act == "block":
        v.blocked.append((rule["reason"], rule["source"], rule["evidence"], rid,
                          rule.get("defer", "")))
    elif act == "warn":
        v.warnings.append((rule["reason"], rule["source"]))
    elif act == "step":
        v.steps.append((rule["reason"], rule["source"]))
    elif act == "limit":
        _limit(v, rule)
        v.limits.append((rule["reason"], rule["source"]))
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
    for rule in r["history"]:
        if "sites" in rule and concern.site not in rule["sites"]:
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
                _record(out[m], rule, rule["id"])
    for rule in r["phototype"]:
        if rule["min"] <= patient.phototype <= rule["max"]:
            for m in expand(rule["modalities"]):
                _record(out[m], rule, f"phototype-{rule['min']}-{rule['max']}")
    for rule in r["site"]:
        if concern.site in rule["sites"]:
            for m in expand(rule["modalities"]):
                _record(out[m], rule, f"site-{concern.site}")
    crule = concern_rule(concern)
    ex = crule.get("exclude")
    if ex:
        for m in expand(ex["modalities"]):
            out[m].blocked.append((ex["reason"], ex["source"], "EXPERT",
                                   f"concern-{concern.kind}", ex.get("defer", "")))
    for reason, src in crule.get("cautions", []):
        for m in MODALITIES:
            out[m].warnings.append((reason, src))
    for reason, src in crule.get("cautions_ablative", []):
        for m in GROUPS["ablative"]:
            out[m].warnings.append((reason, src))
    return out


def _site_factor_row(site: str) -> dict | None:
    return next((row for row in rules()["site_factor"] if site in row["sites"]), None)


def site_factor(site: str) -> tuple[float, float]:
    """Energy and density factor of a site relative to the face (1, 1 on the face)."""
    row = _site_factor_row(site)
    return (float(row["factor"][0]), float(row["factor"][1])) if row else (1.0, 1.0)


def site_factor_source(site: str) -> str | None:
    row = _site_factor_row(site)
    return row["source"] if row else None


def concern_rule(concern: Concern) -> dict:
    for c in rules()["concern"]:
        if c["kind"] == concern.kind and c["severity"][0] <= concern.severity <= c["severity"][1]:
            return c
    raise LookupError(f"no concern rule for {concern}")  # patient parsing prevents this


def recovery(modality: str, injury_um: float | None) -> dict | None:
    """The published recovery row of a modality at an injury depth (deepest row when the
    depth is unknown: the conservative choice)."""
    rows = [r for r in rules()["recovery"] if r["modality"] == modality]
    if not rows:
        return None
    if injury_um is None:
        return max(rows, key=lambda r: r.get("min_injury_um", 0))
    for r in rows:
        if r.get("min_injury_um", -math.inf) <= injury_um <= r.get("max_injury_um", math.inf):
            return r
    return rows[-1]
