"""``dermalase outcomes ...``: the clinic's outcomes from the command line (issue 34).

``report`` (prediction beside observation), ``calibrate`` (from the clinic's database or from
de-identified exports, pooled; never adopted silently), ``adopt`` / ``published`` (an admin's
act, in the audit trail as the command line's user), ``export`` (de-identified CSV or
Parquet with its data dictionary), ``fhir`` (a patient's FHIR R4 bundle) and ``synthetic`` (a
labelled SYNTHETIC cohort as an export file, for trying the calibration). Reads of patient data
are audited as ``cli:<user>``. Bad input exits 2 with one line."""

from __future__ import annotations

import getpass
import json
from contextlib import contextmanager
from pathlib import Path

import click

from ..errors import InputError
from .main import _check_out_path, _fail, _output, cli

DB_HELP = "Database (default: DATABASE_URL, else SQLite in the data folder)."


@cli.group()
def outcomes() -> None:
    """Treatments, follow-ups and calibration from the clinic's outcomes."""


def _actor():
    """The command line's user as the services' acting account (an admin: the machine's
    operator); audited as ``cli:<user>``."""
    from ..web.db import User

    return User(username=f"cli:{getpass.getuser()}"[:64], role="admin")


@contextmanager
def _database(url: str | None):
    try:
        from ..web import config
        from ..web.db import open_database
    except ImportError as exc:
        _fail(f"outcomes: the clinic's database needs the web packages ({exc.name} is "
              "missing): pip install 'dermalase[web]'")
    settings = config.load(database_url=url)
    make = open_database(settings.url(), "--database-url" if url else "DATABASE_URL")
    try:
        with make() as db:
            yield db
    finally:
        make.kw["bind"].dispose()


def _run(fn):
    try:
        return fn()
    except InputError as exc:
        _fail(str(exc))
    except LookupError as exc:  # NotFound, Forbidden from the services
        _fail(str(exc))


