"""Clinical test patients of the planner, each with the outcome the sourced evidence expects.

The expectations come from the rows of shared/reference/clinical-evidence.md named in
``evidence`` (a decision table row, a contraindication, a recovery figure), never from the
planner's own output. Used by the tests (tests/planner/) and by the planner section of
docs/validation.md (scripts/validation_table.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: A complete, negative history (every key answered).
CLEAN = {"isotretinoin_never": True, "herpes_simplex": False, "keloids": False,
         "active_infection": False, "pregnant": False, "recent_tan": False,
         "photosensitizing_drugs": False, "vitiligo": False, "prior_radiation": False,
         "ectropion": False}

FULL_FIELD = {"full-field-co2", "full-field-er:yag", "full-field-er:yag-dual"}
ABLATIVE = FULL_FIELD | {"fractional-co2", "fractional-er:yag"}
NON_ABLATIVE = {"non-ablative-fractional-er:glass", "non-ablative-fractional-tm:fiber"}


def patient_dict(phototype=2, concerns=(("wrinkles", 3, "perioral"),), downtime=14, sessions=1,
                 history=None, **changes) -> dict:
    """A patient file as a dict; ``history=None`` gives the clean history, ``changes`` update
    it (a value of None removes the key)."""
    h = dict(CLEAN if history is None else history)
    h.update(changes)
    h = {k: v for k, v in h.items() if v is not None}
    cons = []
    for c in concerns:
        d = {"kind": c[0], "severity": c[1], "site": c[2]}
        if len(c) > 3:
            d["scar_type"] = c[3]
        cons.append(d)
    return {"patient": {"phototype": phototype}, "concerns": cons,
            "preferences": {"max_downtime_days": downtime, "max_sessions": sessions},
            "history": h}


@dataclass(frozen=True)
class Case:
    name: str
    patient: dict
    #: set of modalities one of which must be recommended; empty: nothing may be recommended
    recommended_in: frozenset
    evidence: str
    #: modalities that must not be recommended / must be blocked
    never: frozenset = frozenset()
    blocked: frozenset = frozenset()
    note: str = ""
    #: what the recommendation's numbers must satisfy, from the evidence row: ``passes_max``,
    #: ``fluence_max`` (J/cm^2), ``energy_max`` (mJ; a range's top), ``coverage_max``
    #: (fraction), ``non_laser`` (a word that must be in the deferral's non-laser routes),
    #: ``not_non_laser`` (one that must not), ``steps`` (a word in the steps), ``adjuncts``
    checks: dict = field(default_factory=dict)
    #: which item of issue 29 the case tests (the planner table groups them)
    issue29: str = ""


CASES = (
    Case("deep perioral wrinkles, phototype II, 14 d, 1 session (built-in example)",
         patient_dict(), frozenset(FULL_FIELD),
         "W6/W7 (Khatri 1999; Newman 2000): full-field CO2 or Er:YAG for class III; FF-CO2 "
         "social downtime 10-14 d (7.1)"),
    Case("deep perioral wrinkles, phototype III, no history at all",
         {k: v for k, v in patient_dict(phototype=3).items() if k != "history"}, frozenset(),
         "brief: what is unknown never counts as safe; isotretinoin, pregnancy, infection "
         "decide (section 6)"),
    Case("deep perioral wrinkles, phototype II, accepts 5 d and 1 session",
         patient_dict(downtime=5), frozenset({"full-field-er:yag-dual"}),
         "W7 Newman 2000: variable-pulse Er:YAG on the upper lip, crusting 3.4 d, social "
         "downtime ~4-5 d (7.1); FF-CO2 10-14 d and deep FF-Er 7-14 d do not fit",
         never=frozenset({"full-field-co2", "full-field-er:yag"}), issue29="6"),
    Case("uneven tone, phototype IV, cheek (melasma not yet excluded; creams tried)",
         patient_dict(4, (("uneven-tone", 2, "cheek"),), downtime=7, sessions=4,
                      melasma_topical_tried=True),
         frozenset({"non-ablative-fractional-tm:fiber", "non-ablative-fractional-er:glass"}),
         "D3, E49-E53: uneven tone in III-VI follows the melasma rule until melasma is "
         "excluded: non-ablative at low energy (1,550 nm 6-12 mJ), no ablation",
         blocked=frozenset(ABLATIVE), checks={"energy_max": 20.0, "coverage_max": 0.23},
         issue29="7"),
    Case("melasma, phototype IV, cheek, topical bleaching tried",
         patient_dict(4, (("melasma", 2, "cheek"),), downtime=7, sessions=4,
                      melasma_topical_tried=True),
         frozenset({"non-ablative-fractional-tm:fiber"}),
         "D3: 1,927 nm with caution, 3-4 sessions; ablative 'not ideal for melasma'; E51: "
         "a laser when topical bleaching is ineffective",
         blocked=frozenset(ABLATIVE)),
    Case("melasma, phototype III, forehead, topical bleaching not tried",
         patient_dict(3, (("melasma", 2, "forehead"),), downtime=7, sessions=4,
                      melasma_topical_tried=False), frozenset(),
         "E51 (Wind 2011): a laser is an alternative when topical bleaching is ineffective; "
         "E57: fractional lasers third-line",
         blocked=frozenset({"non-ablative-fractional-tm:fiber",
                            "non-ablative-fractional-er:glass"}),
         checks={"what_to_do": "topical bleaching"}, issue29="review B6"),
    Case("fine lines, phototype II, periorbital, 4 d, 1 session",
         patient_dict(2, (("fine-lines", 2, "periorbital"),), downtime=4, sessions=1),
         frozenset({"full-field-er:yag"}),
         "W2 Pozner MicroLaserPeel: 12.5-17.5 J/cm^2 one pass, healed by day 3-4; 7.1 "
         "superficial FF-Er 2-4 d"),
    Case("wrinkles class II, phototype II, neck, 14 d, 3 sessions",
         patient_dict(2, (("wrinkles", 2, "neck"),), downtime=14, sessions=3),
         frozenset({"fractional-co2", "fractional-er:yag"}),
         "section 4: no full field on the neck; AFR below Avram 2009's scarring settings"),
    Case("lentigines, phototype II, chest",
         patient_dict(2, (("lentigines", 2, "chest"),), downtime=7, sessions=3),
         frozenset({"non-ablative-fractional-tm:fiber"}),
         "D1 Polder 2011: 1,927 nm for non-facial lentigines, 3 sessions 3-4 weeks apart",
         blocked=frozenset({"full-field-er:yag"})),
    Case("boxcar acne scars grade 3, phototype III, cheek, 14 d, 3 sessions",
         patient_dict(3, (("acne-scars", 3, "cheek", "boxcar"),), downtime=14, sessions=3),
         frozenset({"fractional-co2", "fractional-er:yag"}),
         "A4/A5 Yuan 2014: AFR-CO2 10-20 mJ, density 10 % in phototypes III-V"),
    Case("icepick acne scars grade 4, phototype II, cheek, 14 d, 3 sessions",
         patient_dict(2, (("acne-scars", 4, "cheek", "icepick"),), downtime=14, sessions=3),
         frozenset({"fractional-co2", "fractional-er:yag"}),
         "A4 + A7: AFR plus TCA CROSS or punch techniques"),
    Case("rolling acne scars grade 3, phototype V, 3 d, 5 sessions (built-in example)",
         patient_dict(5, (("acne-scars", 3, "cheek", "rolling"),), downtime=3, sessions=5,
                      isotretinoin_never=None, isotretinoin_months_ago=24),
         frozenset({"non-ablative-fractional-er:glass"}),
         "A3 (Alexis 2012): NAFL for phototypes IV-VI; AFR blocked by default in V-VI",
         blocked=frozenset({"fractional-co2", "fractional-er:yag"})),
    Case("rolling acne scars grade 3, phototype V, accepts 2 d",
         patient_dict(5, (("acne-scars", 3, "cheek", "rolling"),), downtime=2, sessions=5),
         frozenset({"non-ablative-fractional-er:glass"}),
         "A3 (Alexis 2012) and 7.1: NAFL-1550, social downtime 0-3 d (typically under 2 d); "
         "AFR blocked in V-VI; density at the lowest level (~11 %) in V-VI",
         blocked=frozenset({"fractional-co2", "fractional-er:yag"}),
         checks={"coverage_max": 0.11}, issue29="9"),
    Case("active herpes lesion, deep perioral wrinkles",
         patient_dict(active_infection=True, herpes_simplex=True), frozenset(),
         "section 6: active infection incl. active HSV is a hard stop (Levy 2025)",
         blocked=frozenset(FULL_FIELD | {"fractional-co2", "fractional-er:yag"})),
    Case("recent tan, deep perioral wrinkles", patient_dict(recent_tan=True), frozenset(),
         "section 6: recent tanning, defer 2 weeks (Levy 2025; InMode)",
         blocked=frozenset(ABLATIVE)),
    Case("pregnant, fine lines", patient_dict(2, (("fine-lines", 1, "cheek"),), downtime=7,
                                              sessions=4, pregnant=True), frozenset(),
         "section 6: pregnancy or breastfeeding, defer (Levy 2025)",
         blocked=frozenset({"full-field-er:yag", "non-ablative-fractional-er:glass"})),
    Case("isotretinoin 3 months ago, deep perioral wrinkles, 14 d, 3 sessions",
         patient_dict(sessions=3, isotretinoin_never=None, isotretinoin_months_ago=3),
         frozenset({"fractional-co2", "fractional-er:yag"}),
         "section 6 (Waldman 2017): no full field within 6 months; fractional judged suitable",
         blocked=frozenset(FULL_FIELD)),
    Case("widespread actinic keratoses (Glogau IV), phototype I, forehead, 14 d",
         patient_dict(1, (("actinic-keratoses", 4, "forehead"),), downtime=14, sessions=1),
         frozenset(FULL_FIELD), "D6 StatPearls: full-field CO2 or Er:YAG, phototypes I-II"),
    Case("neck sun damage Glogau IV, phototype II, 3 d, 6 sessions",
         patient_dict(2, (("sun-damage", 4, "neck"),), downtime=3, sessions=6),
         frozenset({"non-ablative-fractional-er:glass", "non-ablative-fractional-tm:fiber"}),
         "E43/E44 (Babaie 2025; Bencini 2015): non-ablative 1,550/1,540 nm improves neck "
         "dyschromia and wrinkles; no full field off the face (section 4)",
         blocked=frozenset({"full-field-co2", "full-field-er:yag"}), issue29="5"),
    Case("sun damage Glogau III on the back of the hands, phototype II, 3 d, 6 sessions",
         patient_dict(2, (("sun-damage", 3, "dorsal-hand"),), downtime=3, sessions=6),
         frozenset({"non-ablative-fractional-er:glass"}),
         "section 4 (Jih 2008): 1,550 nm at 8-9 mJ, 2,500 MTZ/cm^2, 5-6 sessions on the hands",
         blocked=frozenset({"full-field-co2", "full-field-er:yag"}),
         checks={"energy_max": 9.0}, issue29="5"),
    Case("chest photodamage (Glogau III), phototype II, 7 d, 3 sessions",
         patient_dict(2, (("sun-damage", 3, "chest"),), downtime=7, sessions=3),
         frozenset({"non-ablative-fractional-tm:fiber", "non-ablative-fractional-er:glass"}),
         "D1 Polder 2011: 1,927 nm on the chest, 3 sessions 3-4 weeks apart; section 4: "
         "non-ablative preferred on the chest", blocked=frozenset({"full-field-co2"}),
         issue29="5"),
    Case("wrinkles class II, phototype II, cheek, accepts 2 d and 4 sessions",
         patient_dict(2, (("wrinkles", 2, "cheek"),), downtime=2, sessions=4),
         frozenset({"non-ablative-fractional-er:glass"}),
         "W1 Manstein 2004 and E48: non-ablative 1,550 nm for little downtime (0-3 d)",
         issue29="5"),
    Case("wrinkles class III, phototype V, cheek, 3 d, 5 sessions",
         patient_dict(5, (("wrinkles", 3, "cheek"),), downtime=3, sessions=5),
         frozenset({"non-ablative-fractional-er:glass"}),
         "W11 (Tan 2008; Kaushik & Alexis 2017): phototypes IV-VI avoid full field, prefer "
         "non-ablative fractional at low density", blocked=frozenset(FULL_FIELD),
         checks={"coverage_max": 0.11}, issue29="5"),
    Case("pregnant, melasma, phototype III",
         patient_dict(3, (("melasma", 2, "cheek"),), downtime=7, sessions=4, pregnant=True),
         frozenset(), "E58-E64 (Bozzo 2011; UKTIS 2020; E62-E64): defer lasers; no "
                      "hydroquinone or retinoids; azelaic acid and a tinted iron-oxide "
                      "sunscreen",
         checks={"non_laser": "azelaic", "not_non_laser": "hydroquinone",
                 "what_to_do": "defer until after pregnancy"},
         issue29="8"),
    Case("severe laxity (4), jowl, phototype II, 14 d, 3 sessions",
         patient_dict(2, (("laxity", 4, "jowl"),), downtime=14, sessions=3), frozenset(),
         "E72 MacGregor & Tanzi 2013: surgery is the treatment of choice for moderate to "
         "severe laxity (referral)", checks={"non_laser": "surgeon"}, issue29="10"),
    Case("mild laxity (2), jawline, phototype II, 14 d, 3 sessions",
         patient_dict(2, (("laxity", 2, "jawline"),), downtime=14, sessions=3),
         frozenset({"fractional-co2"}),
         "W3 Tierney & Hanke 2011 (laxity +50.3 %), E73 (non-surgical for mild-moderate); "
         "fractional Er:YAG has no laxity figure", never=frozenset({"fractional-er:yag"}),
         issue29="10"),
    Case("actinic keratoses (Glogau II), phototype II, forehead, 7 d, 3 sessions",
         patient_dict(2, (("actinic-keratoses", 2, "forehead"),), downtime=7, sessions=3),
         frozenset({"fractional-er:yag", "non-ablative-fractional-tm:fiber"}),
         "W4 Lapidoth 2008; E85 biopsy of atypical lesions first; E80 AAD 2021 field therapy",
         checks={"steps": "biopsy", "adjuncts": "5-fluorouracil"}, issue29="AK"),
    Case("keloid former, phototype IV, hypertrophic scars, presternal chest",
         patient_dict(4, (("acne-scars", 3, "chest", "hypertrophic"),), downtime=14,
                      sessions=3, keloids=True), frozenset(),
         "E29-E33 (keloid-prone presternal skin; keloid tendency contraindicates CO2 "
         "resurfacing); E35/E36 first-line scar care",
         blocked=frozenset({"fractional-co2", "fractional-er:yag"}),
         checks={"what_to_do": "corticosteroid"}, issue29="keloid"),
    Case("deep periorbital wrinkles, phototype I, 14 d, 1 session",
         patient_dict(1, (("wrinkles", 3, "periorbital"),), downtime=14, sessions=1),
         frozenset({"full-field-co2", "full-field-er:yag"}),
         "E1 Harris 1999: periorbital CO2 one pass at 4-6 J/cm^2; E2 Cohen 2015: erbium once "
         "(80 + 50 µm); E14-E16 metal eye shields", checks={"passes_max": 1, "steps": "eye shield"},
         issue29="eyelid"),
    Case("keloid former, phototype III, neck wrinkles class II, 14 d, 3 sessions",
         patient_dict(3, (("wrinkles", 2, "neck"),), downtime=14, sessions=3, keloids=True),
         frozenset(), "E31, E32: the neck is among the commonest keloid sites; E30: no elective "
         "wound on keloid-prone skin",
         blocked=frozenset({"fractional-co2", "fractional-er:yag",
                            "non-ablative-fractional-er:glass"}),
         checks={"what_to_do": "keloid-prone"},
         issue29="review A1"),
    Case("active vitiligo, phototype II, cheek acne scars grade 3, 14 d, 3 sessions",
         patient_dict(2, (("acne-scars", 3, "cheek", "rolling"),), downtime=14, sessions=3,
                      vitiligo=True, vitiligo_stable=False), frozenset(),
         "E87-E89: laser-induced leukoderma follows skin injury; active vitiligo (Koebner, "
         "progression) predicts more loss of pigment: elective laser deferred",
         blocked=frozenset({"fractional-co2", "fractional-er:yag",
                            "non-ablative-fractional-er:glass"}),
         checks={"what_to_do": "defer elective laser"}, issue29="review A5"),
    Case("prior radiation, phototype II, deep perioral wrinkles, 14 d, 1 session",
         patient_dict(prior_radiation=True),
         frozenset({"fractional-co2", "fractional-er:yag", "non-ablative-fractional-er:glass"}),
         "Pozner, clinical-evidence.md section 6 (reduced adnexa: no full field, caution with "
         "any ablative); Yuan 2014 (10 mJ / 10 %: the lowest published fractional CO2 arm)",
         blocked=frozenset(FULL_FIELD),
         checks={"energy_max": 10.0, "coverage_max": 0.10, "steps": "test spot"},
         issue29="review 29b 1"),
    Case("photosensitizing drugs, phototype II, deep perioral wrinkles, 14 d, 1 session",
         patient_dict(photosensitizing_drugs=True),
         frozenset({"fractional-co2", "fractional-er:yag", "non-ablative-fractional-er:glass"}),
         "clinical-evidence.md section 6: 'screen carefully' (tetracyclines, thiazides, lupus); "
         "collagen vascular disease 'ablative may exacerbate'; E34's 11 % (policy amounts)",
         blocked=frozenset(FULL_FIELD),
         checks={"passes_max": 1, "coverage_max": 0.11, "steps": "test spot"},
         issue29="review 29b 2"),
    Case("keloid former, phototype II, deep perioral wrinkles, 14 d, 1 session",
         patient_dict(keloids=True), frozenset({"fractional-co2", "fractional-er:yag"}),
         "E33 (keloid tendency contraindicates CO2 resurfacing); E34 (fractional, ~11 %, no "
         "extra passes); Yuan 2014 (10 mJ arm: shallower channels, policy for keloid formers)",
         blocked=frozenset(FULL_FIELD),
         checks={"energy_max": 10.0, "coverage_max": 0.11, "passes_max": 1,
                 "steps": "test spot"},
         issue29="review 29b 3"),
    Case("pregnant, actinic keratoses (Glogau II), phototype II, forehead",
         patient_dict(2, (("actinic-keratoses", 2, "forehead"),), downtime=7, sessions=3,
                      pregnant=True), frozenset(),
         "E66: laser, microneedling and peels deferred in pregnancy; topical 5-fluorouracil "
         "contraindicated in pregnancy (US FDA category X; Drugs.com, Medscape UK monographs)",
         checks={"what_to_do": "defer until after pregnancy", "not_non_laser": "fluorouracil"},
         issue29="review A7"),
    Case("perioral wrinkles and rolling scars on the cheek, phototype II, 14 d, 3 sessions",
         patient_dict(2, (("wrinkles", 3, "perioral"), ("acne-scars", 3, "cheek", "rolling")),
                      downtime=14, sessions=3),
         frozenset(FULL_FIELD), "W6/W7 for the wrinkles; A4 for the scars (second concern)"),
)


def _top(text) -> float:
    """The top of a setting such as '6-12 mJ', '40 mJ' or '9-23 %'."""
    return float(str(text).split()[0].split("-")[-1])


def failures(case: Case, out: dict) -> list[str]:
    """What in the plan ``out`` departs from the evidence's expectation of ``case`` (the test and
    the planner table of docs/validation.md both use it); empty when it follows the evidence."""
    bad = []
    rec = out["recommended"]
    if case.recommended_in:
        if rec is None or rec["modality"] not in case.recommended_in:
            bad.append(f"recommended {rec and rec['modality']}")
    elif rec is not None:
        bad.append(f"recommended {rec['modality']}, expected none")
    if rec and rec["modality"] in case.never:
        bad.append(f"{rec['modality']} must not be recommended")
    missing = case.blocked - {b["modality"] for b in out["blocked"]}
    if missing:
        bad.append(f"not blocked: {sorted(missing)}")
    ch = case.checks
    st = (rec or {}).get("settings", {})
    if rec and "passes_max" in ch and \
            int(st.get("passes", st.get("stack", 1))) > ch["passes_max"]:
        bad.append(f"passes {st.get('passes')} > {ch['passes_max']}")
    if rec and "fluence_max" in ch and float(st["fluence"].split()[0]) > ch["fluence_max"]:
        bad.append(f"fluence {st['fluence']} > {ch['fluence_max']}")
    if rec and "energy_max" in ch and "pulse_energy" in st and \
            _top(st["pulse_energy"]) > ch["energy_max"]:
        bad.append(f"energy {st['pulse_energy']} > {ch['energy_max']} mJ")
    if rec and "coverage_max" in ch:
        f = (rec["predicted"] or {}).get("surface_injury_fraction")
        if f is None:
            f = rec["envelope"]["bounds"].get("coverage_upper_bound")
        if f is None or f > ch["coverage_max"] + 1e-9:
            bad.append(f"coverage {f} > {ch['coverage_max']}")
    d = out["deferral"] or {"non_laser": [], "what_to_do": []}
    if "non_laser" in ch and not any(ch["non_laser"] in t for t in d["non_laser"]):
        bad.append(f"no '{ch['non_laser']}' in the non-laser routes")
    if "not_non_laser" in ch and any(ch["not_non_laser"].lower() in t.lower()
                                     for t in d["non_laser"]):
        bad.append(f"'{ch['not_non_laser']}' in the non-laser routes")
    if "what_to_do" in ch and not any(ch["what_to_do"] in t for t in d["what_to_do"]):
        bad.append(f"no '{ch['what_to_do']}' in what to do")
    if "steps" in ch and not (rec and any(ch["steps"] in s for s in rec["steps"])):
        bad.append(f"no '{ch['steps']}' step")
    if "adjuncts" in ch and not (rec and any(ch["adjuncts"] in s for s in rec["adjuncts"])):
        bad.append(f"no '{ch['adjuncts']}' adjunct")
    return bad


# --- full face by cosmetic unit (issue 33) ----------------------------------------------------
@dataclass(frozen=True)
class FaceCase:
    """A full-face patient and what the evidence expects of its session, unit by unit.

    ``checks`` (each from the evidence row named in ``evidence``):
    ``full_field_units``: units that must get full field; ``eyes_passes_max`` and
    ``eyes_co2_fluence_max`` (J/cm^2): the eyelid units' limits; ``no_full_field``: no unit
    of any candidate may get full field; ``band``: the neck transition is a feathering band
    and never full field; ``blend``: the blended plan is among the candidates; ``edges``:
    full-field units are feathered into lighter neighbours; ``fractional_coverage_max`` and
    ``fractional_passes_max``: ablative fractional units' density and pulses."""

    name: str
    patient: dict
    evidence: str
    checks: dict = field(default_factory=dict)


