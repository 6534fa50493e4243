"""A full-face plan by cosmetic unit (issue 33), and the one session that joins a patient's
face units.

A concern on the ``full-face`` site is planned unit by unit: each unit of
``data/face_units.toml`` is an area of the clinical envelope, so each unit's candidates are
searched and bound exactly as a single-site concern's are (its own skin, depth limits, rows,
device ranges). The full-face candidates are then composed from the units' own candidates:

- **one modality on every unit**, each unit with its own settings (around the eyes the
  envelope's one pass at lower fluence, around the mouth the passes the thicker skin needs);
  a unit where that modality is blocked takes its best lighter option;
- **blended plans** (W9; ``[[blend]]`` of ``face_units.toml``, each with its source): one
  modality group around the mouth, one around the eyes, one elsewhere;
- always a **feathering band** below the jawline (the ``neck-transition`` unit: its envelope
  row ``feathering-band`` gives a single pass, half the density and a fifth less energy;
  the neck never takes full field).

Every composed candidate carries a per-unit structure (``units``), and is ranked like any
candidate: feasible first, the full course, the first-line order of the modality on the mouth
units, then a plan of one modality before a blend (treating the whole face alike eases colour
mismatch between units, E97), fewer sessions, shorter typical downtime. Figures of the session:
sessions and downtime are the largest of its units (the units heal side by side); the treated
share of the face is a share of the schematic drawing, never a measured area.
"""

from __future__ import annotations

from typing import Any

from . import envelope, face
from . import rules as rulebase
from .modalities import GROUPS, LABELS
from .patient import Concern, Patient

FAMILIES = ("non-ablative", "ablative-fractional", "full-field")


def family(modality: str) -> str:
    """The modality's group by intensity: full field, ablative fractional or non-ablative."""
    for f in ("full-field", "ablative-fractional"):
        if modality in GROUPS[f]:
            return f
    return "non-ablative"


def intensity(modality: str | None) -> int:
    return -1 if modality is None else FAMILIES.index(family(modality))


def unit_concerns(concern: Concern) -> list[Concern]:
    """The concern on each envelope area it is planned on (the full face: every unit)."""
    return [Concern(concern.kind, concern.severity, a, concern.scar_type)
            for a in face.areas_of(concern.site)]


def _feather_row() -> dict:
    return next(r for r in envelope.envelope()["row"] if r["id"] == "feathering-band")


def _pick(plan, allowed: set[str], prefer: str | None = None, band: bool = False):
    """A unit's candidate among ``allowed``: ``prefer`` when it is a candidate, otherwise the
    best-ranked one that meets the patient's constraints, otherwise the best-ranked. A band
    ignores the concern's target depth (it is lighter on purpose)."""
    cands = [c for c in plan.candidates if c.modality in allowed]
    if prefer is not None:
        same = [c for c in cands if c.modality == prefer]
        if same:
            return same[0]
    def fits(c) -> bool:
        probs = [p for p in c.problems if not (band and p.startswith("does not meet the target"))]
        return not probs
    ok = [c for c in cands if fits(c)]
    return (ok or cands or [None])[0]


def _off_target(c) -> bool:
    return any(p.startswith("does not meet the target") for p in c.problems)


def _fitting(c, plan):
    """``c``, or, where its settings cannot reach the unit's target inside the unit's envelope
    (thin skin: the glabella, the eyelids), the unit's best lighter option that can; ``c``
    itself (with its problem) when none can."""
    if c is None or not _off_target(c):
        return c
    lighter = [x for x in plan.candidates if intensity(x.modality) < intensity(c.modality)
               and not _off_target(x)]
    return lighter[0] if lighter else c


def _lighter(modality: str) -> set[str]:
    """Modalities of a lighter group than ``modality``'s."""
    n = intensity(modality)
    return {m for m in GROUPS["all"] if intensity(m) < n}


def _passes(settings: dict) -> int | None:
    for k in ("passes", "stack"):
        if k in settings:
            try:
                return int(str(settings[k]).split()[0])
            except ValueError:
                return None
    return None


