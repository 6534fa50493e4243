"""Input fields declared once: pydantic v2 types that carry their unit, allowed range, default
description and source, and give the one-line ``(field, value, allowed)`` errors.

A model built from these types yields, from its single declaration: parsing of TOML or dicts
(strings with units checked by pint, stored as SI floats), the list of allowed keys (unknown
keys are errors), the JSON Schema (``dermalase schema scenario|patient``) and the field tables
of the docs (:func:`field_rows`). Models are frozen (immutable values; change them with
``model_copy(update=...)``).
"""

from __future__ import annotations

import math
import numbers
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic_core import core_schema

from .errors import InputError
from .units import to_si


class Spec(BaseModel):
    """Base of every input model: frozen, unknown keys forbidden."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=False)


def printable(text: str) -> str:
    """``text`` without control characters (terminal escape sequences, NUL, ...), which user
    text must never carry into a terminal, a report or JSON output."""
    return "".join(ch for ch in text if unicodedata.category(ch)[0] != "C" or ch == " ")


def _fail(value: object, allowed: str) -> InputError:
    return InputError("", value, allowed)  # the field path is added from the error location


class _Checked:
    """Annotated metadata with its own validator and JSON Schema."""

    allowed: str = ""

    def check(self, value: Any) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    def json(self) -> dict[str, Any]:  # pragma: no cover - overridden
        raise NotImplementedError

    def __get_pydantic_core_schema__(self, source, handler):
        return core_schema.no_info_plain_validator_function(self.check)

    def __get_pydantic_json_schema__(self, schema, handler):
        return {**self.json(), "x-allowed": self.allowed}


@dataclass(frozen=True)
class Quantity(_Checked):
    """A physical quantity: a plain number in ``unit`` (SI) or a string with any unit of the
    same dimension; stored in ``unit``. ``low`` is exclusive unless ``low_inclusive``."""

    unit: str
    low: float | None = None
    high: float | None = None
    low_inclusive: bool = False
    example: str = ""

    @property
    def allowed(self) -> str:  # type: ignore[override]
        lo = "" if self.low is None else (f">= {self.low:g}" if self.low_inclusive
                                          else f"> {self.low:g}")
        hi = "" if self.high is None else f"<= {self.high:g}"
        rng = " and ".join(x for x in (lo, hi) if x)
        if self.unit == "dimensionless":
            return "a number" + (f" {rng}" if rng else "")
        return f"a quantity in {self.unit}" + (f", {rng} {self.unit}" if rng else "")

    def check(self, value: Any) -> float:
        try:
            return to_si("", value, self.unit, low=self.low, high=self.high,
                         low_inclusive=self.low_inclusive)
        except InputError as exc:
            raise _fail(value, exc.allowed) from None

    def json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"anyOf": [{"type": "number"}, {"type": "string"}],
                               "x-unit": self.unit}
        if self.low is not None:
            out["x-minimum-si"] = self.low
        if self.high is not None:
            out["x-maximum-si"] = self.high
        if self.example:
            out["examples"] = [self.example]
        return out


@dataclass(frozen=True)
class Integer(_Checked):
    low: int
    high: int

    @property
    def allowed(self) -> str:  # type: ignore[override]
        return f"an integer {self.low}-{self.high}"

    def check(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) \
                or not self.low <= int(value) <= self.high:
            raise _fail(value, self.allowed)
        return int(value)

    def json(self) -> dict[str, Any]:
        return {"type": "integer", "minimum": self.low, "maximum": self.high}


@dataclass(frozen=True)
class Number(_Checked):
    """A finite plain number (no unit) in [low, high]."""

    low: float
    high: float
    what: str = "a number"

    @property
    def allowed(self) -> str:  # type: ignore[override]
        return f"{self.what} {self.low:g}-{self.high:g}"

    def check(self, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, numbers.Real) \
                or not math.isfinite(value) or not self.low <= float(value) <= self.high:
            raise _fail(value, self.allowed)
        return float(value)

    def json(self) -> dict[str, Any]:
        return {"type": "number", "minimum": self.low, "maximum": self.high}


@dataclass(frozen=True)
class OneOf(_Checked):
    choices: tuple[str, ...]

    @property
    def allowed(self) -> str:  # type: ignore[override]
        if len(self.choices) <= 3:
            return " or ".join(repr(c) for c in self.choices)
        return "one of " + ", ".join(self.choices)

    def check(self, value: Any) -> str:
        if value not in self.choices:
            raise _fail(value, self.allowed)
        return str(value)

    def json(self) -> dict[str, Any]:
        return {"type": "string", "enum": list(self.choices)}


@dataclass(frozen=True)
class Flag(_Checked):
    allowed: str = "true or false"

    def check(self, value: Any) -> bool:
        if not isinstance(value, bool):
            raise _fail(value, self.allowed)
        return value

    def json(self) -> dict[str, Any]:
        return {"type": "boolean"}


@dataclass(frozen=True)
class Text(_Checked):
    """A string, kept without control characters (see :func:`printable`)."""

    allowed: str = "a string of at most 200 characters"

    def check(self, value: Any) -> str:
        if not isinstance(value, str) or len(value) > 200:
            raise _fail(value if not isinstance(value, str) else value[:40] + "...",
                        self.allowed)
        return printable(value)

    def json(self) -> dict[str, Any]:
        return {"type": "string"}


# -- errors ---------------------------------------------------------------------------------------
def _path(loc: Sequence[int | str], prefix: str = "") -> str:
    out = prefix
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("full-field", "fractional"):  # tags of a discriminated union
            continue
        else:
            out = f"{out}.{part}" if out else str(part)
    return out


def _model_at(model: type[BaseModel], loc: Sequence[int | str]) -> type[BaseModel] | None:
    """The model class that holds the field at ``loc`` (walks nested models and lists)."""
    import typing

    cur: Any = model
    for part in loc:
        if isinstance(part, int) or part in ("full-field", "fractional"):
            continue
        if not (isinstance(cur, type) and issubclass(cur, BaseModel)) \
                or part not in cur.model_fields:
            return cur if isinstance(cur, type) and issubclass(cur, BaseModel) else None
        ann = cur.model_fields[part].annotation
        args: list[Any] = [a for a in typing.get_args(ann) if isinstance(a, type)] or [ann]
        cur = next((a for a in args if isinstance(a, type) and issubclass(a, BaseModel)),
                   args[0])
    return cur if isinstance(cur, type) and issubclass(cur, BaseModel) else None


def as_input_error(exc: ValidationError, model: type[BaseModel], prefix: str = "") -> InputError:
    """The first error of a pydantic validation as one :class:`InputError`."""
    err = exc.errors(include_url=False)[0]
    loc = err["loc"]
    cause = (err.get("ctx") or {}).get("error")
    if isinstance(cause, InputError):
        if cause.field:  # raised by a model rule that names its field
            return cause
        return InputError(_path(loc, prefix), cause.value, cause.allowed)
    field = _path(loc, prefix)
    kind = err["type"]
    if kind == "extra_forbidden":
        holder = _model_at(model, loc[:-1])
        known = sorted(holder.model_fields) if holder is not None else []
        return InputError(field, err["input"], "no such key; known keys: " + ", ".join(known))
    if kind == "missing":
        holder = _model_at(model, loc[:-1])
        info = holder.model_fields.get(str(loc[-1])) if holder is not None else None
        hint = (info.json_schema_extra or {}).get("x-required") \
            if info is not None and isinstance(info.json_schema_extra, dict) else None
        return InputError(field, None, str(hint or f"a value for {field} is required"))
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return InputError(field or "input", err["input"], "a table")
    if kind == "list_type":
        return InputError(field, err["input"], "a list of tables")
    if kind == "union_tag_invalid":
        return InputError(f"{field}.mode", (err.get("ctx") or {}).get("tag"),
                          "'full-field' or 'fractional'")
    return InputError(field or "input", err.get("input"), err["msg"])


def parse(model: type[BaseModel], data: Any, prefix: str = "") -> Any:
    """``model`` validated from ``data``; the first problem raised as an :class:`InputError`."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise as_input_error(exc, model, prefix) from None


