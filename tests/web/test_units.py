"""Issue 32, item 2: the unit printed beside a form field is the unit a bare number in it means,
for every quantity field of every form (the physics forms in both delivery modes and the form
of every catalogue device); and results are shown in clinical units."""

from __future__ import annotations

import math
import re
from functools import lru_cache
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dermalase.web import forms

TEMPLATES = Path(forms.__file__).parent / "templates"
#: how a printed unit is written for pint (the inverse of forms.PRETTY)
PRINTED = {v: k for k, v in forms.PRETTY.items()}


@lru_cache(maxsize=1)
def all_fields() -> list[tuple[str, forms.FormField, object]]:
    """(form, field, the checker the model applies) for every quantity field with a unit."""
    from dermalase.devices import catalogue
    from dermalase.devices.resolve import in_unit
    from dermalase.schema import Quantity, _Checked
    from dermalase.simulate.scenario import (
        FractionalSpec,
        FullFieldSpec,
        LaserSpec,
        NumericsSpec,
        SkinSpec,
    )
    from dermalase.web.routers.simulations import device_fields, scenario_fields

    models = {"skin": SkinSpec, "laser": LaserSpec, "numerics": NumericsSpec}
    out = []
    for mode, delivery in (("full-field", FullFieldSpec), ("fractional", FractionalSpec)):
        for f in scenario_fields(mode):
            if f.kind != "quantity" or not f.unit:
                continue
            sec, name = f.name.split(".", 1)
            model = delivery if sec == "delivery" else models[sec]
            meta = next(m for m in model.model_fields[name].metadata if isinstance(m, _Checked))
            assert isinstance(meta, Quantity)
            out.append((mode, f, meta.check))
    for key, dev in catalogue().items():
        if dev.unsupported:
            continue
        for f in device_fields(key):
            if f.kind != "quantity" or not f.unit or not f.name.startswith("device."):
                continue
            unit = f.unit

            def check(v, f=f, unit=unit):
                return in_unit(f.name, v, unit)
            out.append((key, f, check))
    return out


@lru_cache(maxsize=1)
def _field_macro():
    from jinja2 import Environment, FileSystemLoader

    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True)
    return env.get_template("_fields.html").module.field


def printed_unit(f: forms.FormField) -> str:
    """The unit the page prints beside the field, read from the rendered HTML."""
    html = str(_field_macro()(f, {}, None, None))
    m = re.search(r'<span class="unit">\(([^)]*)\)</span>', html)
    assert m, f"no unit printed beside {f.name}"
    return m.group(1)


def test_every_quantity_field_prints_a_unit_and_the_forms_have_many():
    fields = all_fields()
    assert len(fields) >= 30  # both modes and the devices: the property covers them all
    for _, f, _ in fields:
        assert printed_unit(f) in PRINTED or printed_unit(f) == f.unit, f.name
        assert f.unit not in ("m", "J/m^2", "1/m^2", "m^2", "J/m^2"), f"{f.name} shown in SI"


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_a_bare_number_means_the_unit_printed_beside_the_field(data):
    form, f, check = data.draw(st.sampled_from(all_fields()), label="field")
    x = data.draw(st.floats(min_value=1e-3, max_value=1e4, allow_nan=False), label="number")
    unit = PRINTED.get(printed_unit(f), printed_unit(f))
    text = f"{x:.6g}"
    try:
        with_unit = check(f"{text} {unit}")
    except Exception as exc:  # out of the field's range: the bare number must be refused too
        with pytest.raises(type(exc)):
            check(forms.value(f, text))
        return
    bare = check(forms.value(f, text))
    assert math.isclose(bare, with_unit, rel_tol=1e-12), (form, f.name, text, unit)


def test_the_fluence_trap_cannot_recur():
    """12.5 in the fluence field is 12.5 J/cm^2 = 125,000 J/m^2, not 12.5 J/m^2."""
    from dermalase.web.routers.simulations import scenario_fields

    f = next(x for x in scenario_fields("full-field") if x.name == "delivery.fluence")
    d = forms.to_dict([f], {"delivery.fluence": "12.5"})
    from dermalase.simulate.scenario import FullFieldSpec

    assert FullFieldSpec.model_validate(d["delivery"]).fluence == pytest.approx(12.5e4)
    assert printed_unit(f) == "J/cm²"