def unit_entry(name: str, c, band: bool = False, sessions: int | None = None,
               concern: dict | None = None) -> dict[str, Any]:
    """One unit of a plan (the JSON per-unit structure, documented in docs/design.md)."""
    u = face.unit(name)
    base = {"unit": name, "label": u["label"], "group": u["group"],
            "skin": envelope.skin_of(name), "share_of_face": round(face.shares()[name], 4),
            "feathering_band": band}
    if concern is not None:
        base["concern"] = concern
    if c is None:
        return {**base, "modality": None, "modality_label": "not treated", "settings": {},
                "sessions": 0, "interval_weeks": None, "injury_depth_um": None,
                "surface_injury_fraction": None, "passes": None, "devices": [],
                "envelope_rows": [], "bounds": {}, "problems": [], "conditional_on": [],
                "downtime_days": None, "downtime_typical_days": None}
    p = c.predicted or {}
    n = c.sessions if sessions is None else min(c.sessions, sessions)
    problems = [q for q in c.problems
                if not (band and q.startswith("does not meet the target"))]
    out = {**base, "modality": c.modality, "modality_label": c.label,
           "settings": dict(c.settings), "sessions": n, "interval_weeks": c.interval_weeks,
           "injury_depth_um": p.get("injury_depth_um"),
           "surface_injury_fraction": p.get("surface_injury_fraction"),
           "passes": _passes(c.settings), "devices": c.devices,
           "envelope_rows": list(c.envelope_rows), "bounds": dict(c.bounds),
           "problems": problems,
           "conditional_on": list(c.conditional_on),
           "downtime_days": c.recovery.get("downtime_days"),
           "downtime_typical_days": c.recovery.get("downtime_typical_days"),
           "simulated": c.simulated}
    if band:
        out["note"] = ("feathering band: a single pass at lower density and energy, so that no "
                       "line shows between the face and the neck (E94, E96, E99); lighter than "
                       "the concern's target on purpose")
    return out


def _union(items) -> list:
    out: list = []
    for it in items:
        if it not in out:
            out.append(it)
    return out


def _compose(name: str, label: str, blend: dict | None, picks: dict, unit_plans: dict,
             rule: dict, make):
    """A full-face candidate (``make``: the planner's Candidate class) from each unit's pick
    (a unit with no pick is not treated)."""
    main = next((c for u, c in picks.items() if face.unit(u)["group"] == "mouth" and c),
                next((c for c in picks.values() if c), None))
    assert main is not None  # a composition has at least one treated unit
    treated = {u: c for u, c in picks.items() if c is not None}
    core = {u: c for u, c in treated.items() if face.unit(u)["group"] != "feather"}
    sessions = max(c.sessions for c in core.values()) if core else main.sessions
    entries = [unit_entry(u, picks[u], band=face.unit(u)["group"] == "feather",
                          sessions=sessions if face.unit(u)["group"] == "feather" else None)
               for u in picks]
    for e in entries:
        if e["modality"] is None:
            e["reason"] = "; ".join(
                f"{b['label']}: {b['reason']}" for b in unit_plans[e["unit"]].blocked[:3]) or \
                "no option for this unit"
    c = make(main.modality, {"plan": name}, sessions, None, simulated=main.simulated)
    c.plan_label = label
    c.units = entries
    c.blend = None if blend is None else {"id": blend["id"], "name": blend["name"],
                                          "source": blend["source"]}
    deepest = max((e for e in entries if e["injury_depth_um"] is not None),
                  key=lambda e: e["injury_depth_um"], default=None)
    shares = [(e["share_of_face"], e["surface_injury_fraction"]) for e in entries
              if e["modality"] is not None]
    c.predicted = {"injury_depth_um": deepest["injury_depth_um"] if deepest else None,
                   "deepest_unit": deepest["unit"] if deepest else None,
                   "surface_injury_fraction": None,
                   "treated_share_of_face": round(sum(s for s, _ in shares), 4),
                   "warnings": []}
    worst = max(treated.values(), key=lambda x: (x.recovery.get("downtime_typical_days") or 0,
                                                 (x.recovery.get("downtime_days") or [0, 0])[1]))
    c.recovery = dict(worst.recovery)
    dts = [x.recovery["downtime_days"] for x in treated.values()
           if x.recovery.get("downtime_days")]
    if dts:
        c.recovery["downtime_days"] = [max(d[0] for d in dts), max(d[1] for d in dts)]
    erys = [x.recovery["erythema_days"] for x in treated.values()
            if x.recovery.get("erythema_days")]
    if erys:
        c.recovery["erythema_days"] = [max(d[0] for d in erys), max(d[1] for d in erys)]
    ivs = [x.interval_weeks for x in core.values() if x.interval_weeks and x.sessions > 1]
    c.interval_weeks = [max(i[0] for i in ivs), max(i[1] for i in ivs)] if ivs else None
    c.improvement = main.improvement
    c.reduced_course = any(x.reduced_course for x in core.values())
    c.studied_sessions = max((x.studied_sessions or 0 for x in core.values()), default=0) or None
    for u, x in treated.items():
        lab = face.unit(u)["label"]
        band = face.unit(u)["group"] == "feather"
        c.problems += [f"{lab}: {q}" for q in x.problems
                       if not (band and q.startswith("does not meet the target"))]
        c.reasons.append(f"{lab}: {x.label} ({_settings_text(x.settings)})")
    if blend is not None:
        c.reasons.insert(0, f"blended by cosmetic unit: {blend['name']} ({blend['source']})")
    else:
        c.reasons.insert(0, "one modality on every unit, each unit with its own settings and "
                            "envelope; a unit where it is blocked takes its best lighter option")
    c.reasons.append("feathering band below the jawline: one pass, lower density and energy "
                     f"({_feather_row()['source']})")
    c.conditional_on = _union(k for x in treated.values() for k in x.conditional_on)
    c.steps = _union(s for x in treated.values() for s in x.steps)
    c.risks = _union(r for x in treated.values() for r in x.risks)
    c.warnings = _union(w for x in treated.values() for w in x.warnings)
    c.patient_warnings = _union(w for x in treated.values() for w in x.patient_warnings)
    c.adjuncts = _union(a for x in treated.values() for a in x.adjuncts)
    c.sources = _union([*(s for x in treated.values() for s in x.sources),
                        *([blend["source"]] if blend else []), _feather_row()["source"]])
    c.envelope_rows = _union(r for x in treated.values() for r in x.envelope_rows)
    c.notes = _union(n for x in treated.values() for n in x.notes)
    c.devices = []
    typ = c.recovery.get("downtime_typical_days")
    order = rule["modalities"].index(main.modality) if main.modality in rule["modalities"] \
        else 99
    first = bool(main.rank_key and not main.rank_key[2])
    c.rank_key = (not c.feasible, c.reduced_course, not first, order, blend is not None,
                  c.sessions, typ if typ is not None else 1e9)
    return c


