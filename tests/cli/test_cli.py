"""The command line: exit codes, one-line errors, JSON, NetCDF, figure, no partial files."""

import json
import subprocess
import sys

import pytest
import xarray as xr

SCEN = """
name = "t"
[skin]
site = "cheek"
phototype = 2
[laser]
source = "er:yag"
pulse_duration = "250 us"
[delivery]
mode = "full-field"
spot_diameter = "4 mm"
fluence = "{fluence}"
"""


def cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "dermalase.cli", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=300)


@pytest.fixture
def scenario_file(tmp_path):
    def make(fluence="10 J/cm^2"):
        p = tmp_path / "s.toml"
        p.write_text(SCEN.format(fluence=fluence))
        return p
    return make


def test_json_output(scenario_file):
    r = cli("simulate", str(scenario_file()), "--json")
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout)
    for key in ("ablation_depth_um", "coagulation_depth_um", "injury_depth_um", "deepest_layer",
                "peak_temperature_C", "channel_diameter_um", "coagulation_collar_um",
                "mtz_diameter_um", "surface_injury_fraction", "reepithelialization_days",
                "units", "version", "scenario"):
        assert key in s


def test_outputs_written(scenario_file, tmp_path):
    nc, png = tmp_path / "r.nc", tmp_path / "f.png"
    r = cli("simulate", str(scenario_file()), "--out", str(nc), "--figure", str(png))
    assert r.returncode == 0, r.stderr
    ds = xr.open_dataset(nc)
    assert ds["temperature"].attrs["units"] == "degC"
    assert ds["z"].attrs["units"] == "um"
    assert "scenario" in ds.attrs and "dermalase_version" in ds.attrs
    ds.close()
    assert png.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize(("fluence", "field"), [("-3 J/cm^2", "delivery.fluence"),
                                                ("ten", "delivery.fluence")])
def test_bad_input_exit_2_one_line_no_output(scenario_file, tmp_path, fluence, field):
    nc = tmp_path / "r.nc"
    r = cli("simulate", str(scenario_file(fluence)), "--out", str(nc))
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and field in r.stderr
    assert "Traceback" not in r.stderr
    assert not nc.exists() and list(tmp_path.glob(".r.nc*")) == []


def test_missing_file_and_bad_toml(tmp_path):
    r = cli("simulate", str(tmp_path / "nope.toml"))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text("[skin\nsite=")
    r = cli("simulate", str(bad))
    assert r.returncode == 2 and r.stderr.count("\n") == 1


def test_out_in_missing_folder(scenario_file, tmp_path):
    r = cli("simulate", str(scenario_file()), "--out", str(tmp_path / "no" / "r.nc"))
    assert r.returncode == 2 and "--out" in r.stderr


def test_builtin_example_and_compare(tmp_path):
    r = cli("simulate", "default", "--json")
    assert r.returncode == 0, r.stderr
    ex = tmp_path / "co2.toml"
    ex.write_text(cli("example", "co2_two_pass").stdout)
    r = cli("compare", str(ex), str(ex), "--json")
    assert r.returncode == 0, r.stderr
    assert len(json.loads(r.stdout)) == 2


@pytest.mark.parametrize("args", [["simulate", "."], ["simulate"], ["nope"],
                                  ["simulate", "--bogus", "x"], ["plan"]])
def test_usage_errors_are_one_line_exit_2(args):
    """click's own usage errors follow the same one-line form as every input error."""
    r = cli(*args)
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("error: ")
    assert "Traceback" not in r.stderr and "--help" in r.stderr


@pytest.mark.parametrize("kind", ["folder", "dot", "dotdot", "fifo", "symlink", "long-name",
                                  "no-folder", "device"])
def test_outputs_that_cannot_be_written_are_refused_before_the_run(tmp_path, kind):
    """Issue 17: never replace a device, pipe or link; refuse folders, missing folders and
    names too long, up front (exit 2, one line), leaving everything as it was."""
    import os

    victim = tmp_path / "victim.nc"
    victim.write_text("keep me")
    if kind == "device" and not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full on this system")
    # /dev/full: a device that accepts nothing; it used to exit 0 having written nothing
    targets = {"folder": str(tmp_path), "dot": ".", "dotdot": "..", "device": "/dev/full",
               "long-name": str(tmp_path / ("n" * 300)),
               "no-folder": str(tmp_path / "missing" / "r.nc")}
    if kind == "fifo":
        targets["fifo"] = str(tmp_path / "pipe.nc")
        os.mkfifo(targets["fifo"])
    if kind == "symlink":
        targets["symlink"] = str(tmp_path / "link.nc")
        os.symlink(victim, targets["symlink"])
    r = cli("simulate", "default", "--out", targets[kind], cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    assert r.stderr.count("\n") == 1 and "--out" in r.stderr and "Traceback" not in r.stderr
    assert victim.read_text() == "keep me"
    if kind == "symlink":
        assert os.path.islink(targets["symlink"])
    if kind == "fifo":
        assert not os.path.isfile(targets["fifo"])


@pytest.mark.parametrize("kind", ["utf16", "latin1", "binary", "nested", "fifo", "huge"])
def test_unreadable_input_files_are_one_line_exit_2(tmp_path, kind):
    """Issue 17: a file that is not UTF-8 TOML, too deep, too large or not a regular file (a
    pipe would block) is refused with one line, never a hang or an internal error."""
    import os

    p = tmp_path / "s.toml"
    body = '[skin]\nsite = "cheek"\n'
    if kind == "utf16":
        p.write_bytes(body.encode("utf-16"))
    elif kind == "latin1":
        p.write_bytes(('name = "caf\xe9"\n' + body).encode("latin-1"))
    elif kind == "binary":
        p.write_bytes(bytes(range(256)) * 4)
    elif kind == "nested":
        p.write_text("x = " + "[" * 100_000 + "]" * 100_000 + "\n")
    elif kind == "fifo":
        os.mkfifo(p)
    else:
        p.write_text("# " + "x" * 2_000_000 + "\n")
    for command in ("simulate", "plan"):
        r = cli(command, str(p))
        assert r.returncode == 2, (command, r.stderr)
        assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
