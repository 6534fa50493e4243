"""Plan: rules -> indicated, allowed modalities -> settings search -> predictions -> ranking ->
a complete plan per concern, and how the concerns are treated together.

Ranking, among candidates that are not blocked: candidates that fail a constraint (target depth,
accepted sessions, accepted downtime) come last; then the first-line order of the concern rule
(its source lists modalities in that order); then fewer sessions; then the shorter upper end of
the published social downtime. The accepted downtime is compared with the upper end of the
*published social downtime* of the modality at that depth (clinical-evidence.md 7.1), not with
the model's re-epithelialization time, which is shown beside it with its own range.

Safety: the top-ranked candidate becomes the recommendation (★) only if it meets every
constraint *and* no unanswered history item could rule it out. Otherwise the plan says which
answers or which changes are needed. Because a candidate's rank never depends on the history
answers (history rules only block, warn or add steps), removing an answer can only withhold the
recommendation, never move it to another option (tested as a property).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .. import calibration
from .._version import __version__
from ..devices.terms import device_terms
from ..simulate import Scenario
from . import envelope, search
from . import rules as rulebase
from .face import FULL_FACE
from .patient import Concern, Patient
from .words import days_text, patient_text

PREDICTED_KEYS = ("ablation_depth_um", "coagulation_depth_um", "injury_depth_um",
                  "deepest_layer", "peak_temperature_C", "channel_diameter_um",
                  "coagulation_collar_um", "mtz_diameter_um", "surface_injury_fraction",
                  "reepithelialization_days", "reepithelialization_days_range",
                  "remodeling_index_mm3_per_cm2", "bulk_temperature_rise_K", "warnings")

#: Questions a clinician asks for each history key the file does not answer.
QUESTIONS = {
    "isotretinoin_months_ago": "Has the patient taken isotretinoin, and how many months ago was "
                               "the last dose? (or isotretinoin_never = true)",
    "herpes_simplex": "Any history of herpes simplex (cold sores)?",
    "keloids": "Any keloid or hypertrophic scarring?",
    "active_infection": "Any active infection in the area, including an active cold sore?",
    "pregnant": "Is the patient pregnant or breastfeeding?",
    "recent_tan": "Any tanning or strong sun exposure in the last 2 weeks?",
    "photosensitizing_drugs": "Any photosensitizing drugs or photosensitivity disorder?",
    "vitiligo": "Any vitiligo (personal or family)?",
    "prior_radiation": "Any radiation, grafts, deep peels or resurfacing in the area?",
    "ectropion": "Any ectropion or lower-lid laxity (the lid snaps back slower than 2-3 s, or "
                 "pulls more than 6 mm from the eye), or lower-lid surgery?",
    "vitiligo_stable": "Has the vitiligo been stable for 12 months (no new or spreading "
                       "patches, no patches in scratches or scars)?",
    "melasma": "Is the uneven tone melasma (symmetric brown patches on the cheeks, forehead or "
               "upper lip)? Until answered, it is planned as melasma.",
    "melasma_topical_tried": "Have topical bleaching (hydroquinone or triple cream) and strict "
                             "sun protection been tried for 3 months without enough effect? "
                             "A laser is an alternative only then (Wind 2011).",
}
#: the same questions as actions a patient reads (no file keys)
ACTIONS = {
    "isotretinoin_months_ago": "tell your clinician whether you have taken isotretinoin "
                               "(for acne) and when you stopped",
    "herpes_simplex": "tell your clinician whether you get cold sores",
    "keloids": "tell your clinician whether you form raised (keloid) scars",
    "active_infection": "tell your clinician about any infection or cold sore in the area",
    "pregnant": "tell your clinician whether you are pregnant or breastfeeding",
    "recent_tan": "tell your clinician about any tanning in the last 2 weeks",
    "photosensitizing_drugs": "bring a list of your medicines",
    "vitiligo": "tell your clinician about any vitiligo in you or your family",
    "prior_radiation": "tell your clinician about any radiation, skin graft or earlier "
                       "resurfacing in the area",
    "ectropion": "have your lower eyelids checked for looseness",
    "vitiligo_stable": "tell your clinician whether your vitiligo has changed in the last year",
    "melasma": "have your clinician check whether the patches are melasma",
    "melasma_topical_tried": "tell your clinician which creams you have used for the patches, "
                             "and for how long",
}


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
    scenario: Scenario | None = None
    simulated: bool = True
    rank_key: tuple = ()
    conditional_on: list = field(default_factory=list)
    interval_weeks: list | None = None
    recovery: dict = field(default_factory=dict)
    improvement: str = ""
    risks: list = field(default_factory=list)
    adjuncts: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    #: depth that selects the published recovery row when the model depth is known to be off
    recovery_depth_um: float | None = None
    #: the settings in each catalogue device's own terms (dermalase.devices)
    devices: list = field(default_factory=list)
    #: the predictions' model intervals over the sourced tissue ranges (planner.spread), when
    #: the plan was asked for them
    predicted_interval: dict | None = None
    #: warnings of this patient's history, phototype and area (the recommendation box shows
    #: them); model warnings stay in ``warnings``
    patient_warnings: list = field(default_factory=list)
    #: the envelope rows that bound this candidate's settings (data/envelope.toml ids)
    envelope_rows: list = field(default_factory=list)
    #: sessions below the studied course: the stated benefit is smaller (treat to plateau)
    reduced_course: bool = False
    studied_sessions: int | None = None
    #: the envelope's search bounds (energy range, passes, injured surface, depth)
    bounds: dict = field(default_factory=dict)
    #: the patient's lowered energy ceiling cannot reach the target: shallower, a smaller
    #: stated benefit
    reduced_depth: bool = False
    #: the envelope rows that changed this candidate's numbers (data/envelope.toml ids)
    changed_rows: list = field(default_factory=list)
    #: the expected result before a reduced course or depth is stated (the published figure)
    improvement_base: str = ""
    #: a reduced course whose figure was measured after as few sessions: no "expect less"
    reduced_course_figure: bool = False
    #: a full-face candidate (issue 33): its units, each with its modality and settings
    #: (planner.fullface.unit_entry), the blend it follows, and its own label
    units: list | None = None
    blend: dict | None = None
    plan_label: str | None = None

    @property
    def feasible(self) -> bool:
        return not self.problems

    @property
    def label(self) -> str:
        return self.plan_label or rulebase.LABELS[self.modality]

    def course(self) -> dict | None:
        """Whole-course figures: sessions treated alike; the published social downtime adds up
        over the sessions; the injured surface of independent sessions combines as
        1 - (1 - f)^n (zones placed anew each time)."""
        n = self.sessions
        dt = self.recovery.get("downtime_days")
        p = self.predicted or {}
        sif = p.get("surface_injury_fraction")
        return {"sessions": n,
                "total_downtime_days": [n * dt[0], n * dt[1]] if dt else None,
                "surface_treated_fraction": round(1 - (1 - sif) ** n, 4)
                if sif is not None else None}

    def to_dict(self) -> dict:
        rec = self.recovery
        return {"modality": self.modality, "label": self.label, "settings": self.settings,
                "sessions": self.sessions, "interval_weeks": self.interval_weeks,
                "predicted": self.predicted, "predicted_interval": self.predicted_interval,
                "course": self.course(),
                "downtime_days": rec.get("downtime_days"),
                "downtime_typical_days": rec.get("downtime_typical_days"),
                "downtime_typical_basis": rec.get("downtime_typical_basis"),
                "downtime_source": rec.get("source"),
                "erythema_days": rec.get("erythema_days"),
                "erythema_note": rec.get("erythema_note"),
                "erythema_source": rec.get("source"),
                "reepithelialization": rec.get("reepithelialization"),
                "conditional_on": self.conditional_on, "improvement": self.improvement,
                "risks": self.risks, "adjuncts": self.adjuncts,
                "simulated": self.simulated, "devices": self.devices,
                "scenario": self.scenario.to_dict() if self.scenario is not None else None,
                "reasons": self.reasons, "problems": self.problems, "notes": self.notes,
                "warnings": self.warnings, "patient_warnings": self.patient_warnings,
                "steps": self.steps, "sources": self.sources,
                "envelope": {"rows": self.envelope_rows, "bounds": self.bounds},
                "reduced_course": self.reduced_course,
                "reduced_depth": self.reduced_depth,
                "studied_sessions": self.studied_sessions,
                "expected_result": self.expected_result(),
                **({"units": self.units, "blend": self.blend} if self.units is not None
                   else {})}

    def expected_result(self) -> str:
        """The expected result as a patient reads it: the published outcome for this area and
        concern (or "no reliable figure"), then what a shorter course or a shallower setting
        means for it."""
        out = patient_text(self.improvement_base or self.improvement, outcome=True)
        if self.reduced_course and not self.reduced_course_figure:
            out += (f"; with {self.sessions} session{'s' if self.sessions > 1 else ''} instead "
                    f"of the {self.studied_sessions} studied, expect less")
        if self.reduced_depth:
            out += "; with the gentler settings your skin needs, expect less"
        return out


def _target(rule: dict, modality: str):
    key = "target_full_field_um" if modality.startswith("full-field") else "target_fractional_um"
    return rule.get(key)


def _literature_row(modality: str, concern: Concern, patient: Patient | None,
                    kind: str) -> dict | None:
    """The published settings row of a literature-only modality for this indication."""
    for row in rulebase.rules().get("literature", []):
        if row["modality"] != modality:
            continue
        if "concerns" in row and kind not in row["concerns"]:
            continue
        if "areas" in row and concern.site not in row["areas"]:
            continue
        if "regions" in row and envelope.area(concern.site)["region"] not in row["regions"]:
            continue
        return row
    return None


def _range(lo: float, hi: float, unit: str, digits: int = 0) -> str:
    f = f"{{:.{digits}f}}"
    return (f.format(lo) if abs(hi - lo) < 10 ** -digits / 2 else
            f"{f.format(lo)}-{f.format(hi)}") + unit


def _literature_candidate(modality: str, st: dict, rule: dict, concern: Concern,
                          patient: Patient, v: rulebase.Verdict) -> Candidate:
    """Published settings for the indication, with the envelope applied: the energy scaled by
    the area's and the history's factors and kept in the device's range, the coverage (or the
    zone density) under the phototype's and the history's caps."""
    row = _literature_row(modality, concern, patient, rule["kind"]) or {}
    notes = ["not simulated: the device's microbeam size has no source, so the published "
             "settings of the indication are given"]
    settings: dict[str, Any] = {}
    bounds_info: dict[str, Any] = {}
    pred: dict[str, Any] = {"ablation_depth_um": 0.0, "coagulation_depth_um": None,
                            "injury_depth_um": None, "mtz_diameter_um": None,
                            "reepithelialization_days": float(st["reepithelialization_days"])
                            if "reepithelialization_days" in st else None,
                            "source": row.get("source", st["ref"])}
    changed: set[str] = set()
    if "pulse_energy_mJ" in row:
        e0, e1 = (float(x) for x in row["pulse_energy_mJ"])
        b = envelope.bounds(concern.site, patient.phototype, patient.history, modality,
                            {"pulse_energy_mJ": [e0, e1]},
                            area_specific="areas" in row or "regions" in row)
        lo, hi = b.energy
        dev = envelope.device_limits(modality) or {}
        if "energy" in dev:
            lo, hi = max(lo, dev["energy"][0]), min(hi, dev["energy"][1])
            lo = min(lo, hi)
        settings["pulse_energy"] = _range(lo, hi, " mJ", 1 if hi < 10 else 0)
        bounds_info["pulse_energy_mJ"] = [lo, hi]
        if (lo, hi) != (e0, e1):
            notes.append(f"published {_range(e0, e1, ' mJ')}; the clinical envelope gives "
                         f"{settings['pulse_energy']} for this patient")
            changed |= {r for r in b.changed if _row_has(r, ("energy_factor", "energy_max_mJ"))}
        notes.append(_zone_depth_note(modality, hi))
    if "ablation_um" in row:  # dual-mode: the Contour's ablation and coagulation dials
        changed |= _dial_settings(modality, row, concern, patient, v, settings, bounds_info,
                                  pred, notes)
    cap = v.injured_surface_max
    per_zone = float(envelope.envelope()["policy"]["nafl_coverage_per_zone"])
    if "coverage" in row:
        c0, c1 = (float(x) for x in row["coverage"])
        if cap is not None and c1 > cap:
            c1 = cap
            c0 = min(c0, c1)
            notes.append(f"published coverage {100 * row['coverage'][0]:.0f}-"
                         f"{100 * row['coverage'][1]:.0f} %, capped at {100 * cap:.0f} % for "
                         "this patient")
            changed |= _cap_rows(v, cap)
        settings["coverage"] = _range(100 * c0, 100 * c1, " %")
        bounds_info["coverage"] = [c0, c1]
        pred["surface_injury_fraction"] = c1
    elif "density_cm2" in row:
        n0, n1 = (float(x) for x in row["density_cm2"])
        dev = envelope.device_limits(modality) or {}
        if "density_cm2" in dev:
            n1 = min(n1, dev["density_cm2"][1])
        if cap is not None and n1 * per_zone > cap:
            n1 = cap / per_zone
            n0 = min(n0, n1)
            notes.append(f"published {row['density_cm2'][0]:g}-{row['density_cm2'][1]:g} "
                         f"zones/cm^2, capped at {n1:.0f} (coverage at most {100 * cap:.0f} % "
                         "for this patient)")
            changed |= _cap_rows(v, cap)
        settings["density"] = _range(n0, n1, " /cm^2")
        bounds_info["density_cm2"] = [n0, n1]
        # an upper bound of the coverage (zones widen with energy; the conversion is at 40 mJ)
        bounds_info["coverage_upper_bound"] = round(min(1.0, n1 * per_zone), 4)
        pred["surface_injury_fraction"] = None
    if "settings" in row:
        settings.update(row["settings"])
    c = Candidate(modality, settings, rule["sessions"][modality], pred, simulated=False,
                  sources=[row.get("source", st["ref"])], notes=notes)
    c.bounds = bounds_info
    c.changed_rows = sorted(changed)
    return c


def _row_has(rid: str, keys: tuple[str, ...]) -> bool:
    row = next(r for r in envelope.envelope()["row"] if r["id"] == rid)
    return any(k in row for k in keys)


def _cap_rows(v: rulebase.Verdict, cap: float) -> set[str]:
    """The envelope rows whose surface cap is the binding one."""
    rows = {r["id"]: r for r in envelope.envelope()["row"]}
    margin = envelope.margin()
    out = set()
    for rid in (v.bounds.rows if v.bounds else ()):
        r = rows.get(rid, {})
        top = r.get("injured_surface_max",
                    r["harm_injured_surface"] * (1 - margin) if "harm_injured_surface" in r
                    else None)
        if top is not None and abs(top - cap) < 1e-9:
            out.add(rid)
    return out


def _zone_depth_note(modality: str, energy_mJ: float) -> str:
    """What the sources give for the depth of a non-ablative zone at this energy."""
    if modality == "non-ablative-fractional-er:glass" and energy_mJ <= 20:
        return ("zone depth: about 308 µm at 10 mJ and 414 µm at 20 mJ with a 1,550 nm device "
                "in guinea-pig skin (Sellas device study 2009, authors to confirm; "
                "published.md); deeper at higher energy (Laubach 2007)")
    return ("zone depth at this energy: not reported in the sources reached; it grows with "
            "energy and can pass 1 mm at high energy (Laubach 2007; Bedi 2007)")


def _dial_settings(modality: str, row: dict, concern: Concern, patient: Patient,
                   v: rulebase.Verdict, settings: dict, bounds_info: dict, pred: dict,
                   notes: list) -> set[str]:
    """Published dial settings of a full-field erbium device (ablation and coagulation depth
    per pass, passes) with the envelope applied: the ablation is read as a fluence by the
    device's dial rule (µm per J/cm^2), so the energy factors and ceilings of this patient
    lower it as they lower a fluence; passes under the envelope's cap; the whole injury within
    the area's depth limit. Returns the rows that changed a number."""
    dev = envelope.device_limits(modality) or {}
    from ..devices.catalogue import catalogue

    rate = catalogue()[dev["device"]].settings["ablation"].params["rate"]
    a0, a1 = (float(x) for x in row["ablation_um"])
    k0, k1 = (float(x) for x in row.get("coagulation_um", (0.0, 0.0)))
    p1 = int(row.get("passes", [1, 1])[1])
    b = envelope.bounds(concern.site, patient.phototype, patient.history, modality,
                        {"fluence_J_cm2": [a0 / rate, a1 / rate]})
    lo, hi = b.energy[0] * rate, b.energy[1] * rate
    changed: set[str] = set()
    if hi < a1 - 1e-9:
        changed |= {r for r in b.changed if _row_has(r, ("energy_factor", "fluence_J_cm2"))}
    if b.passes_max is not None and b.passes_max < p1:
        p1 = b.passes_max
        changed |= {r for r in b.changed if _row_has(r, ("passes_max",))}
    room = b.depth_max_um - k1
    if room < hi:  # the area's skin: ablation and coagulation within its depth limit
        hi, lo = room, min(lo, room)
        notes.append(f"ablation limited to {hi:.0f} µm per pass by the {concern.site} skin")
    settings["ablation"] = _range(lo, hi, " µm")
    settings["coagulation"] = _range(k0, k1, " µm")
    settings["passes"] = str(p1)
    bounds_info.update({"ablation_um": [lo, hi], "coagulation_um": [k0, k1], "passes": p1,
                        "depth_max_um": b.depth_max_um})
    pred.update({"ablation_depth_um": hi * p1, "coagulation_depth_um": k1,
                 "injury_depth_um": hi * p1 + k1})
    notes.append(f"set on the device's dials (ablation and coagulation in µm, {rate:g} µm per "
                 "J/cm^2 by its dial rule) and confirmed on a test spot; not simulated")
    return changed


