"""Reusable hypothesis strategies and assertion helpers for dermalase and downstream users."""

from __future__ import annotations

import math

from hypothesis import strategies as st

from ..tissue.model import SITES

ABLATIVE = ("co2", "er:yag", "er:ysgg")


def scenario_dicts(source: str | None = None, passes: int | None = None):
    """Strategy for valid full-field scenario dicts (unit strings), clinically plausible ranges."""
    return st.builds(
        lambda site, pt, src, F, tau_us, n: {
            "skin": {"site": site, "phototype": pt},
            "laser": {"source": src, "pulse_duration": f"{tau_us:.6g} us"},
            "delivery": {"mode": "full-field", "spot_diameter": "4 mm",
                         "fluence": f"{F:.6g} J/cm^2", "passes": n},
        },
        st.sampled_from(SITES), st.integers(1, 6),
        st.just(source) if source else st.sampled_from(ABLATIVE),
        st.floats(1.0, 30.0), st.floats(100.0, 1000.0),
        st.just(passes) if passes else st.integers(1, 3),
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
