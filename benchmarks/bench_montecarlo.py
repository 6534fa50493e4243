"""Monte Carlo speed (issue 5): photons per second per core on the benchmark medium (run 2 of
examples/mcml_test.mci, optical properties printed below), scaling from 1 to all cores, and the
ratio to a plain C transcription of the MCML photon loop (benchmarks/mcml_ref.c, gcc -O3,
single thread) run on this machine in the same session. Results of both are printed so that
the comparison is of the same physics.
Run: ``make bench`` (needs a C compiler for the ratio; skipped without one).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from importlib import resources
from pathlib import Path

import numba

from dermalase.io.mcml import read_mci
from dermalase.physics.montecarlo import run


def main() -> None:
    with resources.as_file(resources.files("dermalase").joinpath("examples",
                                                                 "mcml_test.mci")) as p:
        runs = read_mci(p)
    slab = runs[0]
    run(slab.medium, 1000)
    r = run(slab.medium, slab.n_photons, dr=slab.dr, dz=slab.dz, nr=slab.nr, nz=slab.nz)
    print(f"MCML paper test slab (mua 1, mus 9 /cm, g 0.75, d 0.2 cm, n 1), {slab.n_photons} "
          f"photons: {r.seconds:.2f} s on {numba.config.NUMBA_NUM_THREADS} threads -> "
          f"{slab.n_photons / r.seconds / numba.config.NUMBA_NUM_THREADS:,.0f} photons/s/core "
          f"(Rd {r.Rd:.5f}, Tt {r.Tt:.5f})")
    case = runs[1]
    m = case.medium
    print("medium (n, mua [1/cm], mus [1/cm], g, d [cm]):",
          [(la.n, la.mua / 100, la.mus / 100, la.g, la.d * 100) for la in m.layers],
          f"n above {m.n_above}, below {m.n_below}; grid {case.nr} x {case.nz}")
    N = 400_000
    run(m, 1000, dr=case.dr, dz=case.dz, nr=case.nr, nz=case.nz)  # JIT warm-up
    cores = numba.config.NUMBA_NUM_THREADS
    rates = {}
    for t in sorted({1, cores}):
        numba.set_num_threads(t)
        r = run(m, N, dr=case.dr, dz=case.dz, nr=case.nr, nz=case.nz, seed=2)
        rates[t] = N / r.seconds
        print(f"dermalase, {t} thread(s): {N} photons in {r.seconds:.2f} s -> "
              f"{rates[t] / t:,.0f} photons/s/core (Rd {r.Rd:.4f}, Tt {r.Tt:.4f}, A {r.A:.4f})")
    numba.set_num_threads(cores)
    if cores > 1:
        print(f"scaling 1 -> {cores} threads: {rates[cores] / rates[1]:.2f}x")
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc:
        print("no C compiler: C reference skipped")
        return
    src = Path(__file__).with_name("mcml_ref.c")
    with tempfile.TemporaryDirectory() as tmp:
        exe = os.path.join(tmp, "mcml_ref")
        subprocess.run([cc, "-O3", "-o", exe, str(src), "-lm"], check=True)
        out = subprocess.run([exe, str(N)], capture_output=True, text=True, check=True)
    rd, tt, a, sec = map(float, out.stdout.split())
    c_rate = N / sec
    print(f"C reference (single thread, -O3): {c_rate:,.0f} photons/s (Rd {rd:.4f}, Tt {tt:.4f},"
          f" A {a:.4f})")
    print(f"ratio dermalase / C per core: {rates[1] / c_rate:.2f}x")


if __name__ == "__main__":
    main()
