"""Recompute the model outputs the healing calibration rests on and print the TOML lines for
data/constants.toml (``healing_calibration_coagulation``; with ``--nafl`` also the fitted
1,550 nm microbeam, ``nafl_microbeam_diameter``). Run after a change of the physics when
tests/validation/test_calibration.py says so: ``.venv/bin/python scripts/calibrate.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dermalase.validation.calibration import healing_coagulation  # noqa: E402


def fit_nafl_beam(step: float = 10e-6, start: float = 100e-6, stop: float = 400e-6) -> float:
    """The 1,550 nm microbeam diameter (m): the smallest on a ``step`` grid whose 40 mJ zone,
    divided by the excision shrinkage, is at least 200 um wide (Bedi et al. 2007)."""
    from dermalase.validation.cases import SHRINKAGE_WIDTH, nafl_zone

    d = start
    while d <= stop + 1e-12:
        if nafl_zone(40.0, beam=round(d, 9))[1] / SHRINKAGE_WIDTH >= 200.0:
            return round(d, 9)
        d += step
    raise SystemExit("no beam in range reaches Bedi's width")


def main() -> None:
    print("[healing_calibration_coagulation]")
    for key, value in healing_coagulation().items():
        print(f"{key} = {value:.5g}")
    if "--nafl" in sys.argv:
        print("[nafl_microbeam_diameter]")
        print(f"value = {fit_nafl_beam():.4g}")


if __name__ == "__main__":
    main()
