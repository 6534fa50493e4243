"""The input models (scenario and patient), their JSON Schemas and the docs tables."""

from __future__ import annotations

from typing import Any

from ._version import __version__
from .planner.patient import PatientSpec
from .schema import Spec, markdown_table
from .simulate.scenario import ScenarioSpec

MODELS: dict[str, type[Spec]] = {"scenario": ScenarioSpec, "patient": PatientSpec}


def json_schema(which: str) -> dict[str, Any]:
    """JSON Schema of the ``scenario`` or ``patient`` file (strings with units accepted where a
    field has ``x-unit``; numbers are taken in that SI unit)."""
    model = MODELS[which]
    out = model.model_json_schema()
    out["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    out["$id"] = f"dermalase-{which}-{__version__}"
    return out


def docs_page() -> str:
    """docs/inputs.md: one table per input file, generated from the models."""
    parts = ["# Input files", "",
             "Generated from the input models (`dermalase.simulate.scenario.ScenarioSpec`, "
             "`dermalase.planner.patient.PatientSpec`) by `scripts/inputs_table.py`; "
             "`tests/test_schema.py` checks that this page is current. The same declaration "
             "parses the files and gives `dermalase schema scenario|patient`. Quantities take a "
             "string with units (`\"250 um\"`) or a number in the SI unit shown.", ""]
    for which, model in MODELS.items():
        parts += [f"## {which.capitalize()} file", "", markdown_table(model), ""]
    return "\n".join(parts)
