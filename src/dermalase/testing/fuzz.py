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


# -- the second round (issue 30): microbeams, the store, command-line options -------------------
# Kept apart from the generators above (each its own function and its own row in make fuzz).

#: microbeam diameters and energies over the schema's whole ranges and past them (log-uniform
#: numbers in SI, and unit strings), the issue's 0.5 J into 20 um among them
MICROBEAM_DIAMETERS = st.one_of(
    st.floats(-4.75, -2.6).map(lambda x: 10.0 ** x),
    st.sampled_from(["20 um", "19.9 um", "60 um", "120 um", "2 mm", "2.1 mm", "0.02 mm"]))
MICROBEAM_ENERGIES = st.one_of(
    st.floats(-9.0, -0.2).map(lambda x: 10.0 ** x),
    st.sampled_from(["0.5 J", "500 mJ", "0.51 J", "15.7 mJ", "141 mJ", "1e-9 J", "70 mJ"]))


@st.composite
def microbeam_scenarios(draw) -> dict:
    """A fractional scenario with its microbeam's diameter and energy drawn over (and past) the
    schema's ranges: the local fluence E / (pi d^2 / 4) spans 1e-3 to 1e7 J/cm^2."""
    d = json.loads(json.dumps(dict(SCENARIO, delivery=FRACTIONAL)))
    d["delivery"].update(microbeam_diameter=draw(MICROBEAM_DIAMETERS),
                         pulse_energy=draw(MICROBEAM_ENERGIES),
                         coverage=draw(st.sampled_from([0.01, 0.1, 0.3])))
    return d


def check_microbeam(d: dict) -> str:
    """The promise for a scenario, and: an accepted microbeam is within the local fluence cap
    (scenario.LIMITS ``microbeam_fluence``)."""
    from ..laser.fractional import Fractional
    from ..simulate import Scenario
    from ..simulate.scenario import LIMITS

    outcome = check_scenario(d)
    if outcome == "accepted":
        dl = Scenario.from_dict(d).delivery
        assert isinstance(dl, Fractional)
        local = dl.pulse_energy / (math.pi * dl.microbeam_diameter ** 2 / 4)
        assert local <= LIMITS["microbeam_fluence"][1] * (1 + 1e-9), local
    return outcome


#: what may be found where a store entry belongs
STORE_DAMAGE = ("none", "fifo", "folder", "link to /dev/zero", "link to a fifo", "empty",
                "truncated", "garbage", "another key", "dangling link")
#: DERMALASE_CACHE as a user may leave it ("<tmp>": a folder of the case's own)
CACHE_SETTINGS = (None, "", " ", "<tmp>/cache", "<tmp>/a file", "/dev/null", "<tmp>/x/y/z",
                  "relative/cache")


def store_cases():
    return st.tuples(st.sampled_from(STORE_DAMAGE), st.sampled_from(CACHE_SETTINGS))


def _damage(path: Path, kind: str, key: str) -> None:
    import os

    path.parent.mkdir(parents=True, exist_ok=True)
    fifo = path.parent / "a-fifo"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "folder":
        path.mkdir()
    elif kind == "link to /dev/zero":
        path.symlink_to("/dev/zero")
    elif kind == "link to a fifo":
        os.mkfifo(fifo)
        path.symlink_to(fifo)
    elif kind == "dangling link":
        path.symlink_to(path.parent / "nothing here")
    elif kind != "none":
        text = {"empty": "", "truncated": '{"key": "' + key[:10],
                "garbage": "\x00\xff" * 100,
                "another key": json.dumps({"key": "0" * 32, "sha256": "", "value": {}})}[kind]
        path.write_text(text, encoding="utf-8", errors="surrogateescape")


def check_store(case: tuple[str, str | None]) -> str:
    """A damaged store entry under any DERMALASE_CACHE: the value is computed and returned
    within 10 s (a read never blocks, a FIFO is never read), and nothing is written into the
    current folder unless DERMALASE_CACHE names it. 'accepted': the value came back (from
    the entry when it was whole, else computed again with a note)."""
    import contextlib
    import os
    import threading

    from ..simulate import Scenario, store

    damage, setting = case
    value = {"injury_depth_um": 1.0, "ablation_depth_um": 1.0, "surface_injury_fraction": 1.0}
    sc = Scenario.from_dict(SCENARIO)
    saved = {k: os.environ.get(k) for k in ("DERMALASE_CACHE", "HOME")}
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as folder, contextlib.ExitStack() as undo:
        undo.callback(os.chdir, cwd)
        undo.callback(_restore_env, saved)
        work, home = Path(folder) / "work", Path(folder) / "home"
        work.mkdir()
        (Path(folder) / "a file").write_text("not a folder", encoding="utf-8")
        os.chdir(work)
        os.environ["HOME"] = str(home)
        if setting is None:
            os.environ.pop("DERMALASE_CACHE", None)
        else:
            os.environ["DERMALASE_CACHE"] = setting.replace("<tmp>", folder)
        entry = store.cache_dir() / f"{store.key('summary', sc)}.json"
        with contextlib.suppress(OSError):
            _damage(entry, damage, store.key("summary", sc))
        saved_memory, store._MEMORY = store._MEMORY, {}
        undo.callback(setattr, store, "_MEMORY", saved_memory)
        got: list = []
        reader = threading.Thread(target=lambda: got.append(
            store.cached("summary", sc, lambda s: dict(value))), daemon=True)
        reader.start()
        reader.join(timeout=10)
        assert not reader.is_alive(), f"the store's read blocked ({damage})"
        assert got == [value], got
        store.take_notes()
        here = setting is not None and setting.strip() and not Path(setting).is_absolute()
        if not here:
            assert list(work.iterdir()) == [], sorted(p.name for p in work.iterdir())
    return "accepted"


