"""The long fuzzing run of the input gate (``make fuzz``): N generated inputs per entry point
(scenario dict, patient dict, MCML file) and M through the command line (scenario and patient
files, accepted ones simulated or planned to the end), each checked against the promise of
:mod:`dermalase.testing.fuzz`; the figures replace the fuzzing section of docs/validation.md.

Run: ``.venv/bin/python scripts/fuzz.py [N [M]]`` (default 3,400 per entry point and 1,000 per
command: 12,200 inputs).
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path

from hypothesis import HealthCheck, given, settings

import dermalase
from dermalase.testing import fuzz

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # scripts.doc_sections
START, END = "<!-- fuzz:start -->", "<!-- fuzz:end -->"


def run(name: str, strategy, check, n: int) -> dict:
    counts: Counter = Counter()
    slowest = [0.0]
    # an accepted file through the command line runs a whole simulation or plan
    deadline = None if "command line" in name else 5000

    @settings(max_examples=n, deadline=deadline, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def case(value):
        t0 = time.perf_counter()
        try:
            counts[check(value)] += 1
        except Exception as exc:
            counts["failed"] += 1
            print(f"{name}: FAILED on {value!r}: {type(exc).__name__}: {exc}"[:400])
            raise
        slowest[0] = max(slowest[0], time.perf_counter() - t0)

    t0 = time.perf_counter()
    ok = True
    try:
        case()
    except Exception:
        ok = False
    return {"entry": name, "tried": sum(counts.values()), "accepted": counts["accepted"],
            "refused": counts["refused"], "failed": counts["failed"], "ok": ok,
            "not_toml": counts["not-toml"],
            "seconds": time.perf_counter() - t0, "slowest": slowest[0]}


def _commit() -> str:
    """The checkout's commit (and whether it had changes), or 'unknown' outside git."""
    import subprocess

    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True,
                              capture_output=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=ROOT, text=True, capture_output=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (" with local changes" if dirty else "")


def second_round_rows(n: int, m: int) -> list[dict]:
    """Issue 30's hostile inputs: microbeams over and past the local fluence cap (API), damaged
    store entries under any DERMALASE_CACHE (a FIFO, a folder, a link to /dev/zero...), and
    hostile ``mc --seed``, ``sweep --scheduler`` and ``simulate --figure`` values through the
    command line, half of them with stdout on a full disk (/dev/full)."""
    return [run("microbeam over the local fluence cap (API)", fuzz.microbeam_scenarios(),
                fuzz.check_microbeam, n),
            run("damaged store entry, any `DERMALASE_CACHE`", fuzz.store_cases(),
                fuzz.check_store, m),
            run("`--seed`, `--scheduler`, `--figure` values, stdout on a full disk (command "
                "line)", fuzz.option_cases(), fuzz.check_option_cli, m // 2)]


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 3400
    m = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    rows = [run("scenario (TOML/dict, API)", fuzz.scenarios(), fuzz.check_scenario, n),
            run("scenario in device terms (`[device]`, API)", fuzz.device_scenarios(),
                fuzz.check_device, n),
            run("patient (TOML/dict, API)", fuzz.patients(), fuzz.check_patient, n),
            run("MCML .mci file", fuzz.mci_texts(), fuzz.check_mci, n),
            run("scenario file, command line (`simulate --json --out`)", fuzz.scenarios(),
                fuzz.check_scenario_cli, m),
            run("device scenario file, command line (`simulate --json --out`)",
                fuzz.device_scenarios(), fuzz.check_device_cli, m // 2),
            run("patient file, command line (`plan --json --report`)", fuzz.patients(),
                fuzz.check_patient_cli, m)]
    rows += second_round_rows(n, m)
    total = sum(r["tried"] for r in rows)
    lines = [START, "## Fuzzing the input gate (issue 17)", "",
             f"`make fuzz` ({date.today().isoformat()}, dermalase {dermalase.__version__}, "
             f"commit {_commit()}): "
             f"{total:,} generated inputs. Each is a valid file broken in 1-3 places (hostile "
             "numbers: NaN, ±inf, huge, negative, zero; unit strings with exponent towers, no "
             "number, superscripts, control sequences; wrong types; unknown keys; deleted keys; "
             ".mci tokens replaced, deleted or repeated). The promise through the API: "
             "accepted with every resolved number finite, or refused with one InputError naming "
             "a field on one line; anything else, or more than 5 s on one input, is a failure. "
             "Through the command line (run in-process through the users' entry point, with its "
             "last-resort handler): the same inputs written as TOML files; an accepted file is "
             "simulated or planned to the end and must exit 0 with a finite JSON summary and a "
             "complete output file (the NetCDF re-read, its summary and fields finite; the HTML "
             "report whole); a refused one must exit 2 with one line on stderr and leave no "
             "output and no temporary file; exit 1 (internal error), a traceback, or a control "
             "sequence from the input reaching the terminal is a failure. The second round "
             "(issue 30): a microbeam accepted must be within the local fluence cap; a store "
             "entry that is a FIFO, a folder, a link to /dev/zero or damaged must be passed over "
             "within 10 s and the value computed, with nothing written into the current folder "
             "whatever DERMALASE_CACHE holds; a hostile option value must exit 0 with its "
             "output whole or 2 in one line, and a command printing to a full disk must exit 2 "
             "naming stdout. A compiled kernel "
             "aborting the process would end the run, so a finished run means no abort. "
             "`tests/test_fuzz.py` runs 150 per API entry point and 60 + 20 + 40 through the "
             "command line in `make test` (second round: 60 microbeams, 30 store entries, 5 "
             "option values).", "",
             "| entry point | inputs | accepted (run to the end) | refused (one line, a field) | "
             "not writable as TOML | failures | slowest input |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        lines.append(f"| {r['entry']} | {r['tried']:,} | {r['accepted']:,} | "
                     f"{r['refused']:,} | {r['not_toml']:,} | {r['failed']} | "
                     f"{r['slowest'] * 1e3:,.0f} ms |")
    lines += ["", "Not writable as TOML: an integer beyond TOML's 64 bits (the API rows cover "
              "those values); in the option row, a value holding a NUL byte, which no command "
              "line can carry. The store row is exhaustive: every pair of the 10 states an entry "
              "can be found in and the 8 DERMALASE_CACHE settings (accepted: the value came back, "
              "from a whole entry or computed again with a note). Simulations over the whole "
              "valid ranges are the property tests "
              "(tests/simulate/test_properties.py); extreme settings, full disks, read-only "
              "folders and other users are tests/simulate/test_hostile_input.py and "
              "tests/cli/test_environment.py.", END]
    from scripts.doc_sections import replace_section

    replace_section(lines, START, END)
    for r in rows:
        print(r)
    return 0 if all(r["ok"] and r["failed"] == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