_EYES = ("periorbital-upper", "periorbital-lower")

FACE_CASES = (
    FaceCase("deep perioral (upper lip) plus fine periorbital lines (lower lids), phototype II, "
             "14 d, 1 session",
             patient_dict(2, (("wrinkles", 3, "upper-lip"), ("fine-lines", 2,
                                                            "periorbital-lower"))),
             "W6/W7 (Khatri 1999; Newman 2000): full field for class III perioral lines; E1 "
             "(Harris 1999: one pass 4-6 J/cm^2) and E2/E98 (Cohen 2015: lower lid 80 µm + "
             "50 µm once, against 4 passes perioral): the eyelids lighter, one pass; E94/E99: "
             "feathered edges; W9 (one visit, several units)",
             {"full_field_units": ("upper-lip",), "eyes_passes_max": 1,
              "eyes_co2_fluence_max": 6.0, "edges": True, "sessions": 1}),
    FaceCase("full-face photoaging (Glogau III), phototype II, 14 d, 1 session (built-in "
             "example)",
             patient_dict(2, (("sun-damage", 3, "full-face"),)),
             "D6 (StatPearls: ablative resurfacing for Glogau III-IV, phototypes I-II); E1/E2 "
             "(eyelids one pass, CO2 4-6 J/cm^2); section 4 and Tierney & Hanke 2009 (never "
             "full field on the neck); E96 (fractional at the jawline and neck to blend); E92 "
             "(blended plan: full field around the mouth and eyes, fractional elsewhere)",
             {"full_field_units": ("upper-lip", "chin", "cheek", "forehead"),
              "eyes_passes_max": 1, "eyes_co2_fluence_max": 6.0, "band": True,
              "blend": True, "sessions": 1}),
    FaceCase("full-face request, phototype IV (photoaging, Glogau III), 14 d, 4 sessions",
             patient_dict(4, (("sun-damage", 3, "full-face"),), sessions=4),
             "W11 and Nanni & Alster 1998, Kaushik & Alexis 2017 (no full field in IV-VI: "
             "hyperpigmentation > 37 %); Yuan 2014, Chan 2007 (ablative fractional density "
             "<= 10 % in III-IV); Tan 2008 (single pass, no PIH at 6 months in IV-V)",
             {"no_full_field": True, "band": True, "fractional_coverage_max": 0.10,
              "fractional_passes_max": 1}),
)


