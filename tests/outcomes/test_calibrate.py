"""Calibration from outcomes on SYNTHETIC cohorts (dermalase.testing.cohort: generated from known
parameters with realistic noise; not patients, not data). The numbers checked are the
generating parameters and the binomial law of interval coverage, never the code's output."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from dermalase import calibration as calmod
from dermalase.outcomes import calibrate as C
from dermalase.outcomes.prediction import healing_prediction
from dermalase.testing.cohort import Truth, cohort, published_truth

#: a clinic whose patients heal more slowly than the published cases (front 180 µm/d instead
#: of 260; clearance 0.2 d/µm instead of 0.12) and whose CO2 downtime is 1.8x the published
DIFFERENT = Truth(0.20, 1e3 / 180.0, 1.0, {"downtime:full-field-co2": 1.8})


def test_every_case_of_the_cohort_says_it_is_synthetic():
    cases = cohort(20, published_truth(), seed=3)
    assert all(c.synthetic and c.case_id.startswith("SYN-") for c in cases)


@pytest.mark.parametrize("truth", [published_truth(), Truth(0.09, 1e3 / 320.0, 1.2),
                                   DIFFERENT], ids=["published", "inside-prior", "different"])
def test_the_calibration_recovers_the_generating_parameters(truth):
    cases = cohort(150, truth, seed=11)
    r = C.calibrate(cases)
    inside = C.recovered(r, truth.as_truth())
    assert all(inside.values()), (inside, r.report["groups"]["healing"]["parameters"])
    # the posterior is narrower than the prior: the outcomes informed it
    for p in r.report["groups"]["healing"]["parameters"].values():
        assert np.diff(p["posterior_interval"])[0] < 0.5 * np.diff(p["prior_interval"])[0]


def test_credible_intervals_cover_the_truth_as_often_as_they_claim():
    """Over 40 cohorts, each 90 % interval holds its true value about 90 % of the time: at
    least the 1st percentile of Binomial(80, 0.9) of the 80 (2 parameters x 40) intervals."""
    truth = Truth(0.10, 1e3 / 300.0, 1.0)
    hits = 0
    for seed in range(40):
        r = C.calibrate(cohort(60, truth, seed=100 + seed))
        hits += sum(C.recovered(r, {k: v for k, v in truth.as_truth().items()
                                    if k in C.HEALING_PARAMS}).values())
    assert hits >= stats.binom.ppf(0.01, 80, C.LEVEL)


def test_the_held_out_check_flags_a_cohort_generated_with_different_parameters():
    same = cohort(150, published_truth(), seed=1)
    other = cohort(150, DIFFERENT, seed=2)
    fitted = C.calibrate(same)
    assert fitted.report["flags"] == []  # the published model predicts its own cohort
    assert not any(v["flagged"] for v in C.check(fitted.calibration, same).values())
    # the calibration from the first cohort predicts the second badly: flagged
    flagged = C.check(fitted.calibration, other)
    assert flagged["healing"]["flagged"] and flagged["downtime:full-field-co2"]["flagged"]
    assert not flagged["downtime:full-field-er:yag"]["flagged"]  # generated alike
    # and k-fold on the second cohort flags the published calibration in force
    r = C.calibrate(other)
    assert any(f.startswith("healing, the calibration in force") for f in r.report["flags"])
    assert r.report["groups"]["healing"]["check"]["posterior"]["flagged"] is False
    assert r.report["groups"]["healing"]["check"]["elpd_gain"] > 0


def test_too_few_cases_are_refused_saying_how_many_are_needed():
    cases = cohort(7, published_truth(), seed=5)
    with pytest.raises(C.NotEnoughCases) as exc:
        C.calibrate(cases)
    text = str(exc.value)
    assert "healing front speed and coagulum clearance" in text and "12 needed" in text
    assert "more)" in text


def test_a_group_short_of_cases_is_refused_while_the_others_are_calibrated():
    cases = cohort(40, published_truth(), seed=6)
    only_erbium_downtime = [c for c in cases if c.modality == "full-field-er:yag"][:9] + \
        [c for c in cases if c.modality == "full-field-co2"][:3]
    r = C.calibrate(only_erbium_downtime)
    assert any("full-field-co2" in x and "8 needed" in x for x in r.report["refused"])
    assert "full-field-co2" not in r.calibration.recovery


def test_the_published_calibration_predicts_what_the_healing_model_simulates():
    """Under the published calibration the prediction from the features is the simulated day
    healed (the model is linear in its parameters: nothing is lost by the closed form)."""
    from dermalase import simulate
    from dermalase.outcomes.prediction import features
    from dermalase.simulate import Scenario

    sc = Scenario.from_dict({"skin": {"site": "perioral"}, "laser": {
        "source": "co2", "pulse_duration": "1 ms"}, "delivery": {
        "spot_diameter": "4 mm", "fluence": "7 J/cm^2", "passes": 2}})
    res = simulate(sc)
    pred = healing_prediction(features(res))
    assert pred["value"] == pytest.approx(res.summary["reepithelialization_days"], abs=0.011)
    # and a calibration with another speed and clearance moves it as the model does
    cal = calmod.Calibration(name="t", version=1, healing={
        "front_speed_um_per_day": 150.0, "clearance_days_per_um": 0.2,
        "front_speed_range": [140.0, 160.0], "clearance_range": [0.18, 0.22]})
    with calmod.use(cal):
        again = simulate(sc)
    f = features(res)
    expected = f["lag_days"] + 0.2 * f["coagulum_um"] + f["cover_distance_mm"] * 1e3 / 150.0
    assert again.summary["reepithelialization_days"] == pytest.approx(expected, abs=0.011)
    assert math.isfinite(expected) and expected > res.summary["reepithelialization_days"]
