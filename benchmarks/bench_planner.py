"""Speed of the planner (issue 6 targets: a full plan for one patient and one site in < 10 s on
this machine, first run; < 1 s repeated). The first run uses an empty cache folder; the ratio is
first run / repeated run in the same process (the repeat reads the in-memory cache; a new
process reads the disk cache, also timed).
Run: ``make bench``.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from common import settle, threads_line  # noqa: E402  (benchmarks/ is run as scripts)

from dermalase.cli.main import example_path


def _copy_pint(first: str, tmp: str) -> None:
    """pint's parsed definitions from the first run, where it wrote them (a plan in the usual
    units no longer loads pint: dermalase.units converts them by exact SI prefixes)."""
    if os.path.isdir(os.path.join(first, "pint")):
        shutil.copytree(os.path.join(first, "pint"), os.path.join(tmp, "pint"))


def main() -> None:
    print(threads_line())
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["DERMALASE_CACHE"] = tmp
        from dermalase.planner import Patient, plan
        from dermalase.simulate import simulate

        simulate({"skin": {"site": "cheek"}, "laser": {"source": "er:yag",
                 "pulse_duration": "250 us"}, "delivery": {"fluence": "5 J/cm^2"}})  # JIT
        for name in ("patient_perioral", "patient_acne_v"):
            p = Patient.from_toml(example_path(name))
            t0 = time.perf_counter()
            out = plan(p)
            t1 = time.perf_counter()
            plan(p)
            t2 = time.perf_counter()
            rec = out["recommended"]["modality"] if out["recommended"] else None
            print(f"{name}: first run {t1 - t0:.2f} s (target 10 s), repeated "
                  f"{(t2 - t1) * 1e3:.1f} ms (target 1 s) -> ratio {(t1 - t0) / (t2 - t1):.0f}x;"
                  f" recommended {rec}")
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "dermalase.cli", "plan", "patient_perioral",
                        "--json"], capture_output=True, check=True)
        print(f"new process, disk cache warm (includes interpreter start and imports): "
              f"{time.perf_counter() - t0:.2f} s")
    parallel()
    command_line()


def command_line(runs: int = 5) -> None:
    """Issue 18 (goal < 2 s): ``dermalase plan patient_perioral --json`` in a new process with
    an empty simulation store (a patient never planned), the installed caches warm (numba's
    compiled kernels, pint's parsed definitions: copied from a first run). The reference is the
    same command with the store warm (a repeated plan), timed in the same run."""
    cmd = [sys.executable, "-m", "dermalase.cli", "plan", "patient_perioral", "--json"]
    print(settle())

    def wall(env: dict) -> float:
        t0 = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=True, env=env)
        return time.perf_counter() - t0

    with tempfile.TemporaryDirectory() as first:
        env = dict(os.environ, DERMALASE_CACHE=first)
        wall(env)  # compiles or loads the kernels, writes pint's cache and the store
        warm = [wall(env) for _ in range(runs)]
        cold = []
        for _ in range(runs):
            with tempfile.TemporaryDirectory() as tmp:
                _copy_pint(first, tmp)
                cold.append(wall(dict(os.environ, DERMALASE_CACHE=tmp)))
    med_c, med_w = statistics.median(cold), statistics.median(warm)
    print(f"command-line plan patient_perioral, new process, {runs} runs: empty store "
          f"median {med_c:.2f} s (best {min(cold):.2f} s; goal < 2 s), warm store (reference) "
          f"median {med_w:.2f} s (best {min(warm):.2f} s; goal < 0.3 s) -> cold/warm "
          f"{med_c / med_w:.1f}x")


def parallel() -> None:
    """Issues 16 and 18: the cold plan of patient_perioral serially, with its searches on 2
    threads of this process, and on a LocalCluster of 2 workers (each in an empty store; the
    cluster's start is included)."""
    from dermalase.physics.numerics import free_cores
    from dermalase.planner import Patient, plan, search
    from dermalase.simulate import store

    p = Patient.from_toml(example_path("patient_perioral"))
    times = {}
    for label, engine in (("serial", {"threads": 1}), ("2 threads", {"threads": 2}),
                          ("2 workers", {"workers": 2})):
        with tempfile.TemporaryDirectory() as tmp:
            os.environ["DERMALASE_CACHE"] = tmp
            store._MEMORY.clear()
            search._RESULTS.clear()
            t0 = time.perf_counter()
            plan(p, **engine)
            times[label] = time.perf_counter() - t0
    print(f"cold plan patient_perioral (free cores before: {free_cores():.1f}): "
          + ", ".join(f"{k} {v:.2f} s" for k, v in times.items())
          + f" -> threads {times['serial'] / times['2 threads']:.2f}x, LocalCluster (start "
          f"included) {times['serial'] / times['2 workers']:.2f}x")


def table(limit: int | None = None) -> None:
    """Issue 29 (goal < 3 s when idle): the cold command-line plan of every patient of the
    planner table (docs/validation.md), each in a new process with an empty simulation store
    (pint's cache copied, numba's kernels warm), median and worst; the reference is the same
    commands with the store warm, in the same run."""
    from dermalase.planner.cases import CASES

    sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
    from tests.planner.test_safety import _toml

    print(settle())
    cases = CASES[:limit] if limit else CASES
    with tempfile.TemporaryDirectory() as first, tempfile.TemporaryDirectory() as files:
        env = dict(os.environ, DERMALASE_CACHE=first)
        paths = []
        for i, c in enumerate(cases):
            path = os.path.join(files, f"p{i}.toml")
            with open(path, "w", encoding="utf-8") as f:
                f.write(_toml(c.patient))
            paths.append(path)

        def wall(path: str, env: dict) -> float:
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "dermalase.cli", "plan", path, "--json"],
                           capture_output=True, check=True, env=env)
            return time.perf_counter() - t0

        wall(paths[0], env)  # compiles or loads the kernels, writes pint's cache
        cold = []
        for path in paths:
            with tempfile.TemporaryDirectory() as tmp:
                _copy_pint(first, tmp)
                cold.append(wall(path, dict(os.environ, DERMALASE_CACHE=tmp)))
        for path in paths:  # fills the shared store
            wall(path, env)
        warm = [wall(path, env) for path in paths]
    worst = max(range(len(cold)), key=cold.__getitem__)
    med_c, med_w = statistics.median(cold), statistics.median(warm)
    print(f"cold command-line plan of {len(cold)} planner-table patients, new process each: "
          f"median {med_c:.2f} s, worst {cold[worst]:.2f} s ({cases[worst].name}; goal < 3 s "
          f"idle); warm store (reference) median {med_w:.2f} s -> cold/warm "
          f"{med_c / med_w:.1f}x")


