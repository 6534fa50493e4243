"""The package's front door (issue 35): help(dermalase) says what the package does and how to
use it; the top-level names cover simulating, planning, sweeps, devices and Monte Carlo; a
Scenario, a Result and a Plan print as something a person can read."""

from __future__ import annotations

import pydoc
import re
import subprocess
import sys

import pytest

import dermalase

ER = {"skin": {"site": "cheek"}, "laser": {"source": "er:yag", "pulse_duration": "250 us"},
      "delivery": {"fluence": "10 J/cm^2"}, "numerics": {"geometry": "1d", "cooling_time": "0.5 s"}}


def test_help_opens_with_what_the_package_does_and_names_every_entry_point():
    text = pydoc.render_doc(dermalase, renderer=pydoc.plaintext)
    description = text[text.index("DESCRIPTION"):]
    first = description.splitlines()[1]
    assert "simulator and treatment planner for laser skin resurfacing" in first
    assert "lazy" not in description[:400].lower()
    for name in ("simulate(", "plan(", "sweep(", "devices()", "device(name)", "monte_carlo(",
                 "run_mci(", "Scenario", "Patient", "Plan", "example("):
        assert name in description, name


def test_the_top_level_exports_what_a_user_needs_each_with_a_docstring_that_shows_use():
    names = {"simulate", "Scenario", "Result", "plan", "Patient", "Plan", "sweep", "devices",
             "device", "monte_carlo", "run_mci", "Medium", "Layer", "example", "InputError"}
    assert names <= set(dermalase.__all__)
    for name in ("simulate", "plan", "sweep", "devices", "monte_carlo", "run_mci", "example"):
        obj = getattr(dermalase, name)
        assert callable(obj) and obj.__doc__, name
    for name in ("plan", "sweep", "monte_carlo", "run_mci", "example"):
        assert ">>> " in getattr(dermalase, name).__doc__, name  # shows its use
    from dermalase.sweep import run_sweep  # the subpackages stay importable by name

    assert callable(run_sweep) and callable(dermalase.sweep) and dermalase.sweep is not run_sweep


def test_importing_the_package_stays_light():
    code = ("import sys, dermalase; heavy = [m for m in ('numpy', 'xarray', 'pydantic', "
            "'numba', 'pint') if m in sys.modules]; print(heavy)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stdout.strip() == "[]", r.stdout + r.stderr


def test_a_scenario_and_a_result_print_readably(tmp_path, monkeypatch):
    monkeypatch.setenv("DERMALASE_CACHE", str(tmp_path))
    sc = dermalase.Scenario.from_dict(dict(ER, name="peel"))
    text = repr(sc)
    assert "0x" not in text and text.startswith("<Scenario 'peel'")
    assert "er:yag" in text and "250 µs" in text and "10 J/cm²" in text and "cheek" in text
    assert "<table>" in sc._repr_html_()
    result = dermalase.simulate(sc)
    text = repr(result)
    assert "0x" not in text and "ablation depth" in text and "µm" in text
    depth = f"{result.summary['ablation_depth_um']:.4g}"
    assert depth in text and depth in result._repr_html_()


def test_a_plan_is_typed_prints_readably_and_its_dict_is_the_json_contract(tmp_path,
                                                                           monkeypatch):
    monkeypatch.setenv("DERMALASE_CACHE", str(tmp_path))
    from dermalase.planner import Patient
    from dermalase.planner import plan as plan_dict

    path = dermalase.example("patient_perioral")
    p = dermalase.plan(path, threads=1)
    assert isinstance(p, dermalase.Plan)
    assert p.to_dict() == plan_dict(Patient.from_toml(path), threads=1)
    assert p["recommended"] == p.recommended and p.plans[0]["recommended"] == p.recommended
    assert p.version == dermalase.__version__  # any key of the JSON, typed or not
    text = repr(p)
    assert "0x" not in text and text.startswith("<Plan for ")
    assert p.recommended["modality"] in text
    assert "<table>" in p._repr_html_()
    with pytest.raises(AttributeError):
        _ = p.no_such_key


def test_python_dash_m_dermalase_is_the_command_line():
    r = subprocess.run([sys.executable, "-m", "dermalase", "--version"], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0 and re.search(r"\d+\.\d+\.\d+", r.stdout)


def test_the_installed_version_is_the_packages_own():
    """pyproject.toml reads the version from dermalase._version (setuptools ``attr:``); the
    installed metadata must say the same, or the results' ``version`` would lie."""
    from importlib.metadata import version

    assert version("dermalase") == dermalase.__version__
