"""The second round of hostile input through the command line (issue 30, items 3, 7, 9, 10):
each with the input that found it, or one of its kind. Most run in this process, through the
entry point users run (its last-resort handler included); the environments that must be a
process's own (a file-size limit, a read-only compiled-code cache) run in a subprocess."""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import dermalase
from dermalase.testing.fuzz import run_cli_to

ROOT = os.geteuid() == 0
SETPRIV = shutil.which("setpriv")
NO_CAPS = [SETPRIV or "setpriv", "--bounding-set", "-all", "--inh-caps", "-all", "--"]


#: ``dermalase ARGS`` in this process, stdout to ``stdout`` (default: captured): (code, out, err)
run = run_cli_to


def one_line_exit_2(code, err, field):
    assert code == 2, (code, err)
    assert err.count("\n") == 1 and err.startswith(f"error: {field}"), err


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """One store for the module: the example sweep is simulated once."""
    mp = pytest.MonkeyPatch()
    folder = tmp_path_factory.mktemp("cache")
    mp.setenv("DERMALASE_CACHE", str(folder))
    yield folder
    mp.undo()


# -- item 9: standard output that refuses the write ---------------------------------------------
@pytest.mark.parametrize("args", [
    ["simulate", "default", "--json"],
    ["sweep", "sweep_er_yag", "--workers", "0", "--json"],
    ["simulate", "default", "--quiet"],  # the terminal tables, through rich
    ["schema", "scenario"], ["devices", "--json"], ["example", "default"],
], ids=lambda a: " ".join(a[:2]))
def test_stdout_on_a_full_disk_is_one_line_and_exit_2(args, cache):
    with open("/dev/full", "w", encoding="utf-8") as full:
        code, _, err = run(args, stdout=full)
    one_line_exit_2(code, err, "stdout: cannot write the output: No space left on device")


def _limit_1k():
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # as Python itself does
    resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024))


@pytest.mark.parametrize(("args", "unbuffered"), [
    (["simulate", "default", "--json"], True),
    (["schema", "scenario"], False),
], ids=["simulate-unbuffered", "schema"])
def test_stdout_at_a_file_size_limit_is_one_line_and_exit_2(tmp_path, args, unbuffered):
    """``ulimit -f 1``: 1,024 bytes of cut JSON and exit 0 with nothing on stderr, when
    PYTHONUNBUFFERED puts the text layer on the raw file (which ignores the short write);
    buffered, the same limit is met when the buffer is flushed. (Every command writes through
    the same guard: the full-disk test above runs them all, sweep --json included.)"""
    env = dict(os.environ, DERMALASE_CACHE=str(tmp_path / "cache"))
    env.pop("PYTHONUNBUFFERED", None)
    if unbuffered:
        env["PYTHONUNBUFFERED"] = "1"
    target = tmp_path / "out.json"
    with open(target, "w") as fh:
        r = subprocess.run([sys.executable, "-m", "dermalase.cli", *args], stdout=fh,
                           stderr=subprocess.PIPE, text=True, env=env, timeout=300,
                           preexec_fn=_limit_1k)
    one_line_exit_2(r.returncode, r.stderr, "stdout: cannot write the output: File too large")
    assert target.stat().st_size == 1024  # what reached it, said to be incomplete


def test_a_closed_stdout_is_one_line_and_exit_2():
    """``dermalase schema scenario >&-``: nothing can be written; click used to drop it all
    and exit 0."""
    r = subprocess.run([sys.executable, "-m", "dermalase.cli", "schema", "scenario"],
                       stderr=subprocess.PIPE, text=True, timeout=300,
                       preexec_fn=lambda: os.close(1))
    one_line_exit_2(r.returncode, r.stderr, "stdout: cannot write the output: Bad file")