@dataclass(frozen=True)
class SearchInputs:
    """What a simulated candidate's search is given: the skin preset, the target depth (the
    concern's, the area's for full field, under the envelope's depth limit), the envelope's
    bounds and, fractional, the injured surface aimed at. Exposed so that the envelope's
    property tests check every search of the input space without simulating."""

    skin: str
    lo: float
    hi: float
    bounds: envelope.Bounds
    aim: float | None
    shallower: str = ""


def search_inputs(modality: str, rule: dict, concern: Concern, patient: Patient,
                  v: rulebase.Verdict) -> SearchInputs:
    st = rulebase.rules()["settings"][modality]
    lo, hi = _target(rule, modality)
    area_target = envelope.area(concern.site).get("full_field_target_um")
    if area_target and modality.startswith("full-field"):  # the area's is shallower
        lo, hi = min(lo, float(area_target[0])), min(hi, float(area_target[1]))
    b = v.bounds
    assert b is not None  # every verdict carries its envelope bounds
    shallower = ""
    if b.depth_max_um < hi:
        hi = b.depth_max_um
        if lo >= 0.9 * hi:
            lo = 0.5 * hi
            shallower = (f"the {concern.site} skin allows at most {hi:.0f} µm, shallower than "
                         "this concern's usual target: a smaller benefit is expected")
    aim = None if modality.startswith("full-field") else search.injured_surface_aim(st, b)
    return SearchInputs(envelope.skin_of(concern.site), lo, hi, b, aim, shallower)


