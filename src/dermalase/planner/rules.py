"""The rule base (data/planner_rules.toml) applied to a patient and a concern.

Rules are data: history, phototype and site rules block, warn, add a step or limit a modality
group; concern rules give the target depth and the indicated modalities. This module only
matches them; it holds no clinical numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import data
from .patient import Concern, Patient

MODALITIES = ("full-field-co2", "full-field-er:yag", "fractional-co2", "fractional-er:yag",
              "non-ablative-fractional-er:glass")
GROUPS = {
    "full-field": ("full-field-co2", "full-field-er:yag"),
    "ablative-fractional": ("fractional-co2", "fractional-er:yag"),
    "non-ablative": ("non-ablative-fractional-er:glass",),
    "all": MODALITIES,
}


def expand(names) -> set[str]:
    out: set[str] = set()
    for n in names:
        out |= set(GROUPS.get(n, (n,)))
    return out


def rules() -> dict:
    return data.toml("planner_rules")


@dataclass
class Verdict:
    """What the rules say about one modality for one patient and concern."""

    modality: str
    blocked: list = field(default_factory=list)    # (reason, source, evidence, rule id)
    warnings: list = field(default_factory=list)   # (reason, source)
    steps: list = field(default_factory=list)      # (reason, source)
    coverage_max: float | None = None
    depth_max_um: float | None = None
    limits: list = field(default_factory=list)     # (reason, source)


def _record(v: Verdict, rule: dict, rid: str) -> None:
    act = rule["action"]
    if act == "block":
        v.blocked.append((rule["reason"], rule["source"], rule["evidence"], rid))
    elif act == "warn":
        v.warnings.append((rule["reason"], rule["source"]))
    elif act == "step":
        v.steps.append((rule["reason"], rule["source"]))
    elif act == "limit":
        if "coverage_max" in rule:
            v.coverage_max = min(v.coverage_max or 1.0, rule["coverage_max"])
        if "depth_max_um" in rule:
            v.depth_max_um = min(v.depth_max_um or 1e9, rule["depth_max_um"])
        v.limits.append((rule["reason"], rule["source"]))


def _history_applies(rule: dict, history: dict) -> bool:
    key = rule["key"]
    if key == "_always":
        return True
    if key not in history:
        return False
    if rule["test"] == "true":
        return history[key] is True
    if rule["test"] == "months_below":
        return float(history[key]) < float(rule["value"])
    raise ValueError(f"unknown rule test {rule['test']!r}")


def verdicts(patient: Patient, concern: Concern) -> dict[str, Verdict]:
    """Apply every history, phototype and site rule to each modality."""
    r = rules()
    out = {m: Verdict(m) for m in MODALITIES}
    for rule in r["history"]:
        if _history_applies(rule, patient.history):
            for m in expand(rule["modalities"]):
                _record(out[m], rule, rule["id"])
    for rule in r["phototype"]:
        if rule["min"] <= patient.phototype <= rule["max"]:
            for m in expand(rule["modalities"]):
                _record(out[m], rule, f"phototype-{rule['min']}-{rule['max']}")
    for rule in r["site"]:
        if concern.site in rule["sites"]:
            for m in expand(rule["modalities"]):
                _record(out[m], rule, f"site-{concern.site}")
    return out


def concern_rule(concern: Concern) -> dict:
    for c in rules()["concern"]:
        if c["kind"] == concern.kind and c["severity"][0] <= concern.severity <= c["severity"][1]:
            return c
    raise LookupError(f"no concern rule for {concern}")  # patient parsing prevents this
