"""Hostile-input generation for the input gate (issue 17): hypothesis strategies that take a
valid scenario, patient or MCML file and break it, and the promise each entry point keeps.

The promise: an input is either accepted with every resolved number finite, or refused with one
:class:`~dermalase.errors.InputError` that names a field on one line. Anything else (another
exception, a hang caught by the deadline, a non-finite accepted value) is a failure.
Through the command line (:func:`check_scenario_cli`, :func:`check_patient_cli`) the same
inputs are written as TOML files and run as ``dermalase simulate`` / ``dermalase plan`` in this
process: an accepted input is simulated or planned to the end, and the promise grows to the
outputs: exit 0 with a finite JSON summary and a complete output file, or exit 2 with one line
on stderr and no output file at all (nor a temporary one); exit 1 ("internal error"), a
traceback or a control character from the input in the output is a failure.

Used by tests/test_fuzz.py (a short run in ``make test``) and scripts/fuzz.py (``make fuzz``,
10,000+ inputs, figures in docs/validation.md).
"""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import strategies as st

from ..errors import InputError
from . import assert_summary_finite

SCENARIO: dict[str, Any] = {
    "name": "fuzz",
    "skin": {"site": "cheek", "phototype": 2, "water_epidermis": 0.7,
             "thickness_epidermis": "55 um", "water_absorption": "12500 1/cm"},
    "laser": {"source": "er:yag", "pulse_duration": "250 us"},
    "delivery": {"mode": "full-field", "spot_diameter": "4 mm", "fluence": "10 J/cm^2",
                 "passes": 2, "pass_interval": "2 s", "profile": "top-hat"},
    "numerics": {"geometry": "auto", "resolution": 1.0, "cooling_time": "2 s"},
}
FRACTIONAL = {"mode": "fractional", "microbeam_diameter": "120 um", "pulse_energy": "10 mJ",
              "stack": 2, "stack_interval": "2 ms", "coverage": 0.1, "pattern": "grid",
              "scan": "raster", "repetition_rate": "500 Hz", "area": "0.1 cm^2",
              "profile": "gaussian", "seed": 1, "beam_quality": 1.2}
PATIENT: dict[str, Any] = {
    "name": "fuzz",
    "patient": {"phototype": 3},
    "concerns": [{"kind": "wrinkles", "severity": 2, "site": "perioral"}],
    "preferences": {"max_downtime_days": 14, "max_sessions": 3},
    "history": {"isotretinoin_never": True, "herpes_simplex": False, "keloids": False,
                "active_infection": False, "pregnant": False, "recent_tan": False,
                "photosensitizing_drugs": False, "vitiligo": False, "prior_radiation": False},
}
#: device scenarios whose settings resolve without a simulation (a model-resolved dial costs
#: simulations per input; tests/devices covers those)
DEVICES: list[dict[str, Any]] = [
    {"name": "sciton-contour-trl", "ablation": "50 um", "passes": 2},
    {"name": "fraxel-restore", "energy": "40 mJ", "treatment_level": 4,
     "microbeam_diameter": "60 um"},
    {"name": "lumenis-ultrapulse", "energy": "500 mJ", "passes": 2},
    {"name": "deka-smartxide-dot", "power": "25 W", "dwell": "1600 us", "spacing": "450 um",
     "microbeam_diameter": "150 um"},
    {"name": "fraxel-1927", "energy": "10 mJ", "density": "400 /cm^2",
     "microbeam_diameter": "100 um", "pulse_duration": "1 ms"},
]
MCI = ("1.0\n1\nout.mco A\n1000\n0.01 0.01\n20 50 1\n2\n1.0\n1.37 1.0 90.0 0.75 0.02\n"
       "1.40 0.5 50.0 0.9 0.1\n1.0\n")

#: hostile strings: exponent towers, units without numbers, superscripts, control sequences,
#: non-finite numbers, garbage, very long text
NASTY_STRINGS = ["9**9**9 J/cm^2", "J/cm^2", "11 %", "1e999 J/cm^2", "10 J/cm²", "\u001b[2J",
                 "NaN J/cm^2", "inf mm", "-0 s", "1/0 m", "10 mm**99", "()", "10 J/cm^2" * 20,
                 "10 J/cm^2^2^2", "²", "0x10 mm", "1_000 um", "10 furlongs", "", " ", "\x00",
                 "10 J/cm^2 # comment", "co2", "er:yag", "fractional", "cheek", "1e-400 s"]