def _restore_env(saved: dict) -> None:
    import os

    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


#: figure names: every format's extension, in any case, and names that are none
FIGURE_NAMES = st.one_of(
    st.sampled_from(["f.png", "f.PNG", "f.svg", "f.pdf", "f.jpg", "f.tiff", "f.eps", "f.txt",
                     "f", "f.png.txt", "f.nc", ".png", "f.", "f.html"]),
    st.text(st.characters(codec="ascii", categories=["L", "N"]), min_size=1,
            max_size=5).map(lambda ext: f"f.{ext}"))
SEEDS = st.one_of(st.integers(-(2**70), 2**70), st.sampled_from(
    [0, 1, 2**63 - 1, 2**63, 2**64, -1]), st.sampled_from(NASTY_STRINGS), st.text(max_size=12))
SCHEDULERS = st.one_of(st.sampled_from(
    ["garbage", "tcp://", "tcp://h:1", "h:8786", "tcp://h:99999", "tcp://h:x", "inproc://x",
     "http://h:1", "tcp://[::1]:8786", "::::", "\x1b[2J", "", " "]), st.text(max_size=20))


@st.composite
def option_cases(draw) -> tuple[str, str, Any, bool]:
    """(command, option, hostile value, stdout on a full disk): ``mc --seed``, ``sweep
    --scheduler`` over a sweep whose points are all stored, ``simulate --figure``."""
    command, option, values = draw(st.sampled_from([
        ("mc", "--seed", SEEDS), ("sweep", "--scheduler", SCHEDULERS),
        ("simulate", "--figure", FIGURE_NAMES)]))
    return command, option, draw(values), draw(st.booleans())


#: a two-point sweep (the fuzzer's own, cheap to store)
SWEEP = ('name = "fuzz"\n[skin]\nsite = "cheek"\n[laser]\nsource = "er:yag"\n'
         'pulse_duration = "250 us"\n[delivery]\nfluence = ["5 J/cm^2", "10 J/cm^2"]\n'
         '[numerics]\ngeometry = "1d"\ncooling_time = "0.2 s"\n')
_SWEEP_STORE: list[str] = []


def _stored_sweep() -> tuple[str, str]:
    """(a store holding every point of :data:`SWEEP`, the sweep file), made once per process."""
    if not _SWEEP_STORE:
        folder = tempfile.mkdtemp(prefix="dermalase-fuzz-store-")
        sweep = Path(folder) / "sweep.toml"
        sweep.write_text(SWEEP, encoding="utf-8")
        code, _, err = _with_cache(folder, ["sweep", str(sweep), "--workers", "0", "--quiet"])
        assert code == 0, err
        _SWEEP_STORE.append(folder)
    return _SWEEP_STORE[0], str(Path(_SWEEP_STORE[0]) / "sweep.toml")


def _with_cache(folder: str, args: list[str], stdout=None) -> tuple[int, str, str]:
    import os

    saved = {"DERMALASE_CACHE": os.environ.get("DERMALASE_CACHE")}
    os.environ["DERMALASE_CACHE"] = folder
    try:
        return run_cli_to(args, stdout)
    finally:
        _restore_env(saved)


def run_cli_to(args: list[str], stdout=None) -> tuple[int, str, str]:
    """:func:`run_cli` with stdout to the file ``stdout`` (default: captured)."""
    import contextlib
    import io
    import sys

    from ..cli.main import main

    out, err = io.StringIO(), io.StringIO()
    argv, saved = sys.argv, sys.stdout
    sys.argv, sys.stdout = ["dermalase", *args], stdout or out
    code = 0
    try:
        with contextlib.redirect_stderr(err):
            main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.argv, sys.stdout = argv, saved
    return code, out.getvalue(), err.getvalue()


def check_option_cli(case: tuple[str, str, Any, bool]) -> str:
    """The promise for a hostile option value: exit 0 with the output whole, or exit 2 with one
    line on stderr and no output file (nor a temporary one); with stdout on a full disk, exit
    2 naming stdout whenever the command prints."""
    command, option, value, full = case
    if isinstance(value, str) and "\x00" in value:
        return "not-toml"  # an argument cannot hold a NUL byte (the system's argv)
    with tempfile.TemporaryDirectory() as folder:
        out_dir = Path(folder) / "out"
        out_dir.mkdir()
        if command == "mc":  # the fuzzer's own small .mci (1,000 photons)
            mci = Path(folder) / "in.mci"
            mci.write_text(MCI, encoding="utf-8")
            args = ["mc", str(mci), "--out-dir", str(out_dir), f"--seed={value}"]
        cache = str(Path(folder) / "cache")
        if command == "sweep":
            cache, sweep = _stored_sweep()
            args = ["sweep", sweep, "--quiet", f"--scheduler={value}"]
        elif command == "simulate":
            args = ["simulate", "default", "--quiet", f"--figure={out_dir / str(value)}"]
        if full:
            with open("/dev/full", "w", encoding="utf-8") as sink:
                code, _, err = _with_cache(cache, args, sink)
        else:
            code, _, err = _with_cache(cache, args)
        assert "Traceback" not in err and "\x1b" not in err, err[-2000:]
        written = sorted(p.name for p in out_dir.iterdir())
        if code == 2:
            assert err.startswith("error: ") and err.count("\n") == 1, err
            if "stdout" not in err:
                assert written == [], f"an output was left by a refused run: {written}"
            return "refused"
        assert code == 0, f"exit {code}: {err.strip()[-500:]}"
        assert not full, "a command printed to a full disk and exited 0"
        assert all(not n.endswith(".tmp") for n in written), written
        if command != "sweep":
            assert written and all((out_dir / n).stat().st_size > 0 for n in written)
        return "accepted"
