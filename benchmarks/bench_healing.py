"""Speed of the healing model (issue 4 targets: a 1 cm^2 fractional pattern and a full-field
wound each healed in < 5 s on this machine).

Ratio in the same process: the distance-transform solver against a direct nearest-source
query (k-d tree over every wound pixel) on the same grid, which must give the same distances.
Run: ``make bench``.
"""

from __future__ import annotations

import math
import platform

import numpy as np
from common import best_of  # noqa: E402  (benchmarks/ is run as scripts)
from scipy.spatial import cKDTree

from dermalase import healing as H
from dermalase.laser.fractional import Fractional
from dermalase.physics import pattern as P


def main() -> None:
    print(f"machine: {platform.processor() or platform.machine()}, "
          f"python {platform.python_version()}")
    t, h = best_of(lambda: H.heal_full_field("cheek", True, True))
    ts, hs = best_of(lambda: H.heal_full_field("cheek", True, True, sampled=True))
    print(f"full-field wound, cheek (adnexa survive): closed form {t * 1e3:.2f} ms, sampled "
          f"tile ({hs.distance.size} pixels) {ts:.2f} s (target 5 s); closes at {h.days:.2f} "
          f"vs {hs.days:.2f} d")
    t, h = best_of(lambda: H.heal_full_field("cheek", True, False))
    print(f"full-field wound, 1 cm^2, edges only: {t:.2f} s, closes at {h.days:.1f} d")
    d = Fractional(microbeam_diameter=250e-6, pulse_energy=3e-3, pulse_duration=250e-6,
                   density=0.1 / (math.pi * (125e-6) ** 2))
    pos = P.positions(d)
    t, h = best_of(lambda: H.heal_pattern(pos, 1e-2, 340e-6, "cheek", True))
    print(f"fractional 1 cm^2, {len(pos)} zones of 340 um: {t:.2f} s (target 5 s), "
          f"{h.distance.size} pixels, closes at {h.days:.2f} d")
    # solver vs direct nearest-source query on one grid
    pixel, n = 10e-6, 600
    rng = np.random.default_rng(1)
    src = np.zeros((n, n), dtype=bool)
    src[rng.integers(0, n, 300), rng.integers(0, n, 300)] = True
    wound = np.ones((n, n), dtype=bool)
    te, de = best_of(lambda: H.heal_map(wound, src, pixel))

    def direct():
        pts = np.argwhere(src)
        allp = np.argwhere(wound)
        dist, _ = cKDTree(pts).query(allp)
        return dist.reshape(n, n) * pixel
    tr, dr = best_of(direct)
    print(f"distance transform {te * 1e3:.1f} ms vs direct k-d tree query {tr * 1e3:.1f} ms on "
          f"{n}x{n} pixels -> ratio {tr / te:.1f}x; max difference "
          f"{np.max(np.abs(de - dr)) * 1e6:.2g} um")


if __name__ == "__main__":
    main()
