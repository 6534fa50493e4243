"""Reading level of the patient's documents (issue 33): the Flesch reading ease and the
Flesch-Kincaid grade, computed from words, sentences and syllables.

Formulas: Flesch R. "A new readability yardstick", J Appl Psychol 1948;32:221-233 (reading
ease = 206.835 - 1.015 words/sentence - 84.6 syllables/word); Kincaid JP et al., Naval
Technical Training Command Research Branch Report 8-75, 1975 (grade = 0.39 words/sentence +
11.8 syllables/word - 15.59). Syllables are counted by vowel groups with the usual English
corrections (a silent final e, "-le" endings), as readability tools do; a library was not used
because textstat needs a dictionary download at run time (nltk's cmudict), which an offline
clinic machine cannot make.

Target (``TARGET_GRADE``): patient materials at or below the 8th-grade level (AMA: Weiss BD,
Health Literacy: A Manual for Clinicians, 2003, and NIH plain-language guidance recommend the
6th-8th grade).
"""

from __future__ import annotations

import re

#: the highest Flesch-Kincaid grade a patient document may have (AMA/NIH: 6th-8th grade)
TARGET_GRADE = 8.0
#: the lowest Flesch reading ease ("plain English" starts at 60: Flesch 1948)
TARGET_EASE = 60.0

_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")


def syllables(word: str) -> int:
    w = word.lower()
    if len(w) <= 3:
        return 1
    w = re.sub(r"'s$", "", w)
    groups = re.findall(r"[aeiouy]+", w)
    n = len(groups)
    if w.endswith("e") and not w.endswith(("le", "ee", "ye")) and n > 1:
        n -= 1  # silent final e
    if w.endswith(("es", "ed")) and not w.endswith(("tes", "des", "ted", "ded", "ies",
                                                     "ses", "zes", "ces", "ges")) and n > 1:
        n -= 1  # "-es"/"-ed" that add no syllable
    # two vowels heard apart (Aus-tra-li-an, me-di-um, pe-ri-od), not as in -cial, -tion
    n += len(re.findall(r"(?<![cstg])i[au]|(?<![cstx])io(?!us)|eo", w))
    return max(n, 1)


def counts(text: str) -> tuple[int, int, int]:
    """(sentences, words, syllables) of ``text``; numbers count as one-syllable words."""
    sentences = [s for s in re.split(r"[.!?:;]+(?:\s|$)|\n{2,}", text) if _WORD.search(s)]
    words = _WORD.findall(text)
    nums = re.findall(r"\d+(?:[.,]\d+)?", text)
    n_words = len(words) + len(nums)
    return max(len(sentences), 1), max(n_words, 1), sum(syllables(w) for w in words) + len(nums)


def reading_ease(text: str) -> float:
    s, w, y = counts(text)
    return 206.835 - 1.015 * w / s - 84.6 * y / w


def grade(text: str) -> float:
    s, w, y = counts(text)
    return 0.39 * w / s + 11.8 * y / w - 15.59


def score(text: str) -> dict:
    """The reading level of ``text`` with the targets it is held to."""
    return {"flesch_reading_ease": round(reading_ease(text), 1),
            "flesch_kincaid_grade": round(grade(text), 1),
            "target_grade_max": TARGET_GRADE, "target_ease_min": TARGET_EASE,
            "meets_target": grade(text) <= TARGET_GRADE and reading_ease(text) >= TARGET_EASE}
