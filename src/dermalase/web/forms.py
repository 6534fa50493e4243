"""HTML forms generated from the input models (``PatientSpec``, the scenario's sections): one
field per declared field, with its clinical unit, allowed range and help, and the conversion of
a submitted form back to the dict that the models parse. Field names are the paths that
:class:`~dermalase.errors.InputError` names (``patient.phototype``, ``concerns[0].kind``), so an
error is shown next to its field.

Units: every quantity is shown, and read, in the unit a clinic uses (µm, mm, J/cm², mJ, µs,
ms, °C), never in SI. **The unit printed beside a field is the unit a bare number in it
means**: ``12.5`` in the fluence field is 12.5 J/cm²; a value typed with its own unit
(``125 J/m^2``) is converted. The models inside still receive SI (issue 32, item 2).
"""

from __future__ import annotations

import re
import typing
from dataclasses import dataclass, replace
from typing import Any

from pydantic import BaseModel

from ..schema import Flag, Integer, Number, OneOf, Quantity, Text, _Checked, _submodels

#: concern rows the patient form shows at first; more are added on demand
CONCERN_ROWS = 1
#: most concern rows the web application takes per patient (a patient file may have more)
MAX_CONCERNS = 8

#: the clinical unit of each quantity field, by its path's last part (else by its SI unit)
CLINICAL_BY_FIELD = {
    "spot_diameter": "mm", "microbeam_diameter": "um", "wavelength": "nm",
    "pulse_duration": "us", "stack_interval": "ms", "train_duration": "ms",
    "pass_interval": "s", "cooling_time": "s", "fluence": "J/cm^2", "train_fluence": "J/cm^2",
    "density": "/cm^2", "area": "cm^2", "repetition_rate": "Hz", "water_absorption": "1/cm",
}
CLINICAL_BY_SI = {"m": "um", "s": "ms", "J/m^2": "J/cm^2", "J": "mJ", "1/m^2": "/cm^2",
                  "m^2": "cm^2", "1/m": "1/cm", "Hz": "Hz", "K": "K", "degC": "degC"}
#: how a unit is printed beside its field
PRETTY = {"um": "µm", "us": "µs", "J/cm^2": "J/cm²", "/cm^2": "per cm²", "cm^2": "cm²",
          "degC": "°C", "1/cm": "cm⁻¹", "mm": "mm", "ms": "ms", "nm": "nm", "mJ": "mJ"}


@dataclass(frozen=True)
class FormField:
    name: str          # the path, e.g. "concerns[0].kind"
    label: str
    kind: str          # text | integer | number | quantity | choice | answer | date | area
    required: bool
    unit: str = ""     # the unit a bare number means (pint's spelling), "" for none
    allowed: str = ""  # in clinical words and units
    help: str = ""
    choices: tuple[str, ...] = ()
    default: str = ""
    si_unit: str = ""  # the unit the model stores (quantities)
    choice_labels: tuple[str, ...] = ()  # what a person reads for each choice
    integer: bool = False  # the model takes a whole number (also when shown as a choice)

    def choice_pairs(self) -> list[tuple[str, str]]:
        labels = self.choice_labels or self.choices
        return list(zip(self.choices, labels, strict=False))

    @property
    def unit_shown(self) -> str:
        return PRETTY.get(self.unit, self.unit)


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


def factor(unit: str, si_unit: str) -> float:
    """How many ``si_unit`` one ``unit`` is (1 um -> 1e-6 m)."""
    from ..units import registry

    ureg = registry()
    u = "1" + unit if unit.startswith("/") else unit
    return float(ureg.Quantity(1.0, ureg.parse_units(u)).to(ureg.parse_units(si_unit)).magnitude)


def _g(x: float) -> str:
    return f"{x:.6g}"


def clinical_unit(path: str, si_unit: str) -> str:
    last = path.rsplit(".", 1)[-1]
    return CLINICAL_BY_FIELD.get(last, CLINICAL_BY_SI.get(si_unit, si_unit))


