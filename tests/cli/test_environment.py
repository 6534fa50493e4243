"""Broken environments, really provoked (issue 17): a full disk, a read-only folder and a user who
cannot write the package folder. Each output either is written whole or the command exits 2 with
one line naming the option; the previous file is left intact and no temporary file is left.

How each environment is made, without mocks:
- full disk: a 256 KiB tmpfs filled to the last block (needs root and mount rights); where that
  is not allowed, a file-size limit (RLIMIT_FSIZE) makes every write past a few KiB fail the
  same way, for any user;
- read-only folder: a folder without write permission, used by a process that the permission
  applies to (as root: the same command with every capability dropped by ``setpriv``);
- another user: as root, ``setpriv`` to ``nobody`` with root's HOME left in the environment (the
  import used to die looking into /root/.cache); otherwise a read-only copy of the package.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import dermalase

ROOT = os.geteuid() == 0
SETPRIV = shutil.which("setpriv")
#: the same command with no capabilities: root without CAP_DAC_OVERRIDE obeys permissions
NO_CAPS = [SETPRIV or "setpriv", "--bounding-set", "-all", "--inh-caps", "-all", "--"]
NOBODY = [SETPRIV or "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"]

#: each output option, the command that writes it, and the file's name
OUTPUTS = [
    ("--out", ["simulate", "default", "--quiet", "--out"], "r.nc"),
    ("--figure", ["simulate", "default", "--quiet", "--figure"], "r.png"),
    ("--healing-figure", ["simulate", "default", "--quiet", "--healing-figure"], "h.png"),
    ("--report", ["plan", "patient_perioral", "--report"], "p.html"),
    ("--out-dir", ["mc", "mcml_test", "--out-dir"], "slab.mco"),
    ("--out", ["sweep", "sweep_er_yag", "--workers", "0", "--quiet", "--out"], "sweep.nc"),
]


def _run(args, *, prefix=(), cwd=None, env=None, preexec_fn=None):
    return subprocess.run([*prefix, sys.executable, "-m", "dermalase.cli", *args],
                          capture_output=True, text=True, cwd=cwd, env=env, timeout=600,
                          preexec_fn=preexec_fn)


def _one_line_exit_2(r, option):
    assert r.returncode == 2, (r.returncode, r.stderr[-2000:])
    assert r.stderr.count("\n") == 1 and r.stderr.startswith(f"error: {option}"), r.stderr
    assert "Traceback" not in r.stderr


def _only(folder: Path, names: set[str]) -> None:
    """Nothing in ``folder`` but ``names``: no temporary or partial file left behind."""
    assert {p.name for p in folder.iterdir()} == names


def _target(option: str, folder: Path, name: str) -> str:
    return str(folder) if option == "--out-dir" else str(folder / name)


# -- a full disk -----------------------------------------------------------------------------

def _mount_full_tmpfs(folder: Path) -> bool:
    if not ROOT or not shutil.which("mount"):
        return False
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(folder)],
                       capture_output=True)
    return r.returncode == 0


@pytest.fixture(scope="module", params=["tmpfs", "file-size limit"])
def full_disk(request):
    """(folder, preexec_fn, mounted): a folder on a full file system (a tmpfs filled to the
    last block: writes fail at once), or one where a file-size limit makes writes fail past
    4 KiB, in the middle of a file (any user; this one found HDF5 crashing the process)."""
    folder = Path(tempfile.mkdtemp(prefix="dermalase-full-"))
    mounted = request.param == "tmpfs" and _mount_full_tmpfs(folder)
    if request.param == "tmpfs" and not mounted:
        shutil.rmtree(folder, ignore_errors=True)
        pytest.skip("mounting a tmpfs needs root and mount rights; the file-size limit "
                    "variant covers a full disk here")
    try:
        for _, _, name in OUTPUTS:  # earlier outputs the new ones would replace
            (folder / name).write_text("the previous result")
        if mounted:
            fd = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT)
            try:  # fill the file system to the last block
                while os.write(fd, b"\0" * 4096):
                    pass
            except OSError:
                pass
            finally:
                os.close(fd)
            preexec = None
        else:
            def preexec():  # writes past 4 KiB fail with EFBIG instead of killing the process
                signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
                resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
        yield folder, preexec, mounted
    finally:
        if mounted:
            subprocess.run(["umount", str(folder)], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.parametrize(("option", "command", "name"), OUTPUTS, ids=[o[2] for o in OUTPUTS])
def test_a_full_disk_is_one_line_and_leaves_the_previous_file(full_disk, option, command,
                                                               name):
    folder, preexec, mounted = full_disk
    existing = {p.name for p in folder.iterdir()}
    r = _run([*command, _target(option, folder, name)], preexec_fn=preexec, cwd=folder)
    _one_line_exit_2(r, option)
    assert ("No space left" if mounted else "too large") in r.stderr
    assert (folder / name).read_text() == "the previous result"
    _only(folder, existing)


# -- a read-only folder ----------------------------------------------------------------------

@pytest.mark.parametrize(("option", "command", "name"), OUTPUTS, ids=[o[2] for o in OUTPUTS])
def test_a_read_only_folder_is_refused_before_the_run(tmp_path, option, command, name):
    if ROOT and not SETPRIV:
        pytest.skip("running as root without setpriv: root writes into read-only folders")
    folder = tmp_path / "ro"
    folder.mkdir()
    (folder / name).write_text("the previous result")
    folder.chmod(0o555)
    try:
        r = _run([*command, _target(option, folder, name)], prefix=NO_CAPS if ROOT else (),
                 cwd=tmp_path)
        _one_line_exit_2(r, option)
        assert "not writable" in r.stderr
        assert (folder / name).read_text() == "the previous result"
        _only(folder, {name})
    finally:
        folder.chmod(0o755)


# -- a user who cannot write the package folder ----------------------------------------------

def _simulate_as(prefix, env, work: Path, package: Path) -> None:
    before = sorted(str(p) for p in package.rglob("*"))
    r = _run(["simulate", "default", "--json", "--out", str(work / "r.nc")], prefix=prefix,
             cwd=work, env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "Traceback" not in r.stderr
    assert json.loads(r.stdout)["ablation_depth_um"] > 0
    assert (work / "r.nc").stat().st_size > 0
    assert sorted(str(p) for p in package.rglob("*")) == before  # nothing written there


def _clean_env() -> dict:
    env = dict(os.environ)
    env.pop("NUMBA_CACHE_DIR", None)
    env.pop("XDG_CACHE_HOME", None)
    return env


def test_a_read_only_install_simulates(tmp_path):
    """A read-only copy of the package (a system-wide or container install): the compiled-code
    cache goes to the user's cache folder; the simulation runs and writes nothing into the
    package. As root, the command runs with every capability dropped, so the permissions hold."""
    if ROOT and not SETPRIV:
        pytest.skip("running as root without setpriv: root writes into read-only folders")
    copy = tmp_path / "site"
    shutil.copytree(Path(dermalase.__file__).resolve().parent, copy / "dermalase",
                    ignore=shutil.ignore_patterns("__pycache__"))
    env = _clean_env()
    env["PYTHONPATH"] = str(copy)
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    for p in sorted(copy.rglob("*"), reverse=True):
        p.chmod(0o555 if p.is_dir() else 0o444)
    copy.chmod(0o555)
    work = tmp_path / "work"
    work.mkdir()
    try:
        _simulate_as(NO_CAPS if ROOT else [], env, work, copy / "dermalase")
        assert list((tmp_path / "cache" / "dermalase" / "numba").rglob("*.nbi"))
    finally:
        for p in [copy, *copy.rglob("*")]:
            p.chmod(0o755)


def test_another_user_with_a_home_it_cannot_read_simulates():
    """As root: 'nobody', with HOME still /root (sudo and su without -l leave it so). The import
    used to die looking into /root/.cache; the cache now goes to a folder of its own."""
    if not (ROOT and SETPRIV):
        pytest.skip("needs root and setpriv to become another user")
    # can 'nobody' run this Python and read the checkout? (asked without importing the package,
    # whose import is what the test is about)
    init = Path(dermalase.__file__).resolve()
    probe = subprocess.run([*NOBODY, sys.executable, "-c",
                            f"import os, sys; sys.exit(not os.access({str(init)!r}, os.R_OK))"],
                           capture_output=True, cwd="/", env=_clean_env())
    if probe.returncode != 0:
        pytest.skip("'nobody' cannot run this Python or read this checkout (a private folder)")
    work = Path(tempfile.mkdtemp(prefix="dermalase-user-"))
    work.chmod(0o777)
    env = _clean_env()
    env["HOME"] = str(Path("~root").expanduser())
    try:
        _simulate_as(NOBODY, env, work, Path(dermalase.__file__).resolve().parent)
    finally:
        shutil.rmtree(work, ignore_errors=True)