# -- documentation ------------------------------------------------------------------------------
def _submodels(ann: Any) -> tuple[list[type[BaseModel]], bool]:
    """Models inside an annotation (unions, Annotated, lists), and whether it is a list."""
    import typing

    origin = typing.get_origin(ann)
    if origin is typing.Annotated:
        return _submodels(typing.get_args(ann)[0])
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return [ann], False
    if origin is list:
        return _submodels(typing.get_args(ann)[0])[0], True
    found: list[type[BaseModel]] = []
    for a in typing.get_args(ann):
        found += _submodels(a)[0]
    return found, False


def field_rows(model: type[BaseModel], prefix: str = "") -> list[tuple[str, str, str, str, str]]:
    """(field, unit, allowed, default, description + source) for every field, nested models
    included, from the model's declaration (the docs tables and their test)."""
    rows = []
    for name, info in model.model_fields.items():
        path = f"{prefix}.{name}" if prefix else name
        subs, many = _submodels(info.annotation)
        if subs:
            for sub in subs:
                rows += field_rows(sub, path + ("[]" if many else ""))
            continue
        meta = next((m for m in info.metadata if isinstance(m, _Checked)), None)
        unit = getattr(meta, "unit", "") if meta is not None else ""
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        if "x-default" in extra:
            default = str(extra["x-default"])
        elif info.is_required():
            default = "required"
        else:
            default = "-" if info.default is None else repr(info.default)
        desc = info.description or ""
        if extra.get("source"):
            desc += f" Source: {extra['source']}."
        rows.append((path, "" if unit == "dimensionless" else unit,
                     meta.allowed if meta is not None else "", default, desc))
    return rows


def markdown_table(model: type[BaseModel]) -> str:
    lines = ["| field | unit | allowed | default | description |",
             "| --- | --- | --- | --- | --- |"]
    for row in field_rows(model):
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in row) + " |")
    return "\n".join(lines)


# -- files ------------------------------------------------------------------------------------
#: largest input file read (bytes; a range check, not a physical number)
MAX_FILE_BYTES = 1_000_000


def read_toml(field: str, path: Any) -> dict:
    """A TOML input file as a dict: a regular UTF-8 file of at most ``MAX_FILE_BYTES``, valid
    TOML; anything else is one :class:`InputError` naming the file."""
    import tomllib
    from pathlib import Path

    p = Path(path)
    try:
        if not p.is_file():  # a folder, a pipe (would block), a device, nothing
            raise InputError(field, str(p), "an existing regular file")
        if p.stat().st_size > MAX_FILE_BYTES:
            raise InputError(field, str(p), f"a file of at most {MAX_FILE_BYTES:,} bytes")
        text = p.read_bytes().decode("utf-8")
    except OSError as exc:
        raise InputError(field, str(p), f"a readable TOML file ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise InputError(field, str(p), "a UTF-8 text file (TOML)") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(field, str(p), f"valid TOML ({exc})") from None
    except RecursionError:
        raise InputError(field, str(p), "TOML without deeply nested tables or arrays") from None
