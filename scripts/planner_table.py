"""Write the planner section of docs/validation.md: each built-in and test patient
(``dermalase.planner.cases``), the evidence row it follows, what the evidence expects and what
the planner recommends, with its settings and the published recovery it quotes.

Run: ``make validation`` (whole file) or ``.venv/bin/python scripts/planner_table.py`` (this
section only; it replaces the text between the planner markers).
"""

from __future__ import annotations

import sys
from pathlib import Path

from dermalase.planner import Patient, plan
from dermalase.planner.cases import CASES
from dermalase.planner.rules import LABELS

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # scripts.doc_sections
START, END = "<!-- planner:start -->", "<!-- planner:end -->"


def _names(mods) -> str:
    return ", ".join(LABELS[m] for m in sorted(mods)) if mods else "nothing (deferral)"


def planner_section() -> list[str]:
    out = [START, "## Planner against the clinical evidence (issue 12)", "",
           "Each patient is a test (`tests/planner/test_safety.py::test_case_follows_the_"
           "evidence`); the expectation comes from the evidence row named (shared/reference/"
           "clinical-evidence.md), not from the planner. 'Recommended' is the ★ option; "
           "'none' means the plan defers and says why. Downtime is the published social "
           "downtime the plan quotes (section 7.1).", "",
           "| patient | evidence row | evidence expects | recommended (settings) | published "
           "social downtime | result |", "| --- | --- | --- | --- | --- | --- |"]
    for c in CASES:
        res = plan(Patient.from_dict(c.patient))
        rec = res["recommended"]
        blocked = {b["modality"] for b in res["blocked"]}
        ok = ((rec["modality"] in c.recommended_in) if rec else not c.recommended_in) \
            and c.blocked <= blocked and not (rec and rec["modality"] in c.never)
        if rec:
            st = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in rec["settings"].items())
            got = f"{rec['label']} ({st}; {rec['sessions']} session(s))"
            dt = rec["downtime_days"]
            down = f"{dt[0]:g}-{dt[1]:g} d" if dt else "not reported"
        else:
            why = "; ".join(res["deferral"]["why"][:1])
            got, down = f"none: {why}", "-"
        exp = _names(c.recommended_in)
        if c.blocked:
            exp += "; blocked: " + _names(c.blocked)
        out.append(f"| {c.name} | {c.evidence} | {exp} | {got} | {down} | "
                   f"{'pass' if ok else 'FAIL'} |")
    out += ["", "Property tests: removing any history answer never adds a recommended option "
            "nor turns a blocked option into a recommended one; adding a contraindication "
            "never adds a candidate; a lower accepted downtime never recommends a longer one.",
            END]
    return out


def write() -> None:
    from scripts.doc_sections import replace_section

    replace_section(planner_section(), START, END)
    print("wrote the planner section of docs/validation.md")


if __name__ == "__main__":
    write()
