"""The second round of hostile input (issue 30, items 2 and 10): each with the input that found
it, or one of its kind."""

from __future__ import annotations

import math
import os
import threading

import pytest

from dermalase import InputError, Scenario, simulate
from dermalase.simulate import store
from dermalase.simulate.scenario import LIMITS


def fractional(energy: str, beam: str, source: str = "co2", tau: str = "1 ms") -> dict:
    return {"skin": {"site": "cheek"}, "laser": {"source": source, "pulse_duration": tau},
            "delivery": {"mode": "fractional", "microbeam_diameter": beam,
                         "pulse_energy": energy, "coverage": 0.05}}


# -- item 2: the local (microbeam) fluence ----------------------------------------------------
def test_half_a_joule_into_a_20_um_microbeam_is_refused_in_one_line():
    """0.5 J into 20 um is ~160,000 J/cm^2 (0.5 / (pi x 0.001^2) cm^2); full field refuses
    anything over 200 J/cm^2, and the microbeam now has its own cap."""
    with pytest.raises(InputError) as err:
        Scenario.from_dict(fractional("0.5 J", "20 um"))
    msg = str(err.value)
    assert err.value.field == "delivery.pulse_energy" and "\n" not in msg
    assert "500 mJ" in msg and "5,000 J/cm^2" in msg and "159,155 J/cm^2" in msg


def test_the_cap_is_at_its_declared_value():
    cap = LIMITS["microbeam_fluence"][1]
    area = math.pi * (60e-6) ** 2 / 4
    Scenario.from_dict(fractional(cap * area * (1 - 1e-6), "60 um"))
    with pytest.raises(InputError):
        Scenario.from_dict(fractional(cap * area * 1.01, "60 um"))


@pytest.mark.parametrize(("energy", "beam", "source", "tau"), [
    ("40 mJ", "120 um", "co2", "1.333 ms"),   # Hantash 2007: 40 mJ, 120 um, 30 W (354 J/cm^2)
    ("70 mJ", "60 um", "er:glass", "2.333 ms"),  # Katz (E55) 70 mJ; 60 um: nafl_zone's beam
    ("35 mJ", "200 um", "co2", "1 ms"),       # YouLaser CO2, E18 (111 J/cm^2)
])
def test_every_sourced_microbeam_setting_is_inside_the_cap(energy, beam, source, tau):
    sc = Scenario.from_dict(fractional(energy, beam, source, tau))
    d = sc.delivery
    local = d.pulse_energy / (math.pi * d.microbeam_diameter ** 2 / 4)
    assert local <= LIMITS["microbeam_fluence"][1]


def test_a_device_setting_beyond_the_cap_names_its_device():
    from dermalase.devices import scenario_from_dict

    with pytest.raises(InputError) as err:
        scenario_from_dict({"skin": {"site": "cheek"},
                            "device": {"name": "fraxel-restore", "energy": "40 mJ",
                                       "treatment_level": 4, "microbeam_diameter": "20 um"}})
    assert err.value.field.startswith("delivery.pulse_energy (resolved from the fraxel-restore")


# -- item 10: a "pulse train" warning on a single pulse ------------------------------------------
def train_warnings(summary):
    return [w for w in summary["warnings"] if "pulse train" in w]


def test_a_single_co2_pulse_has_no_train_warning():
    """A 1 us CO2 pulse of 30 J/cm^2 goes on ablating after it ends; the tissue removed while it
    cooled was counted as removed by a train the scenario does not have."""
    s = simulate({"skin": {"site": "cheek"},
                  "laser": {"source": "co2", "pulse_duration": "1 us"},
                  "delivery": {"fluence": "30 J/cm^2", "spot_diameter": "10 mm"}}).summary
    assert train_warnings(s) == []


def test_a_train_above_the_ablation_threshold_still_says_so():
    """5 J/cm^2 per train pulse is above the Er:YAG ablation threshold (about 1 J/cm^2 and
    below, docs/validation.md): the 'sub-ablative' train ablates and the run says so."""
    s = simulate({"skin": {"site": "cheek"},
                  "laser": {"source": "er:yag", "pulse_duration": "250 us"},
                  "delivery": {"fluence": "10 J/cm^2", "train_pulses": 3,
                               "train_fluence": "5 J/cm^2", "train_duration": "10 ms"}}).summary
    assert len(train_warnings(s)) == 1


# -- item 10: a FIFO in place of a store entry; an empty DERMALASE_CACHE -------------------------
BASE = {"skin": {"site": "cheek"}, "laser": {"source": "er:yag", "pulse_duration": "250 us"},
        "delivery": {"fluence": "10 J/cm^2"}}
VALUE = {"injury_depth_um": 1.0, "ablation_depth_um": 1.0, "surface_injury_fraction": 1.0}


def test_a_fifo_in_place_of_a_store_entry_is_passed_over_not_read(tmp_path, monkeypatch):
    monkeypatch.setenv("DERMALASE_CACHE", str(tmp_path))
    monkeypatch.setattr(store, "_MEMORY", {})
    sc = Scenario.from_dict(BASE)
    os.mkfifo(tmp_path / f"{store.key('summary', sc)}.json")
    got: list = []
    reader = threading.Thread(target=lambda: got.append(
        store.cached("summary", sc, lambda s: dict(VALUE))), daemon=True)
    reader.start()
    reader.join(timeout=30)
    assert not reader.is_alive(), "the store's read blocked on a FIFO"
    assert got == [VALUE]
    assert any("not a regular file" in n for n in store.take_notes())
    with pytest.raises(store.NotRegular):
        store.read_regular(tmp_path / f"{store.key('summary', sc)}.json")
    with pytest.raises(store.NotRegular):
        store.read_regular(tmp_path)  # a folder


def test_an_empty_dermalase_cache_is_the_default_folder(tmp_path, monkeypatch):
    """DERMALASE_CACHE='' used to be Path(''), the current folder: the store and pint's cache
    were written wherever the command ran. Empty means unset (as XDG_CACHE_HOME)."""
    from dermalase import units

    work, home = tmp_path / "work", tmp_path / "home"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("DERMALASE_CACHE", "")
    monkeypatch.setattr(store, "_MEMORY", {})
    assert store.cache_dir() == home / ".cache" / "dermalase"
    store.cached("summary", Scenario.from_dict(BASE), lambda s: dict(VALUE))
    units.registry.__wrapped__()  # pint's cache, as a fresh process builds it
    assert list(work.iterdir()) == []
    assert (home / ".cache" / "dermalase" / "pint").is_dir()
    assert len(list((home / ".cache" / "dermalase").glob("*.json"))) == 1
