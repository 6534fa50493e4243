"""A SYNTHETIC cohort: outcomes generated from known parameters with realistic noise, for
testing the calibration from outcomes (issue 34). These are not patients and not data: every
case says ``synthetic = True`` and its id starts with ``SYN-``.

The treatments are real simulations of a fixed set of published resurfacing settings
(full-field Er:YAG peels light and deep, full-field CO2 one and two passes, fractional CO2) on
several areas; the healing model's features of each (:func:`dermalase.outcomes.prediction.
features`) are kept in the simulation store. Each case's outcome is then drawn from the
healing model with the *true* parameters, plus noise: patients differ (normal, ``noise_days``)
and the clinic records the day healed to the half day; downtime and erythema are the
published typical figure times the true factor, log-normal with the published spread of
patients, recorded to the half day; about 10 % of each is not recorded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .. import calibration as calmod
from ..outcomes import calibrate
from ..outcomes.cases import Case

#: (modality, physics scenario without skin, areas): published resurfacing settings
TREATMENTS = (
    ("full-field-er:yag", {"laser": {"source": "er:yag", "pulse_duration": "250 us"},
                           "delivery": {"mode": "full-field", "spot_diameter": "4 mm",
                                        "fluence": "12.5 J/cm^2", "passes": 1}},
     ("cheek", "forehead", "perioral")),
    ("full-field-er:yag", {"laser": {"source": "er:yag", "pulse_duration": "250 us"},
                           "delivery": {"mode": "full-field", "spot_diameter": "4 mm",
                                        "fluence": "25 J/cm^2", "passes": 3}},
     ("cheek", "perioral")),
    ("full-field-co2", {"laser": {"source": "co2", "pulse_duration": "1 ms"},
                        "delivery": {"mode": "full-field", "spot_diameter": "4 mm",
                                     "fluence": "7 J/cm^2", "passes": 2}},
     ("perioral", "cheek", "forehead")),
    ("full-field-co2", {"laser": {"source": "co2", "pulse_duration": "1 ms"},
                        "delivery": {"mode": "full-field", "spot_diameter": "4 mm",
                                     "fluence": "5 J/cm^2", "passes": 1}},
     ("cheek",)),
)


@dataclass(frozen=True)
class Truth:
    """The parameters a synthetic cohort is generated from."""

    clearance_days_per_um: float
    slowness_days_per_mm: float
    noise_days: float = 1.0
    factors: dict[str, float] = field(default_factory=dict)  # "<measure>:<modality>" -> f

    def factor(self, measure: str, modality: str) -> float:
        return self.factors.get(f"{measure}:{modality}", 1.0)

    def as_truth(self) -> dict[str, float]:
        return {"clearance_days_per_um": self.clearance_days_per_um,
                "slowness_days_per_mm": self.slowness_days_per_mm, **self.factors}


def published_truth() -> Truth:
    s0, u0, _, _ = calibrate.healing_published()
    return Truth(s0, u0)


def treatment_features() -> list[tuple[str, str, dict, float | None]]:
    """(modality, area, features, injury µm) of every synthetic treatment (simulated once; kept
    in the simulation store)."""
    from ..simulate import Scenario, store

    out = []
    with calmod.use(calmod.PUBLISHED):
        for modality, sc, areas in TREATMENTS:
            for area in areas:
                d = {"name": "synthetic", "skin": {"site": area, "phototype": 2}, **sc}

                def compute(d=d) -> dict:
                    from .. import simulate
                    from ..outcomes.prediction import features

                    r = simulate(Scenario.from_dict(d))
                    return {**features(r), "injury_depth_um": r.summary["injury_depth_um"]}

                v = store.cached_call("synthetic-features", d, compute)
                feat = {k: float(v[k]) for k in ("coagulum_um", "cover_distance_mm", "lag_days")}
                out.append((modality, area, feat, v.get("injury_depth_um")))
    return out


def cohort(n: int, truth: Truth, seed: int = 0) -> list[Case]:
    """``n`` SYNTHETIC cases drawn from ``truth`` (seeded)."""
    rng = np.random.default_rng(seed)
    treatments = treatment_features()
    cases = []
    for i in range(n):
        modality, area, f, injury = treatments[int(rng.integers(len(treatments)))]
        heal = f["lag_days"] + truth.clearance_days_per_um * f["coagulum_um"] \
            + truth.slowness_days_per_mm * f["cover_distance_mm"] \
            + rng.normal(0.0, truth.noise_days)
        observed: dict[str, float | None] = {
            "reepithelialization_days": _half_day(max(heal, 0.5))}
        published = {}
        for m in calmod.RECOVERY_MEASURES:
            typ = calibrate.published_typical(modality, m, injury)
            published[m] = typ
            spread = calibrate.recovery_spread(modality, m, injury)
            if typ is None or spread is None:
                observed[f"{m}_days"] = None
                continue
            v = typ * truth.factor(m, modality) * math.exp(rng.normal(0.0, spread))
            observed[f"{m}_days"] = _half_day(max(v, 0.5))
        for k in list(observed):
            if rng.random() < 0.1:
                observed[k] = None
        cases.append(Case(modality, area, f["coagulum_um"], f["cover_distance_mm"],
                          f["lag_days"], observed, published, f"SYN-{i + 1:04d}", True))
    return cases


def _half_day(v: float) -> float:
    return round(v * 2.0) / 2.0
