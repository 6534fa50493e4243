"""The whole grid of the clinical envelope's property test (issue 29): every generated patient
(area x phototype x concern and severity x history x accepted downtime x sessions) checked
against every envelope row that applies, without simulating (tests/planner/test_envelope.py,
check_patient). Writes the count and the time to docs/envelope_grid.txt, which
scripts/planner_table.py puts in docs/validation.md.

Run: ``make envelope-grid``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    from tests.planner.test_envelope import HISTORIES, check_patient, grid, grid_size

    t0 = time.perf_counter()
    patients = candidates = 0
    for c in grid():
        candidates += check_patient(c[0], c[1], c[2][0], c[2][1], HISTORIES[c[3]], c[4], c[5])
        patients += 1
    assert patients == grid_size()
    dt = time.perf_counter() - t0
    from dermalase.planner.envelope import version

    text = (f"Whole grid (envelope {version()}): {patients:,} patients, {candidates:,} "
            f"candidate searches and published settings checked, none outside the envelope "
            f"({dt:.0f} s on a loaded 2-core machine).")
    (ROOT / "docs" / "envelope_grid.txt").write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
