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
from dermalase.planner.cases import CASES, FACE_CASES, face_failures, failures
from dermalase.planner.plan import course_text
from dermalase.planner.rules import LABELS

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # scripts.doc_sections
START, END = "<!-- planner:start -->", "<!-- planner:end -->"


def _names(mods) -> str:
    return ", ".join(LABELS[m] for m in sorted(mods)) if mods else "nothing (deferral)"


def planner_section() -> list[str]:
    out = [START, "## Planner against the clinical evidence (issues 12 and 29)", "",
           "Each patient is a test (`tests/planner/test_safety.py::test_case_follows_the_"
           "evidence`); the expectation comes from the evidence row named (shared/reference/"
           "clinical-evidence.md, clinical-evidence-2.md rows E1-E100), not from the planner: "
           "the modality expected, what must be blocked, and the numbers the row gives "
           "(`dermalase.planner.cases`: passes, fluence, energy, coverage, the non-laser "
           "advice). 'Recommended' is the ★ option; 'none' means the plan defers and says why. "
           "Downtime is the typical published social downtime the plan compares with the "
           "patient's, with the published range (section 7.1). 'issue 29' names the item of "
           "issue 29 a case tests.", "",
           "| patient | evidence row | evidence expects | recommended (settings) | typical "
           "downtime (range) | issue 29 | result |",
           "| --- | --- | --- | --- | --- | --- | --- |"]
    for c in CASES:
        res = plan(Patient.from_dict(c.patient))
        rec = res["recommended"]
        bad = failures(c, res)
        if rec:
            st = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in rec["settings"].items())
            got = f"{rec['label']} ({st}; {course_text(rec['sessions'])})"
            dt, typ = rec["downtime_days"], rec["downtime_typical_days"]
            down = f"{typ:g} d ({dt[0]:g}-{dt[1]:g} d)" if dt and typ is not None else \
                "not reported"
        else:
            why = "; ".join(res["deferral"]["why"][:1]) or "; ".join(
                res["deferral"]["what_to_do"][:1])
            got, down = f"none: {why}", "-"
        exp = _names(c.recommended_in)
        if c.blocked:
            exp += "; blocked: " + _names(c.blocked)
        if c.checks:
            exp += "; checks: " + ", ".join(f"{k} {v}" for k, v in c.checks.items())
        out.append(f"| {c.name} | {c.evidence} | {exp} | {got} | {down} | "
                   f"{c.issue29 or '-'} | {'pass' if not bad else 'FAIL: ' + '; '.join(bad)} |")
    out += face_section()
    out += ["", "Property tests: removing any history answer never adds a recommended option "
            "nor turns a blocked option into a recommended one; adding a contraindication "
            "never adds a candidate; a lower accepted downtime never recommends a longer "
            "typical one. The clinical envelope's property test is below.", "",
            *envelope_lines(), END]
    return out


def face_section() -> list[str]:
    """The full-face patients (issue 33): the session unit by unit against the evidence."""
    from dermalase.planner.fullface import family

    out = ["", "### Full face by cosmetic unit (issue 33)", "",
           "Each patient is a test (`tests/planner/test_face.py::test_full_face_case_follows_"
           "the_evidence`, `dermalase.planner.cases.FACE_CASES`); the expectation comes from "
           "the evidence rows named. 'Session' is the one visit that joins the recommended "
           "treatment of every face unit: each unit's modality (FF full field, AF ablative "
           "fractional, NA non-ablative) with its passes or pulses, and the feathering band "
           "below the jawline.", "",
           "| patient | evidence rows | evidence expects | session by unit | typical downtime "
           "(range) | candidates | result |", "| --- | --- | --- | --- | --- | --- | --- |"]
    short = {"full-field": "FF", "ablative-fractional": "AF", "non-ablative": "NA"}
    for c in FACE_CASES:
        res = plan(Patient.from_dict(c.patient))
        bad = face_failures(c, res)
        ses = res.get("session") or {}
        units = []
        for u in ses.get("units", []):
            st = u["settings"]
            cov = st.get("beam_coverage", st.get("coverage", ""))
            what = (f"{st['fluence']} x{u['passes']}" if "fluence" in st else
                    f"{st.get('pulse_energy', '')}, {cov} x{u['passes'] or 1}"
                    if "pulse_energy" in st else "")
            units.append(f"{u['unit']} {short[family(u['modality'])]} "
                         f"({u['modality_label'].split(' (')[0]}{'; ' + what if what else ''})"
                         + (" band" if u["feathering_band"] else ""))
        dt, typ = ses.get("downtime_days"), ses.get("downtime_typical_days")
        down = f"{typ:g} d ({dt[0]:g}-{dt[1]:g} d)" if dt and typ is not None else "-"
        cands = "; ".join(f"{i + 1}. {x['label']}" for p in res["plans"]
                          for i, x in enumerate(p["candidates"][:4]))
        exp = "; ".join(f"{k.replace('_', ' ')} " + (", ".join(v) if isinstance(v, tuple)
                                                     else "yes" if v is True else f"{v:g}")
                        for k, v in c.checks.items())
        out.append(f"| {c.name} | {c.evidence} | {exp} | {'; '.join(units) or 'none'} | "
                   f"{down} | {cands} | {'pass' if not bad else 'FAIL: ' + '; '.join(bad)} |")
    return out


def envelope_lines() -> list[str]:
    """The envelope grid's count (scripts/envelope_grid.py writes the figures it measured)."""
    path = ROOT / "docs" / "envelope_grid.txt"
    measured = path.read_text(encoding="utf-8").strip() if path.exists() else \
        "not yet run (make envelope-grid)"
    return ["### The clinical envelope over the input space (issue 29)", "",
            "Every candidate's search bounds and every published setting of every generated "
            "patient (area x phototype x concern and severity x history x accepted downtime x "
            "sessions) are checked against each envelope row that applies, the area's own skin "
            "and the binding device's range, with the test's own reading of "
            "data/envelope.toml (`tests/planner/test_envelope.py`): a 3,000-patient seeded "
            "sample in `make test`, the whole grid in `make envelope-grid`; a lowered energy "
            "top is checked as the search's hard maximum. Real plans of the table's patients "
            "and of more patients check each recommendation's chosen numbers, simulated or "
            "published, against the clinical top each row describes, and its device reading.",
            "", measured]


def write() -> None:
    from scripts.doc_sections import replace_section

    replace_section(planner_section(), START, END)
    print("wrote the planner section of docs/validation.md")


if __name__ == "__main__":
    write()