def _simulated_candidate(modality: str, rule: dict, concern: Concern, patient: Patient,
                         v: rulebase.Verdict) -> Candidate:
    st = rulebase.rules()["settings"][modality]
    inp = search_inputs(modality, rule, concern, patient, v)
    lo, hi, b, skin, shallower = inp.lo, inp.hi, inp.bounds, inp.skin, inp.shallower
    if modality.startswith("full-field"):
        found = search.full_field(st, skin, patient.phototype, lo, hi, b)
        cap = None
    else:
        cap = b.injured_surface_max
        assert inp.aim is not None
        found = search.fractional(st, skin, patient.phototype, lo, hi, inp.aim, b)
    pred: dict[str, Any] | None = {k: found.summary.get(k) for k in PREDICTED_KEYS} \
        if found.summary else None
    c = Candidate(modality, found.settings, rule["sessions"][modality], pred,
                  scenario=found.scenario, sources=[st["ref"]], notes=list(found.notes))
    c.bounds = {"energy": list(b.energy), "energy_max": b.energy_device[1],
                "unit": "J/cm^2" if modality.startswith("full-field") else "mJ",
                "passes_max": b.passes_max, "injured_surface_max": b.injured_surface_max,
                "depth_max_um": None if b.depth_max_um == float("inf") else b.depth_max_um}
    if shallower:
        c.notes.append(shallower)
    c.reduced_depth = found.reduced_depth
    c.changed_rows = _binding(c, b, inp)
    if found.model_gap:  # published setting kept: its published depth is the target's middle
        c.recovery_depth_um = 0.5 * (lo + hi)
    if not found.reached:
        c.problems.append(f"does not meet the target {lo:.0f}-{hi:.0f} µm: {found.note}")
    else:
        assert pred is not None  # a reached target has a simulated summary
        c.reasons.append(f"aims at the middle of the target injury depth {lo:.0f}-{hi:.0f} µm "
                         f"({rule['target_layer']}): simulated "
                         f"{_round_depth(pred['injury_depth_um'])} µm")
    if cap is not None and pred:
        c.reasons.append(f"injured surface {100 * pred['surface_injury_fraction']:.0f} % "
                         f"(cap {100 * cap:.0f} %)")
    if pred:
        c.warnings += pred.get("warnings") or []
    return c


def _binding(c: Candidate, b: envelope.Bounds, inp: SearchInputs) -> list[str]:
    """The envelope rows that changed the numbers the search used (``Bounds.changed``) *and* sit
    at the chosen setting: an energy at the row's lowered top, the pass count at its cap, an
    injured surface at its cap, a target cut to its depth; a density factor or an interval
    always acts. A row whose bound the chosen setting stays clear of changed nothing the
    patient is given, so the plan does not say it did (review B7)."""
    rows = {r["id"]: r for r in envelope.envelope()["row"]}
    st, p = c.settings, c.predicted or {}
    key = "fluence" if c.modality.startswith("full-field") else "pulse_energy"
    x = float(str(st[key]).split()[0]) if key in st else None
    n = st.get("passes", st.get("stack"))
    sif = p.get("surface_injury_fraction")
    out = []
    for rid in b.changed:
        r = rows[rid]
        hit = any(k in r for k in ("injured_surface_factor", "interval_add_weeks",
                                   "interval_weeks"))
        if any(k in r for k in ("energy_factor", "fluence_J_cm2", "energy_max_mJ")):
            hit |= x is not None and x >= b.energy_device[1] - 0.051
        if "passes_max" in r:
            hit |= n is not None and b.passes_max is not None and int(n) >= b.passes_max
        if any(k in r for k in ("injured_surface_max", "harm_injured_surface")):
            hit |= sif is not None and b.injured_surface_max is not None and \
                sif >= 0.9 * b.injured_surface_max
        if any(k in r for k in ("harm_depth_um", "depth_max_um")):
            hit |= inp.hi >= b.depth_max_um - 1e-6
        if hit:
            out.append(rid)
    return out