HOSTILE = st.one_of(
    st.sampled_from([math.nan, math.inf, -math.inf, -1, 0, 0.0, -0.0, 1e308, -1e-300, 2**63,
                     10**30, True, False, None]),
    st.floats(allow_nan=True, allow_infinity=True), st.integers(-(2**70), 2**70),
    st.sampled_from(NASTY_STRINGS), st.text(max_size=40),
    st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=4), st.integers(),
                                                          max_size=2),
)


def _paths(d: dict, prefix: tuple = ()) -> list[tuple]:
    out = []
    for k, v in d.items():
        out.append((*prefix, k))
        if isinstance(v, dict):
            out += _paths(v, (*prefix, k))
        if isinstance(v, list):
            for i, item in enumerate(v):
                if isinstance(item, dict):
                    out += _paths(item, (*prefix, k, i))
    return out


def _set(d: Any, path: tuple, value: Any, delete: bool) -> None:
    for key in path[:-1]:
        d = d[key]
    if delete:
        d.pop(path[-1], None) if isinstance(d, dict) else None
    elif isinstance(d, dict) or (isinstance(d, list) and path[-1] < len(d)):
        d[path[-1]] = value


@st.composite
def broken(draw, base: dict) -> dict:
    """``base`` with 1-3 of its values replaced by hostile ones, deleted, or an unknown key
    added."""
    d = json.loads(json.dumps(base))
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(d)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        action = draw(st.sampled_from(["value", "value", "value", "delete", "unknown"]))
        if action == "unknown":
            _set(d, (*path[:-1], draw(st.text(min_size=1, max_size=8))), draw(HOSTILE), False)
        else:
            _set(d, path, draw(HOSTILE), action == "delete")
    return d


def scenarios():
    full = st.just(SCENARIO)
    frac = st.just(dict(SCENARIO, delivery=FRACTIONAL))
    return st.one_of(full, frac).flatmap(broken)


def patients():
    return broken(PATIENT)


def device_scenarios():
    return st.sampled_from(DEVICES).flatmap(lambda dev: broken(
        {"name": "fuzz", "skin": {"site": "cheek", "phototype": 2}, "device": dev}))


@st.composite
def mci_texts(draw) -> str:
    """The valid .mci with 1-3 tokens replaced by hostile ones, deleted or duplicated."""
    tokens = MCI.split("\n")
    lines = [ln.split() for ln in tokens]
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(lines) - 1))
        if not lines[i]:
            continue
        j = draw(st.integers(0, len(lines[i]) - 1))
        action = draw(st.sampled_from(["replace", "replace", "delete", "duplicate"]))
        if action == "replace":
            lines[i][j] = draw(st.sampled_from(
                ["nan", "inf", "-inf", "-1", "0", "1e12", "1e400", "abc", "1e-400", "-0",
                 "100000", "2", "1.5", "3"]))
        elif action == "delete":
            del lines[i][j]
        else:
            lines[i].insert(j, lines[i][j])
    return "\n".join(" ".join(ln) for ln in lines) + "\n"


def _refused(exc: InputError) -> str:
    text = str(exc)
    assert exc.field and "\n" not in text and "\x1b" not in text, text
    return "refused"


def _check(parse, dump, d: dict) -> str:
    """'refused' (one line naming a field) or 'accepted' with every dumped value finite,
    JSON-native and free of control characters; else an AssertionError."""
    try:
        value = parse(d)
    except InputError as exc:
        return _refused(exc)
    out = dump(value)
    assert_summary_finite(out)
    assert "\x1b" not in json.dumps(out, allow_nan=False, ensure_ascii=False)
    return "accepted"


def check_scenario(d: dict) -> str:
    """The promise for a scenario dict: 'accepted' or 'refused' (else an AssertionError)."""
    from ..simulate import Scenario

    return _check(Scenario.from_dict, Scenario.resolved, d)


def check_device(d: dict) -> str:
    """The promise for a scenario in device terms."""
    from ..devices import scenario_from_dict
    from ..simulate import Scenario

    return _check(scenario_from_dict, Scenario.resolved, d)


