"""The model's prediction for what was delivered (not what was planned), with its interval, the
model fingerprint and the calibration it was made under.

The delivered settings are simulated (the device's settings resolved to physics as a
``[device]`` scenario is); the healing model's day healed and the features that make it
linear in its parameters (:mod:`dermalase.outcomes.cases`) are read from the run; the social
downtime and erythema are the published figures of the modality at the delivered depth, as the
calibration in force scales them. Each measure's interval is the predictive interval of the
calibration in force (:func:`dermalase.outcomes.calibrate.model_of`): under the published
calibration, the published values with the prior's spread of patients; after an adoption, the
posterior predictive. The model's own corner range (lag and calibration data) is kept beside it
as ``model_range``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import calibration as calmod
from ..healing import DAY, dermal_coagulum
from . import calibrate
from .cases import Case


def features(result) -> dict[str, float]:
    """(coagulum µm, cover distance mm, lag d) of a simulation :class:`Result`: exact for the
    healing model, whose closure time is lag + clearance x coagulum + distance / speed."""
    heal, out = result.healing, result.outcome
    fractional = out.pattern is not None
    coag = 0.0 if fractional else dermal_coagulum(result.scenario.skin, out.injury_depth,
                                                  out.coagulation_depth)
    p = heal.params
    lag = p.lag - (0.0 if fractional else p.clearance * coag)
    dist = (heal.days * DAY - p.lag) * p.c if math.isfinite(heal.days) else math.inf
    return {"coagulum_um": coag * 1e6, "cover_distance_mm": dist * 1e3, "lag_days": lag / DAY}


def healing_prediction(feat: dict[str, float], cal: calmod.Calibration | None = None
                       ) -> dict[str, Any] | None:
    """The day healed and its predictive interval from the features, under ``cal`` (the
    calibration in force)."""
    cal = cal or calmod.current()
    if not math.isfinite(feat["cover_distance_mm"]):
        return None
    model = calibrate.model_of(cal, calibrate.HEALING)
    assert model is not None
    x = np.array([feat["coagulum_um"], feat["cover_distance_mm"]])
    loc, lo, hi = calibrate.predictive_interval(model, x)
    lag = feat["lag_days"]
    return {"value": round(loc + lag, 2), "interval": [round(max(lo + lag, 0.0), 2),
                                                       round(hi + lag, 2)],
            "interval_kind": _kind(cal, calibrate.HEALING)}


def recovery_prediction(modality: str, measure: str, injury_um: float | None,
                        cal: calmod.Calibration | None = None) -> dict[str, Any] | None:
    """The published typical downtime or erythema as ``cal`` scales it, with its interval."""
    cal = cal or calmod.current()
    typ = calibrate.published_typical(modality, measure, injury_um)
    group = f"{measure}:{modality}"
    model = calibrate.model_of(cal, group)
    if typ is None or model is None:
        return None
    loc, lo, hi = calibrate.predictive_interval(model, np.array([1.0]))
    return {"value": round(typ * math.exp(loc), 1),
            "interval": [round(typ * math.exp(lo), 1), round(typ * math.exp(hi), 1)],
            "published_typical": typ, "interval_kind": _kind(cal, group)}


def _kind(cal: calmod.Calibration, group: str) -> str:
    fitted = (cal.healing and "nig" in cal.healing) if group == calibrate.HEALING else \
        bool(cal.recovery.get(group.split(":", 1)[1], {}).get(group.split(":", 1)[0]))
    if fitted:
        return (f"{calibrate.LEVEL:.0%} posterior predictive interval (calibration "
                f"{cal.name} v{cal.version}, {cal.cases} outcomes)")
    return (f"{calibrate.LEVEL:.0%} interval of the published values with the prior's spread "
            "of patients (not yet checked against this clinic's outcomes)")


def predict(scenario, modality: str, area: str) -> dict[str, Any]:
    """Simulate ``scenario`` (the delivered settings, resolved) and predict every measure
    under the calibration in force; the result is what a treatment record stores."""
    from .. import simulate
    from ..simulate.store import model_fingerprint

    cal = calmod.current()
    result = simulate(scenario)
    s = result.summary
    feat = features(result)
    injury = s.get("injury_depth_um")
    measures = {"reepithelialization_days": healing_prediction(feat, cal)}
    if measures["reepithelialization_days"] is not None:
        measures["reepithelialization_days"]["model_range"] = s.get(
            "reepithelialization_days_range")
    for m in calmod.RECOVERY_MEASURES:
        measures[f"{m}_days"] = recovery_prediction(modality, m, injury, cal)
    return {"area": area, "site": scenario.skin.site, "modality": modality,
            "measures": measures, "features": feat,
            "simulated": {k: s.get(k) for k in (
                "ablation_depth_um", "coagulation_depth_um", "injury_depth_um",
                "surface_injury_fraction", "reepithelialization_days",
                "reepithelialization_days_range", "deepest_layer")},
            "warnings": list(s.get("warnings") or []),
            "fingerprint": model_fingerprint(), "calibration": cal.label()}


def published_only(modality: str, area: str, why: str) -> dict[str, Any]:
    """The prediction of a treatment the simulator cannot run (``why``): the published
    recovery figures alone, under the calibration in force."""
    from ..planner.envelope import skin_of
    from ..simulate.store import model_fingerprint

    cal = calmod.current()
    measures: dict[str, Any] = {"reepithelialization_days": None}
    for m in calmod.RECOVERY_MEASURES:
        measures[f"{m}_days"] = recovery_prediction(modality, m, None, cal)
    return {"area": area, "site": skin_of(area), "modality": modality, "measures": measures,
            "features": None,
            "simulated": {}, "warnings": [f"not simulated: {why}"],
            "fingerprint": model_fingerprint(), "calibration": cal.label()}


def case_of(prediction: dict, observed: dict[str, float | None], case_id: str = "") -> Case:
    """The :class:`Case` of one stored prediction and the outcome observed."""
    feat = prediction.get("features") or {  # not simulated: recovery informs, healing not
        "coagulum_um": 0.0, "cover_distance_mm": math.inf, "lag_days": 0.0}
    inj = (prediction.get("simulated") or {}).get("injury_depth_um")
    pub = {m: calibrate.published_typical(prediction["modality"], m, inj)
           for m in calmod.RECOVERY_MEASURES}
    return Case(modality=prediction["modality"], site=prediction["area"],
                coagulum_um=float(feat["coagulum_um"]),
                cover_distance_mm=float(feat["cover_distance_mm"]),
                lag_days=float(feat["lag_days"]), observed=dict(observed), published=pub,
                case_id=case_id)


def predicted_for(case: Case, cal: calmod.Calibration | None = None) -> dict[str, Any]:
    """Every measure's prediction for a case under ``cal`` (from its features: no
    simulation)."""
    cal = cal or calmod.current()
    out: dict[str, Any] = {"reepithelialization_days": healing_prediction(
        {"coagulum_um": case.coagulum_um, "cover_distance_mm": case.cover_distance_mm,
         "lag_days": case.lag_days}, cal)}
    for m in calmod.RECOVERY_MEASURES:
        typ = case.published.get(m)
        model = calibrate.model_of(cal, f"{m}:{case.modality}")
        if typ is None or model is None:
            out[f"{m}_days"] = None
            continue
        loc, lo, hi = calibrate.predictive_interval(model, np.array([1.0]))
        out[f"{m}_days"] = {"value": typ * math.exp(loc),
                            "interval": [typ * math.exp(lo), typ * math.exp(hi)]}
    return out
