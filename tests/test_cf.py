"""The datasets follow the CF conventions as far as they apply (issue 35): checked with
cf-xarray (flags decoded by meaning, bounds found, units parsed as UDUNITS strings) and by the
rules cf-xarray does not check (names: no dots, no units in names; a long_name and units on
every variable; no sentinel values)."""

from __future__ import annotations

import re

import numpy as np
import pytest

import dermalase

cf_xarray = pytest.importorskip("cf_xarray", reason="cf-xarray is in the test extra")
from cf_xarray.units import units as udunits  # noqa: E402

ER = {"skin": {"site": "cheek"}, "laser": {"source": "er:yag", "pulse_duration": "250 us"},
      "delivery": {"fluence": "10 J/cm^2"}, "numerics": {"geometry": "1d", "cooling_time": "0.5 s"}}
NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")  # CF 2.3: letters, digits, underscores
UNIT_SUFFIX = re.compile(r"_(um|C|K|J|J_m2|per_cm2|mm3_per_cm2|days)$")


def _check_common(ds, allow_legacy: bool = False) -> None:
    assert ds.attrs["Conventions"].startswith("CF-")
    for name in list(ds.dims) + list(ds.variables):
        assert NAME.match(str(name)), name
    legacy = set(ds.attrs.get("legacy_names", "").split()) if allow_legacy else set()
    for name, var in {**ds.coords, **ds.data_vars}.items():
        if name in legacy:
            assert "deprecated" in var.attrs
            continue
        assert not UNIT_SUFFIX.search(str(name)), name
        assert var.attrs.get("long_name"), name
        if var.dtype.kind == "f":
            assert "units" in var.attrs, name
        if "units" in var.attrs:
            udunits.Unit(var.attrs["units"])  # a unit UDUNITS (and cf-xarray) reads
        if "flag_meanings" in var.attrs:
            assert len(var.attrs["flag_meanings"].split()) == len(var.attrs["flag_values"])


def test_a_simulation_dataset_is_cf(tmp_path, monkeypatch):
    monkeypatch.setenv("DERMALASE_CACHE", str(tmp_path))
    one_d = dermalase.simulate(ER).dataset
    _check_common(one_d)
    assert one_d["r"].values.tolist() == [0.0]  # one column on the axis: no 1e6 um face
    assert "r_faces" not in one_d and "r_bounds" not in one_d
    layer = one_d["layer"]
    epidermis = (layer.cf == "epidermis").values  # cf-xarray decodes the flags by meaning
    z = one_d["z"].values[epidermis]
    sc = dermalase.Scenario.from_dict(ER)
    top = {la.name: la for la in sc.skin.layers}
    sc_thick = top["stratum_corneum"].thickness * 1e6
    assert z.min() >= sc_thick - 1 and z.max() <= sc_thick + top["epidermis"].thickness * 1e6 + 1
    rz = dermalase.simulate({**ER, "delivery": {"fluence": "10 J/cm^2", "spot_diameter":
                                                "0.3 mm"},
                             "numerics": {"geometry": "rz", "cooling_time": "0.05 s"}}).dataset
    _check_common(rz)
    assert rz.cf.bounds == {"r": ["r_bounds"]}
    b = rz["r_bounds"].values
    assert b[0, 0] == 0.0 and np.all(b[1:, 0] == b[:-1, 1])  # contiguous cells from the axis
    assert np.all((b[:, 0] < rz["r"].values) & (rz["r"].values < b[:, 1]))
    assert np.isfinite(b).all() and b.max() < 1e5  # µm: no sentinel face


def test_a_sweep_dataset_is_cf(tmp_path, monkeypatch):
    monkeypatch.setenv("DERMALASE_CACHE", str(tmp_path))
    from dermalase.simulate import store

    monkeypatch.setattr(store, "_MEMORY", {})
    ds = dermalase.sweep({**ER, "skin": {"site": ["cheek", "neck"]},
                          "delivery": {"fluence": ["6 J/cm^2", "12 J/cm^2"], "passes": 2}},
                         workers=0)
    _check_common(ds, allow_legacy=True)
    assert set(ds.dims) == {"site", "fluence", "pass"}
    assert ds["fluence"].attrs == {"long_name": "Fluence per pulse", "field": "delivery.fluence",
                                   "units": "J/cm^2"}
    assert ds["ablation_depth"].attrs["units"] == "um"
    assert ds["peak_temperature"].attrs["units"] == "degC"
    assert ds["reepithelialization_time"].attrs["units"] == "d"
    assert ds["ablation_per_pass"].dims == ("site", "fluence", "pass")
    # per-point metadata is an attribute, not a variable
    assert "version" not in ds and "definitions_coverage" not in ds
    assert ds["surface_injury_fraction"].attrs["comment"].startswith("injured surface")
    reached = ds["deepest_layer"]
    assert set(reached.attrs["flag_meanings"].split()) >= {"epidermis", "papillary_dermis"}
    layers = [reached.attrs["flag_meanings"].split()[int(v)] for v in reached.values.ravel()]
    assert all(name in {"stratum_corneum", "epidermis", "papillary_dermis",
                        "reticular_dermis", "subcutis"} for name in layers)
    np.testing.assert_array_equal(ds["ablation_depth_um"].values, ds["ablation_depth"].values)
    # figures label their axes in words and clinical units
    from dermalase.sweep.figures import dose_response_figure

    fig = dose_response_figure(ds)
    assert fig.axes[0].get_xlabel() == "Fluence per pulse (J/cm²)"
    assert fig.axes[0].get_ylabel().startswith("Body site")
    curve = dose_response_figure(ds.isel(site=0, drop=True))
    assert curve.axes[0].get_ylabel() == "depth below the skin surface (µm)"