@outcomes.command()
@click.option("--database-url", default=None, help=DB_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
@click.option("--figure", type=click.Path(dir_okay=False), help="Write the calibration plot "
              "(PNG).")
def report(database_url: str | None, as_json: bool, figure: str | None) -> None:
    """Observed against predicted: coverage of the intervals, bias by modality and area,
    cases far outside for review."""
    from ..outcomes import report as rep

    _check_out_path("--figure", figure)
    with _database(database_url) as db:
        from ..web.services import outcomes as service

        out = rep.build(_run(lambda: service.report_items(db, _actor())))
    if figure:
        from ..io.files import atomic_write

        with _output("--figure"), atomic_write(figure, "--figure") as tmp:
            Path(tmp).write_bytes(rep.figure(out))
    click.echo(json.dumps(out, indent=1) if as_json else rep.text(out))


@outcomes.command()
@click.option("--database-url", default=None, help=DB_HELP)
@click.option("--from", "files", multiple=True, type=click.Path(dir_okay=False),
              help="De-identified exports (CSV or Parquet) to pool instead of the database.")
@click.option("--engine", type=click.Choice(("auto", "dask", "here")), default="auto",
              show_default=True, help="Pooled imports: Dask above 100,000 rows (auto).")
@click.option("--workers", type=click.IntRange(1, 1024), default=None)
@click.option("--scheduler", default=None, help="A Dask scheduler's address.")
@click.option("--table", is_flag=True, help="Also re-plan the planner table under it "
              "(minutes).")
@click.option("--save", is_flag=True, help="Keep it in the database as a proposed version "
              "(adopt it with 'dermalase outcomes adopt').")
@click.option("--out", type=click.Path(dir_okay=False), help="Write the calibration (JSON).")
@click.option("--json", "as_json", is_flag=True)
def calibrate(database_url, files, engine, workers, scheduler, table, save, out, as_json):
    """Work out a calibration from the outcomes (shown, never adopted by this command)."""
    from .. import calibration as calmod
    from ..outcomes import calibrate as C
    from ..outcomes import export

    _check_out_path("--out", out)
    if files:
        res = _run(lambda: export.pooled(files, engine=engine, workers=workers,
                                         scheduler=scheduler))
    else:
        with _database(database_url) as db:
            from ..web.services import outcomes as service

            cases = service.all_cases(db)
            res = _run(lambda: C.calibrate(cases, reference=service.active(db)))
    report_ = dict(res.report)
    if table:
        from ..outcomes.tables import table_changes

        report_["table"] = table_changes(calmod.PUBLISHED, res.calibration)
    if save and not files:
        with _database(database_url) as db:
            from ..web.db import CalibrationVersion
            from ..web.services import outcomes as service

            row = CalibrationVersion(version=res.calibration.version, name="clinic",
                                     status="proposed", created_by=_actor().username,
                                     cases=res.calibration.cases, report=report_)
            _save(db, row, res.calibration)
    if out:
        from ..io.files import atomic_write

        with _output("--out"), atomic_write(out, "--out") as tmp:
            Path(tmp).write_text(json.dumps(res.calibration.to_dict()), encoding="utf-8")
    click.echo(json.dumps({"calibration": res.calibration.to_dict(), "report": report_},
                          indent=1) if as_json else _text(res.calibration, report_))


def _save(db, row, cal) -> None:
    from sqlalchemy import func, select

    from ..web.db import CalibrationVersion

    row.version = int(db.scalar(select(func.max(CalibrationVersion.version))) or 0) + 1
    row.params = {**cal.to_dict(), "version": row.version}
    db.add(row)
    db.commit()
    click.echo(f"kept as proposed version {row.version} (id {row.id})")


def _text(cal, report_: dict) -> str:
    lines = [f"calibration from {cal.cases} outcome(s); {cal.provenance}"]
    for g, r in report_["groups"].items():
        lines.append(f"{g}: {r['cases']} cases")
        for name, v in r["parameters"].items():
            lo, hi = v["posterior_interval"]
            plo, phi = v["prior_interval"]
            lines.append(f"    {name}: {v['posterior_mean']:.4g} ({lo:.4g}-{hi:.4g}, "
                         f"{r['level']:.0%}); published {v['prior_mean']:.4g} "
                         f"({plo:.4g}-{phi:.4g})")
        ck = r["check"]
        if ck["folds"]:
            lines.append(f"    held out ({ck['folds']}-fold): posterior covers "
                         f"{ck['posterior']['coverage']:.0%}, the calibration in force "
                         f"{ck['in_force']['coverage']:.0%}")
    lines += [f"not calibrated: {r}" for r in report_["refused"]]
    lines += [f"FLAG: {f}" for f in report_["flags"]]
    for row in report_.get("table", []):
        ch = "; ".join(f"{c['what']} {c['before']} -> {c['after']}" for c in row["changes"])
        lines.append(f"planner table: {row['case']}: {ch or 'no change'}")
    return "\n".join(lines)


@outcomes.command()
@click.argument("version", type=int)
@click.option("--database-url", default=None, help=DB_HELP)
def adopt(version: int, database_url: str | None) -> None:
    """Adopt a proposed calibration VERSION: plans made from now on use it."""
    from sqlalchemy import select

    with _database(database_url) as db:
        from ..web.db import CalibrationVersion
        from ..web.services import outcomes as service

        row = db.scalar(select(CalibrationVersion).where(CalibrationVersion.version == version))
        if row is None:
            _fail(f"version: got {version}; allowed: a proposed calibration's version")
        _run(lambda: service.adopt(db, _actor(), row.id))
    click.echo(f"calibration version {version} adopted")


@outcomes.command()
@click.option("--database-url", default=None, help=DB_HELP)
def published(database_url: str | None) -> None:
    """Go back to the published values (the adopted calibration is retired)."""
    with _database(database_url) as db:
        from ..web.services import outcomes as service

        service.use_published(db, _actor())
    click.echo("the published calibration is in force")


@outcomes.command("export")
@click.option("--out", type=click.Path(dir_okay=False), required=True,
              help="FILE.csv or FILE.parquet (the data dictionary beside it).")
@click.option("--clinic", default="", help="Your clinic's label in the pooled data.")
@click.option("--database-url", default=None, help=DB_HELP)
def export_(out: str, clinic: str, database_url: str | None) -> None:
    """The de-identified outcomes, for pooling across clinics."""
    from ..outcomes import export

    _check_out_path("--out", out)
    if not out.endswith((".csv", ".parquet")):
        _fail(f"--out: got {out!r}; allowed: a .csv or .parquet file")
    with _database(database_url) as db:
        from ..web.services import outcomes as service

        rows = export.deidentify(service.export_rows(db, _actor()), clinic[:64])
    with _output("--out"):
        export.write(rows, out)
    click.echo(f"{len(rows)} de-identified row(s) in {out}")


@outcomes.command()
@click.argument("patient_id", type=int)
@click.option("--out", type=click.Path(dir_okay=False), required=True)
@click.option("--database-url", default=None, help=DB_HELP)
def fhir(patient_id: int, out: str, database_url: str | None) -> None:
    """A patient's plans, treatments and follow-ups as a FHIR R4 bundle (JSON)."""
    _check_out_path("--out", out)
    with _database(database_url) as db:
        from ..web.services import outcomes as service

        b = _run(lambda: service.fhir_bundle(db, _actor(), patient_id))
    from ..io.files import atomic_write

    with _output("--out"), atomic_write(out, "--out") as tmp:
        Path(tmp).write_text(json.dumps(b, indent=1), encoding="utf-8")
    click.echo(f"FHIR bundle of {len(b['entry'])} resources in {out}")


@outcomes.command()
@click.argument("n", type=click.IntRange(1, 10_000_000))
@click.option("--out", type=click.Path(dir_okay=False), required=True)
@click.option("--seed", type=click.IntRange(0, 2**63 - 1), default=0, show_default=True)
@click.option("--speed", type=float, default=None, help="True front speed (µm/d); default "
              "the published one.")
@click.option("--clearance", type=float, default=None, help="True clearance (d/µm).")
def synthetic(n: int, out: str, seed: int, speed: float | None,
              clearance: float | None) -> None:
    """A SYNTHETIC cohort of N cases (generated, not patients) as an export file."""
    from ..outcomes import export
    from ..testing.cohort import Truth, cohort, published_truth

    _check_out_path("--out", out)
    base = published_truth()
    truth = Truth(clearance if clearance is not None else base.clearance_days_per_um,
                  1e3 / speed if speed else base.slowness_days_per_mm)
    rows = export.rows_of_cases(cohort(n, truth, seed), clinic="SYNTHETIC")
    with _output("--out"):
        export.write(rows, out)
    click.echo(f"{n} SYNTHETIC case(s) in {out}")
