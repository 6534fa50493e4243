"""Words a patient reads (issue 29): no citation tags, source names, file keys or code names;
durations in months where they are months; an expected result is an outcome or "no reliable
figure".

The clinician's text keeps its sources; :func:`patient_text` removes them from a copy for the
patient. :func:`leaks` lists what should never reach a patient (the tests use it).
"""

from __future__ import annotations

import re

#: evidence tags, bracketed notes and rows of the evidence files
_TAG = re.compile(r"\s*\[(?:CONS|REV|STUDY|VENDOR|EXPERT|DERIVED|UNVERIFIED)(?:/[A-Z]+)*\]")
#: a parenthesis that cites: a year, "et al.", a journal volume, an evidence row (E12, W7, A3)
_CITE = re.compile(r"\s*\((?=[^()]*(?:\b(?:19|20)\d\d\b|et al|\b[EWAD]\d{1,3}\b|n = \d|"
                   r"Newman|Khatri|Pozner|Tierney|Manstein|Polder|Harris|Bowen|Alexis|"
                   r"Kaushik|Salameh|Lapidoth|Karsai|Yuan|Jih|Bencini|Friedman|Krauss|"
                   r"StatPearls|Medscape|RealSelf|clinic|textbook|review|consensus|\.md|"
                   r"section|PMID|white paper|FAQ|label|https?:|[A-Z][a-z]+ \d{4}|"
                   r"[A-Z][a-z]+ & [A-Z]))[^()]*(?:\([^()]*\)[^()]*)*\)")
_NO_FIGURE = ("no improvement figure", "not reached", "no figure", "no laxity figure",
              "no texture-specific", "no pore-specific", "no lentigo clearance",
              "no dyschromia figure", "no complication figure", "no efficacy figure")
#: what must never reach a patient: tags, file keys, file names, modality codes, units in code,
#: citations of any shape (years, PMIDs, DOIs, "white paper", an author's name before a year or
#: "et al"), and clinical jargon a patient cannot read
LEAK_PATTERNS = (re.compile(r"\[(?:CONS|REV|STUDY|VENDOR|EXPERT|DERIVED|UNVERIFIED)"),
                 re.compile(r"\b[a-z]+_[a-z_]+\b"),            # file keys (isotretinoin_never)
                 re.compile(r"\.(?:md|toml|csv|py)\b"),
                 re.compile(r"\b(?:full-field|fractional|non-ablative-fractional)-[a-z0-9:]+"),
                 re.compile(r"\b(?:19|20)\d\d\b"),              # citation years
                 re.compile(r"\bet al\b"), re.compile(r"\b[EWAD]\d{1,3}\b"),
                 re.compile(r"\bPMID\b|\bPMC\d+|\bdoi\b|\b10\.\d{4,}/", re.I),
                 re.compile(r"https?://|www\.", re.I),
                 re.compile(r"white paper|\bFAQ\b|\bn = \d", re.I),
                 re.compile(r"\b[A-Z][a-z]+(?: (?:&|and) [A-Z][a-z]+)?,? (?:19|20)\d\d\b"),
                 re.compile(r"\b(?:MASI|PIH|MTZ|NAFL|AFR|Glogau|Koebner)\b"),
                 re.compile(r"\bdyschromia\b|\bblinded\b|\+-|\brhytides\b", re.I))
#: clinical words a patient reads in plain words (applied before the leak check)
JARGON = ((re.compile(r"post-inflammatory hyperpigmentation|\bPIH\b"),
           "darker patches after treatment"),
          (re.compile(r"\bdyschromia\b", re.I), "uneven colour"),
          (re.compile(r"\bMASI\b"), "melasma score"),
          (re.compile(r"\s*\(Koebner[^()]*\)"), ""),
          (re.compile(r"\bKoebner phenomenon\b"), "new patches where the skin is injured"),
          (re.compile(r"\bblinded? ", re.I), ""),
          (re.compile(r"\s*\+-\s*"), " with or without "),
          (re.compile(r"\bMTZ\b"), "treatment zones"),
          (re.compile(r"\bperioral rhytides\b"), "lines around the mouth"))


def patient_text(text: str, outcome: bool = False) -> str:
    """``text`` for a patient: citations and tags removed; for an expected result, a sentence
    without a figure reads "no reliable figure"."""
    if outcome and (text.lower().startswith(("no ", "not ")) or
                    not re.search(r"\d", text) or
                    any(k in text.lower() for k in _NO_FIGURE) and
                    not re.search(r"\d\s*%", text)):
        return "no reliable figure"
    out = _TAG.sub("", text)
    for _ in range(3):
        out = _CITE.sub("", out)
    for pattern, plain in JARGON:
        out = pattern.sub(plain, out)
    out = re.sub(r"\s*;\s*(?=[;.)]|$)", "", out)
    out = re.sub(r"\s{2,}", " ", out).strip(" ;,")
    return out


def days_text(r, unit: bool = True) -> str:
    """A [low, high] range of days as a patient reads it: months where they are months."""
    if not r:
        return "not reported"
    lo, hi = float(r[0]), float(r[1])
    if hi >= 60:  # months of 30 days, as the sources count them (135 d = 4.5 months)
        m0, m1 = lo / 30, hi / 30
        rng = f"{m0:.1f}".rstrip("0").rstrip(".") if abs(m1 - m0) < 0.05 else \
            f"{m0:.1f}-{m1:.1f}".replace(".0", "")
        return f"{rng} months" if unit else rng
    rng = f"{lo:g}" if lo == hi else f"{lo:g}-{hi:g}"
    return f"{rng} days" if unit else rng


def leaks(text: str) -> list[str]:
    """What in ``text`` a patient should not read (tags, file keys, code names, citations)."""
    return [m.group(0) for p in LEAK_PATTERNS for m in p.finditer(text)]