def face(runs: int = 3) -> None:
    """Issue 33: the cold command-line plan of the built-in full-face patient (ten units, each
    searched on its own skin and envelope, then composed) beside the single-site patient, each
    in a new process with an empty store (pint's cache copied, numba's kernels warm); the
    reference is the single-site cold plan in the same run (ratio), and the warm store."""
    print(settle())

    def wall(name: str, env: dict) -> float:
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "dermalase.cli", "plan", name, "--json"],
                       capture_output=True, check=True, env=env)
        return time.perf_counter() - t0

    with tempfile.TemporaryDirectory() as first:
        env = dict(os.environ, DERMALASE_CACHE=first)
        wall("patient_perioral", env)  # kernels and pint's cache
        cold: dict[str, list[float]] = {"patient_perioral": [], "patient_full_face": []}
        for _ in range(runs):
            for name in cold:
                with tempfile.TemporaryDirectory() as tmp:
                    _copy_pint(first, tmp)
                    cold[name].append(wall(name, dict(os.environ, DERMALASE_CACHE=tmp)))
        wall("patient_full_face", env)
        warm = statistics.median(wall("patient_full_face", env) for _ in range(runs))
    one, full = (statistics.median(v) for v in cold.values())
    print(f"cold command-line plan, new process, {runs} runs each: patient_perioral median "
          f"{one:.2f} s (reference), patient_full_face median {full:.2f} s (10 units) -> "
          f"full face / single site {full / one:.1f}x; full face with the store warm "
          f"{warm:.2f} s")


if __name__ == "__main__":
    if sys.argv[1:2] == ["face"]:
        face()
    elif sys.argv[1:2] == ["table"]:
        table(int(sys.argv[2]) if len(sys.argv) > 2 else None)
    else:
        main()
        table()
        face()
