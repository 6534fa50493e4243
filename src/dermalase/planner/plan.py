"""Plan: rules -> indicated, allowed modalities -> settings search -> predictions -> ranking.

Ranking, among candidates that are allowed, reach the target depth, fit the accepted number of
sessions and whose predicted re-epithelialization fits the accepted downtime: first-line order
of the concern rule (its source lists modalities in that order), then fewer sessions, then
shorter predicted downtime. Candidates that fail a constraint are still shown, with why.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .._version import __version__
from . import rules as R
from . import search as S
from .patient import Concern, Patient

PREDICTED_KEYS = ("ablation_depth_um", "coagulation_depth_um", "injury_depth_um",
                  "deepest_layer", "peak_temperature_C", "channel_diameter_um",
                  "coagulation_collar_um", "mtz_diameter_um", "surface_injury_fraction",
                  "reepithelialization_days", "reepithelialization_days_range",
                  "remodeling_index_mm3_per_cm2", "bulk_temperature_rise_C", "warnings")


@dataclass
class Candidate:
    modality: str
    settings: dict
    sessions: int
    predicted: dict | None
    reasons: list = field(default_factory=list)
    problems: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    steps: list = field(default_factory=list)
    sources: list = field(default_factory=list)
    scenario: dict | None = None
    simulated: bool = True
    rank_key: tuple = ()

    @property
    def feasible(self) -> bool:
        return not self.problems

    def course(self) -> dict | None:
        """Whole-course predictions from the per-session ones: sessions treated alike; the
        injured surface of independent sessions combines as 1 - (1 - f)^n (zones placed
        anew each time)."""
        p = self.predicted
        if not p:
            return None
        n = self.sessions
        days = p.get("reepithelialization_days")
        rem = p.get("remodeling_index_mm3_per_cm2")
        sif = p.get("surface_injury_fraction")
        return {"sessions": n,
                "total_reepithelialization_days": round(n * days, 2) if days is not None
                else None,
                "total_remodeling_index_mm3_per_cm2": round(n * rem, 4) if rem is not None
                else None,
                "surface_treated_fraction": round(1 - (1 - sif) ** n, 4) if sif is not None
                else None}

    def to_dict(self) -> dict:
        return {"modality": self.modality, "settings": self.settings, "sessions": self.sessions,
                "predicted": self.predicted, "course": self.course(),
                "simulated": self.simulated, "scenario": self.scenario,
                "reasons": self.reasons, "problems": self.problems,
                "warnings": self.warnings, "steps": self.steps, "sources": self.sources}


def _target(rule: dict, modality: str):
    key = "target_full_field_um" if modality.startswith("full-field") else "target_fractional_um"
    return rule.get(key)


def _literature_candidate(modality: str, st: dict, rule: dict) -> Candidate:
    dens = st["density_per_cm2"]
    pred = {"ablation_depth_um": 0.0, "coagulation_depth_um": float(st["mtz_depth_um"]),
            "injury_depth_um": float(st["mtz_depth_um"]), "mtz_diameter_um":
            float(st["mtz_diameter_um"]), "reepithelialization_days":
            float(st["reepithelialization_days"]), "source": st["ref"]}
    return Candidate(modality, {"pulse_energy": f"{st['pulse_energy_mJ']} mJ",
                                "density": f"{dens[0]}-{dens[1]} /cm^2"},
                     rule["sessions"][modality], pred, simulated=False,
                     warnings=["not simulated: the Monte Carlo zone needs the device's microbeam "
                               "size, which no source gives; predictions are the published "
                               "values"],
                     sources=[st["ref"]])


def candidate(modality: str, rule: dict, concern: Concern, patient: Patient,
              verdict: R.Verdict) -> Candidate:
    st = R.rules()["settings"][modality]
    if st.get("literature_only"):
        c = _literature_candidate(modality, st, rule)
    else:
        lo, hi = _target(rule, modality)
        if verdict.depth_max_um is not None:
            hi = min(hi, verdict.depth_max_um)
        if modality.startswith("full-field"):
            found = S.full_field(st, concern.site, patient.phototype, lo, hi)
        else:
            cov = st["coverage"][0]
            if verdict.coverage_max is not None:
                cov = min(cov, verdict.coverage_max)
            found = S.fractional(st, concern.site, patient.phototype, lo, hi, cov)
        pred = ({k: found.summary.get(k) for k in PREDICTED_KEYS}
                if found.summary else None)
        c = Candidate(modality, found.settings, rule["sessions"][modality], pred,
                      scenario=found.scenario, sources=[st["ref"]])
        if not found.reached:
            c.problems.append(f"does not meet the target {lo:.0f}-{hi:.0f} um: {found.note}")
        else:
            c.reasons.append(f"reaches the target injury depth {lo:.0f}-{hi:.0f} um "
                             f"({rule['target_layer']}): simulated "
                             f"{pred['injury_depth_um']:.0f} um")
        if pred:
            c.warnings += pred.get("warnings") or []
    c.reasons.insert(0, f"indicated for {concern.kind} severity {concern.severity} "
                        f"({rule['scale']}): {rule['source']} [{rule['evidence']}]")
    c.sources.insert(0, rule["source"])
    for reason, src in verdict.warnings:
        c.warnings.append(f"{reason} ({src})")
    for reason, src in verdict.steps:
        c.steps.append(f"{reason} ({src})")
    for reason, src in verdict.limits:
        c.reasons.append(f"settings limited: {reason} ({src})")
        c.sources.append(src)
    # constraints of the patient
    if c.sessions > patient.max_sessions:
        c.problems.append(f"needs {c.sessions} sessions; the patient accepts "
                          f"{patient.max_sessions}")
    days = (c.predicted or {}).get("reepithelialization_days")
    if days is None:
        c.problems.append("no predicted healing time")
    elif days > patient.max_downtime_days:
        c.problems.append(f"predicted re-epithelialization {days:.1f} d exceeds the accepted "
                          f"{patient.max_downtime_days:g} d")
    else:
        c.reasons.append(f"predicted re-epithelialization {days:.1f} d (model range "
                         f"{(c.predicted.get('reepithelialization_days_range') or [days, days])}"
                         f") within the accepted {patient.max_downtime_days:g} d")
    order = rule["modalities"].index(modality)
    c.rank_key = (not c.feasible, order, c.sessions, days if days is not None else 1e9)
    return c


def plan_concern(patient: Patient, concern: Concern) -> dict:
    rule = R.concern_rule(concern)
    verdicts = R.verdicts(patient, concern)
    blocked, cands = [], []
    for m in rule["modalities"]:
        v = verdicts[m]
        if v.blocked:
            for reason, src, ev, rid in v.blocked:
                blocked.append({"modality": m, "reason": reason, "source": src,
                                "evidence": ev, "rule": rid})
            continue
        cands.append(candidate(m, rule, concern, patient, v))
    cands.sort(key=lambda c: c.rank_key)
    rec = cands[0] if cands and cands[0].feasible else None
    if rec is not None:
        rec.reasons.append("ranked first: allowed, on target, within the accepted sessions and "
                           "downtime, and first-line in the rule's source")
    return {"concern": concern.__dict__, "target": {
                "full_field_um": rule.get("target_full_field_um"),
                "fractional_um": rule.get("target_fractional_um"),
                "layer": rule["target_layer"], "source": rule["source"]},
            "recommended": rec, "candidates": cands, "blocked": blocked}


def plan(patient: Patient) -> dict:
    """The plan of every concern; the top level carries the first concern's (contract)."""
    plans = [plan_concern(patient, c) for c in patient.concerns]
    first = plans[0]
    warnings = []
    for c in first["candidates"]:
        warnings += [w for w in c.warnings if w not in warnings]
    missing = patient.missing_history()
    if missing:
        warnings.insert(0, "history incomplete: " + ", ".join(missing) + " not answered; "
                        "the contraindications they decide were NOT checked")
    if first["recommended"] is None:
        warnings.insert(0, "no candidate meets every constraint; see the candidates' problems")

    def dump(p):
        return {"concern": dict(p["concern"]), "target": p["target"],
                "recommended": p["recommended"].to_dict() if p["recommended"] else None,
                "candidates": [c.to_dict() for c in p["candidates"]],
                "blocked": p["blocked"]}
    out = dump(first)
    out.update({"warnings": warnings, "missing": missing,
                "plans": [dump(p) for p in plans], "patient": patient.to_dict(),
                "version": __version__,
                "units": {"depths": "um", "reepithelialization_days": "d",
                          "remodeling_index_mm3_per_cm2": "mm^3/cm^2"}})
    return out