def _round_depth(um) -> str:
    """Depths to the precision the model has (a few per cent: docs/validation.md): 5 µm."""
    return "-" if um is None else f"{5 * round(um / 5):.0f}"


def _recovery(c: Candidate, concern: Concern | None = None) -> dict:
    p = c.predicted or {}
    passes = c.settings.get("passes")
    row = rulebase.recovery(c.modality, c.recovery_depth_um if c.recovery_depth_um is not None
                            else p.get("injury_depth_um"),
                            concern.site if concern is not None else None,
                            int(passes) if passes is not None else None)
    if row:  # the calibration in force (published: the row as it is)
        row = calibration.scaled_recovery(row, c.modality)
    out: dict = {}
    if row:
        out = {"downtime_days": row.get("downtime_days"),
               "downtime_typical_days": row.get("downtime_typical_days"),
               "downtime_typical_basis": row.get("downtime_typical_basis"),
               "erythema_days": row.get("erythema_days"),
               "erythema_note": row.get("erythema_note"),
               "source": f"{row['source']} [{row['evidence']}]"}
    re = {"model_days": p.get("reepithelialization_days") if c.simulated else None,
          "model_range_days": p.get("reepithelialization_days_range") if c.simulated else None,
          "published_days": row.get("reepithelialization_days") if row else None,
          "note": rulebase.rules()["model_healing_gap"].get(c.modality, "")}
    if row and row.get("reepithelialization_note"):
        re["published_note"] = row["reepithelialization_note"]
    out["reepithelialization"] = re
    return out


def _interval(modality: str, v: rulebase.Verdict) -> list | None:
    base = v.interval_weeks or rulebase.rules()["interval_weeks"][modality]
    if not any(base):  # one session: no interval
        return None
    a, b = v.interval_add_weeks
    return [base[0] + a, base[1] + b]


def _care(c: Candidate, concern: Concern, patient: Patient, v: rulebase.Verdict,
          rule: dict) -> None:
    """Steps before, during and after a session, each with its source."""
    care = rulebase.rules()["care"]
    steps = [f"before: {r} ({s})" for r, s in rule.get("steps", [])]
    steps += [f"before: {r} ({s})" for r, s in v.steps]
    if c.modality in rulebase.GROUPS["ablative-fractional"]:
        steps.append("before: {} ({})".format(*care["stop_retinoids"]))
    an, src = care["anaesthesia"][c.modality]
    steps.append(f"during: {an}" + (f" ({src})" if src != "none" else ""))
    ablative = rulebase.is_ablative(c.modality)
    wc = care["ablative_wound_care" if ablative else "nonablative_wound_care"]
    steps.append("after: {} ({})".format(*wc))
    steps.append("after: {} ({})".format(*care["photoprotection"]))
    c.steps = steps


def _risks(c: Candidate, patient: Patient) -> list:
    """The modality's risks with their figures, those of this patient's phototype only; a
    reassuring figure (a fourth element: history answers it was not measured on) is left out
    when the patient has, or has not denied, one of them (review 29b, B8: "no scarring in 108
    sessions" is no figure for a keloid former)."""
    out = []
    for r in rulebase.rules()["risks"].get(c.modality, []):
        if len(r) > 2 and r[2] and not r[2][0] <= patient.phototype <= r[2][1]:
            continue
        if len(r) > 3 and any(patient.history.get(k) is not False for k in r[3]):
            continue
        out.append(f"{r[0]} ({r[1]})")
    if patient.phototype >= 3:
        out.append(f"phototype {'I II III IV V VI'.split()[patient.phototype - 1]}: the risk of "
                   "post-inflammatory hyperpigmentation rises with the phototype "
                   "(Mercandetti, Medscape [REV]; Kaushik & Alexis 2017 [REV])")
    return out


def _device_terms(modality: str, c: Candidate) -> list[dict]:
    """The candidate's settings in each catalogue device's terms, kept in the simulation store
    by what they are read from (the modality, the scenario, the prediction, the settings): a
    repeated plan reads them without parsing the catalogue's units again (issue 18)."""
    from ..simulate import store

    if c.scenario is None:  # published settings: nothing to parse, nothing to keep
        return device_terms(modality, None, c.predicted, c.settings)
    args = {"modality": modality, "predicted": c.predicted, "settings": c.settings,
            "scenario": c.scenario.to_dict(si=True) if c.scenario is not None else None}
    return store.cached_call("device-terms", args, lambda: {
        "terms": device_terms(modality, c.scenario, c.predicted, c.settings)})["terms"]


def candidate(modality: str, rule: dict, concern: Concern, patient: Patient,
              verdict: rulebase.Verdict) -> Candidate:
    st = rulebase.rules()["settings"][modality]
    if st.get("literature_only"):
        c = _literature_candidate(modality, st, rule, concern, patient, verdict)
    else:
        c = _simulated_candidate(modality, rule, concern, patient, verdict)
    c.envelope_rows = list(verdict.bounds.rows) if verdict.bounds else []
    c.reasons.insert(0, f"indicated for {concern.kind} severity {concern.severity} "
                        f"({rule['scale']}): {rule['source']} [{rule['evidence']}]")
    c.sources.insert(0, rule["source"])
    c.warnings += [f"{reason} ({src})" for reason, src in verdict.warnings]
    c.patient_warnings = [f"{reason} ({src})" for reason, src in verdict.warnings]
    for reason, src, rid in verdict.limits:
        # only a row that changed this candidate's numbers says so (review B7): a row whose
        # limit does not bind, or whose amount the published settings already carry, is a
        # reason of the ranking or nothing
        if rid in c.changed_rows:
            c.reasons.append(f"settings limited: {reason} ({src})")
            c.patient_warnings.append(f"settings changed: {reason} ({src})")
        elif _row_has(rid, ("first", "demote")):
            c.reasons.append(f"ranked by the envelope: {reason} ({src})")
        c.sources.append(src)
    c.conditional_on = list(verdict.conditional)
    c.devices = _device_terms(modality, c)
    c.interval_weeks = _interval(modality, verdict)
    c.recovery = _recovery(c, concern)
    c.improvement = c.improvement_base = improvement(rule, modality, concern, patient)
    c.risks = _risks(c, patient)
    if concern.scar_type:
        c.adjuncts = [f"{a} ({s})" for a, s in rulebase.rules()["adjuncts"][concern.scar_type]]
    if rule.get("show_alternatives"):  # e.g. the guideline's field therapy for keratoses
        c.adjuncts += [f"alternative or with it: {r[0]} ({r[1]})" for r in rule["non_laser"]]
    _care(c, concern, patient, verdict, rule)
    # constraints of the patient: fewer sessions than studied is a smaller stated benefit
    # (treat to a plateau, Salameh 2022), not no plan; full field is one session anyway
    if c.sessions > patient.max_sessions:
        c.studied_sessions = c.sessions
        c.sessions = patient.max_sessions
        c.reduced_course = True
    measured = _figure_sessions(rule, modality, concern)
    if c.reduced_course and measured is not None and c.sessions >= measured:
        c.reduced_course_figure = True  # the figure was measured after this many sessions
    elif c.reduced_course:
        c.improvement += (f". The studied course is {c.studied_sessions} sessions; with "
                          f"{c.sessions} session{'s' if c.sessions > 1 else ''} expect less; "
                          "sessions continue until the result stops improving (Salameh 2022 "
                          "[CONS])")
    if c.reduced_depth:
        c.improvement += (". The settings are lowered for this patient and reach less deep "
                          "than the concern's target: expect less")
    if rule.get("outcome_required") and not _has_figure(c.improvement_base):
        c.problems.append("no reliable figure for this outcome in the sources reached")
    if not c.simulated and not _has_numbers(c.settings):
        c.problems.append("no published numbers for this setting: it cannot be recommended "
                          "(no numbers, no ★)")
    dt = c.recovery.get("downtime_days")
    typ = c.recovery.get("downtime_typical_days")
    if dt is None or typ is None:
        c.problems.append("no published social downtime for this modality: the accepted "
                          "downtime cannot be checked")
    elif typ > patient.max_downtime_days:
        c.problems.append(f"typical social downtime {typ:g} d (may take up to {dt[1]:g} d) "
                          f"exceeds the accepted {patient.max_downtime_days:g} d")
    else:
        c.reasons.append(f"typical social downtime {typ:g} d within the accepted "
                         f"{patient.max_downtime_days:g} d (may take up to {dt[1]:g} d)")
    order = rule["modalities"].index(modality) if modality in rule["modalities"] else 99
    first = bool(verdict.bounds and verdict.bounds.first)
    demote = bool(verdict.bounds and verdict.bounds.demote)
    # the envelope's order (off the face non-ablative first; phototype III erbium first,
    # dual-mode last) comes before a shorter course or a shallower setting (review A3)
    c.rank_key = (not c.feasible, not first, demote, c.reduced_course or c.reduced_depth,
                  order, c.sessions, typ if typ is not None else 1e9)
    return c


