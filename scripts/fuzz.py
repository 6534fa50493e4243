"""The long fuzzing run of the input gate (``make fuzz``): N generated inputs per entry point
(scenario dict, patient dict, MCML file), each checked against the promise of
:mod:`dermalase.testing.fuzz`; the figures replace the fuzzing section of docs/validation.md.

Run: ``.venv/bin/python scripts/fuzz.py [N]`` (default 3,400 per entry point: 10,200 inputs).
"""

from __future__ import annotations

import re
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path

from hypothesis import HealthCheck, given, settings

import dermalase
from dermalase.testing import fuzz

ROOT = Path(__file__).resolve().parents[1]
START, END = "<!-- fuzz:start -->", "<!-- fuzz:end -->"


def run(name: str, strategy, check, n: int) -> dict:
    counts: Counter = Counter()
    slowest = [0.0]

    @settings(max_examples=n, deadline=5000, database=None, derandomize=True,
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
            "seconds": time.perf_counter() - t0, "slowest": slowest[0]}


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 3400
    rows = [run("scenario (TOML/dict, API)", fuzz.scenarios(), fuzz.check_scenario, n),
            run("patient (TOML/dict, API)", fuzz.patients(), fuzz.check_patient, n),
            run("MCML .mci file", fuzz.mci_texts(), fuzz.check_mci, n)]
    total = sum(r["tried"] for r in rows)
    lines = [START, "## Fuzzing the input gate (issue 17)", "",
             f"`make fuzz` ({date.today().isoformat()}, dermalase {dermalase.__version__}): "
             f"{total:,} generated inputs. Each is a valid file broken in 1-3 places (hostile "
             "numbers: NaN, ±inf, huge, negative, zero; unit strings with exponent towers, no "
             "number, superscripts, control sequences; wrong types; unknown keys; deleted keys; "
             ".mci tokens replaced, deleted or repeated). The promise: accepted with every "
             "resolved number finite, or refused with one InputError naming a field on one "
             "line; anything else, or more than 5 s on one input, is a failure. "
             "`tests/test_fuzz.py` runs 150 per entry point in `make test`.", "",
             "| entry point | inputs | accepted | refused (one line, a field) | failures | "
             "slowest input |", "| --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        lines.append(f"| {r['entry']} | {r['tried']:,} | {r['accepted']:,} | "
                     f"{r['refused']:,} | {r['failed']} | {r['slowest'] * 1e3:.0f} ms |")
    lines += ["", "Simulations of accepted inputs are covered by the property tests over the "
              "valid ranges (tests/simulate/test_properties.py) and the extreme-setting tests "
              "(tests/simulate/test_hostile_input.py); output paths and unreadable files by "
              "tests/cli/test_cli.py.", END]
    doc = ROOT / "docs" / "validation.md"
    text = doc.read_text(encoding="utf-8")
    block = "\n".join(lines)
    if START in text:
        text = re.sub(re.escape(START) + ".*?" + re.escape(END), lambda m: block, text,
                      flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    doc.write_text(text, encoding="utf-8")
    for r in rows:
        print(r)
    return 0 if all(r["ok"] and r["failed"] == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
