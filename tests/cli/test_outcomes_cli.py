"""``dermalase outcomes``: a SYNTHETIC cohort written as an export, pooled into a calibration
(shown, never adopted), the report and the export of a clinic's database, and one-line errors
(exit 2)."""

from __future__ import annotations

import json
import subprocess
import sys


def cli(*args, cwd=None, env=None):
    return subprocess.run([sys.executable, "-m", "dermalase.cli", "outcomes", *args],
                          capture_output=True, text=True, cwd=cwd, timeout=300, env=env)


def here(*args):
    """The command in this process (click's runner): exit code and output, no start-up."""
    from click.testing import CliRunner

    from dermalase.cli import main as _registers  # noqa: F401 - the outcomes group
    from dermalase.cli.main import cli as group

    r = CliRunner().invoke(group, ["outcomes", *args], catch_exceptions=False)
    return subprocess.CompletedProcess(args, r.exit_code, r.stdout, r.stderr)


def test_a_synthetic_cohort_is_pooled_into_a_calibration_that_is_only_shown(tmp_path):
    r = here("synthetic", "60", "--out", str(tmp_path / "a.parquet"), "--seed", "3")
    assert r.returncode == 0 and "SYNTHETIC" in r.stdout, r.stderr
    r = here("calibrate", "--from", str(tmp_path / "a.parquet"), "--json",
            "--out", str(tmp_path / "cal.json"))
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["calibration"]["cases"] == 60 and "healing" in out["report"]["groups"]
    saved = json.loads((tmp_path / "cal.json").read_text())
    from dermalase.calibration import Calibration

    assert Calibration.from_dict(saved).healing["front_speed_um_per_day"] > 0


def test_too_few_cases_and_bad_files_are_one_line_exit_2(tmp_path):
    here("synthetic", "5", "--out", str(tmp_path / "few.csv"))
    r = cli("calibrate", "--from", str(tmp_path / "few.csv"))
    assert r.returncode == 2 and "12 needed" in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    (tmp_path / "bad.csv").write_text("name,dob\nAda,1980-01-01\n")
    r = cli("calibrate", "--from", str(tmp_path / "bad.csv"))
    assert r.returncode == 2 and "columns of the data dictionary" in r.stderr
    r = here("export", "--out", str(tmp_path / "x.xlsx"))
    assert r.returncode == 2 and ".csv or .parquet" in r.stderr


def test_report_and_export_of_a_clinics_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'clinic.db'}"
    r = here("report", "--database-url", url, "--figure", str(tmp_path / "plot.png"))
    assert r.returncode == 0 and "0 treatment(s) with an outcome" in r.stdout, r.stderr
    assert (tmp_path / "plot.png").read_bytes()[:4] == b"\x89PNG"
    r = here("export", "--out", str(tmp_path / "o.csv"), "--database-url", url)
    assert r.returncode == 0 and (tmp_path / "o.dictionary.csv").is_file(), r.stderr
    r = here("adopt", "7", "--database-url", url)
    assert r.returncode == 2 and "a proposed calibration's version" in r.stderr