def _settings_text(st: dict) -> str:
    return ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in st.items())


def compose(unit_plans: dict, rule: dict, make) -> tuple[list, list[str]]:
    """The full-face candidates (one modality on every unit; the blends) from the units' plans
    (``make``: the planner's Candidate class), and the compositions that could not be formed,
    with why."""
    units = list(unit_plans)
    group = {u: face.unit(u)["group"] for u in units}
    core = [u for u in units if group[u] != "feather"]
    out, seen, notes = [], set(), []
    mods = _union(c.modality for u in core for c in unit_plans[u].candidates)

    def add(name, label, blend, picks):
        key = tuple((u, id(c)) for u, c in picks.items())
        if key in seen or not any(picks.values()):
            return
        seen.add(key)
        out.append(_compose(name, label, blend, picks, unit_plans, rule, make))

    for m in mods:
        have = [u for u in core if any(c.modality == m for c in unit_plans[u].candidates)]
        if 2 * len(have) < len(core):
            notes.append(f"{LABELS[m]} on every unit: a candidate on {len(have)} of "
                         f"{len(core)} units only")
            continue
        picks = {}
        for u in units:
            if group[u] == "feather":
                allowed = set(GROUPS["all"]) - set(GROUPS["full-field"])
                pick = _pick(unit_plans[u], allowed, prefer=m if m in allowed else None,
                             band=True)
            else:
                pick = _fitting(_pick(unit_plans[u], {m}), unit_plans[u])
            picks[u] = pick
        add(m, f"full face: {LABELS[m]} on every unit, settings by unit", None, picks)
    for b in face.face_units()["blend"]:
        picks = {}
        missing = []
        for u in units:
            allowed = rulebase.expand(b[group[u]])
            band = group[u] == "feather"
            pick = _pick(unit_plans[u], allowed, band=band)
            if not band:
                pick = _fitting(pick, unit_plans[u])
            if pick is None and group[u] == "mouth":
                missing.append(face.unit(u)["label"])
            if pick is None and not band:
                top = max((intensity(m) for m in allowed), default=-1)
                lighter = {m for m in GROUPS["all"] if intensity(m) < top}
                pick = _pick(unit_plans[u], lighter)
            picks[u] = pick
        if missing:
            notes.append(f"blended plan ({b['name']}): no such option on the "
                         + ", ".join(missing))
            continue
        add(b["id"], f"blended: {b['name']}", b, picks)
    return out, notes