#: settings a published (not simulated) candidate must give as numbers to be recommended
NUMERIC_SETTINGS = ("pulse_energy", "coverage", "density", "ablation", "coagulation")


def _has_numbers(settings: dict) -> bool:
    import re

    return any(re.search(r"\d", str(settings.get(k, ""))) for k in NUMERIC_SETTINGS)


def _figure_sessions(rule: dict, modality: str, concern: Concern) -> int | None:
    """The sessions after which the expected result's figure was measured (an entry's
    ``sessions``), where the source says."""
    by_area = rule.get("improvement_by_area", {}).get(concern.site, {})
    imp = by_area.get(modality) or rule.get("improvement", {}).get(modality)
    return int(imp["sessions"]) if isinstance(imp, dict) and "sessions" in imp else None


def improvement(rule: dict, modality: str, concern: Concern, patient: Patient) -> str:
    """The published expected result of ``modality`` for this concern, keyed by area (the
    rule's ``improvement_by_area``) and by where each figure was measured (an entry's
    ``areas``, ``regions``, ``phototypes``): a figure measured elsewhere reads "no reliable
    figure" for this patient, with where it was measured for the clinician."""
    by_area = rule.get("improvement_by_area", {}).get(concern.site, {})
    imp = by_area.get(modality) or rule.get("improvement", {}).get(modality)
    if imp is None:
        return "no improvement figure in the sources reached"
    if isinstance(imp, str):
        return imp
    ok = ((not imp.get("areas") or concern.site in imp["areas"]) and
          (not imp.get("regions") or envelope.area(concern.site)["region"] in imp["regions"])
          and (not imp.get("phototypes") or
               imp["phototypes"][0] <= patient.phototype <= imp["phototypes"][1]))
    if ok:
        return str(imp["text"])
    return (f"no reliable figure for this area and skin: the published figure was measured on "
            f"{imp['measured']} ({imp['text']})")


def _has_figure(text: str) -> bool:
    """Whether an expected result states an outcome (a figure), not its absence."""
    import re

    low = text.lower()
    return bool(re.search(r"\d\s*%|\d+(\.\d+)?/\d", text)) and \
        not low.startswith(("no ", "not "))


def _deferral(patient: Patient, rule: dict, concern: Concern, cands: list, blocked: list,
              top: Candidate | None) -> dict:
    """Why nothing is recommended and what to do: answers needed, what blocks, what would
    have to change, and the non-laser routes the evidence names."""
    why, todo = [], []
    pregnant = patient.history.get("pregnant") is True
    if pregnant:  # review A7: the deferral leads with it, and names no procedure
        todo.append(next(b["defer"] for b in blocked if b["rule"] == "pregnancy")
                    if any(b["rule"] == "pregnancy" for b in blocked) else
                    "defer until after pregnancy and breastfeeding, then re-plan")
    todo += [f"{r} ({s})" for r, s in rule.get("steps", []) if not pregnant]
    if not rule["modalities"] and rule.get("non_laser") and not pregnant:
        todo += [r[0] for r in _rows(rule, patient)[:1]]
    if top is not None and top.feasible and top.conditional_on:
        why.append(f"the top-ranked option, {top.label}, depends on history answers not given")
        todo += [QUESTIONS[k] for k in top.conditional_on]
    if not rule["modalities"]:
        why.append(f"no resurfacing laser is indicated for {concern.kind} severity "
                   f"{concern.severity} ({rule['source']})")
    if blocked and not cands:
        why.append("every indicated option is blocked")
    # a row that blocks every option of the concern says what to do instead; the advice of a
    # row that blocks only some (e.g. "choose fractional treatment") would name options another
    # row blocks too, so it is left out then
    mods = {b["modality"] for b in blocked} | {c.modality for c in cands}
    by_rule: dict[str, set] = {}
    for b in blocked:
        by_rule.setdefault(b["rule"], set()).add(b["modality"])
    total = {r for r, ms in by_rule.items() if ms >= mods}
    # a row that blocks every laser (e.g. a keloid-prone area, unstable vitiligo) leaves no
    # laser to suggest: another blocking row's advice to choose some laser would contradict it
    # (review 29b item 3)
    every = {r for r in total if _blocks_every_laser(r)}
    waiting = top is not None and top.feasible and bool(top.conditional_on)
    for b in blocked:
        if (total and b["rule"] not in total) or waiting:  # waiting: the answers decide
            continue
        if every and b["rule"] not in every:
            continue
        if b["defer"] and b["defer"] not in todo and not pregnant:
            todo.append(b["defer"])
    if cands and not any(c.feasible for c in cands):
        why.append("no allowed option meets the patient's constraints")
        for c in cands:
            why.append(f"{c.label}: " + "; ".join(c.problems))
        fits = [c for c in cands if all(p.startswith(DOWNTIME_PROBLEM) for p in c.problems)]
        for c in [] if pregnant else fits:
            typ = c.recovery["downtime_typical_days"]
            todo.append(f"accept about {typ:g} days of downtime (it may take up to "
                        f"{c.recovery['downtime_days'][1]:g} days) for {c.label}")
    iso = patient.history.get("isotretinoin_months_ago")
    if isinstance(iso, int | float) and iso < 6 and not pregnant and any(
            b["rule"] == "isotretinoin-full-field" for b in blocked):
        todo.append(f"wait about {6 - iso:g} more months after the last isotretinoin dose "
                    "for full-field resurfacing (Waldman 2017)")
    non_laser = _non_laser(rule, patient)
    care = rulebase.rules()["care"]
    avoid = [(r[0], r[1]) for r in care["pregnancy_avoid"] if _for_concern(r, rule["kind"])] \
        if pregnant else []
    return {"why": why, "what_to_do": todo, "non_laser": non_laser,
            "non_laser_patient": _non_laser(rule, patient, plain=True),
            "avoid": [f"{a} ({s})" for a, s in avoid], "avoid_patient": [a for a, _ in avoid],
            "patient_actions": [ACTIONS[k] for k in (top.conditional_on if top is not None
                                                      and top.feasible else [])]}


