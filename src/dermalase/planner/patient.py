"""Patient file (TOML or dict): phototype, concerns with severities, preferences, history.

Follows the contract of shared/design.md. Every key of ``[history]`` is optional, but a missing
key is reported as missing information, never assumed safe.
"""

from __future__ import annotations

import math
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from .. import data
from ..errors import InputError
from ..tissue.model import SITES

HISTORY_BOOL = ("herpes_simplex", "keloids", "active_infection", "pregnant", "recent_tan",
                "photosensitizing_drugs", "vitiligo", "prior_radiation")
HISTORY_KEYS = ("isotretinoin_months_ago", "isotretinoin_never", *HISTORY_BOOL)
SCAR_TYPES = ("rolling", "boxcar", "icepick", "hypertrophic")
#: Upper bound of ``isotretinoin_months_ago`` (50 years): a range check, not a clinical number.
ISOTRETINOIN_MONTHS_MAX = 600


def printable(text: str) -> str:
    """``text`` without control characters (terminal escape sequences, NUL, ...), which user
    text must never carry into a terminal, a report or JSON output."""
    return "".join(ch for ch in text if unicodedata.category(ch)[0] != "C" or ch == " ")


def concern_kinds() -> dict[str, tuple[int, int]]:
    """Concern kind -> (lowest, highest) severity covered by the rule base."""
    out: dict[str, tuple[int, int]] = {}
    for c in data.toml("planner_rules")["concern"]:
        lo, hi = out.get(c["kind"], (99, -99))
        out[c["kind"]] = (min(lo, c["severity"][0]), max(hi, c["severity"][1]))
    return out


@dataclass(frozen=True)
class Concern:
    kind: str
    severity: int
    site: str
    scar_type: str | None = None


@dataclass(frozen=True)
class Patient:
    phototype: int
    concerns: tuple[Concern, ...]
    max_downtime_days: float
    max_sessions: int
    history: dict = field(default_factory=dict)
    name: str = "patient"

    @classmethod
    def from_toml(cls, path) -> Patient:
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise InputError("patient file", str(path), "a readable TOML file") from exc
        try:
            d = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise InputError("patient file", str(path), f"valid TOML ({exc})") from exc
        d.setdefault("name", path.stem)
        return cls.from_dict(d)

    @classmethod
    def from_dict(cls, d: dict) -> Patient:
        known = {"name", "patient", "concerns", "preferences", "history"}
        for k in d:
            if k not in known:
                raise InputError(k, d[k], "no such key; known keys: " + ", ".join(sorted(known)))
        pat = d.get("patient")
        if not isinstance(pat, dict) or "phototype" not in pat:
            raise InputError("patient.phototype", None, "an integer 1-6 (Fitzpatrick I-VI)")
        ph = pat["phototype"]
        if isinstance(ph, bool) or not isinstance(ph, int) or not 1 <= ph <= 6:
            raise InputError("patient.phototype", ph, "an integer 1-6 (Fitzpatrick I-VI)")
        kinds = concern_kinds()
        raw = d.get("concerns")
        if not isinstance(raw, list) or not raw:
            raise InputError("concerns", raw, "at least one [[concerns]] table")
        concerns = []
        for i, c in enumerate(raw):
            where = f"concerns[{i}]"
            if not isinstance(c, dict):
                raise InputError(where, c, "a table with kind, severity, site")
            for k in c:
                if k not in ("kind", "severity", "site", "scar_type"):
                    raise InputError(f"{where}.{k}", c[k], "kind, severity, site, scar_type")
            kind = c.get("kind")
            if kind not in kinds:
                raise InputError(f"{where}.kind", kind, "one of " + ", ".join(sorted(kinds)))
            lo, hi = kinds[kind]
            sev = c.get("severity")
            if isinstance(sev, bool) or not isinstance(sev, int) or not lo <= sev <= hi:
                raise InputError(f"{where}.severity", sev, f"an integer {lo}-{hi} for {kind}")
            site = c.get("site")
            if site not in SITES:
                raise InputError(f"{where}.site", site, "one of " + ", ".join(SITES))
            st = c.get("scar_type")
            if st is not None and (kind != "acne-scars" or st not in SCAR_TYPES):
                raise InputError(f"{where}.scar_type", st,
                                 "for acne-scars only: " + ", ".join(SCAR_TYPES))
            concerns.append(Concern(kind, sev, site, st))
        pref = d.get("preferences", {})
        if not isinstance(pref, dict):
            raise InputError("preferences", pref, "a table")
        for k in pref:
            if k not in ("max_downtime_days", "max_sessions"):
                raise InputError(f"preferences.{k}", pref[k], "max_downtime_days, max_sessions")
        dt = pref.get("max_downtime_days")
        if isinstance(dt, bool) or not isinstance(dt, int | float) or not math.isfinite(dt) \
                or not 0 <= dt <= 60:
            raise InputError("preferences.max_downtime_days", dt, "a number of days 0-60")
        ns = pref.get("max_sessions")
        if isinstance(ns, bool) or not isinstance(ns, int) or not 1 <= ns <= 10:
            raise InputError("preferences.max_sessions", ns, "an integer 1-10")
        hist = d.get("history", {})
        if not isinstance(hist, dict):
            raise InputError("history", hist, "a table")
        for k, v in hist.items():
            if k not in HISTORY_KEYS:
                raise InputError(f"history.{k}", v, "one of " + ", ".join(HISTORY_KEYS))
            if k == "isotretinoin_months_ago":
                # every clinical number is finite and in range before any rule sees it: a NaN
                # would pass "< 0" and fail "< 6", silently lifting the isotretinoin block
                if isinstance(v, bool) or not isinstance(v, int | float) or \
                        not math.isfinite(v) or not 0 <= v <= ISOTRETINOIN_MONTHS_MAX:
                    raise InputError(f"history.{k}", v,
                                     f"a finite number of months 0-{ISOTRETINOIN_MONTHS_MAX}; "
                                     "omit it and set isotretinoin_never = true if never taken")
            elif not isinstance(v, bool):
                raise InputError(f"history.{k}", v, "true or false")
        if hist.get("isotretinoin_never") is True and "isotretinoin_months_ago" in hist:
            raise InputError("history.isotretinoin_never", True,
                             "not together with isotretinoin_months_ago = "
                             f"{hist['isotretinoin_months_ago']!r} (the history contradicts "
                             "itself: give one of the two)")
        return cls(ph, tuple(concerns), float(dt), int(ns), dict(hist),
                   printable(str(d.get("name", "patient"))))

    def missing_history(self) -> list[str]:
        """History keys the file does not answer (reported, never assumed safe)."""
        miss = [k for k in HISTORY_BOOL if k not in self.history]
        if "isotretinoin_months_ago" not in self.history and \
                self.history.get("isotretinoin_never") is not True:
            miss.insert(0, "isotretinoin_months_ago")
        return miss

    def answered(self, key: str) -> bool:
        """Whether the history answers ``key`` (isotretinoin: months given, or never taken)."""
        if key == "isotretinoin_months_ago":
            return key in self.history or self.history.get("isotretinoin_never") is True
        return key in self.history

    def to_dict(self) -> dict:
        return {"name": self.name, "patient": {"phototype": self.phototype},
                "concerns": [{k: v for k, v in c.__dict__.items() if v is not None}
                             for c in self.concerns],
                "preferences": {"max_downtime_days": self.max_downtime_days,
                                "max_sessions": self.max_sessions},
                "history": dict(self.history)}