def units_summary(unit_plans: dict) -> list[dict]:
    """Each unit's own plan in brief: its top-ranked option and what is blocked there."""
    out = []
    for u, p in unit_plans.items():
        out.append({"unit": u, "label": face.unit(u)["label"],
                    "top_ranked": p.top.modality if p.top else None,
                    "candidates": [c.modality for c in p.candidates],
                    "blocked": [{"modality": b["modality"], "rule": b["rule"],
                                 "reason": b["reason"]} for b in p.blocked]})
    return out


# --- the session -------------------------------------------------------------------------
def _edge(entry: dict, lighter: list[str]) -> dict:
    """The feathering of a treated unit's edge into lighter or untreated neighbours: the first
    pass only (E94), or lower density and energy (E99), by the envelope's feathering row."""
    row = _feather_row()
    st = entry["settings"]
    out: dict[str, Any] = {"unit": entry["unit"], "into": lighter, "source": row["source"]}
    if family(entry["modality"]) == "full-field":
        out["how"] = "the first pass only, carried past the unit's edge"
        out["settings"] = {"passes": "1"}
    else:
        f = row["injured_surface_factor"]
        e = row["energy_factor"][1]
        out["how"] = (f"density x{f:g} and energy x{e:g} of the unit's settings along its edge")
        edge: dict[str, str] = {}
        low = (envelope.device_limits(entry["modality"]) or {}).get("energy", (0.0, 0.0))[0]
        for k in ("pulse_energy", "coverage", "beam_coverage", "density"):
            if k in st:
                fac = e if k == "pulse_energy" else f
                edge[k] = _scale(str(st[k]), fac, low if k == "pulse_energy" else 0.0)
        out["settings"] = edge
    return out


def _scale(text: str, factor: float, floor: float = 0.0) -> str:
    """'13.4 mJ' x 0.8 -> '10.7 mJ'; a range scales both ends; never below the device's
    lowest setting ``floor`` nor above the unit's own value (lower only)."""
    num, _, unit = text.partition(" ")
    try:
        vals = [min(float(v), max(float(v) * factor, floor)) for v in num.split("-")]
    except ValueError:
        return text
    digits = 1 if max(vals) < 100 else 0
    return "-".join(f"{v:.{digits}f}" for v in vals) + (f" {unit}" if unit else "")


def session(plans: list, patient: Patient) -> dict | None:
    """The one session that joins the recommended treatment of every face unit of the plan: the
    units with their modality and settings, the feathering of each edge, and the session's
    figures. None when no face unit is treated."""
    from .. import data

    entries: list[dict] = []
    for i, p in enumerate(plans):
        rec = p.recommended
        if rec is None:
            continue
        con = {"index": i, "kind": p.concern.kind, "severity": p.concern.severity,
               "site": p.concern.site}
        if getattr(rec, "units", None):
            entries += [dict(e, concern=con) for e in rec.units if e["modality"]]
            continue
        for u in face.units_of(p.concern.site):
            entries.append(unit_entry(u, rec, concern=con))
    if not entries:
        return None
    best: dict[str, dict] = {}
    for e in entries:  # the unit's most intense treatment decides its colour and edges
        if e["unit"] not in best or intensity(e["modality"]) > intensity(best[e["unit"]]
                                                                          ["modality"]):
            best[e["unit"]] = e
    edges = []
    for u, e in best.items():
        if e["feathering_band"] or family(e["modality"]) == "non-ablative":
            continue
        lighter = [n for n in face.unit(u).get("neighbours", ())
                   if intensity(best.get(n, {}).get("modality")) < intensity(e["modality"])]
        if lighter:
            edges.append(_edge(e, lighter))
    dts = [e["downtime_days"] for e in entries if e.get("downtime_days")]
    typ = [e["downtime_typical_days"] for e in entries
           if e.get("downtime_typical_days") is not None]
    risks = _union(r for p in plans if p.recommended is not None
                   and face.units_of(p.concern.site) for r in p.recommended.risks)
    return {"units": entries, "feathering": edges, "risks": risks,
            "treated_units": list(best),
            "treated_share_of_face": round(sum(face.shares()[u] for u in best), 4),
            "treated_share_note": "share of the schematic face drawing (data/face_units.toml), "
                                  "not a measured area",
            "sessions": max(e["sessions"] for e in entries),
            "downtime_days": [max(d[0] for d in dts), max(d[1] for d in dts)] if dts else None,
            "downtime_typical_days": max(typ) if typ else None,
            "downtime_note": "the units heal side by side: the session's downtime is its "
                             "longest unit's",
            "face_units_version": face.version(),
            "feathering_source": _feather_row()["source"],
            "same_session_source": data.toml("planner_rules")["sequencing"]
            ["same_session_source"]}
