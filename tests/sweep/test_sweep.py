"""Sweeps on Dask (issue 16): a real LocalCluster of 2 worker processes, started by the tests."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from dermalase import InputError
from dermalase.simulate import store
from dermalase.sweep import run_sweep, sweep_from_dict

BASE = {"name": "t", "skin": {"site": "cheek"},
        "laser": {"source": "er:yag", "pulse_duration": "250 us"},
        "delivery": {"fluence": {"from": "4 J/cm^2", "to": "12 J/cm^2", "steps": 3}},
        "numerics": {"geometry": "1d", "cooling_time": "0.5 s"}}


@pytest.fixture
def fresh_store(tmp_path, monkeypatch):
    """An empty simulation store (disk and memory) for each use."""
    def make(name: str) -> Path:
        folder = tmp_path / name
        monkeypatch.setenv("DERMALASE_CACHE", str(folder))
        monkeypatch.setattr(store, "_MEMORY", {})
        return folder
    return make


def _sweep(**changes):
    d = json.loads(json.dumps(BASE))
    for dotted, value in changes.items():
        sec, key = dotted.split(".")
        d[sec][key] = value
    return sweep_from_dict(d)


def _same(a: xr.Dataset, b: xr.Dataset) -> None:
    for v in a.data_vars:
        if a[v].dtype.kind == "f":
            np.testing.assert_array_equal(a[v].values, b[v].values, err_msg=v)
        else:
            assert list(a[v].values.ravel()) == list(b[v].values.ravel()), v


def test_a_local_cluster_of_2_workers_gives_the_serial_results_and_records_a_failure(
        fresh_store, monkeypatch):
    """Same seeds, same numbers, whatever the engine; a point refused by the resource guard
    records its one-line error in the dataset and the others go on."""
    sw = _sweep(**{"skin.site": ["cheek", "neck"]})
    sw_fail = sweep_from_dict(dict(json.loads(json.dumps(BASE)),
                                   numerics={"geometry": "1d", "cooling_time": "0.5 s",
                                             "resolution": [1.0, 8.0]}))
    monkeypatch.setenv("DERMALASE_MAX_SECONDS", "10")  # resolution 8: ~50 s predicted
    fresh_store("serial")
    serial = run_sweep(sw, workers=0)
    serial_fail = run_sweep(sw_fail, workers=0)
    fresh_store("cluster")
    cluster = run_sweep(sw, workers=2)
    assert cluster.attrs["engine"].startswith("LocalCluster, 2 worker(s)")
    assert cluster.attrs["computed"] == 6 and cluster.attrs["failed"] == 0
    _same(serial, cluster)
    assert serial["ablation_depth"].sizes == {"site": 2, "fluence": 3}
    assert serial["fluence"].attrs["field"] == "delivery.fluence"
    assert (np.diff(serial["ablation_depth"].values, axis=1) > 0).all()  # more fluence
    failed = run_sweep(sw_fail, workers=2)
    _same(serial_fail, failed)
    errors = failed["error"].sel(resolution=8.0).values
    assert all(e.startswith("numerics.resolution:") and "\n" not in e for e in errors)
    assert (failed["error"].sel(resolution=1.0).values == "").all()
    assert np.isnan(failed["ablation_depth"].sel(resolution=8.0)).all()
    assert failed.attrs["failed"] == 3


def test_an_interrupted_sweep_resumes_from_what_is_stored(tmp_path):
    """The sweep is killed (SIGKILL) once two points are stored; run again, it computes only
    the rest, and its results equal an uninterrupted run's."""
    spec = tmp_path / "s.toml"
    spec.write_text('name = "r"\n[skin]\nsite = "cheek"\n[laser]\nsource = "er:yag"\n'
                    'pulse_duration = "250 us"\n[delivery]\n'
                    'fluence = {from = "4 J/cm^2", to = "14 J/cm^2", steps = 6}\n'
                    '[numerics]\ngeometry = "1d"\ncooling_time = "2 s"\n')
    env = dict(os.environ, DERMALASE_CACHE=str(tmp_path / "store"))
    cmd = [sys.executable, "-m", "dermalase.cli", "sweep", str(spec), "--workers", "0",
           "--quiet", "--out"]
    proc = subprocess.Popen([*cmd, str(tmp_path / "never.nc")], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while len(list((tmp_path / "store").glob("*.json"))) < 2 and proc.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    kept = len(list((tmp_path / "store").glob("*.json")))
    assert 2 <= kept < 6, "the sweep finished before it could be interrupted"
    assert not (tmp_path / "never.nc").exists()
    r = subprocess.run([*cmd, str(tmp_path / "resumed.nc")], env=env, capture_output=True,
                       text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    resumed = xr.load_dataset(tmp_path / "resumed.nc")
    assert resumed.attrs["from_store"] == kept and resumed.attrs["computed"] == 6 - kept
    env["DERMALASE_CACHE"] = str(tmp_path / "other")
    r = subprocess.run([*cmd, str(tmp_path / "whole.nc")], env=env, capture_output=True,
                       text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    whole = xr.load_dataset(tmp_path / "whole.nc")
    assert whole.attrs["computed"] == 6
    _same(whole, resumed)


@pytest.mark.parametrize(("change", "field"), [
    ({"from": "4 J/cm^2", "to": "12 J/cm^2", "steps": 1}, "delivery.fluence.steps"),
    ({"from": "4 J/cm^2", "to": "12 mm", "steps": 3}, "delivery.fluence.to"),
    ({"from": "4 J/cm^2", "to": "4 J/cm^2", "steps": 3}, "delivery.fluence.to"),
    ({"from": "4 J/cm^2", "to": "1e9 J/cm^2", "steps": 3}, "delivery.fluence"),
    ({"from": "4 J/cm^2", "to": "12 J/cm^2", "steps": 3, "by": 2}, "delivery.fluence"),
    ({"from": "-4 J/cm^2", "to": "12 J/cm^2", "steps": 3, "scale": "log"},
     "delivery.fluence.from"),
    ({"from": "nan J/cm^2", "to": "12 J/cm^2", "steps": 3}, "delivery.fluence.from"),
])
def test_bad_ranges_are_one_line_errors_before_anything_runs(change, field):
    d = json.loads(json.dumps(BASE))
    d["delivery"]["fluence"] = change
    with pytest.raises(InputError) as err:
        sweep_from_dict(d)
    assert err.value.field == field and "\n" not in str(err.value)


def test_a_bad_point_names_the_point_and_the_command_line_says_it_in_one_line(tmp_path):
    spec = tmp_path / "s.toml"
    spec.write_text('[skin]\nsite = ["cheek", "elbow"]\n[laser]\nsource = "co2"\n'
                    'pulse_duration = "1 ms"\n[delivery]\nfluence = "5 J/cm^2"\n')
    r = subprocess.run([sys.executable, "-m", "dermalase.cli", "sweep", str(spec)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
    assert r.stderr.startswith("error: skin.site") and "skin.site = elbow" in r.stderr


def test_zarr_and_json_outputs_and_the_figure(tmp_path, fresh_store):
    fresh_store("z")
    spec = tmp_path / "s.toml"
    spec.write_text('[skin]\nsite = "cheek"\n[laser]\nsource = "er:yag"\n'
                    'pulse_duration = ["250 us", "1 ms"]\n[delivery]\n'
                    'fluence = {from = "5 J/cm^2", to = "15 J/cm^2", steps = 2}\n'
                    '[numerics]\ngeometry = "1d"\ncooling_time = "0.5 s"\n'
                    '[sweep]\ntarget_depth = ["20 um", "60 um"]\n')
    args = [sys.executable, "-m", "dermalase.cli", "sweep", str(spec), "--workers", "0"]
    env = dict(os.environ, DERMALASE_CACHE=str(tmp_path / "store"))
    r = subprocess.run([*args, "--out", str(tmp_path / "r.zarr"), "--figure",
                        str(tmp_path / "f.png"), "--json"], capture_output=True, text=True,
                       timeout=300, env=env)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    records = out["points"]
    assert len(records) == 4 and {"pulse_duration", "fluence", "ablation_depth",
                                  "deepest_layer", "error"} <= set(records[0])
    assert out["dims"] == ["pulse_duration", "fluence"]
    assert out["units"]["ablation_depth"] == "um"
    assert out["units"]["fluence"] == "J/cm^2"
    ds = xr.open_zarr(tmp_path / "r.zarr")
    assert ds["ablation_depth"].attrs["units"] == "um"
    assert ds["pulse_duration"].attrs["units"] == "us"
    assert ds["pulse_duration"].attrs["field"] == "laser.pulse_duration"
    assert list(ds["pulse_duration"].values) == [250.0, 1000.0]
    # the old names stay readable for one release
    np.testing.assert_array_equal(ds["ablation_depth_um"].values, ds["ablation_depth"].values)
    assert "deprecated" in ds["ablation_depth_um"].attrs
    assert (tmp_path / "f.png").read_bytes()[:4] == b"\x89PNG"
    # a second run replaces the store whole; a file in the way is refused up front
    r = subprocess.run([*args, "--out", str(tmp_path / "r.zarr"), "--quiet"],
                       capture_output=True, text=True, timeout=300, env=env)
    assert r.returncode == 0 and "4 from the store" in r.stdout, r.stderr
    (tmp_path / "x.zarr").write_text("not a store")
    r = subprocess.run([*args, "--out", str(tmp_path / "x.zarr")], capture_output=True,
                       text=True, timeout=300, env=env)
    assert r.returncode == 2 and r.stderr.count("\n") == 1
    assert (tmp_path / "x.zarr").read_text() == "not a store"


def test_the_built_in_example_is_a_valid_sweep():
    from importlib import resources

    from dermalase.sweep import read_sweep

    with resources.as_file(resources.files("dermalase").joinpath(
            "examples", "sweep_er_yag.toml")) as p:
        sw = read_sweep(p)
    assert [a.name for a in sw.axes] == ["laser.pulse_duration", "delivery.fluence"]
    assert sw.shape == (3, 7) and sw.target_depth == pytest.approx((50e-6, 100e-6))
    assert sw.axes[1].coords[0] == 2.0 and sw.axes[1].coords[-1] == 20.0


def test_an_unreachable_scheduler_is_a_one_line_error(tmp_path):
    spec = tmp_path / "s.toml"
    spec.write_text('[skin]\nsite = "cheek"\n[laser]\nsource = "er:yag"\n'
                    'pulse_duration = "250 us"\n[delivery]\nfluence = ["5 J/cm^2", "8 J/cm^2"]\n')
    env = dict(os.environ, DERMALASE_CACHE=str(tmp_path / "store"))
    r = subprocess.run([sys.executable, "-m", "dermalase.cli", "sweep", str(spec),
                        "--scheduler", "tcp://127.0.0.1:9", "--quiet"], capture_output=True,
                       text=True, timeout=120, env=env)
    assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
    assert r.stderr.startswith("error: --scheduler") and "Traceback" not in r.stderr