def _quantity_field(f: FormField, meta: Quantity, default_si: Any) -> FormField:
    unit = f.unit
    k = factor(unit, meta.unit)
    parts = []
    if meta.low is not None:
        parts.append(("from " if meta.low_inclusive else "above ") + _g(meta.low / k))
    if meta.high is not None:
        parts.append("up to " + _g(meta.high / k))
    allowed = (" ".join(parts) + f" {PRETTY.get(unit, unit)}").strip() if parts else \
        f"a value in {PRETTY.get(unit, unit)}"
    default = f.default
    if isinstance(default_si, int | float) and not isinstance(default_si, bool) \
            and not re.search(r"[A-Za-z]", default):
        default = _g(float(default_si) / k)
    elif default:  # "4 mm" as declared: shown in the field's unit
        from ..units import to_si

        default = _g(to_si(f.name, default, meta.unit) / k)
    return replace(f, allowed=allowed, default=default, si_unit=meta.unit)


def fields(model: type[BaseModel], prefix: str = "", rows: int = CONCERN_ROWS,
           optional: bool = False, mode: str = "") -> list[FormField]:
    """The form fields of ``model`` (nested models flattened; a list of models gets ``rows``
    rows, the first required). ``mode`` ("fractional") picks the fractional units."""
    out: list[FormField] = []
    for name, info in model.model_fields.items():
        path = f"{prefix}.{name}" if prefix else name
        subs, many = _submodels(info.annotation)
        if subs:
            for i in range(rows if many else 1):
                sub_path = f"{path}[{i}]" if many else path
                out += fields(subs[0], sub_path, rows, optional or (many and i > 0), mode)
            continue
        meta = next((m for m in info.metadata if isinstance(m, _Checked)), None)
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        default = str(extra["x-default"]) if "x-default" in extra else \
            "" if info.is_required() or info.default is None else str(info.default)
        kind = _kind(meta)
        unit = ""
        if isinstance(meta, Quantity) and meta.unit != "dimensionless":
            unit = clinical_unit(path, meta.unit)
            if name == "pulse_energy":  # a microbeam's energy is mJ, a full-field spot's J
                unit = "mJ" if mode == "fractional" else "J"
        f = FormField(
            name=path, label=_label(name), kind=kind,
            required=info.is_required() and not optional, unit=unit,
            allowed=meta.allowed if meta is not None else "",
            help=clinical_help(info.description or ""), choices=getattr(meta, "choices", ()),
            default=default, integer=isinstance(meta, Integer))
        if isinstance(meta, Quantity) and unit:
            f = _quantity_field(f, meta, info.default)
        elif isinstance(meta, Quantity):  # a fraction
            f = replace(f, kind="number", si_unit="1")
        out.append(f)
    return out


_DATA_REF = re.compile(r"\s*\([^()]*\bdata/[^()]*\)|\s*\bdata/[\w./-]+")
_SNAKE = re.compile(r"\b([a-z][a-z0-9]*(?:_[a-z0-9]+)+)\b")


def clinical_help(text: str) -> str:
    """Help text as a clinician reads it: no data-file paths, no snake_case keys."""
    text = _DATA_REF.sub("", text)
    return _SNAKE.sub(lambda m: m.group(1).replace("_", " "), text).replace(" ;", ";")


def _label(name: str) -> str:
    text = name.replace("_", " ")
    return text[:1].upper() + text[1:]


_INT = re.compile(r"^[+-]?\d+$")
_FLOAT = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def value(field: FormField, text: str) -> Any:
    """A submitted string as the model expects it. A bare number in a quantity field means the
    field's unit (it is given to the model with that unit); a string that is not of the
    field's kind is passed on as typed, so the model's own message names it."""
    text = text.strip()
    if (field.kind == "integer" or field.integer) and _INT.match(text):
        return int(text)
    if field.kind == "quantity" and _FLOAT.match(text):
        return f"{text} {field.unit}" if field.unit else float(text)
    if field.kind == "number" and _FLOAT.match(text):
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


def concern_rows(values: typing.Mapping[str, Any]) -> int:
    """How many concern rows a submitted or stored form holds."""
    idx = [int(m.group(1)) for k in values if (m := re.match(r"concerns\[(\d+)\]\.", k))]
    return min(max(idx, default=-1) + 1, MAX_CONCERNS) or CONCERN_ROWS


__all__ = ["FormField", "fields", "to_dict", "flatten", "error_field", "Text", "value",
           "factor", "concern_rows"]
