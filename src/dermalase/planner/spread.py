"""Prediction intervals of a plan's candidates (issue 16: the planner's predictions carry them).

Each simulated candidate's chosen scenario is sampled as ``dermalase simulate --uncertainty N``
samples a scenario (:mod:`dermalase.sweep.uncertainty`: a seeded Latin hypercube over the
sourced tissue ranges); all candidates' samples run as one batch on the sweep engine (here, a
LocalCluster or a cluster), so they share its workers and its store. Each predicted number gets
its 5th, 50th and 95th percentiles. These are model intervals: they say how much the prediction
moves over the sourced ranges of the inputs, not how far the model is from the clinic (that is
docs/validation.md); the plan says so next to them.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

NOTE = ("model interval (5-95 %) over the sourced ranges of the tissue inputs; not checked "
        "against clinical spread")


def _percentiles(summaries: list, key: str) -> dict | None:
    vals = [s[key] for s in summaries if s is not None and isinstance(s.get(key), int | float)
            and not isinstance(s.get(key), bool)]
    if not vals:
        return None
    from ..sweep.uncertainty import PERCENTILES

    p = np.percentile(np.array(vals, dtype=float), PERCENTILES)
    return {f"p{q:g}": float(x) for q, x in zip(PERCENTILES, p, strict=True)}


def add_intervals(candidates: list, keys: tuple[str, ...], n: int, *, seed: int = 1,
                  workers: int | None = 0, scheduler: str | None = None,
                  progress: Callable[[int, int], None] | None = None) -> None:
    """Set ``predicted_interval`` (the percentiles of the predicted ``keys``) on every
    simulated candidate of ``candidates`` (planner.plan.Candidate), over ``n`` samples."""
    from ..sweep.engine import SAMPLES_GUARD, run_scenarios
    from ..sweep.uncertainty import samples

    cands = [c for c in candidates if c.scenario is not None and c.predicted]
    batches = [samples(c.scenario, n, seed) for c in cands]
    out = run_scenarios([sc for _, _, scs in batches for sc in scs], workers=workers,
                        scheduler=scheduler, progress=progress, guard=SAMPLES_GUARD)
    for k, (c, (names, _, _)) in enumerate(zip(cands, batches, strict=True)):
        got = out.summaries[k * n:(k + 1) * n]
        errors = [e for e in out.errors[k * n:(k + 1) * n] if e]
        iv = {key: v for key in keys if (v := _percentiles(got, key)) is not None}
        c.predicted_interval = {"samples": n, "seed": seed, "failed": len(errors),
                                "varied": names, "note": NOTE, "intervals": iv}
