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
         "photosensitizing_drugs": False, "vitiligo": False, "prior_radiation": False}

FULL_FIELD = {"full-field-co2", "full-field-er:yag"}
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
    checks: dict = field(default_factory=dict)


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
         patient_dict(downtime=5), frozenset(), "7.1: FF-CO2 social downtime 10-14 d, deep "
                                                "FF-Er 7-14 d, AFR-CO2 5-14 d",
         never=frozenset(FULL_FIELD)),
    Case("uneven tone, phototype IV, cheek",
         patient_dict(4, (("uneven-tone", 2, "cheek"),), downtime=7, sessions=4),
         frozenset({"non-ablative-fractional-tm:fiber"}),
         "D2/D3/D5: non-ablative 1,927 nm; ablation not ideal when it is melasma; FST IV: no "
         "full field (section 5)", blocked=frozenset({"full-field-er:yag"})),
    Case("melasma, phototype IV, cheek",
         patient_dict(4, (("melasma", 2, "cheek"),), downtime=7, sessions=4),
         frozenset({"non-ablative-fractional-tm:fiber"}),
         "D3: 1,927 nm with caution, 3-4 sessions; ablative 'not ideal for melasma'",
         blocked=frozenset(ABLATIVE)),
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
         frozenset(), "7.1: NAFL-1550 social downtime 0-3 d exceeds 2 d; AFR blocked in V-VI"),
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
    Case("perioral wrinkles and rolling scars on the cheek, phototype II, 14 d, 3 sessions",
         patient_dict(2, (("wrinkles", 3, "perioral"), ("acne-scars", 3, "cheek", "rolling")),
                      downtime=14, sessions=3),
         frozenset(FULL_FIELD), "W6/W7 for the wrinkles; A4 for the scars (second concern)"),
)
