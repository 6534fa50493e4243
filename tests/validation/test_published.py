"""Physical outputs against published measurements (cases and sources in cases.py).

Where the model disagrees with a source beyond its scatter, the case is an
``xfail(strict=True)`` whose reason states the gap, so it stays visible and flips when the model
is improved. docs/validation.md lists every case with the simulated value and the error.
"""

import pytest

from dermalase.validation.cases import CASES, er_slope


@pytest.mark.parametrize(
    "case",
    [pytest.param(c, id=c.name, marks=pytest.mark.xfail(strict=True, reason=c.known_gap))
     if c.known_gap else pytest.param(c, id=c.name) for c in CASES])
def test_case(case):
    value = case.simulate()
    assert case.low <= value <= case.high, (case.name, value, case.low, case.high)


def test_er_yag_crater_depth_linear():
    """Hibst & Kaufmann 1991: crater depth linear in radiant exposure (1 Hz)."""
    assert er_slope()[1] > 0.99