def course_text(sessions: int, interval_weeks=None) -> str:
    """A course for the clinician: "1 session" (no interval for a single session, review 29b
    item 7), or "3 sessions, 6-8 weeks apart"."""
    n = int(sessions)
    if n == 1:
        return "1 session"
    iv = interval_weeks
    return f"{n} sessions" + (f", {iv[0]:g}-{iv[1]:g} weeks apart" if iv else "")


def _blocks_every_laser(rule_id: str) -> bool:
    """Whether a blocking rule (an envelope row or a history rule) applies to every modality."""
    rows = [r for r in envelope.envelope()["row"] if r["id"] == rule_id] + \
        [r for r in rulebase.rules()["history"] if r["id"] == rule_id]
    return any(r["action"] == "block" and r.get("modalities") == ["all"] for r in rows)


#: the problem of a candidate that only the accepted downtime rules out
DOWNTIME_PROBLEM = ("typical social downtime", "needs ")


def _rows(rule: dict, patient: Patient) -> list[tuple[str, str]]:
    """A concern's non-laser rows that suit this patient: those for the patient's areas
    (a row tagged ``areas=a,b``), regions (``regions=face``) and severities (``severity=4``),
    and in pregnancy only those tagged ``pregnancy-ok`` (unknown never counts as safe:
    procedures, devices and drugs without that tag wait, E66). A row tagged ``injures`` (a
    procedure that wounds the skin) waits while vitiligo is not known to be stable: an injury
    can start new patches (Koebner phenomenon; E87-E89; review 29b item 5)."""
    pregnant = patient.history.get("pregnant") is True
    unstable = patient.history.get("vitiligo") is True and \
        patient.history.get("vitiligo_stable") is not True
    mine = [c for c in patient.concerns if c.kind == rule["kind"]] or list(patient.concerns)
    sites = {c.site for c in mine}
    regions = {"face" if s == FULL_FACE else envelope.area(s)["region"] for s in sites}
    out = []
    for r in rule.get("non_laser", []):
        tags = r[2:]
        only = [t.split("=", 1)[1].split(",") for t in tags if t.startswith("areas=")]
        if only and not sites & set(only[0]):
            continue
        reg = [t.split("=", 1)[1].split(",") for t in tags if t.startswith("regions=")]
        if reg and not regions & set(reg[0]):
            continue
        sev = [t.split("=", 1)[1].split(",") for t in tags if t.startswith("severity=")]
        if sev and not any(str(c.severity) in sev[0] for c in mine):
            continue
        if pregnant and "pregnancy-ok" not in tags:
            continue
        if unstable and "injures" in tags:
            continue
        out.append((r[0], r[1]))
    return out


def _non_laser(rule: dict, patient: Patient, plain: bool = False) -> list[str]:
    """The non-laser routes of a concern, those that suit this patient: in pregnancy the
    pregnancy-safe care (E58-E64) and the concern's routes marked safe in pregnancy, each once
    (what to avoid is listed apart). ``plain``: the words alone, for the patient."""
    care = rulebase.rules()["care"]
    rows = _rows(rule, patient)
    if patient.history.get("pregnant") is True:
        safe = [(r[0], r[1]) for r in care["pregnancy_safe"] if _for_concern(r, rule["kind"])]
        rows = safe + [r for r in rows if not any(_same(r[0], a) for a, _ in safe)]
    return [a if plain else f"{a} ({s})" for a, s in rows]


def _for_concern(row: list, kind: str) -> bool:
    """Whether a care row (text, source, tags) is for this concern (a ``concerns=a,b`` tag)."""
    only = [t.split("=", 1)[1].split(",") for t in row[2:] if t.startswith("concerns=")]
    return not only or kind in only[0]


def _same(a: str, b: str) -> bool:
    """Whether two care lines name the same thing (one's words inside the other's)."""
    def norm(t: str) -> str:
        return " ".join(w for w in t.lower().replace(",", " ").split()
                        if w not in ("a", "the", "strict", "photoprotection", "with"))
    x, y = norm(a), norm(b)
    return x in y or y in x


@dataclass
class ConcernPlan:
    """The plan of one concern: its candidates ranked, the recommendation (or the deferral)."""

    concern: Concern
    rule: dict
    target: dict
    recommended: Candidate | None
    top: Candidate | None
    candidates: list[Candidate]
    blocked: list[dict]
    adjuncts: list[str]
    deferral: dict | None
    patient: Patient | None = None
    #: a full-face concern: each unit's own plan (planner.fullface), and the compositions
    #: that could not be formed
    unit_plans: dict | None = None
    face_notes: list = field(default_factory=list)

    def to_dict(self) -> dict:
        top = self.top
        return {"concern": {k: v for k, v in self.concern.__dict__.items() if v is not None},
                "target": self.target,
                "recommended": self.recommended.to_dict() if self.recommended else None,
                "top_ranked": top.modality if top else None,
                "candidates": [c.to_dict() for c in self.candidates],
                "blocked": self.blocked, "adjuncts": self.adjuncts, "deferral": self.deferral,
                "summary": patient_summary(self, self.patient),
                "non_laser_patient": _non_laser(self.rule, self.patient, plain=True)
                if self.patient is not None else [],
                **({"units": _units_summary(self.unit_plans),
                    "face_notes": self.face_notes} if self.unit_plans is not None else {})}


def _units_summary(unit_plans: dict) -> list[dict]:
    from .fullface import units_summary

    return units_summary(unit_plans)


def considered(patient: Patient, concern: Concern) -> tuple[dict, list]:
    """The concern's rule and its modalities in order (indicated, then the excluded ones shown
    for comparison), each with its verdict for this patient."""
    rule = rulebase.concern_rule(concern, patient)
    verdicts = rulebase.verdicts(patient, concern)
    excluded = sorted(rulebase.expand(rule["exclude"]["modalities"])) if "exclude" in rule else []
    return rule, [(m, verdicts[m]) for m in
                  list(rule["modalities"]) + [x for x in excluded if x not in rule["modalities"]]]


def planned_concerns(patient: Patient) -> list[Concern]:
    """The concerns as they are searched: a full-face concern on each of its units."""
    from .fullface import unit_concerns

    return [u for c in patient.concerns for u in unit_concerns(c)]


def searches(patient: Patient) -> list[tuple[int, str]]:
    """(index in :func:`planned_concerns`, modality) of every settings search the plan of
    ``patient`` makes."""
    out = []
    for i, concern in enumerate(planned_concerns(patient)):
        _, modalities = considered(patient, concern)
        out += [(i, m) for m, v in modalities if not v.blocked
                and not rulebase.rules()["settings"][m].get("literature_only")]
    return out


def search_one(patient: Patient, i: int, modality: str) -> None:
    """The settings search of one modality for planned concern ``i`` (its simulations are
    stored)."""
    concern = planned_concerns(patient)[i]
    rule, modalities = considered(patient, concern)
    candidate(modality, rule, concern, patient, dict(modalities)[modality])


