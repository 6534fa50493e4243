"""Calibration from outcomes: a Bayesian update of the parameters the outcomes inform, with the
published values as the prior, never adopted silently.

**Why a closed form.** Both models are linear in their parameters, so the conjugate
normal-inverse-gamma update is exact and needs no sampler (PyMC, NumPyro or emcee would give
the same posterior, slower, and one more heavy dependency for the clinic's machine):

- healing (:mod:`dermalase.outcomes.cases`): day healed - lag = s * coagulum + u * cover
  distance + noise, parameters theta = (s, u) (clearance d/µm, slowness d/mm = 1/front
  speed), noise sigma unknown;
- recovery, for each modality and measure (social downtime, erythema): log(observed) -
  log(published typical) = delta + noise, the factor exp(delta) on the published figures.

Prior theta | sigma^2 ~ N(m0, sigma^2 V0), sigma^2 ~ InvGamma(a0, b0); posterior in closed
form (Gelman et al., Bayesian Data Analysis, 3rd ed., section 14.8): the parameters' marginal
is Student t with 2 a_n degrees of freedom, and so is the prediction of a new case. The sums
XᵀX, Xᵀy, yᵀy and n are sufficient statistics, which is also why a pooled calibration of many
clinics' exports can be reduced on Dask partitions (:mod:`dermalase.outcomes.export`).

**Priors (declared).** Healing: the published solution (front speed 260 µm/d, clearance
0.122 d/µm from Pozner's peel and Newman's CO2 arm) with a standard deviation of half the
span of its uncertainty corners (lag 12-24 h x both published healing ranges) over 1.645,
i.e. the corners taken as a 90 % interval; the noise prior centred on
:data:`PRIOR_NOISE_DAYS`. Recovery: the published typical value (factor 1), the clinic's
typical within a factor of 2 of it with 90 % prior probability (:data:`PRIOR_FACTOR_90`), and
the published range taken as the 90 % range of patients (its log-width over 2 x 1.645, at least
:data:`MIN_LOG_SPREAD`). A modality with no published figure has no prior and is not
calibrated. These are policies (written here and in docs/design.md), not data.

**Too few cases** (policy): :data:`MIN_CASES` per parameter group; fewer are refused with the
number needed. **Held-out check**: k-fold (k = 5) over the cases: the posterior fitted without a
fold predicts it, and so does the calibration in force; each is flagged when its held-out
coverage of the 90 % predictive interval falls below the 1st percentile of Binomial(n, 0.9) or
its mean standardised error is beyond 3 standard errors.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .. import calibration as calmod
from ..errors import InputError
from .cases import Case

#: credible and predictive level reported
LEVEL = 0.90
#: prior mean of the patient-to-patient noise of the day healed (d): policy, weakly informative
PRIOR_NOISE_DAYS = 1.5
#: shape of the inverse-gamma noise prior (a0 = 3: finite variance, weak)
PRIOR_SHAPE = 3.0
#: the clinic's typical downtime or erythema within this factor of the published one, 90 %
PRIOR_FACTOR_90 = 2.0
#: least log-spread of patients when the published range has no width (e.g. erythema
#: "mean 4.5 months"): a factor of ~1.5 at 90 %
MIN_LOG_SPREAD = 0.25
#: cases needed (policy): healing needs MIN_CASES["healing"] with a day healed, of which
#: MIN_CASES["coagulum"] full-field cases with a dermal coagulum >= COAGULUM_INFORMS_UM (they
#: inform the clearance); each modality's downtime or erythema MIN_CASES["recovery"]
MIN_CASES = {"healing": 12, "coagulum": 6, "recovery": 8}
COAGULUM_INFORMS_UM = 5.0
FOLDS = 5
HEALING = "healing"
HEALING_PARAMS = ("clearance_days_per_um", "slowness_days_per_mm")


class NotEnoughCases(InputError):
    """No parameter has the cases it needs (the message says how many)."""

    def __init__(self, refusals: list[str]):
        super().__init__("outcomes", f"{len(refusals)} parameter group(s)",
                         "enough cases: " + "; ".join(refusals))
        self.refusals = refusals


# -- the conjugate model -----------------------------------------------------------------------
@dataclass(frozen=True)
class NIG:
    """theta | sigma^2 ~ N(m, sigma^2 V); sigma^2 ~ InvGamma(a, b)."""

    m: np.ndarray
    V: np.ndarray
    a: float
    b: float

    def update(self, X: np.ndarray, y: np.ndarray) -> NIG:
        X = np.atleast_2d(np.asarray(X, float))
        y = np.asarray(y, float)
        return self.update_stats(X.T @ X, X.T @ y, float(y @ y), len(y))

    def update_stats(self, xtx: np.ndarray, xty: np.ndarray, yty: float, n: int) -> NIG:
        """The posterior from the sufficient statistics (sums over cases)."""
        P0 = np.linalg.inv(self.V)
        Pn = P0 + xtx
        Vn = np.linalg.inv(Pn)
        mn = Vn @ (P0 @ self.m + xty)
        an = self.a + n / 2.0
        bn = self.b + 0.5 * (yty + self.m @ P0 @ self.m - mn @ Pn @ mn)
        return NIG(mn, Vn, an, max(bn, 1e-12))

    @property
    def dof(self) -> float:
        return 2.0 * self.a

    def scale2(self) -> np.ndarray:
        return (self.b / self.a) * self.V

    def interval(self, j: int, level: float = LEVEL) -> tuple[float, float]:
        from scipy import stats

        t = stats.t.ppf(0.5 + level / 2.0, self.dof)
        s = math.sqrt(self.scale2()[j, j])
        return float(self.m[j] - t * s), float(self.m[j] + t * s)

    def predictive(self, x: np.ndarray) -> tuple[float, float]:
        """(location, scale) of the Student-t (``dof``) prediction of a new case at ``x``."""
        x = np.asarray(x, float)
        return float(x @ self.m), math.sqrt(self.b / self.a * (1.0 + x @ self.V @ x))

    def to_dict(self) -> dict[str, Any]:
        return {"m": self.m.tolist(), "V": self.V.tolist(), "a": self.a, "b": self.b}

    @classmethod
    def from_dict(cls, d: dict) -> NIG:
        return cls(np.asarray(d["m"], float), np.asarray(d["V"], float), float(d["a"]),
                   float(d["b"]))


def _prior(mean: Sequence[float], sd: Sequence[float], noise: float) -> NIG:
    """A prior whose parameters have standard deviations ``sd`` at the prior mean noise."""
    a0 = PRIOR_SHAPE
    b0 = noise ** 2 * (a0 - 1.0)  # prior mean of sigma^2 = noise^2
    V0 = np.diag(np.asarray(sd, float) ** 2 / noise ** 2)
    return NIG(np.asarray(mean, float), V0, a0, b0)


def healing_published() -> tuple[float, float, tuple[float, float], tuple[float, float]]:
    """(clearance d/µm, slowness d/mm, their corner spans) of the published solution."""
    from ..healing import DAY, HealingParams

    with calmod.use(calmod.PUBLISHED):
        h = HealingParams.calibrated()
        corners = HealingParams.corners()
    s = [p.clearance / DAY * 1e-6 for p in corners]
    u = [1e-3 / (p.c * DAY) for p in corners]  # d/mm
    return (h.clearance / DAY * 1e-6, 1e-3 / (h.c * DAY), (min(s), max(s)), (min(u), max(u)))


def healing_prior() -> NIG:
    s0, u0, s_span, u_span = healing_published()
    z = _z(LEVEL)
    return _prior([s0, u0], [(s_span[1] - s_span[0]) / (2 * z), (u_span[1] - u_span[0]) / (2 * z)],
                  PRIOR_NOISE_DAYS)


def _z(level: float) -> float:
    from scipy import stats

    return float(stats.norm.ppf(0.5 + level / 2.0))


def recovery_spread(modality: str, measure: str, injury_um: float | None = None) -> float | None:
    """The published log-spread of patients (sd of log days) of a modality's measure, None
    when nothing is published."""
    from ..planner import rules

    row = rules.recovery(modality, injury_um)
    rng = (row or {}).get(f"{measure}_days")
    if not rng:
        return None
    lo, hi = float(rng[0]), float(rng[1])
    if lo <= 0 or hi <= 0:
        lo = max(lo, 0.5)
        hi = max(hi, lo)
    return max(math.log(hi / lo) / (2 * _z(LEVEL)), MIN_LOG_SPREAD)


def recovery_prior(modality: str, measure: str) -> NIG | None:
    spread = recovery_spread(modality, measure)
    if spread is None:
        return None
    return _prior([0.0], [math.log(PRIOR_FACTOR_90) / _z(LEVEL)], spread)


def published_typical(modality: str, measure: str, injury_um: float | None) -> float | None:
    """The published typical value of a measure (downtime: the row's typical; erythema: the
    middle of its range), None when none is published."""
    from ..planner import rules

    row = rules.recovery(modality, injury_um) or {}
    if measure == "downtime" and row.get("downtime_typical_days") is not None:
        return float(row["downtime_typical_days"])
    rng = row.get(f"{measure}_days")
    if not rng:
        return None
    return max(0.5 * (float(rng[0]) + float(rng[1])), 0.5)


# -- designs -------------------------------------------------------------------------------
def healing_design(cases: Iterable[Case]) -> tuple[np.ndarray, np.ndarray, list[Case]]:
    used = [c for c in cases if c.value("reepithelialization_days") is not None
            and math.isfinite(c.cover_distance_mm)]
    X = np.array([[c.coagulum_um, c.cover_distance_mm] for c in used], float).reshape(-1, 2)
    y = np.array([(c.value("reepithelialization_days") or 0.0) - c.lag_days for c in used],
                 dtype=float)
    return X, y, used


def recovery_design(cases: Iterable[Case], modality: str, measure: str
                    ) -> tuple[np.ndarray, np.ndarray, list[Case]]:
    key = f"{measure}_days"
    used = [c for c in cases if c.modality == modality and (c.value(key) or 0) > 0
            and (c.published.get(measure) or 0) > 0]
    X = np.ones((len(used), 1))
    y = np.array([math.log((c.value(key) or 1.0) / (c.published.get(measure) or 1.0))
                  for c in used], dtype=float)
    return X, y, used


def groups(cases: Sequence[Case]) -> list[str]:
    """The parameter groups the cases could inform: healing, then ``measure:modality``."""
    out = [HEALING]
    mods = sorted({c.modality for c in cases})
    for measure in calmod.RECOVERY_MEASURES:
        out += [f"{measure}:{m}" for m in mods]
    return out


def design(group: str, cases: Sequence[Case]) -> tuple[np.ndarray, np.ndarray, list[Case]]:
    if group == HEALING:
        return healing_design(cases)
    measure, modality = group.split(":", 1)
    return recovery_design(cases, modality, measure)


def prior_of(group: str) -> NIG | None:
    if group == HEALING:
        return healing_prior()
    measure, modality = group.split(":", 1)
    return recovery_prior(modality, measure)


def refusal(group: str, cases: Sequence[Case]) -> str | None:
    """Why ``group`` cannot be calibrated from ``cases`` (None: it can)."""
    _, _, used = design(group, cases)
    if group == HEALING:
        coag = sum(c.coagulum_um >= COAGULUM_INFORMS_UM for c in used)
        short = []
        if len(used) < MIN_CASES["healing"]:
            short.append(f"{len(used)} cases with a day healed, {MIN_CASES['healing']} needed "
                         f"({MIN_CASES['healing'] - len(used)} more)")
        if coag < MIN_CASES["coagulum"]:
            short.append(f"{coag} full-field cases with a dermal coagulum of at least "
                         f"{COAGULUM_INFORMS_UM:g} µm, {MIN_CASES['coagulum']} needed "
                         f"({MIN_CASES['coagulum'] - coag} more)")
        return "healing front speed and coagulum clearance: " + " and ".join(short) \
            if short else None
    measure, modality = group.split(":", 1)
    what = {"downtime": "social downtime", "erythema": "erythema"}[measure]
    if prior_of(group) is None:
        return f"{what} of {modality}: no published figure to serve as the prior"
    if len(used) < MIN_CASES["recovery"]:
        return (f"{what} of {modality}: {len(used)} cases, {MIN_CASES['recovery']} needed "
                f"({MIN_CASES['recovery'] - len(used)} more)")
    return None


# -- predicting with a calibration ---------------------------------------------------------
def model_of(cal: calmod.Calibration, group: str) -> NIG | None:
    """The distribution a calibration predicts ``group`` with: its posterior, else the
    published prior."""
    if group == HEALING:
        if cal.healing and "nig" in cal.healing:
            return NIG.from_dict(cal.healing["nig"])
        return healing_prior()
    measure, modality = group.split(":", 1)
    v = cal.recovery.get(modality, {}).get(measure)
    if v and "nig" in v:
        return NIG.from_dict(v["nig"])
    return recovery_prior(modality, measure)


def predictive_interval(model: NIG, x: np.ndarray, level: float = LEVEL
                        ) -> tuple[float, float, float]:
    """(location, low, high) of the prediction of a new case at ``x``."""
    from scipy import stats

    loc, scale = model.predictive(x)
    t = float(stats.t.ppf(0.5 + level / 2.0, model.dof))
    return loc, loc - t * scale, loc + t * scale


def _score(model: NIG, X: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    """Held-out coverage, standardised errors and log predictive density of ``model``."""
    from scipy import stats

    X = np.atleast_2d(np.asarray(X, float))
    y = np.asarray(y, float)
    if len(y) == 0:
        return {"n": 0, "inside": 0, "z": [], "lpd": 0.0}
    loc = X @ model.m
    scale = np.sqrt(model.b / model.a * (1.0 + np.einsum("ij,jk,ik->i", X, model.V, X)))
    t = float(stats.t.ppf(0.5 + LEVEL / 2.0, model.dof))
    z = (y - loc) / scale
    return {"n": len(y), "inside": int(np.sum(np.abs(z) <= t)), "z": z.tolist(),
            "lpd": float(np.sum(stats.t.logpdf(y, model.dof, loc, scale)))}


def verdict(n: int, inside: int, z: Sequence[float]) -> dict[str, Any]:
    """Coverage and bias of predictions of ``n`` cases, flagged when the coverage is below the
    1st percentile of Binomial(n, LEVEL) or the mean standardised error beyond 3 SE."""
    from scipy import stats

    if n == 0:
        return {"n": 0, "coverage": None, "mean_z": None, "flagged": False, "why": []}
    low = int(stats.binom.ppf(0.01, n, LEVEL))
    mz = float(np.mean(z))
    se = float(np.std(z, ddof=1) / math.sqrt(n)) if n > 1 else math.inf
    why = []
    if inside < low:
        why.append(f"{inside} of {n} inside the {LEVEL:.0%} interval (fewer than {low}, the "
                   f"1st percentile if the model were right)")
    if se > 0 and math.isfinite(se) and abs(mz) > 3 * se:
        why.append(f"mean standardised error {mz:+.2f} ({abs(mz) / se:.1f} standard errors: "
                   f"{'later' if mz > 0 else 'sooner'} than predicted)")
    return {"n": n, "coverage": inside / n, "mean_z": mz, "flagged": bool(why), "why": why}


def check(cal: calmod.Calibration, cases: Sequence[Case]) -> dict[str, Any]:
    """How well ``cal`` predicts ``cases`` (no fitting): per group, coverage and bias, flagged
    where the cases contradict it."""
    out = {}
    for g in groups(cases):
        model = model_of(cal, g)
        X, y, used = design(g, cases)
        if model is None or not used:
            continue
        s = _score(model, X, y)
        out[g] = verdict(s["n"], s["inside"], s["z"]) | {"lpd": s["lpd"]}
    return out


def kfold(group: str, cases: Sequence[Case], reference: calmod.Calibration,
          k: int = FOLDS, seed: int = 0) -> dict[str, Any]:
    """k-fold held-out check of ``group``: the posterior fitted without each fold predicts
    it; the ``reference`` calibration (the one in force) predicts the same folds."""
    prior = prior_of(group)
    ref = model_of(reference, group)
    X, y, used = design(group, cases)
    assert prior is not None and ref is not None
    order = np.random.default_rng(seed).permutation(len(y))
    fit: dict[str, Any] = {"n": 0, "inside": 0, "z": [], "lpd": 0.0}
    base: dict[str, Any] = {"n": 0, "inside": 0, "z": [], "lpd": 0.0}
    for f in range(k):
        test = order[f::k]
        train = np.setdiff1d(order, test)
        post = prior.update(X[train], y[train])
        for acc, model in ((fit, post), (base, ref)):
            s = _score(model, X[test], y[test])
            acc["n"] += s["n"]
            acc["inside"] += s["inside"]
            acc["z"] += s["z"]
            acc["lpd"] += s["lpd"]
    new = verdict(fit["n"], fit["inside"], fit["z"]) | {"elpd": fit["lpd"]}
    old = verdict(base["n"], base["inside"], base["z"]) | {"elpd": base["lpd"]}
    return {"folds": k, "posterior": new, "in_force": old,
            "elpd_gain": fit["lpd"] - base["lpd"]}


# -- the calibration -----------------------------------------------------------------------
@dataclass(frozen=True)
class Result:
    """A proposed calibration and its report (``calibration`` is what an admin adopts)."""

    calibration: calmod.Calibration
    report: dict[str, Any]


def calibrate(cases: Sequence[Case], *, name: str = "clinic", version: int = 1,
              reference: calmod.Calibration | None = None, provenance: str = "",
              stats: dict[str, tuple] | None = None) -> Result:
    """The posterior of every parameter group the cases can inform, its held-out check, and
    the refusals; raises :class:`NotEnoughCases` when no group can be calibrated. ``stats``
    (group -> sufficient statistics) replaces the sums over ``cases`` (a pooled import reduced
    on Dask); the held-out check then runs on ``cases`` as given."""
    reference = reference or calmod.PUBLISHED
    refused, fits = [], {}
    for g in groups(cases) if stats is None else sorted(stats):
        why = refusal(g, cases) if stats is None else _stats_refusal(g, stats[g])
        if why:
            if g == HEALING or any(c.modality == g.split(":", 1)[1] for c in cases):
                refused.append(why)
            continue
        prior = prior_of(g)
        assert prior is not None
        if stats is None:
            X, y, _ = design(g, cases)
            post = prior.update(X, y)
        else:
            post = prior.update_stats(*stats[g])
        fits[g] = (prior, post)
    if not fits:
        raise NotEnoughCases(refused)
    healing = None
    recovery: dict[str, dict[str, Any]] = {}
    report: dict[str, Any] = {"groups": {}, "refused": refused}
    for g, (prior, post) in fits.items():
        report["groups"][g] = _group_report(g, prior, post, cases, reference)
        if g == HEALING:
            healing = _healing_values(post)
        else:
            measure, modality = g.split(":", 1)
            lo, hi = (math.exp(v) for v in post.interval(0))
            recovery.setdefault(modality, {})[measure] = {
                "factor": math.exp(float(post.m[0])), "range": [lo, hi], "nig": post.to_dict()}
    n = len(cases) if stats is None or HEALING not in stats else int(stats[HEALING][3])
    cal = calmod.Calibration(name=name, version=version, healing=healing, recovery=recovery,
                             cases=n, provenance=provenance or f"{n} outcomes")
    cal.check()
    whose = {"in_force": f"the calibration in force ({reference.name})",
             "posterior": "the new posterior, held out"}
    report["flags"] = [f"{g}, {whose[who]}: {w}" for g, r in report["groups"].items()
                       for who in ("in_force", "posterior") for w in r["check"][who]["why"]]
    return Result(cal, report)


def _stats_refusal(group: str, st: tuple) -> str | None:
    n = st[3]
    need = MIN_CASES["healing" if group == HEALING else "recovery"]
    return None if n >= need else f"{group}: {n} cases, {need} needed ({need - n} more)"


def _healing_values(post: NIG) -> dict[str, Any]:
    s, u = float(post.m[0]), float(post.m[1])
    s_lo, s_hi = post.interval(0)
    u_lo, u_hi = post.interval(1)
    if not (u > 0 and u_lo > 0):
        raise InputError("outcomes", f"front slowness {u:g} d/mm", "a positive posterior "
                         "front speed: the outcomes do not determine it (more cases needed)")
    return {"front_speed_um_per_day": 1e3 / u, "clearance_days_per_um": max(s, 0.0),
            "front_speed_range": [1e3 / u_hi, 1e3 / u_lo],
            "clearance_range": [max(s_lo, 0.0), max(s_hi, 0.0)], "nig": post.to_dict()}


def _group_report(g: str, prior: NIG, post: NIG, cases: Sequence[Case],
                  reference: calmod.Calibration) -> dict[str, Any]:
    names = HEALING_PARAMS if g == HEALING else ("log_factor",)
    params = {}
    for j, nm in enumerate(names):
        params[nm] = {"prior_mean": float(prior.m[j]), "prior_interval": list(prior.interval(j)),
                      "posterior_mean": float(post.m[j]),
                      "posterior_interval": list(post.interval(j))}
    X, y, used = design(g, cases)
    out: dict[str, Any] = {"cases": len(used), "parameters": params, "level": LEVEL,
                           "noise_sd": math.sqrt(post.b / max(post.a - 1.0, 1e-9))}
    if g != HEALING:
        out["noise_sd_note"] = "sd of log(observed / published typical)"
    out["check"] = kfold(g, cases, reference) if len(used) >= FOLDS else {
        "folds": 0, "posterior": verdict(0, 0, []), "in_force": verdict(0, 0, [])}
    return out


def recovered(result: Result, truth: dict[str, float]) -> dict[str, bool]:
    """Whether each true value lies inside its posterior interval (the synthetic check):
    ``truth`` keys ``clearance_days_per_um``, ``slowness_days_per_mm``, ``<measure>:<modality>``
    (the factor)."""
    out = {}
    for key, v in truth.items():
        if key in HEALING_PARAMS:
            lo, hi = result.report["groups"][HEALING]["parameters"][key]["posterior_interval"]
        else:
            lo, hi = (math.exp(x) for x in
                      result.report["groups"][key]["parameters"]["log_factor"]
                      ["posterior_interval"])
        out[key] = lo <= v <= hi
    return out


def with_name(cal: calmod.Calibration, name: str, version: int) -> calmod.Calibration:
    return replace(cal, name=name, version=version)