def face_failures(case: FaceCase, out: dict) -> list[str]:
    """What in the plan ``out`` departs from the evidence's expectation of the full-face
    ``case``; empty when it follows the evidence."""
    from .fullface import family

    bad: list[str] = []
    ch = case.checks
    ses = out.get("session")
    if not ses:
        return ["no session (nothing recommended on the face)"]
    best: dict[str, dict] = {}
    for u in ses["units"]:
        if u["unit"] not in best or family(u["modality"]) == "full-field":
            best[u["unit"]] = u
    for name in ch.get("full_field_units", ()):
        if name not in best or family(best[name]["modality"]) != "full-field":
            bad.append(f"{name}: {best.get(name, {}).get('modality')}, expected full field")
    for name in _EYES:
        u = best.get(name)
        if u is None or family(u["modality"]) != "full-field":
            continue
        if "eyes_passes_max" in ch and (u["passes"] or 99) > ch["eyes_passes_max"]:
            bad.append(f"{name}: {u['passes']} passes > {ch['eyes_passes_max']}")
        if "eyes_co2_fluence_max" in ch and u["modality"] == "full-field-co2" and \
                float(str(u["settings"]["fluence"]).split()[0]) > ch["eyes_co2_fluence_max"]:
            bad.append(f"{name}: fluence {u['settings']['fluence']}")
    units_everywhere = [u for p in out["plans"] for c in p["candidates"]
                        for u in (c.get("units") or [])] + ses["units"]
    if ch.get("no_full_field"):
        ff = sorted({u["unit"] for u in units_everywhere
                     if u["modality"] and family(u["modality"]) == "full-field"})
        ff += [p["recommended"]["modality"] for p in out["plans"] if p["recommended"]
               and family(p["recommended"]["modality"]) == "full-field"]
        if ff:
            bad.append(f"full field on {ff}")
    if ch.get("band"):
        band = best.get("neck-transition")
        if band is None or not band["feathering_band"]:
            bad.append("no feathering band below the jawline")
        elif family(band["modality"]) == "full-field" or (band["passes"] or 1) > 1:
            bad.append(f"band: {band['modality']}, {band['passes']} pass(es)")
    if ch.get("blend") and not any(c.get("blend") for p in out["plans"]
                                   for c in p["candidates"]):
        bad.append("no blended plan among the candidates")
    if ch.get("edges"):
        ff_units = {n for n, u in best.items() if family(u["modality"]) == "full-field"}
        edged = {e["unit"] for e in ses["feathering"]}
        if not ff_units <= edged:
            bad.append(f"edges not feathered: {sorted(ff_units - edged)}")
    for u in ses["units"]:
        if u["modality"] and family(u["modality"]) == "ablative-fractional":
            f = u["surface_injury_fraction"]
            if "fractional_coverage_max" in ch and (f is None or
                                                    f > ch["fractional_coverage_max"] + 1e-9):
                bad.append(f"{u['unit']}: coverage {f}")
            if "fractional_passes_max" in ch and (u["passes"] or 1) > ch["fractional_passes_max"]:
                bad.append(f"{u['unit']}: {u['passes']} pulses")
    if "sessions" in ch and ses["sessions"] > ch["sessions"]:
        bad.append(f"{ses['sessions']} sessions > {ch['sessions']}")
    return bad