# -- item 7: an unwritable compiled-code cache ---------------------------------------------------
def test_a_read_only_numba_cache_dir_falls_back_with_a_note(tmp_path):
    """NUMBA_CACHE_DIR read-only, on a read-only install whose user has no writable cache
    folder: every simulation died with 'internal error (RuntimeError: cannot cache function
    'thomas' ...)'. The kernels now go to a private writable folder, with a one-line note."""
    if ROOT and not SETPRIV:
        pytest.skip("running as root without setpriv: root writes into read-only folders")
    site, ro, tmp = tmp_path / "site", tmp_path / "ro", tmp_path / "tmp"
    shutil.copytree(Path(dermalase.__file__).resolve().parent, site / "dermalase",
                    ignore=shutil.ignore_patterns("__pycache__"))
    ro.mkdir()
    tmp.mkdir()
    for p in [*sorted(site.rglob("*"), reverse=True), site, ro]:
        p.chmod(0o555 if p.is_dir() else 0o444)
    env = dict(os.environ, PYTHONPATH=str(site), NUMBA_CACHE_DIR=str(ro), HOME=str(ro),
               TMPDIR=str(tmp))
    env.pop("XDG_CACHE_HOME", None)
    # the first cached kernel, solved on a system whose solution is known: diag 2, off -1,
    # right side (1, 0, 1) -> (1, 1, 1)
    code = ("import numpy as np; from dermalase.physics._kernel import thomas; "
            "o = np.zeros(3); thomas(-np.ones(3), 2 * np.ones(3), -np.ones(3), "
            "np.array([1.0, 0.0, 1.0]), o, 3); print(o.tolist())")
    try:
        r = subprocess.run([*(NO_CAPS if ROOT else []), sys.executable, "-c", code],
                           capture_output=True, text=True, env=env, timeout=300, cwd=tmp)
        assert r.returncode == 0, r.stderr[-2000:]
        assert json.loads(r.stdout) == pytest.approx([1.0, 1.0, 1.0])
        assert r.stderr.count("\n") == 1 and r.stderr.startswith("note: NUMBA_CACHE_DIR"), \
            r.stderr
        assert list(tmp.rglob("*thomas*.nbi")), "the kernel was not cached in the fallback"
        assert list(ro.iterdir()) == []
    finally:
        for p in [site, *site.rglob("*"), ro]:
            p.chmod(0o755)


# -- item 10 ------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", ["99999999999999999999", "-1", str(2**63)])
def test_a_seed_out_of_range_is_one_line(tmp_path, seed):
    code, _, err = run(["mc", "mcml_test", "--out-dir", str(tmp_path), f"--seed={seed}"])
    one_line_exit_2(code, err, "Invalid value for '--seed'")
    assert list(tmp_path.iterdir()) == []


def test_the_monte_carlo_api_checks_its_seed_too():
    from dermalase import InputError
    from dermalase.io.mcml import read_mci
    from dermalase.physics.montecarlo import run as mc_run

    with pytest.raises(InputError) as err:
        mc_run(read_mci(Path(dermalase.__file__).parent / "examples" / "mcml_test.mci")[0]
               .medium, 10, seed=2**64)
    assert err.value.field == "seed"


def test_a_garbage_scheduler_is_refused_even_when_every_point_is_stored(cache):
    code, _, err = run(["sweep", "sweep_er_yag", "--workers", "0", "--quiet"])
    assert code == 0, err
    code, out, err = run(["sweep", "sweep_er_yag", "--scheduler", "garbage", "--quiet"])
    one_line_exit_2(code, err, "--scheduler: got 'garbage'")
    assert out == ""
    code, _, err = run(["plan", "patient_perioral", "--scheduler", "tcp://host:99999"])
    one_line_exit_2(code, err, "--scheduler")


def test_a_garbage_scheduler_from_the_environment_is_named(cache, monkeypatch):
    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", "\x1b[2J")
    code, _, err = run(["sweep", "sweep_er_yag", "--quiet"])
    one_line_exit_2(code, err, "DASK_SCHEDULER_ADDRESS")
    assert "\x1b" not in err
    code, _, err = run(["sweep", "sweep_er_yag", "--workers", "0", "--quiet"])  # not used
    assert code == 0, err


@pytest.mark.parametrize("args", [["simulate", "default", "--quiet", "--figure"],
                                  ["simulate", "default", "--quiet", "--healing-figure"],
                                  ["sweep", "sweep_er_yag", "--workers", "0", "--quiet",
                                   "--figure"]], ids=lambda a: a[-1])
def test_a_figure_name_with_no_figure_format_is_refused_before_the_run(tmp_path, cache, args):
    code, out, err = run([*args, str(tmp_path / "f.txt")])
    one_line_exit_2(code, err, f"{args[-1]}: cannot write")
    assert ".png, .pdf, .svg" in err and out == ""
    assert list(tmp_path.glob("f.*")) == []


def test_a_figure_is_written_in_the_format_its_name_ends_with(tmp_path):
    svg = tmp_path / "f.SVG"
    code, _, err = run(["simulate", "default", "--quiet", "--figure", str(svg)])
    assert code == 0, err
    assert b"<svg" in svg.read_bytes()[:400]


def test_a_device_dial_not_honoured_is_in_the_json_and_on_the_terminal(tmp_path):
    """Issue 30, item 3, through the command line: the Contour TRL ablation dial."""
    p = tmp_path / "trl.toml"
    p.write_text('[skin]\nsite = "cheek"\n[device]\nname = "sciton-contour-trl"\n'
                 'ablation = "50 um"\n', encoding="utf-8")
    code, out, err = run(["simulate", str(p), "--json"])
    assert code == 0, err
    assert any("dial ablation = 50 um" in w for w in json.loads(out)["warnings"])
    code, out, err = run(["simulate", str(p), "--quiet"])
    assert code == 0 and "dial ablation = 50 um" in err
