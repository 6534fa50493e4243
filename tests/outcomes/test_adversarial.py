"""No calibration moves a safety bound (issue 34): under adversarial calibrations (every recovery
figure divided or multiplied by 100, a front that heals at once or barely moves) the clinical
envelope bounds every search as before, nothing blocked is unblocked, nothing conditional is
recommended, and the planner's safety tests hold; the model fingerprint names the calibration
while the published one keeps the code's fingerprint."""

from __future__ import annotations

import math

import pytest

from dermalase import calibration as calmod
from dermalase.planner import Patient, plan
from dermalase.planner.cases import CASES
from dermalase.planner.modalities import MODALITIES
from dermalase.simulate import store


def _recovery(factor: float) -> dict:
    return {m: {"downtime": {"factor": factor, "range": [factor, factor]},
                "erythema": {"factor": factor, "range": [factor, factor]}}
            for m in MODALITIES}


#: every published downtime and erythema 100 times shorter / longer (simulations unchanged)
SHORT = calmod.Calibration("adversarial-short", 90, None, _recovery(0.01), 1)
LONG = calmod.Calibration("adversarial-long", 91, None, _recovery(100.0), 1)
#: and a healing front that closes any wound at once / barely moves
INSTANT = calmod.Calibration("adversarial-instant", 92, {
    "front_speed_um_per_day": 1e6, "clearance_days_per_um": 0.0,
    "front_speed_range": [1e6, 1e6], "clearance_range": [0.0, 0.0]}, _recovery(0.01), 1)
STALLED = calmod.Calibration("adversarial-stalled", 93, {
    "front_speed_um_per_day": 1.0, "clearance_days_per_um": 5.0,
    "front_speed_range": [1.0, 1.0], "clearance_range": [5.0, 5.0]}, _recovery(100.0), 1)


def _safety_view(out: dict) -> list[dict]:
    """What safety rests on: blocked options, conditions, the settings the envelope let the
    search write, and that no recommendation is conditional or infeasible."""
    view = []
    for p in out["plans"]:
        rec = p["recommended"]
        assert rec is None or (not rec["conditional_on"] and not rec["problems"])
        view.append({"blocked": sorted((b["modality"], b["reason"]) for b in p["blocked"]),
                     "conditional": sorted((c["modality"], tuple(c["conditional_on"]))
                                           for c in p["candidates"]),
                     "settings": sorted((c["modality"], repr(c["settings"]))
                                        for c in p["candidates"]),
                     "envelope": sorted((c["modality"], repr(c.get("envelope")))
                                        for c in p["candidates"])})
    return view


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_no_recovery_calibration_moves_a_safety_bound_of_the_planner_table(case):
    pat = Patient.from_dict(case.patient)
    published = plan(pat, threads=1)
    assert published["calibration"]["fingerprint"] == "published"
    for cal in (SHORT, LONG):
        with calmod.use(cal):
            out = plan(pat, threads=1)
        assert out["calibration"]["name"] == cal.name
        assert _safety_view(out) == _safety_view(published)
        assert case.blocked <= {b["modality"] for b in out["blocked"]}
        for c in out["candidates"]:  # the figures moved, and say why
            if c.get("downtime_days") and c["modality"] in cal.recovery:
                assert "scaled by calibration" in c["downtime_source"]


def _co2(out: dict) -> dict:
    return next(c for c in out["candidates"] if c["modality"] == "full-field-co2")


def test_a_healing_calibration_changes_the_predicted_healing_and_no_safety_bound():
    case = CASES[0]  # deep perioral wrinkles, the built-in example
    pat = Patient.from_dict(case.patient)
    published = plan(pat, threads=1)
    heal = {}
    for cal in (INSTANT, STALLED):
        with calmod.use(cal):
            out = plan(pat, threads=1)
        assert _safety_view(out) == _safety_view(published)
        heal[cal.name] = _co2(out)["predicted"]["reepithelialization_days"]
    assert published["recommended"]["modality"] == "full-field-co2"
    base = _co2(published)["predicted"]["reepithelialization_days"]
    assert heal["adversarial-instant"] < base < heal["adversarial-stalled"]
    assert math.isfinite(heal["adversarial-stalled"])


