"""Start-up time (issue 18 goal: < 0.3 s to the first output line of ``dermalase example
default``). Each command runs in a new process, best of 5; the reference is the bare interpreter
(``python -c pass``) timed in the same run, so the ratio says what dermalase adds on top of
Python itself. The commands that need no physics import none of NumPy, numba, xarray, pydantic
(the package's public names load on first use); ``import dermalase; dermalase.simulate`` is the
full import a simulation pays once.
Run: ``make bench``.
"""

from __future__ import annotations

import subprocess
import sys
import time

CASES = [("bare interpreter (reference)", ["-c", "pass"]),
         ("dermalase --help", ["-m", "dermalase.cli", "--help"]),
         ("dermalase example default", ["-m", "dermalase.cli", "example", "default"]),
         ("import dermalase (lazy names)", ["-c", "import dermalase"]),
         ("full import (dermalase.simulate)", ["-c", "import dermalase; dermalase.simulate"])]


def wall(args: list[str], n: int = 5) -> float:
    best = float("inf")
    for _ in range(n):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, *args], capture_output=True, check=True)
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    ref = wall(CASES[0][1])
    for label, args in CASES:
        t = ref if args is CASES[0][1] else wall(args)
        print(f"start-up: {label}: {t:.3f} s ({t / ref:.1f}x the bare interpreter; "
              "goal < 0.3 s for the commands)")


if __name__ == "__main__":
    main()
