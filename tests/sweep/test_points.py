"""Sweep points say what they simulate (issue 30, items 4-6): one rule for bare numbers (the
scenario's: SI), points compared in SI, and the sweep's time, memory and worker guards."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from dermalase import InputError
from dermalase.simulate import store
from dermalase.sweep import run_sweep, sweep_from_dict
from dermalase.sweep.engine import cap_workers

BASE = {"name": "t", "skin": {"site": "cheek"},
        "laser": {"source": "er:yag", "pulse_duration": "250 us"},
        "delivery": {"fluence": "8 J/cm^2"},
        "numerics": {"geometry": "1d", "cooling_time": "0.5 s"}}


def _with(section: str, key: str, value) -> dict:
    d = json.loads(json.dumps(BASE))
    d[section][key] = value
    return d


@pytest.fixture
def fresh_store(tmp_path, monkeypatch):
    monkeypatch.setenv("DERMALASE_CACHE", str(tmp_path / "store"))
    monkeypatch.setattr(store, "_MEMORY", {})
    return tmp_path / "store"


def test_a_bare_number_in_a_list_is_si_and_the_coordinate_is_what_is_simulated():
    """["1 ms", 0.01]: the bare 0.01 is 0.01 s (as in a scenario file), i.e. 10 ms."""
    sw = sweep_from_dict(_with("laser", "pulse_duration", ["1 ms", 0.01]))
    axis = sw.axes[0]
    assert axis.unit == "ms" and axis.coords == (1.0, 10.0)
    simulated = [sc.delivery.pulse_duration for sc in sw.scenarios]
    assert simulated == pytest.approx([1e-3, 1e-2], rel=1e-12)
    assert [c * 1e-3 for c in axis.coords] == pytest.approx(simulated, rel=1e-12)


def test_a_bare_end_of_a_range_is_si_whichever_end_it_is():
    """{from = "1 ms", to = 0.01}: 1 to 10 ms; {from = 20000, to = "20 J/cm^2"}: 20,000 J/m^2
    is 2 J/cm^2 (1 J/cm^2 = 10^4 J/m^2), so 2, 11 and 20 J/cm^2."""
    sw = sweep_from_dict(_with("laser", "pulse_duration", {"from": "1 ms", "to": 0.01,
                                                           "steps": 3}))
    assert sw.axes[0].coords == (1.0, 5.5, 10.0) and sw.axes[0].unit == "ms"
    assert [sc.delivery.pulse_duration for sc in sw.scenarios] == \
        pytest.approx([1e-3, 5.5e-3, 1e-2], rel=1e-12)
    sw = sweep_from_dict(_with("delivery", "fluence", {"from": 20000, "to": "20 J/cm^2",
                                                       "steps": 3}))
    assert sw.axes[0].coords == (2.0, 11.0, 20.0) and sw.axes[0].unit == "J/cm^2"
    assert [sc.delivery.fluence for sc in sw.scenarios] == \
        pytest.approx([2e4, 1.1e5, 2e5], rel=1e-12)


def test_bare_numbers_alone_are_shown_in_the_fields_clinical_unit():
    sw = sweep_from_dict(_with("delivery", "fluence", [50000, 100000]))
    assert sw.axes[0].unit == "J/cm^2" and sw.axes[0].coords == (5.0, 10.0)
    sw = sweep_from_dict(_with("delivery", "passes", {"from": 1, "to": 3, "steps": 3}))
    assert [sc.delivery.passes for sc in sw.scenarios] == [1, 2, 3]


def test_the_same_quantity_twice_is_refused_compared_in_si():
    """5 J/cm^2 and 50,000 J/m^2 are one fluence."""
    with pytest.raises(InputError) as err:
        sweep_from_dict(_with("delivery", "fluence", ["5 J/cm^2", "50000 J/m^2"]))
    assert err.value.field == "delivery.fluence" and "\n" not in str(err.value)
    assert "twice" in str(err.value)
    with pytest.raises(InputError, match="twice"):
        sweep_from_dict(_with("delivery", "fluence", {"from": "10 J/cm^2",
                                                      "to": "10.0000000001 J/cm^2",
                                                      "steps": 20}))


def test_a_narrow_range_gives_as_many_distinct_points_as_steps():
    """{from = 10, to = 10.00001 J/cm^2, steps = 20} was 20 identical points once rounded to 6
    figures: every point now simulates its own fluence, and its coordinate differs."""
    sw = sweep_from_dict(_with("delivery", "fluence", {"from": "10 J/cm^2",
                                                       "to": "10.00001 J/cm^2", "steps": 20}))
    simulated = [sc.delivery.fluence for sc in sw.scenarios]
    assert len(set(simulated)) == 20 and len(set(sw.axes[0].coords)) == 20
    assert simulated[0] == 1e5 and simulated[-1] == pytest.approx(100000.1, rel=1e-12)


def test_workers_are_capped_by_cores_and_tasks():
    cores = os.cpu_count() or 1
    n, note = cap_workers(1024, 3)
    assert n == min(cores, 3) and "1024 asked" in note
    assert cap_workers(1, 10) == (1, "")


def test_1024_workers_on_a_small_machine_start_no_more_than_it_has(tmp_path):
    """--workers 1024 for two points: a LocalCluster of at most 2 workers (one per task), and
    the engine says it was capped."""
    spec = tmp_path / "s.toml"
    spec.write_text('[skin]\nsite = "cheek"\n[laser]\nsource = "er:yag"\n'
                    'pulse_duration = "250 us"\n[delivery]\nfluence = ["5 J/cm^2", "8 J/cm^2"]\n'
                    '[numerics]\ngeometry = "1d"\ncooling_time = "0.5 s"\n')
    env = dict(os.environ, DERMALASE_CACHE=str(tmp_path / "store"))
    r = subprocess.run([sys.executable, "-m", "dermalase", "sweep", str(spec), "--workers",
                        "1024", "--json"], capture_output=True, text=True, timeout=300, env=env)
    assert r.returncode == 0, r.stderr
    engine = json.loads(r.stdout)["attrs"]["engine"]
    assert engine.startswith("LocalCluster, ") and "1024 asked" in engine
    assert int(engine.split(", ")[1].split()[0]) <= min(2, os.cpu_count() or 1)


def test_a_sweep_predicted_past_the_limit_is_refused_unless_yes(fresh_store, monkeypatch,
                                                                 tmp_path):
    """Each point fits the single-run limit but the whole sweep does not: refused in one line
    naming --yes (its first points, timed for the estimate, are kept); --yes runs it."""
    monkeypatch.setenv("DERMALASE_MAX_SECONDS", "1.5")
    d = _with("delivery", "fluence", {"from": "3 J/cm^2", "to": "12 J/cm^2", "steps": 15})
    d["laser"]["pulse_duration"] = {"from": "100 us", "to": "300 us", "steps": 10}
    d["numerics"]["cooling_time"] = "0.05 s"
    sw = sweep_from_dict(d)
    with pytest.raises(InputError) as err:
        run_sweep(sw, workers=0)
    assert err.value.field == "sweep" and "--yes" in str(err.value)
    assert "150 points" in str(err.value) and "\n" not in str(err.value)
    assert len(list(fresh_store.glob("*.json"))) <= 2  # only the timed points ran
    ds = run_sweep(sw, workers=0, yes=True)
    assert ds.attrs["computed"] + ds.attrs["from_store"] == 150 and ds.attrs["failed"] == 0


def test_a_small_study_on_a_small_machine_runs_serially_and_says_why(fresh_store):
    sw = sweep_from_dict(_with("delivery", "fluence", ["4 J/cm^2", "6 J/cm^2", "8 J/cm^2",
                                                       "10 J/cm^2"]))
    ds = run_sweep(sw)  # workers=None: the engine is chosen
    assert ds.attrs["engine"].startswith("serial (chosen:"), ds.attrs["engine"]
    assert ds.attrs["computed"] == 4 and ds.attrs["failed"] == 0


def test_a_study_of_samples_past_the_limit_names_its_count(fresh_store, monkeypatch):
    """--uncertainty has no --yes: its refusal names the count of samples to lower."""
    from dermalase import Scenario
    from dermalase.sweep.uncertainty import run_uncertainty

    monkeypatch.setenv("DERMALASE_MAX_SECONDS", "1.5")
    sc = Scenario.from_dict({**BASE, "numerics": {"geometry": "1d", "cooling_time": "0.05 s"}})
    with pytest.raises(InputError) as err:
        run_uncertainty(sc, 400, workers=0)
    assert err.value.field == "--uncertainty" and "fewer samples" in str(err.value)
    assert "--yes" not in str(err.value)


def test_workers_that_would_not_fit_in_memory_are_refused_before_a_cluster_starts(
        fresh_store, monkeypatch):
    """Each worker holds ~0.3 GB besides its point: two of them do not fit in 0.5 GB."""
    if (os.cpu_count() or 1) < 2:
        pytest.skip("one core: two workers are capped at one, which fits")
    monkeypatch.setenv("DERMALASE_MAX_MEMORY_GB", "0.5")
    sw = sweep_from_dict(_with("delivery", "fluence", ["4 J/cm^2", "6 J/cm^2", "8 J/cm^2"]))
    with pytest.raises(InputError) as err:
        run_sweep(sw, workers=2)
    assert err.value.field == "--workers" and err.value.value == 2
    assert "0.5 GB" in str(err.value) and "\n" not in str(err.value)
    ds = run_sweep(sw, workers=0)  # here, one point at a time, it fits
    assert ds.attrs["failed"] == 0