def test_the_envelope_bounds_every_search_under_an_adversarial_calibration():
    """The envelope's property test (tests/planner/test_envelope.py) on a seeded sample of its
    grid, run under each adversarial calibration: no bound depends on a calibration."""
    import random

    from tests.planner.test_envelope import HISTORIES, check_patient, grid

    sample = random.Random(34).sample(list(grid()), 300)
    for cal in (INSTANT, STALLED):
        with calmod.use(cal):
            n = sum(check_patient(c[0], c[1], c[2][0], c[2][1], HISTORIES[c[3]], c[4], c[5])
                    for c in sample)
        assert n > 300


def test_the_planners_safety_tests_hold_under_an_adversarial_calibration():
    """tests/planner/test_safety.py's tests of conditions, contraindications and harm caps,
    run as they are under the calibration that makes every option look easiest (SHORT); under
    the one that makes every option look hardest (LONG) the plans may recommend nothing, which
    is never unsafe: the conditions and blocks are checked without a recommendation."""
    from dermalase.planner.cases import ABLATIVE, patient_dict
    from tests.planner import test_safety as S

    with calmod.use(SHORT):
        S.test_no_history_recommends_nothing_and_asks_for_answers()
        S.test_unknown_isotretinoin_conditions_only_what_it_could_block()
        S.test_melasma_excludes_ablation()
        S.test_neck_plan_keeps_a_margin_below_avram()
        S.test_antiviral_only_for_ablative_facial_treatment()
        for months in (0.0, math.nextafter(S.ISO_MONTHS, 0.0)):
            S.test_isotretinoin_inside_the_published_window_never_allows_full_field(months)
    with calmod.use(LONG):
        S.test_unknown_isotretinoin_conditions_only_what_it_could_block()
        S.test_antiviral_only_for_ablative_facial_treatment()
        out = S.run(patient_dict(4, (("melasma", 2, "cheek"),), downtime=7, sessions=4))
        assert set(ABLATIVE) <= {b["modality"] for b in out["blocked"]}
        assert out["recommended"] is None or out["recommended"]["modality"] not in ABLATIVE
        for months in (0.0, math.nextafter(S.ISO_MONTHS, 0.0)):
            S.test_isotretinoin_inside_the_published_window_never_allows_full_field(months)


def test_the_model_fingerprint_includes_the_calibration():
    code = store.code_fingerprint()
    assert store.model_fingerprint() == code  # the published calibration adds nothing
    with calmod.use(SHORT):
        short = store.model_fingerprint()
        search_key = store.args_key("search", {"x": 1})
    with calmod.use(LONG):
        long_ = store.model_fingerprint()
        assert store.args_key("search", {"x": 1}) == search_key  # recovery: same simulations
    with calmod.use(INSTANT):
        assert store.args_key("search", {"x": 1}) != search_key  # healing: not the same
    assert len({code, short, long_}) == 3
    with pytest.raises(Exception, match="front_speed_um_per_day"):
        calmod.Calibration.from_dict({"name": "x", "healing": {
            "front_speed_um_per_day": -1.0, "clearance_days_per_um": 0.1}})


def test_how_the_planner_table_would_change_under_a_calibration():
    from dermalase.outcomes.tables import table_changes

    case = next(c for c in CASES if "accepts 5 d" in c.name)
    (row,) = table_changes(calmod.PUBLISHED, SHORT, cases=[case])
    assert row["case"] == case.name
    what = {c["what"] for c in row["changes"]}
    assert "downtime_typical_days" in what  # 100 times shorter: the typical value moved
    (same,) = table_changes(calmod.PUBLISHED, calmod.PUBLISHED, cases=[case])
    assert same["changes"] == []
