"""HTML forms generated from the input models (``PatientSpec``, the scenario's sections): one
field per declared field, with its unit, allowed range and description, and the conversion of
a submitted form back to the dict that the models parse. Field names are the paths that
:class:`~dermalase.errors.InputError` names (``patient.phototype``, ``concerns[0].kind``), so an
error is shown next to its field."""

from __future__ import annotations

import re
import typing
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from ..schema import Flag, Integer, Number, OneOf, Quantity, Text, _Checked, _submodels

#: number of concern rows on the patient form: the web application's limit per patient (a
#: patient file for the command line may have more)
CONCERN_ROWS = 3


@dataclass(frozen=True)
class FormField:
    name: str          # the path, e.g. "concerns[0].kind"
    label: str
    kind: str          # text | integer | number | quantity | choice | answer
    required: bool
    unit: str = ""
    allowed: str = ""
    help: str = ""
    choices: tuple[str, ...] = ()
    default: str = ""


def _kind(meta: _Checked | None) -> str:
    if isinstance(meta, OneOf):
        return "choice"
    if isinstance(meta, Flag):
        return "answer"
    if isinstance(meta, Integer):
        return "integer"
    if isinstance(meta, Number):
        return "number"
    if isinstance(meta, Quantity):
        return "quantity"
    return "text"


def fields(model: type[BaseModel], prefix: str = "", rows: int = CONCERN_ROWS,
           optional: bool = False) -> list[FormField]:
    """The form fields of ``model`` (nested models flattened; a list of models gets ``rows``
    rows, the first required)."""
    out: list[FormField] = []
    for name, info in model.model_fields.items():
        path = f"{prefix}.{name}" if prefix else name
        subs, many = _submodels(info.annotation)
        if subs:
            for i in range(rows if many else 1):
                sub_path = f"{path}[{i}]" if many else path
                out += fields(subs[0], sub_path, rows, optional or (many and i > 0))
            continue
        meta = next((m for m in info.metadata if isinstance(m, _Checked)), None)
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        default = str(extra["x-default"]) if "x-default" in extra else \
            "" if info.is_required() or info.default is None else str(info.default)
        out.append(FormField(
            name=path, label=name.replace("_", " "), kind=_kind(meta),
            required=info.is_required() and not optional,
            unit=getattr(meta, "unit", "") if getattr(meta, "unit", "") != "dimensionless"
            else "", allowed=meta.allowed if meta is not None else "",
            help=info.description or "", choices=getattr(meta, "choices", ()),
            default=default))
    return out


_INT = re.compile(r"^[+-]?\d+$")
_FLOAT = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def value(field: FormField, text: str) -> Any:
    """A submitted string as the model expects it; a string that is not of the field's kind is
    passed on as typed, so the model's own message names it."""
    text = text.strip()
    if field.kind == "integer" and _INT.match(text):
        return int(text)
    if field.kind in ("number", "quantity") and _FLOAT.match(text):
        return float(text)
    if field.kind == "answer":
        return {"yes": True, "no": False}.get(text, text)
    return text


def to_dict(form_fields: list[FormField], form: typing.Mapping[str, str]) -> dict:
    """The nested dict of a submitted form: blank fields are left out (the model's default or
    its 'missing' message applies), and list rows left wholly blank are dropped."""
    out: dict[str, Any] = {}
    for f in form_fields:
        text = form.get(f.name, "")
        if not isinstance(text, str) or not text.strip():
            continue
        _put(out, f.name, value(f, text))
    for key, v in list(out.items()):
        if isinstance(v, dict) and v and all(k.isdigit() for k in v):
            out[key] = [v[k] for k in sorted(v, key=int)]
    return out


def _put(d: dict, path: str, v: Any) -> None:
    parts = re.findall(r"[^.\[\]]+", path)
    for p in parts[:-1]:
        d = d.setdefault(p, {})
    d[parts[-1]] = v


def flatten(d: dict, prefix: str = "") -> dict[str, str]:
    """The form values of a stored dict (the inverse of :func:`to_dict`)."""
    out: dict[str, str] = {}
    for k, v in d.items():
        path = f"{prefix}.{k}" if prefix else k
        if isinstance(v, dict):
            out.update(flatten(v, path))
        elif isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            for i, x in enumerate(v):
                out.update(flatten(x, f"{path}[{i}]"))
        elif isinstance(v, bool):
            out[path] = "yes" if v else "no"
        elif v is not None:
            out[path] = str(v)
    return out


def error_field(field: str) -> str:
    """The form field an InputError names (``concerns[0].severity``), as the form names it."""
    return field.split(" ", 1)[0]


__all__ = ["FormField", "fields", "to_dict", "flatten", "error_field", "Text"]
