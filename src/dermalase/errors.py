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
        super().__init__(f"{field}: got {value!r}; allowed: {allowed}")
