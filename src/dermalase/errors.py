"""Errors raised for bad user input.

Every error names the field, the value and what is allowed, so the CLI can print it on one line.
"""

from __future__ import annotations


class InputError(ValueError):
    """Bad user input: names the field, the value and the allowed range."""

    def __init__(self, field: str, value: object, allowed: str):
        self.field = field
        self.value = value
        self.allowed = allowed
        super().__init__(f"{_one_line(field)}: got {_one_line(repr(value), 200)}; allowed: "
                         f"{_one_line(allowed)}")


def _one_line(text: str, limit: int = 500) -> str:
    """``text`` on one line without control characters (they are shown escaped: user text
    reaches messages through keys and values), cut at ``limit`` characters."""
    import unicodedata

    out = "".join(ch if unicodedata.category(ch)[0] != "C" else ch.encode("unicode_escape")
                  .decode("ascii") for ch in str(text))
    return out if len(out) <= limit else out[:limit] + "..."


def require(field: str, value: object, *, low: float = 0.0, inclusive: bool = False,
            integer: bool = False, optional: bool = False) -> None:
    """Check a value given to the Python API (the input models check files and forms): a
    finite number above ``low`` (or at it when ``inclusive``), an integer when ``integer``,
    None allowed when ``optional``."""
    import math
    import numbers

    if value is None and optional:
        return
    kind = numbers.Integral if integer else numbers.Real
    ok = isinstance(value, kind) and not isinstance(value, bool) \
        and math.isfinite(float(value))
    if ok:
        v = float(value)  # type: ignore[arg-type]
        ok = v > low or (inclusive and v == low)
    if not ok:
        what = "an integer" if integer else "a finite number"
        raise InputError(field, value, f"{what} {'>=' if inclusive else '>'} {low:g}"
                         + (" (or None)" if optional else ""))


def require_choice(field: str, value: object, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise InputError(field, value, " or ".join(repr(c) for c in choices))
