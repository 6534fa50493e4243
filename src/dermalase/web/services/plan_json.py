"""A stored plan as JSON (the export and the API), and its per-concern plans whatever the
planner version that made it."""

from __future__ import annotations

from ..db import Plan


def to_json(x: Plan) -> dict:
    return {"id": x.id, "created_at": x.created_at.isoformat(), "created_by": x.created_by,
            "dermalase_version": x.version, "model_fingerprint": x.fingerprint,
            "patient": x.patient_data, "plan": x.plan}


def concern_plans(plan: dict) -> list[dict]:
    """The per-concern plans of a stored plan JSON, whatever its version: ``plans`` (one per
    concern), else the top-level recommendation of the first concern alone."""
    plans = plan.get("plans") if isinstance(plan, dict) else None
    if isinstance(plans, list) and plans:
        return [cp for cp in plans if isinstance(cp, dict)]
    if isinstance(plan, dict) and ("recommended" in plan or "candidates" in plan):
        concern = (plan.get("patient") or {}).get("concerns", [{}])[0] \
            if isinstance(plan.get("patient"), dict) else {}
        return [{"concern": concern, "recommended": plan.get("recommended"),
                 "candidates": plan.get("candidates") or [],
                 "blocked": plan.get("blocked") or []}]
    return []
