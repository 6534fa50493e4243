"""One declaration per input: every field of the scenario and patient models is parsed, listed
in the JSON Schema and in docs/inputs.md, all from the model (issue 11)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import pytest
from pydantic import Field

from dermalase import InputError, Scenario, simulate
from dermalase.inputs import MODELS, docs_page, json_schema
from dermalase.physics.constants import PhysicalConstants
from dermalase.schema import Integer, field_rows, parse
from dermalase.simulate.scenario import ScenarioSpec, SkinSpec

DOCS = Path(__file__).resolve().parents[1] / "docs" / "inputs.md"


def schema_paths(schema: dict) -> set[str]:
    """Dotted paths of every leaf property in a JSON Schema (``[]`` for list items)."""
    defs = schema.get("$defs", {})

    def walk(node: dict, path: str) -> set[str]:
        if "$ref" in node:
            return walk(defs[node["$ref"].split("/")[-1]], path)
        for key in ("anyOf", "oneOf"):
            subs = [s for s in node.get(key, []) if "$ref" in s or "properties" in s]
            if subs:
                return set().union(*(walk(s, path) for s in subs))
        if node.get("type") == "array" and "items" in node:
            return walk(node["items"], path + "[]")
        if "properties" in node:
            return set().union(*(walk(v, f"{path}.{k}" if path else k)
                                 for k, v in node["properties"].items()))
        return {path}

    return walk(schema, "")


@pytest.mark.parametrize("which", sorted(MODELS))
def test_every_field_is_in_the_json_schema_and_the_docs(which):
    rows = field_rows(MODELS[which])
    fields = {r[0] for r in rows}
    assert len(fields) > 10
    assert schema_paths(json_schema(which)) == fields
    page = DOCS.read_text(encoding="utf-8")
    for r in rows:
        assert f"| {r[0]} |" in page, f"{r[0]} is missing from docs/inputs.md"


def test_docs_page_is_current():
    assert DOCS.read_text(encoding="utf-8") == docs_page(), \
        "docs/inputs.md is stale: run scripts/inputs_table.py"


def test_a_field_added_in_one_place_appears_everywhere():
    class Skin2(SkinSpec):
        freckles: Annotated[int, Integer(0, 3)] = Field(0, description="Freckle grade.")

    class Scenario2(ScenarioSpec):
        skin: Skin2

    assert ("skin.freckles", "", "an integer 0-3", "0", "Freckle grade.") in field_rows(Scenario2)
    assert "skin.freckles" in schema_paths(Scenario2.model_json_schema())
    base = {"skin": {"site": "cheek", "freckles": 2},
            "laser": {"source": "er:yag", "pulse_duration": "250 us"},
            "delivery": {"fluence": "10 J/cm^2"}}
    assert parse(Scenario2, base).skin.freckles == 2
    with pytest.raises(InputError) as err:
        parse(Scenario2, {**base, "skin": {"freckles": 9}})
    assert err.value.field == "skin.freckles" and "0-3" in err.value.allowed
    with pytest.raises(InputError) as err:  # and the original model does not know it
        Scenario.from_dict(base)
    assert err.value.field == "skin.freckles"


def test_schema_command_prints_the_json_schema():
    r = subprocess.run([sys.executable, "-m", "dermalase.cli", "schema", "patient"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    schema = json.loads(r.stdout)
    assert "history.isotretinoin_months_ago" in schema_paths(schema)


def test_beam_quality_can_be_set_and_round_trips():
    d = {"skin": {"site": "neck"}, "laser": {"source": "co2", "pulse_duration": "600 us"},
         "delivery": {"mode": "fractional", "microbeam_diameter": "120 um",
                      "pulse_energy": "20 mJ", "density": "100 /cm^2", "beam_quality": 1.3}}
    sc = Scenario.from_dict(d)
    assert sc.delivery.beam_quality == 1.3
    assert sc.resolved()["delivery"]["beam_quality"] == 1.3
    assert Scenario.from_dict(sc.to_dict()).resolved() == sc.resolved()
    with pytest.raises(InputError) as err:
        Scenario.from_dict({**d, "delivery": {**d["delivery"], "beam_quality": 0.5}})
    assert err.value.field == "delivery.beam_quality"


def test_replace_changes_a_field_and_revalidates():
    sc = Scenario.from_dict({"skin": {"site": "cheek"},
                             "laser": {"source": "er:yag", "pulse_duration": "250 us"},
                             "delivery": {"fluence": "10 J/cm^2"}})
    two = sc.replace(delivery={"passes": 2, "fluence": "5 J/cm^2"})
    assert (two.delivery.passes, two.delivery.fluence) == (2, pytest.approx(5e4))
    assert sc.delivery.passes == 1  # the original is unchanged
    with pytest.raises(InputError) as err:
        sc.replace(delivery={"passes": 99})
    assert err.value.field == "delivery.passes"


# -- physical constants through the API (no patching) ----------------------------------------
BASE = {"skin": {"site": "cheek"}, "laser": {"source": "er:yag", "pulse_duration": "250 us"},
        "delivery": {"fluence": "12.5 J/cm^2"}}


def test_a_tissue_constant_overridden_through_the_api_changes_the_result():
    sc = Scenario.from_dict(BASE)
    base = simulate(sc).typed
    k = sc.constants
    # 50 % more latent heat: each cell needs more energy to boil off, so the steady-state
    # ablation depth (fluence above threshold / ablation enthalpy, dominated by the latent
    # heat) must fall by roughly a third; by at least 20 % here
    hot = simulate(sc.replace(constants=k.replace(water_latent_heat=1.5 * k.water_latent_heat)))
    assert hot.typed.ablation_depth < 0.8 * base.ablation_depth
    assert hot.summary["scenario"]["constants"] == {"water_latent_heat": pytest.approx(
        1.5 * k.water_latent_heat)}
    assert "constants" not in simulate(sc).summary["scenario"]
    # the data files still give the original value: nothing was patched
    assert PhysicalConstants.from_data().water_latent_heat == k.water_latent_heat


def test_bad_constant_names_the_field():
    k = PhysicalConstants.from_data()
    with pytest.raises(InputError) as err:
        k.replace(ejection_delay=float("nan"))
    assert err.value.field == "constants.ejection_delay"
    with pytest.raises(InputError) as err:
        k.replace(plume_absorbing_fraction=1.5)
    assert err.value.field == "constants.plume_absorbing_fraction"
    with pytest.raises(InputError) as err:
        k.replace(speed_of_light=3e8)
    assert err.value.field == "constants.speed_of_light"
