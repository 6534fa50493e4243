"""A case: one treatment's prediction beside what was observed, in the form the report, the
calibration and the de-identified export share.

``features`` carry what the healing model needs to predict the day healed under any front
speed and clearance without simulating again: the model is linear in them,

    day healed = lag + s * coagulum + u * cover distance,

with ``coagulum`` the dermal coagulated layer the run left (µm; 0 for fractional zones,
which are covered from their rims), ``cover distance`` the distance the epithelial front
must travel to close the wound (mm: the Poisson cover radius of the surviving sources, or the
edge or rim distance), s the clearance time (d/µm) and u = 1/c the front's slowness (d/mm)
(:mod:`dermalase.healing`). ``published`` carries the published typical downtime and
erythema of the modality at the delivered depth, which the recovery factors scale.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

#: the outcome measures compared with a prediction: (key, what, unit)
MEASURES = (("reepithelialization_days", "re-epithelialization (day healed)", "d"),
            ("erythema_days", "end of erythema", "d"),
            ("downtime_days", "social downtime", "d"))


@dataclass(frozen=True)
class Case:
    """One treatment with its outcome (observed values None where not recorded)."""

    modality: str
    site: str
    coagulum_um: float
    cover_distance_mm: float
    lag_days: float
    observed: dict[str, float | None] = field(default_factory=dict)
    published: dict[str, float | None] = field(default_factory=dict)
    case_id: str = ""
    synthetic: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> Case:
        return cls(modality=str(d["modality"]), site=str(d["site"]),
                   coagulum_um=float(d["coagulum_um"]),
                   cover_distance_mm=float(d["cover_distance_mm"]),
                   lag_days=float(d["lag_days"]),
                   observed={k: _num(v) for k, v in (d.get("observed") or {}).items()},
                   published={k: _num(v) for k, v in (d.get("published") or {}).items()},
                   case_id=str(d.get("case_id", "")), synthetic=bool(d.get("synthetic")))

    def value(self, measure: str) -> float | None:
        v = self.observed.get(measure)
        return None if v is None or not math.isfinite(v) else float(v)


def _num(v: Any) -> float | None:
    if v is None or v == "":
        return None
    x = float(v)
    return x if math.isfinite(x) else None