def plan_concern(patient: Patient, concern: Concern) -> ConcernPlan:
    if concern.site == FULL_FACE:  # by cosmetic unit (issue 33)
        return _plan_full_face(patient, concern)
    rule, modalities = considered(patient, concern)
    blocked, cands = [], []
    for m, v in modalities:
        if v.blocked:
            for reason, src, ev, rid, defer in v.blocked:
                blocked.append({"modality": m, "label": rulebase.LABELS[m], "reason": reason,
                                "source": src, "evidence": ev, "rule": rid, "defer": defer})
            continue
        cands.append(candidate(m, rule, concern, patient, v))
    top, rec = _recommend(cands, "allowed, on target, within the accepted sessions and "
                          "downtime, first-line in the rule's source")
    adjuncts = [f"{a} ({s})" for a, s in rulebase.rules()["adjuncts"][concern.scar_type]] \
        if concern.scar_type else []
    if rulebase.melasma_first(concern, patient):
        adjuncts.append("planned as melasma until the uneven tone is known not to be melasma: "
                        "ablative and high-energy settings can worsen melasma (Trivedi 2017, "
                        "E52; Kauvar 2012, E53 [REV])")
    return ConcernPlan(
        concern=concern, rule=rule,
        target={"full_field_um": rule.get("target_full_field_um"),
                "fractional_um": rule.get("target_fractional_um"),
                "layer": rule["target_layer"], "source": rule["source"]},
        recommended=rec, top=top, candidates=cands, blocked=blocked, adjuncts=adjuncts,
        deferral=None if rec else _deferral(patient, rule, concern, cands, blocked, top),
        patient=patient)


def _recommend(cands: list[Candidate], why: str) -> tuple[Candidate | None, Candidate | None]:
    """Rank ``cands`` (in place) and return (the top, the recommendation): the top only when it
    is feasible and no unanswered history could rule it out (a conditional option is never
    the recommendation); ``why`` goes into its reasons."""
    cands.sort(key=lambda c: c.rank_key)
    top = cands[0] if cands else None
    rec = top if top is not None and top.feasible and not top.conditional_on else None
    if rec is not None:
        rec.reasons.append(f"ranked first: {why}, and every history answer that could rule it "
                           "out is given")
    return top, rec


def _plan_full_face(patient: Patient, concern: Concern) -> ConcernPlan:
    """A full-face concern: each unit planned on its own area (its own envelope), then the
    full-face candidates composed from the units' candidates (planner.fullface) and ranked."""
    from .fullface import compose, unit_concerns

    unit_plans = {c.site: plan_concern(patient, c) for c in unit_concerns(concern)}
    rule = rulebase.concern_rule(concern, patient)
    cands, notes = compose(unit_plans, rule, Candidate)
    top, rec = _recommend(cands, "every unit allowed by its own envelope, within the "
                          "accepted sessions and downtime, first-line in the rule's source")
    blocked, seen = [], set()
    for p in unit_plans.values():  # blocked on every unit: blocked on the face
        for b in p.blocked:
            if b["modality"] not in seen and all(
                    any(x["modality"] == b["modality"] for x in q.blocked)
                    for q in unit_plans.values()):
                blocked.append(dict(b))
                seen.add(b["modality"])
    cp = ConcernPlan(
        concern=concern, rule=rule,
        target={"full_field_um": rule.get("target_full_field_um"),
                "fractional_um": rule.get("target_fractional_um"),
                "layer": rule["target_layer"], "source": rule["source"]},
        recommended=rec, top=top, candidates=cands, blocked=blocked,
        adjuncts=list(dict.fromkeys(a for p in unit_plans.values() for a in p.adjuncts)),
        deferral=None if rec else _deferral(patient, rule, concern, cands, blocked, top),
        patient=patient)
    cp.unit_plans = unit_plans
    cp.face_notes = notes
    return cp


def _concern_text(c: Concern) -> str:
    extra = f", {c.scar_type} scars" if c.scar_type else ""
    return (f"{c.kind.replace('-', ' ')} (severity {c.severity}{extra}), "
            f"{c.site.replace('-', ' ')} area")


def format_days(r, unit: str = "") -> str:
    """A [low, high] range of days as text ("not reported" when there is none)."""
    if not r:
        return "not reported"
    return (f"{r[0]:g}" if r[0] == r[1] else f"{r[0]:g}-{r[1]:g}") + unit


def patient_summary(p: ConcernPlan, patient: Patient | None = None) -> str:
    """Plain-language summary of one concern's plan, for the clinician to hand to the patient:
    no citation tags, file keys or code names (words.leaks finds none: tested)."""
    what = _concern_text(p.concern)
    rec = p.recommended
    if rec is None:
        d = p.deferral or {"what_to_do": [], "non_laser": []}
        text = f"For {what}, no laser treatment can be recommended yet. "
        actions = [patient_text(t) for t in d["what_to_do"] if "?" not in t]
        lead = 1 if actions and actions[0].startswith("defer until after pregnancy") else 0
        actions = actions[:lead] + list(d.get("patient_actions", [])) + actions[lead:]
        if actions:
            text += "What to do first: " + "; ".join(actions) + ". "
        plain = d.get("non_laser_patient", d["non_laser"])
        if plain:
            text += "Other treatments to discuss: " + "; ".join(
                patient_text(t) for t in plain) + ". "
        if d.get("avoid_patient"):
            text += "Avoid: " + "; ".join(patient_text(t) for t in d["avoid_patient"]) + ". "
        return _tidy(text + "Your clinician will discuss the options with you.")
    iv = rec.interval_weeks
    sess = f"{rec.sessions} session" + ("s" if rec.sessions > 1 else "")
    if iv and rec.sessions > 1:
        sess += f", {iv[0]:g}-{iv[1]:g} weeks apart"
    dt = rec.recovery.get("downtime_days")
    typ = rec.recovery.get("downtime_typical_days")
    ery = rec.recovery.get("erythema_days")
    down = (f"Expect about {typ:g} days before you feel comfortable being seen (it may take "
            f"up to {dt[1]:g} days)" if dt and typ is not None else
            "No downtime figure was found")
    outcome = rec.expected_result()
    care_word = "wound care" if rulebase.is_ablative(rec.modality) else "gentle skin care"
    label = _patient_label(rec.modality)
    if rec.units:  # a full-face plan by cosmetic unit
        from .face import face_units

        blend = next((b for b in face_units()["blend"]
                      if rec.blend and b["id"] == rec.blend["id"]), None)
        mixed = len({u["modality"] for u in rec.units if u["modality"]}) > 1
        label = blend["patient"] if blend else (
            f"{label} on the face, each part with its own settings"
            + (", and a lighter treatment where the skin is thin or at the edges" if mixed
               else ""))
    text = (f"For {what}, the suggested treatment is {label}, {sess}. "
            + down + (f", and redness for about {days_text(ery)}" if ery else "")
            + f". Expected result: {outcome}. "
            f"Before and after: follow the care steps (sun protection, {care_word}"
            + (", antiviral tablets" if any("antiviral" in s for s in rec.steps) else "")
            + (", metal eye shields during treatment" if any("eye shield" in s
                                                             for s in rec.steps) else "")
            + "). ")
    personal = [patient_text(w) for w in rec.patient_warnings
                if not w.startswith("settings changed")]
    if any(w.startswith("settings changed") for w in rec.patient_warnings):
        text += "The settings are adjusted for your skin and history. "
    if personal:
        text += "For you in particular: " + "; ".join(personal) + ". "
    return _tidy(text + "The main risks are listed with how often they happen. Your clinician "
                 "must confirm this plan.")


#: modality names as a patient reads them
PATIENT_LABELS = {"full-field-co2": "a full-surface CO2 laser treatment",
                  "full-field-er:yag": "a full-surface erbium laser treatment",
                  "full-field-er:yag-dual": "a full-surface erbium laser treatment with a "
                                            "second, heating mode",
                  "fractional-co2": "a fractional CO2 laser treatment",
                  "fractional-er:yag": "a fractional erbium laser treatment",
                  "non-ablative-fractional-er:glass": "a non-ablative fractional laser "
                                                      "treatment (1,550 nm)",
                  "non-ablative-fractional-tm:fiber": "a non-ablative fractional laser "
                                                      "treatment (1,927 nm)"}