def check_patient(d: dict) -> str:
    """The promise for a patient dict."""
    from ..planner.patient import Patient

    return _check(Patient.from_dict, Patient.to_dict, d)


def check_mci(text: str) -> str:
    from ..io.mcml import MAX_GRID_CELLS, MAX_PHOTONS, read_mci

    with tempfile.TemporaryDirectory() as folder:
        p = Path(folder) / "f.mci"
        p.write_text(text, encoding="utf-8")
        try:
            runs = read_mci(p)
        except InputError as exc:
            return _refused(exc)
    for r in runs:
        assert 1 <= r.n_photons <= MAX_PHOTONS and r.nz * r.nr <= MAX_GRID_CELLS
        values = [r.dz, r.dr, r.medium.n_above, r.medium.n_below]
        for la in r.medium.layers:
            values += [la.n, la.mua, la.mus, la.g, la.d]
        assert all(math.isfinite(v) for v in values), values
    return "accepted"


# -- through the command line -----------------------------------------------------------------

def _toml_ready(value: Any) -> Any:
    """TOML has no null: a None value is a missing key."""
    if isinstance(value, dict):
        return {k: _toml_ready(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_toml_ready(v) for v in value if v is not None]
    return value


def run_cli(args: list[str]) -> tuple[int, str, str]:
    """``dermalase ARGS`` in this process, through the entry point users run (its last-resort
    handler included): (exit code, stdout, stderr)."""
    import contextlib
    import io
    import sys

    from ..cli.main import main

    out, err = io.StringIO(), io.StringIO()
    argv, sys.argv = sys.argv, ["dermalase", *args]
    code = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.argv = argv
    return code, out.getvalue(), err.getvalue()


def _reject_constant(name: str) -> float:
    raise AssertionError(f"non-finite number {name} in the JSON output")


def _check_cli(command: str, d: dict, output_option: str, output_name: str, complete) -> str:
    import tomli_w

    try:
        text = tomli_w.dumps(_toml_ready(d))
    except (TypeError, ValueError, OverflowError):
        return "not-toml"  # e.g. an integer beyond TOML's 64 bits: the API run covers it
    with tempfile.TemporaryDirectory() as folder:
        src, out = Path(folder) / "input.toml", Path(folder) / output_name
        src.write_text(text, encoding="utf-8")
        code, stdout, stderr = run_cli([command, str(src), "--json", output_option, str(out)])
        assert "Traceback" not in stdout + stderr, stderr[-2000:]
        assert "\x1b" not in stdout + stderr, "a control sequence reached the terminal"
        leftovers = sorted(p.name for p in Path(folder).iterdir()
                           if p.name not in ("input.toml", output_name))
        assert not leftovers, f"temporary files left behind: {leftovers}"
        if code == 2:
            assert stderr.startswith("error: ") and stderr.count("\n") == 1, stderr
            assert not out.exists(), "an output file was written by a refused run"
            return "refused"
        assert code == 0, f"exit {code}: {stderr.strip()[-500:]}"
        assert_summary_finite(json.loads(stdout, parse_constant=_reject_constant))
        complete(out)
        return "accepted"


def _netcdf_complete(path: Path) -> None:
    import xarray as xr

    with xr.open_dataset(path, engine="h5netcdf") as ds:
        summary = json.loads(ds.attrs["summary"], parse_constant=_reject_constant)
        assert_summary_finite(summary)
        assert bool(np.isfinite(ds["peak_temperature"].values).all())


def _html_complete(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.rstrip().endswith("</html>") and "\x1b" not in text


def check_scenario_cli(d: dict) -> str:
    """The promise for a scenario through ``dermalase simulate FILE --json --out r.nc``."""
    return _check_cli("simulate", d, "--out", "r.nc", _netcdf_complete)


def check_patient_cli(d: dict) -> str:
    """The promise for a patient through ``dermalase plan FILE --json --report p.html``."""
    return _check_cli("plan", d, "--report", "p.html", _html_complete)


def check_device_cli(d: dict) -> str:
    """The promise for a ``[device]`` scenario through the same command."""
    return _check_cli("simulate", d, "--out", "r.nc", _netcdf_complete)
