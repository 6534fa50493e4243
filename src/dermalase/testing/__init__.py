"""Reusable hypothesis strategies and assertion helpers for dermalase and downstream users."""

from __future__ import annotations

import math

from hypothesis import strategies as st

from ..tissue.model import SITES

ABLATIVE = ("co2", "er:yag", "er:ysgg")


def _scenario(site, pt, src, F, tau_us, n, train):
    d = {"skin": {"site": site, "phototype": pt},
         "laser": {"source": src, "pulse_duration": f"{tau_us:.6g} us"},
         "delivery": {"mode": "full-field", "spot_diameter": "4 mm",
                      "fluence": f"{F:.6g} J/cm^2", "passes": n}}
    if train is not None:  # a coagulation train: pulses, fluence (J/cm^2), period / pulse
        pulses, f_train, stretch = train
        d["delivery"].update(train_pulses=pulses, train_fluence=f"{f_train:.6g} J/cm^2",
                             train_duration=f"{pulses * stretch * tau_us:.6g} us")
    return d


def scenario_dicts(source: str | None = None, passes: int | None = None):
    """Strategy for valid full-field scenario dicts (unit strings), clinically plausible ranges;
    some with a coagulation train."""
    trains = st.one_of(st.none(), st.tuples(st.integers(1, 8), st.floats(0.1, 2.0),
                                            st.floats(1.01, 10.0)))
    return st.builds(
        _scenario,
        st.sampled_from(SITES), st.integers(1, 6),
        st.just(source) if source else st.sampled_from(ABLATIVE),
        st.floats(1.0, 30.0), st.floats(100.0, 1000.0),
        st.just(passes) if passes else st.integers(1, 3), trains,
    )


def assert_summary_finite(summary: dict) -> None:
    """No NaN or infinity anywhere in a summary, and only JSON-native types (recursively)."""
    def walk(v, path):
        assert type(v) in (dict, list, tuple, str, int, float, bool, type(None)), (
            f"{path} has type {type(v).__name__}")
        if isinstance(v, float):
            assert math.isfinite(v), f"{path} = {v}"
        elif isinstance(v, dict):
            for k, x in v.items():
                walk(x, f"{path}.{k}")
        elif isinstance(v, list | tuple):
            for i, x in enumerate(v):
                walk(x, f"{path}[{i}]")
    walk(summary, "summary")
