"""The full simulator converges under grid refinement and obeys the maximum principle.

Refinement divides dz and dt by the resolution factor. Tolerances: ablation depth within one
coarse cell (dz is 2 um for CO2, 0.35 um for Er:YAG) or 2 % of the depth, whichever is larger;
coagulation within 3 um; peak temperature within 10 %.
"""

import numpy as np
import pytest

from dermalase import simulate

CASES = [
    ("er:yag", "12.5 J/cm^2", "250 us", 1),
    ("co2", "7 J/cm^2", "1 ms", 2),
    ("co2", "7 J/cm^2", "100 us", 1),
    ("er:yag", "10 J/cm^2", "10 ms", 1),
]


def run(src, F, tau, passes, res):
    return simulate({"skin": {"site": "cheek", "phototype": 2},
                     "laser": {"source": src, "pulse_duration": tau},
                     "delivery": {"fluence": F, "passes": passes},
                     "numerics": {"resolution": res}})


@pytest.mark.parametrize("fine_res", [2, pytest.param(4, marks=pytest.mark.slow)])
@pytest.mark.parametrize(("src", "F", "tau", "passes"), CASES)
def test_refinement_converges(src, F, tau, passes, fine_res):
    coarse = run(src, F, tau, passes, 1).summary
    fine = run(src, F, tau, passes, fine_res).summary
    dz = 2.0 if src == "co2" else 0.35
    tol = max(1.01 * dz, 0.02 * fine["ablation_depth_um"])
    assert abs(coarse["ablation_depth_um"] - fine["ablation_depth_um"]) <= tol
    assert abs(coarse["coagulation_depth_um"] - fine["coagulation_depth_um"]) <= 3.0
    assert abs(coarse["peak_temperature_C"] / fine["peak_temperature_C"] - 1) <= 0.10


@pytest.mark.parametrize(("src", "F", "tau", "passes"), CASES)
def test_maximum_principle(src, F, tau, passes):
    """Heating only: no tissue ever falls below its initial 37 C (an implicit-scheme check)."""
    T = run(src, F, tau, passes, 1).dataset["temperature"].values
    assert np.nanmin(T) >= 37.0 - 1e-6
