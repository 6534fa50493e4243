"""The observed-vs-predicted report on cases whose numbers are worked out by hand."""

from __future__ import annotations

import pytest

from dermalase.outcomes import report


def _item(i, modality, area, pred, lo, hi, obs):
    return {"id": i, "modality": modality, "area": area,
            "predicted": {"reepithelialization_days": {"value": pred, "interval": [lo, hi]}},
            "observed": {"reepithelialization_days": obs}}


ITEMS = [_item(1, "full-field-co2", "perioral", 10.0, 8.0, 12.0, 11.0),   # inside, +1
         _item(2, "full-field-co2", "cheek", 10.0, 8.0, 12.0, 9.0),       # inside, -1
         _item(3, "full-field-er:yag", "cheek", 4.0, 3.0, 5.0, 4.5),      # inside, +0.5
         _item(4, "full-field-er:yag", "cheek", 4.0, 3.0, 5.0, 7.5),      # 2.5 beyond: review
         _item(5, "full-field-co2", "perioral", 10.0, 8.0, 12.0, 12.5),   # 0.25 beyond: not
         {"id": 6, "modality": "full-field-co2", "area": "neck", "predicted": {},
          "observed": {"reepithelialization_days": 3.0}}]                 # nothing to compare


def test_coverage_bias_groups_and_the_cases_for_review():
    rep = report.build(ITEMS)
    m = rep["measures"]["reepithelialization_days"]
    assert m["n"] == 5 and m["coverage"] == pytest.approx(3 / 5)
    assert m["bias_days"] == pytest.approx((1 - 1 + 0.5 + 3.5 + 2.5) / 5)
    assert m["mean_abs_error_days"] == pytest.approx((1 + 1 + 0.5 + 3.5 + 2.5) / 5)
    assert m["by_modality"]["full-field-er:yag"] == {
        "n": 2, "coverage": 0.5, "bias_days": pytest.approx(2.0),
        "mean_abs_error_days": pytest.approx(2.0)}
    assert m["by_area"]["perioral"]["n"] == 2 and m["by_area"]["cheek"]["n"] == 3
    assert [r["id"] for r in rep["review"]] == [4]  # 2.5 d beyond a 1-day half-width
    assert rep["measures"]["downtime_days"]["n"] == 0
    lines = report.text(rep)
    assert "5 cases, 60% inside" in lines and "treatment 4:" in lines
    assert report.figure(rep)[:4] == b"\x89PNG"
