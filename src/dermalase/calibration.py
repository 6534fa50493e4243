"""Calibrations: named, versioned sets of the parameter values that clinical outcomes inform,
and the one place the model reads them from (issue 34).

The **published** calibration is the model as its data files give it: the healing front speed
and coagulum clearance solved from the two published healing cases
(:meth:`dermalase.healing.HealingParams.calibrated`) and the published social downtime and
erythema of each modality (``data/planner_rules.toml`` ``[[recovery]]``). A clinic's outcomes
give another calibration (:mod:`dermalase.outcomes.calibrate`): the posterior front speed and
clearance, and a factor per modality on the published downtime and erythema, with the
intervals, the number of cases and where they came from.

The hook: :func:`current` is the calibration in force (the published one unless a block runs
under :func:`use`). Three readers, and only these:

- ``healing.HealingParams.calibrated()`` and ``.corners()`` take the front speed and clearance
  (and their interval corners) from it when it carries healing values;
- ``planner.plan`` scales each published recovery row by :func:`scaled_recovery` and writes
  :meth:`Calibration.label` into the plan (``calibration``);
- ``simulate.store.model_fingerprint()`` includes :meth:`Calibration.fingerprint`, so a result
  computed under one calibration is never served under another, and every stored plan,
  simulation and prediction carries the fingerprint of the calibration it used.

Nothing else changes with a calibration: the clinical envelope, the contraindications, the
device ranges and the searched depths come from their own files, so no calibration can move a
bound (tests/outcomes/test_adversarial.py).

The calibration in force is process-wide while a :func:`use` block runs (the planner's search
threads read it too); blocks are serialised by a lock, so two plans under two calibrations in
one process never mix.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .errors import InputError

#: the measures of recovery a calibration may scale (planner_rules.toml [[recovery]] keys)
RECOVERY_MEASURES = ("downtime", "erythema")
#: the recovery keys each measure scales
_SCALED = {"downtime": ("downtime_days", "downtime_typical_days"),
           "erythema": ("erythema_days",)}


@dataclass(frozen=True)
class Calibration:
    """One calibration.

    ``healing``: None (the published solution) or ``{"front_speed_um_per_day": c,
    "clearance_days_per_um": s, "front_speed_range": [lo, hi], "clearance_range": [lo, hi],
    "mean": [s, u], "cov": 2x2, "sigma_days": ..., "dof": ...}`` (u = 1/c in d/mm; the
    posterior of :mod:`dermalase.outcomes.calibrate`, whose predictive intervals need the
    covariance). ``recovery``: ``{modality: {"downtime": {"factor": f, "range": [lo, hi],
    "sigma": ..., "var": ..., "dof": ...}, "erythema": {...}}}``, factors on the published
    values. ``cases``: how many outcomes it rests on; ``provenance``: where they came from."""

    name: str = "published"
    version: int = 0
    healing: dict | None = None
    recovery: dict = field(default_factory=dict)
    cases: int = 0
    provenance: str = ("published values only: data/constants.toml (healing) and "
                       "data/planner_rules.toml (recovery)")

    @property
    def published(self) -> bool:
        return self.healing is None and not self.recovery

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "healing": self.healing,
                "recovery": self.recovery, "cases": self.cases, "provenance": self.provenance}

    @classmethod
    def from_dict(cls, d: Any) -> Calibration:
        """A calibration from its dict, checked: every value finite and of its sign (one
        :class:`InputError` naming the value)."""
        if not isinstance(d, dict):
            raise InputError("calibration", str(d)[:40], "a calibration object")
        cal = cls(name=str(d.get("name", "published"))[:64], version=int(d.get("version", 0)),
                  healing=d.get("healing"), recovery=dict(d.get("recovery") or {}),
                  cases=int(d.get("cases", 0)), provenance=str(d.get("provenance", "")))
        cal.check()
        return cal

    def check(self) -> None:
        h = self.healing
        if h is not None:
            for k in ("front_speed_um_per_day", "clearance_days_per_um"):
                v = h.get(k)
                ok = isinstance(v, int | float) and math.isfinite(v) and (
                    v > 0 if k.startswith("front") else v >= 0)
                if not ok:
                    raise InputError(f"calibration.healing.{k}", v, "a finite number > 0"
                                     if k.startswith("front") else "a finite number >= 0")
            for k in ("front_speed_range", "clearance_range"):
                lo, hi = h.get(k) or (None, None)
                if not (isinstance(lo, int | float) and isinstance(hi, int | float)
                        and math.isfinite(lo) and math.isfinite(hi) and 0 <= lo <= hi
                        and (lo > 0 or k.startswith("clearance"))):
                    raise InputError(f"calibration.healing.{k}", h.get(k),
                                     "[low, high], finite, 0 <= low <= high")
        for modality, measures in self.recovery.items():
            for m, v in measures.items():
                f = v.get("factor") if isinstance(v, dict) else None
                if m not in RECOVERY_MEASURES or not (
                        isinstance(f, int | float) and math.isfinite(f) and f > 0):
                    raise InputError(f"calibration.recovery.{modality}.{m}", f,
                                     f"one of {', '.join(RECOVERY_MEASURES)} with a finite "
                                     "factor > 0")

    def fingerprint(self, part: str = "all") -> str:
        """'' for the published calibration; else 12 hex digits of its values (``part =
        "healing"``: of its healing values alone, '' without them: what a simulation depends
        on, so the simulation store shares results between calibrations that differ only in
        recovery)."""
        values = {"healing": self.healing} if part == "healing" else \
            {"healing": self.healing, "recovery": self.recovery}
        if not any(values.values()):
            return ""
        blob = json.dumps(values, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:12]

    def label(self) -> dict[str, Any]:
        """What a plan, a simulation or a prediction records of the calibration it used."""
        return {"name": self.name, "version": self.version,
                "fingerprint": self.fingerprint() or "published", "cases": self.cases}

    def factor(self, modality: str, measure: str) -> float:
        v = self.recovery.get(modality, {}).get(measure)
        return float(v["factor"]) if v else 1.0


PUBLISHED = Calibration()
_ACTIVE: Calibration = PUBLISHED
_LOCK = threading.RLock()


def current() -> Calibration:
    """The calibration in force (the published one outside :func:`use`)."""
    return _ACTIVE


@contextlib.contextmanager
def use(cal: Calibration | None) -> Iterator[Calibration]:
    """Run the block under ``cal`` (None: the published calibration)."""
    global _ACTIVE
    cal = cal or PUBLISHED
    with _LOCK:
        saved, _ACTIVE = _ACTIVE, cal
        try:
            yield cal
        finally:
            _ACTIVE = saved


def scaled_recovery(row: dict, modality: str) -> dict:
    """A published ``[[recovery]]`` row as the calibration in force reads it: downtime and
    erythema multiplied by its factors for ``modality`` (the row itself when none), with a
    ``calibration`` note beside the source."""
    cal = current()
    if modality not in cal.recovery:
        return row
    out = dict(row)
    notes = []
    for measure, keys in _SCALED.items():
        f = cal.factor(modality, measure)
        if f == 1.0:
            continue
        for k in keys:
            v = out.get(k)
            if isinstance(v, list):
                out[k] = [round(x * f, 1) for x in v]
            elif isinstance(v, int | float):
                out[k] = round(v * f, 1)
        notes.append(f"{measure} x {f:.2f}")
    if notes:
        out["source"] = (f"{row.get('source', '')}; scaled by calibration {cal.name} "
                         f"v{cal.version} ({', '.join(notes)}; {cal.cases} outcomes)")
    return out
