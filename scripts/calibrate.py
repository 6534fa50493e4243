"""Recompute the model outputs the healing calibration rests on and print the TOML lines for
data/constants.toml (``healing_calibration_coagulation``). Run after a change of the physics
when tests/validation/test_calibration.py says so: ``.venv/bin/python scripts/calibrate.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dermalase.validation.calibration import healing_coagulation  # noqa: E402


def main() -> None:
    print("[healing_calibration_coagulation]")
    for key, value in healing_coagulation().items():
        print(f"{key} = {value:.5g}")


if __name__ == "__main__":
    main()