def _patient_label(modality: str) -> str:
    return PATIENT_LABELS[modality]


def _tidy(text: str) -> str:
    import re

    return re.sub(r"\.\s*\.", ".", re.sub(r"\s{2,}", " ", text)).strip()


def _combined(plans: list[ConcernPlan]) -> dict:
    """How several concerns are treated: together, in one visit, or in sequence."""
    seq = rulebase.rules()["sequencing"]
    chosen = [(p.concern, p.recommended) for p in plans if p.recommended]
    lines = []
    by_site: dict[str, list] = {}
    for con, c in chosen:
        by_site.setdefault(con.site, []).append((con, c))
    for site, items in by_site.items():
        mods = {c.modality for _, c in items}
        if len(items) > 1 and len(mods) == 1:
            lines.append(f"{site}: " + " and ".join(con.kind for con, _ in items) +
                         f" are treated together with {items[0][1].label}")
        elif len(items) > 1:
            first = [x for x in items if not rulebase.is_ablative(x[1].modality)] or items
            rest = [x for x in items if x not in first]
            for con, c in first:
                lines.append(f"{site}: {con.kind} with {c.label} first")
            for con, c in rest:
                wait = seq["after_non_ablative_weeks"]
                lines.append(f"{site}: then {con.kind} with {c.label}, at least {wait[0]}-"
                             f"{wait[1]} weeks after the non-ablative session, or in the same "
                             f"session as a blended treatment ({seq['same_session_source']})")
    if len(by_site) > 1:
        lines.append("different areas can be treated in the same visit, each with its own "
                     f"settings ({seq['same_session_source']})")
    dts = [c.recovery["downtime_days"] for _, c in chosen if c.recovery.get("downtime_days")]
    typ = [c.recovery["downtime_typical_days"] for _, c in chosen
           if c.recovery.get("downtime_typical_days") is not None]
    return {"steps": lines, "downtime_days": [max(d[0] for d in dts), max(d[1] for d in dts)]
            if dts else None, "downtime_typical_days": max(typ) if typ else None,
            "source": seq["source"],
            "not_recommended": [_concern_text(p.concern) for p in plans
                                if not p.recommended]}


@dataclass
class Plan:
    """The plan of every concern of a patient; :meth:`to_dict` is the JSON contract."""

    patient: Patient
    concerns: list[ConcernPlan]
    missing: list[str]
    needed_answers: list[str]
    warnings: list[str]
    #: the calibration the plan was made under (:meth:`dermalase.calibration.Calibration.label`)
    calibration: dict = field(default_factory=lambda: calibration.current().label())

    def to_dict(self) -> dict:
        """The plan of every concern is in ``plans``; ``recommendations`` lists each concern's
        recommendation (or none). The top-level ``recommended``, ``candidates``, ``blocked``,
        ``deferral`` and ``summary`` are the first concern's, kept for the contract of issue 6
        (``first_concern_only`` says so)."""
        dumped = [p.to_dict() for p in self.concerns]
        out = dict(dumped[0])
        out.update({"first_concern_only": "the top-level recommended, top_ranked, candidates, "
                    "blocked, adjuncts, deferral, target, concern and summary are concern 1's "
                    "(kept for compatibility); every concern's plan is in plans and each "
                    "concern's recommendation in recommendations",
                    "recommendations": [
                        {"concern": d["concern"],
                         "modality": (d["recommended"] or {}).get("modality"),
                         "label": (d["recommended"] or {}).get("label"),
                         "settings": (d["recommended"] or {}).get("settings"),
                         "summary": d["summary"]} for d in dumped],
                    "envelope": {"version": envelope.version(), "file": "data/envelope.toml"},
                    "calibration": self.calibration,
                    "warnings": self.warnings, "missing": self.missing,
                    "needed_answers": [{"key": k, "question": QUESTIONS[k]}
                                       for k in self.needed_answers],
                    "plans": dumped, "combined": _combined(self.concerns),
                    "session": _session(self.concerns, self.patient),
                    "face_units": {"version": _face_version(),
                                   "file": "data/face_units.toml"},
                    "patient": self.patient.to_dict(), "version": __version__,
                    "units": {"depths": "um", "days": "d", "interval_weeks": "week",
                              "surface_injury_fraction": "1",
                              "remodeling_index_mm3_per_cm2": "mm^3/cm^2"}})
        return out


def _session(plans: list[ConcernPlan], patient: Patient) -> dict | None:
    from .fullface import session

    return session(plans, patient)


def _face_version() -> str:
    from .face import version

    return version()


def make_plan(patient: Patient, *, workers: int | None = 0, scheduler: str | None = None,
              progress=None, uncertainty: int = 0, threads: int | None = None,
              fork: bool = False) -> Plan:
    """The typed plan of every concern. ``workers = 0`` searches here, one candidate after the
    other; otherwise the candidates' searches that the simulation store cannot answer run in
    parallel on Dask first (:mod:`dermalase.planner.parallel`; ``None``: one worker per core,
    or the cluster at ``scheduler``), and the plan is then made from the store: the same plan
    as a serial run. With ``workers = 0`` the searches the store lacks run on ``threads``
    threads of this process first (default: one per free core; 1: one after the other), again
    filling the store the plan is made from; with ``fork`` (the command line: one thread) in
    this process and a forked one beside it where it can (:func:`parallel.search_in_processes`),
    else on the threads. ``uncertainty = N`` adds the model intervals of
    every simulated candidate's predictions over N samples of the sourced tissue ranges
    (planner.spread), on the same engine."""
    if uncertainty:
        from ..sweep.uncertainty import check_count

        check_count(uncertainty)  # refused before any search
    if workers != 0:
        from .parallel import search_in_parallel

        search_in_parallel(patient, searches(patient), search_one, workers=workers,
                           scheduler=scheduler, progress=progress)
    elif threads is None or threads > 1:
        from .parallel import search_lacking

        search_lacking(patient, searches(patient), search_one, threads, fork)
    plans = [plan_concern(patient, c) for c in patient.concerns]
    missing = patient.missing_history()
    needed = sorted({k for p in plans for c in p.candidates for k in c.conditional_on})
    if any(rulebase.melasma_first(c, patient) for c in patient.concerns) and \
            "melasma" not in patient.history:
        needed.append("melasma")
    warnings = []
    if missing:
        warnings.append("history incomplete: " + ", ".join(missing) + " not answered; every "
                        "option such an answer could rule out is conditional and is not "
                        "recommended until it is given")
    for p in plans:
        if p.recommended is None:
            warnings.append(f"{_concern_text(p.concern)}: no recommendation; "
                            + "; ".join((p.deferral or {}).get("why", [])))
        for c in p.candidates:
            warnings += [w for w in c.warnings if w not in warnings]
    from ..simulate.store import take_notes

    result = Plan(patient, plans, missing, needed, warnings)
    if uncertainty:
        from .spread import add_intervals

        add_intervals([c for p in plans for c in p.candidates], PREDICTED_KEYS, uncertainty,
                      workers=workers, scheduler=scheduler, progress=progress)
    warnings += take_notes()  # cache entries found damaged or edited, and replaced
    return result


def plan(patient: Patient, **engine: Any) -> dict:
    """The plan of every concern as the JSON contract (see :func:`make_plan` for objects and
    the ``engine`` arguments)."""
    return make_plan(patient, **engine).to_dict()
