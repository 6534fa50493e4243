"""How a calibration would change the plans of the planner table (the evidence cases of
``dermalase.planner.cases``): each patient planned under the calibration in force and under the
proposed one, and the differences a clinician would see: the recommendation, its typical
downtime and erythema, the model's day healed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import calibration as calmod


def _summary(plan: dict) -> list[dict[str, Any]]:
    out = []
    for p in plan.get("plans") or [plan]:
        rec = p.get("recommended") or {}
        pred = rec.get("predicted") or {}
        out.append({"concern": p.get("concern"), "recommended": rec.get("modality"),
                    "downtime_typical_days": rec.get("downtime_typical_days"),
                    "erythema_days": rec.get("erythema_days"),
                    "reepithelialization_days": pred.get("reepithelialization_days")})
    return out


def table_changes(before: calmod.Calibration, after: calmod.Calibration, *,
                  cases=None, progress: Callable[[float], None] | None = None
                  ) -> list[dict[str, Any]]:
    """One row per planner-table patient: the plan's summary under ``before`` and ``after``
    and what changed."""
    from ..planner import plan
    from ..planner.cases import CASES
    from ..planner.patient import Patient

    cases = CASES if cases is None else cases
    rows = []
    for k, case in enumerate(cases):
        pat = Patient.from_dict(case.patient)
        with calmod.use(before):
            a = _summary(plan(pat, threads=1))
        with calmod.use(after):
            b = _summary(plan(pat, threads=1))
        changes = []
        for x, y in zip(a, b, strict=True):
            for key in ("recommended", "downtime_typical_days", "erythema_days",
                        "reepithelialization_days"):
                if x[key] != y[key]:
                    changes.append({"concern": x["concern"], "what": key, "before": x[key],
                                    "after": y[key]})
        rows.append({"case": case.name, "before": a, "after": b, "changes": changes})
        if progress:
            progress((k + 1) / len(cases))
    return rows
