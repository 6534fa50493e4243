"""``dermalase`` command line."""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager, nullcontext
from importlib import resources
from pathlib import Path

import click

from ..errors import InputError

EXAMPLES = ("default", "co2_two_pass", "fractional_er_yag", "er_yag_coagulation",
            "device_contour_trl", "device_fraxel_repair")
PATIENTS = ("patient_perioral", "patient_acne_v", "patient_full_face")
SWEEPS = ("sweep_er_yag",)


def _fail(msg: str) -> None:
    click.echo(f"error: {msg}", err=True)
    sys.exit(2)


def _check_out_path(option: str, path: str | None) -> None:
    """Refuse an output that cannot be written before any work starts (io/files.py)."""
    if path is None:
        return
    from ..io.files import check_output_path

    try:
        check_output_path(option, path)
    except InputError as exc:
        _fail(str(exc))


def _check_figure_path(option: str, path: str | None) -> None:
    """A figure output: writable (as every output) and named with a format's extension."""
    if path is None:
        return
    from ..io.files import figure_format

    _check_out_path(option, path)
    try:
        figure_format(option, path)
    except InputError as exc:
        _fail(str(exc))


@contextmanager
def _output(option: str):
    """Report a failed write under the command-line option that named the file."""
    from ..io.files import OutputError

    try:
        yield
    except OutputError as exc:
        _fail(str(OutputError(option, exc.value, exc.allowed)))


def _check_scheduler(scheduler: str | None, workers: int | None) -> None:
    """Refuse, before any work, a scheduler address Dask cannot read: ``--scheduler``, or
    ``DASK_SCHEDULER_ADDRESS`` where the engine would use it (sweep/address.py)."""
    import os

    from ..sweep.address import check_scheduler_address

    field, address = "--scheduler", scheduler
    if scheduler is None and workers != 0 and os.environ.get("DASK_SCHEDULER_ADDRESS"):
        field, address = "DASK_SCHEDULER_ADDRESS", os.environ["DASK_SCHEDULER_ADDRESS"]
    if address is None:
        return
    try:
        check_scheduler_address(field, address)
    except InputError as exc:
        _fail(str(exc))


def _load(scenario: str):
    """A scenario file (physics or [device]), or a built-in example by name."""
    from ..devices import load_scenario

    if scenario in EXAMPLES and not Path(scenario).exists():
        with resources.as_file(example_path(scenario)) as p:
            return load_scenario(p)
    return load_scenario(scenario)


def example_path(name: str):
    return resources.files("dermalase").joinpath("examples", f"{name}.toml")


def _summary_table(results):
    from rich.markup import escape
    from rich.table import Table

    table = Table(title="dermalase summary", show_lines=False)
    table.add_column("quantity")
    for res in results:
        table.add_column(res.scenario.name, justify="right")
    keys = ["ablation_depth_um", "coagulation_depth_um", "injury_depth_um", "deepest_layer",
            "peak_temperature_C", "collagen_denaturation_depth_um", "surface_injury_fraction",
            "reepithelialization_days", "reepithelialization_days_range",
            "remodeling_index_mm3_per_cm2"]
    if any(r.scenario.fractional for r in results):
        keys += FRACTIONAL_KEYS
    keys += ["ablation_per_pass_um", "geometry"]
    units = results[0].summary["units"]
    names = {"coverage": "coverage (beam)", "surface_injury_fraction":
             "surface_injury_fraction (injured surface)"}
    for k in keys:
        label = names.get(k, k) + (f" [{units[k]}]" if k in units else "")
        table.add_row(escape(label), *[escape(_fmt(r.summary.get(k))) for r in results])
    return table


def _device_table(dev: dict):
    """How a [device] scenario's settings became physics."""
    from rich.markup import escape
    from rich.table import Table

    given = ", ".join(f"{k} = {v}" for k, v in dev["settings"].items())
    table = Table(title=escape(f"{dev['model']} ({dev['name']}): {given}"))
    for col in ("physics", "value", "from", "status"):
        table.add_column(col)
    for h in dev["resolved"]:
        table.add_row(*(escape(str(h[k])) for k in ("field", "value", "from", "status")))
    for u in dev["unchecked"]:
        table.add_row("unchecked", "", escape(u), "none")
    for c in dev.get("cautions", []):
        table.add_row("caution", "", escape(c), "")
    return table


FRACTIONAL_KEYS = ["channel_diameter_um", "coagulation_collar_um", "mtz_diameter_um",
                   "coverage", "zone_density_per_cm2", "zone_spacing_um", "bridge_width_um",
                   "zones_merge", "bulk_temperature_rise_K"]


def _fmt(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, list):
        return ", ".join(_fmt(x) for x in v)
    return str(v)


def _print_warnings(results) -> None:
    for r in results:
        for w in r.summary.get("warnings", []):
            click.echo(f"warning ({r.scenario.name}): {w}", err=True)


@click.group()
@click.version_option(package_name="dermalase")
def cli() -> None:
    """Simulate laser skin resurfacing: ablation, coagulation, healing."""


def main() -> None:
    """Entry point: no traceback for users (set DERMALASE_DEBUG=1 to see one). Standard output
    is guarded (io/files.py): a write it refuses is one line, exit 2."""
    import atexit
    import gc

    from ..io.files import GuardedStdout

    # At exit the interpreter's last garbage collection walks every object numba, SciPy and
    # the simulations made (~0.25 s of a cold plan's 2 s, measured): the process is ending, so
    # its objects are frozen out of that collection instead (atexit handlers and finalizers
    # registered with weakref.finalize still run; docs/design.md, "A fast end").
    atexit.register(gc.freeze)
    guard = GuardedStdout(sys.stdout)
    sys.stdout = guard
    try:
        _main()
        try:
            guard.flush()
        except InputError as exc:
            _fail(str(exc))
    finally:
        if sys.stdout is guard:
            sys.stdout = guard.stream


def _main() -> None:
    import os

    try:
        rc = cli(standalone_mode=False)
    except SystemExit:
        raise
    except click.exceptions.Abort:
        click.echo("error: interrupted", err=True)
        sys.exit(130)
    except click.exceptions.NoArgsIsHelpError as exc:  # plain "dermalase": the help
        click.echo(exc.format_message())
        sys.exit(0)
    except click.ClickException as exc:  # usage errors in one line, like every other error
        ctx = getattr(exc, "ctx", None)
        where = f" (see: {ctx.command_path} --help)" if ctx is not None else ""
        _fail(" ".join(exc.format_message().split()) + where)
    except InputError as exc:
        _fail(str(exc))
    except Exception as exc:  # pragma: no cover - last resort, keeps tracebacks from users
        if os.environ.get("DERMALASE_DEBUG"):
            raise
        click.echo(f"error: internal error ({type(exc).__name__}: {exc}); "
                   "rerun with DERMALASE_DEBUG=1 and report it", err=True)
        sys.exit(1)
    if isinstance(rc, int) and rc:
        sys.exit(rc)


@cli.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
@click.option("--out", type=click.Path(dir_okay=False), help="Write fields to NetCDF (.nc).")
@click.option("--figure", type=click.Path(dir_okay=False),
              help="Write the cross-section (PNG; or PDF, SVG, JPEG, TIFF by the name's "
              "extension).")
@click.option("--healing-figure", type=click.Path(dir_okay=False),
              help="Write the healing curve and surface maps (PNG, PDF, SVG, ... by the "
              "extension).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option("--uncertainty", type=int, default=None, metavar="N",
              help="Also run N samples over the sourced ranges of the tissue inputs and report "
              "5-95 % prediction intervals and the inputs that drive them.")
@click.option("--workers", type=click.IntRange(0, 1024), default=None,
              help="With --uncertainty: Dask workers (default one per core; 0: here).")
def simulate(scenario: str, as_json: bool, out: str | None, figure: str | None,
             healing_figure: str | None, quiet: bool, uncertainty: int | None,
             workers: int | None) -> None:
    """Run SCENARIO.toml (or a built-in example: default, co2_two_pass, fractional_er_yag,
    er_yag_coagulation)."""
    from ..simulate import simulate as run

    _check_out_path("--out", out)
    _check_figure_path("--figure", figure)
    _check_figure_path("--healing-figure", healing_figure)
    try:
        sc = _load(scenario)
    except InputError as exc:
        _fail(str(exc))
    if uncertainty is not None:
        from ..sweep.uncertainty import samples

        _check_scheduler(None, workers)  # DASK_SCHEDULER_ADDRESS, where it would be used
        try:
            samples(sc, uncertainty)  # a bad count is refused before anything runs
        except InputError as exc:
            _fail(str(exc))
    result = _run_with_progress(run, sc, quiet or as_json)
    spread = None if uncertainty is None else \
        _intervals(sc, uncertainty, workers, quiet or as_json)
    if out:
        from ..io.files import write_netcdf

        write_netcdf(result.dataset, out, "--out")
    if figure:
        from ..report import treatment_figure

        with _output("--figure"):
            treatment_figure(result, figure)
    if healing_figure:
        from ..report import healing_figure as heal_fig

        with _output("--healing-figure"):
            heal_fig([result], healing_figure)
    if as_json:
        if spread is None:
            click.echo(result.to_json())
        else:
            click.echo(json.dumps({**json.loads(result.to_json()), "uncertainty": spread},
                                  indent=2, allow_nan=False))
    else:
        from rich.console import Console

        if sc.device is not None:
            Console().print(_device_table(sc.device))
        Console().print(_summary_table([result]))
        if spread is not None:
            Console().print(_interval_table(spread))
        _print_warnings([result])
        for label, path in (("fields", out), ("figure", figure),
                            ("healing figure", healing_figure)):
            if path:
                click.echo(f"wrote {label}: {path}")


@cli.command()
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True)
@click.option("--healing-figure", type=click.Path(dir_okay=False),
              help="Write the healing curves of all scenarios (PNG, PDF, SVG, ... by the "
              "extension).")
def compare(scenarios, as_json: bool, healing_figure: str | None) -> None:
    """Side-by-side summaries of several scenarios (files or built-in example names)."""
    from ..simulate import simulate as run

    _check_figure_path("--healing-figure", healing_figure)
    try:
        scs = [_load(s) for s in scenarios]
    except InputError as exc:
        _fail(str(exc))
    results = [_run_with_progress(run, s, as_json) for s in scs]
    if healing_figure:
        from ..report import healing_figure as heal_fig

        with _output("--healing-figure"):
            heal_fig(results, healing_figure)
    if as_json:
        click.echo(json.dumps([r.summary for r in results], indent=2, allow_nan=False))
    else:
        from rich.console import Console

        Console().print(_summary_table(results))
        _print_warnings(results)


@cli.command()
@click.argument("patient", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the plan as one JSON object.")
@click.option("--report", type=click.Path(dir_okay=False), help="Write an HTML report.")
@click.option("--workers", type=click.IntRange(0, 1024), default=0, show_default=True,
              help="Dask workers for the candidates' searches the store lacks (0: here, one "
              "after the other).")
@click.option("--scheduler", default=None,
              help="Address of a running Dask scheduler for the searches (or set "
              "DASK_SCHEDULER_ADDRESS with --workers).")
@click.option("--uncertainty", type=int, default=None, metavar="N",
              help="Add model intervals (5-95 %) to every simulated candidate's predictions, "
              "over N samples of the sourced tissue ranges.")
@click.option("--documents", type=click.Path(file_okay=False), default=None, metavar="DIR",
              help="Write the patient's and the clinician's documents into DIR (plan, consent, "
              "care timeline, clinician sheet as HTML and PDF; sessions.ics; face-map.svg).")
@click.option("--first-session", default=None, metavar="YYYY-MM-DD",
              help="Date of the first session for the documents' calendar (default: 14 days "
              "from today, after two weeks of sun protection).")
def plan(patient: str, as_json: bool, report: str | None, workers: int,
         scheduler: str | None, uncertainty: int | None, documents: str | None,
         first_session: str | None) -> None:
    """Recommend a procedure and settings for PATIENT.toml (or a built-in example patient:
    patient_perioral, patient_acne_v, patient_full_face)."""
    from ..planner import Patient
    from ..planner import plan as make_plan

    _check_out_path("--report", report)
    _check_scheduler(scheduler, workers)
    first = _first_session(first_session)
    if documents:
        from ..report.documents import check_folder

        try:
            check_folder(documents)
        except InputError as exc:
            _fail(str(exc))
    try:
        if patient in PATIENTS and not Path(patient).exists():
            with resources.as_file(example_path(patient)) as p:
                pat = Patient.from_toml(p)
        else:
            pat = Patient.from_toml(patient)
    except InputError as exc:
        _fail(str(exc))
    # fork: the searches a cold plan lacks run here and in a forked process beside it (this
    # process runs one thread; planner.parallel.search_in_processes)
    engine = {"workers": None if scheduler and not workers else workers,
              "scheduler": scheduler, "uncertainty": uncertainty or 0, "fork": True}
    if uncertainty is not None:
        from ..sweep.uncertainty import check_count

        try:
            check_count(uncertainty)
        except InputError as exc:
            _fail(str(exc))
    from ..planner.search import fields_not_kept

    # the chosen settings' fields are kept on disk for a report; without one, keeping them
    # (xarray, NetCDF writes: ~1 s of a cold plan) is left to the run that draws it
    keeping = nullcontext() if report else fields_not_kept()
    try:
        with keeping:
            result = _plan_with_progress(make_plan, pat, engine, as_json)
    except InputError as exc:  # a scheduler that does not answer
        _fail(str(exc))
    if report:
        from ..io.files import atomic_write
        from ..planner.html import render

        text = render(result)
        with atomic_write(report, "--report") as tmp:
            Path(tmp).write_text(text, encoding="utf-8")
    written = _write_documents(result, documents, first) if documents else []
    if as_json:
        click.echo(json.dumps(result, indent=2, allow_nan=False))
        return
    _print_plan(result)
    if report:
        click.echo(f"wrote report: {report}")
    if written:
        from ..report.documents import reading_levels, render_html

        levels = reading_levels(render_html(result, first))
        click.echo(f"wrote {len(written)} documents in {documents}: "
                   + ", ".join(p.name for p in written))
        click.echo("reading level of the patient's documents (Flesch-Kincaid grade, target "
                   "<= 8; Flesch reading ease, target >= 60): " + "; ".join(
                       f"{n} grade {v['flesch_kincaid_grade']:g}, ease "
                       f"{v['flesch_reading_ease']:g}" for n, v in levels.items()))


def _write_documents(result: dict, documents: str, first) -> list:
    """The patient's and the clinician's documents into ``documents`` (all or nothing)."""
    from ..report import documents as docs

    try:
        return docs.write(result, documents, first)
    except InputError as exc:
        _fail(str(exc))
    return []


def _first_session(text: str | None):
    """The first session's date: the option's, or 14 days from today."""
    import datetime as dt

    if text is None:
        return dt.date.today() + dt.timedelta(days=14)
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        _fail(f"--first-session: got {text!r}; allowed: a date YYYY-MM-DD")


def _plan_with_progress(make_plan, pat, engine: dict, quiet: bool) -> dict:
    """The plan; with an engine, a progress bar over the searches it runs there."""
    if engine["workers"] == 0 and not engine["scheduler"] and not engine["uncertainty"] \
            or quiet:
        return make_plan(pat, **engine)
    from rich.progress import Progress

    with Progress(transient=True) as prog:
        task = prog.add_task("plan: simulations", total=None)

        def progress(done: int, total: int) -> None:
            prog.update(task, completed=done, total=total)

        return make_plan(pat, **engine, progress=progress)


def _settings(st: dict) -> str:
    return ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in st.items())


def _downtime(c: dict) -> str:
    """Typical social downtime with the published range ("may take up to")."""
    from ..planner.plan import format_days as _days

    typ = c.get("downtime_typical_days")
    dt = c.get("downtime_days")
    if typ is None or not dt:
        return f"{_days(dt)} d"
    return f"typically {typ:g} d (may take up to {dt[1]:g} d)"


def _candidates_table(candidates: list, rec: dict | None):
    """The candidates one after the other (★: the recommendation), each in a few wrapped lines
    that stay readable at 80 columns, with the injury depth's model interval when the plan has
    one."""
    from rich.console import Group
    from rich.markup import escape
    from rich.text import Text

    from ..planner.plan import course_text

    spread = next((c["predicted_interval"] for c in candidates
                   if c.get("predicted_interval")), None)
    out = [Text("candidates" + (
        f" (injury: model interval 5-95 % over {spread['samples']} samples of the "
        "sourced tissue ranges, not checked against clinical spread)" if spread else ""),
        style="bold")]
    for i, cand in enumerate(candidates, 1):
        pr = cand["predicted"] or {}
        star = "★ " if rec and cand["label"] == rec["label"] else ""
        cond = (" (conditional on " + ", ".join(cand["conditional_on"]) + ")"
                if cand["conditional_on"] else "")
        inj = pr.get("injury_depth_um")
        iv = ((cand.get("predicted_interval") or {}).get("intervals") or {}).get(
            "injury_depth_um")
        depth = ("injury not simulated" if inj is None else
                 f"injury {5 * round(inj / 5):.0f} µm"
                 + (f" ({iv['p5']:.0f}-{iv['p95']:.0f})" if iv else ""))
        out.append(Text.from_markup(
            f"{i}. [bold]{escape(star + cand['label'])}[/bold]{escape(cond)}\n"
            f"   {escape(_cand_settings(cand))}\n"
            f"   {course_text(cand['sessions'])}; {depth}; downtime {_downtime(cand)}\n"
            f"   {escape('; '.join(cand['problems']) or 'meets the constraints')}"))
    return Group(*out)


def _cand_settings(cand: dict) -> str:
    if cand.get("units") is not None:
        n = sum(1 for u in cand["units"] if u["modality"])
        return f"settings by unit ({n} units treated; the unit table is under the recommendation)"
    return _settings(cand["settings"]) or "no setting reaches the target"


def _print_units(con, units: list) -> None:
    """A full-face recommendation: each unit with its modality, settings and device terms."""
    from rich.markup import escape

    from ..report.facemap import unit_settings

    for u in units:
        if not u["modality"]:
            con.print(f"  unit {escape(u['label'])}: not treated ({escape(u.get('reason', ''))})")
            continue
        dev = "; ".join(f"{d['model']}: {_settings(d['settings'])}" for d in u["devices"])
        depth = u["injury_depth_um"]
        con.print(f"  unit {escape(u['label'])}: {escape(u['modality_label'])}: "
                  f"{escape(unit_settings(u))}"
                  + (f"; injury {5 * round(depth / 5):.0f} µm" if depth is not None else "")
                  + (f" [{escape(dev)}]" if dev else "")
                  + (" (feathering band)" if u["feathering_band"] else ""))


def _print_session(con, result: dict) -> None:
    """The one session of the face units: the face map as text and the session's figures."""
    from rich.markup import escape

    from ..planner.plan import course_text
    from ..report.facemap import face_map_text

    ses = result["session"]
    con.rule("one session by cosmetic unit: face map")
    for line in face_map_text(result):
        con.print(f"  {escape(line)}")
    dt = ses["downtime_days"]
    con.print(f"  session: {len(ses['treated_units'])} units, "
              f"{100 * ses['treated_share_of_face']:.0f} % of the face drawing "
              f"(schematic); {course_text(ses['sessions'])}; downtime "
              + (f"typically {ses['downtime_typical_days']:g} d (may take up to "
                 f"{dt[1]:g} d)" if dt and ses["downtime_typical_days"] is not None
                 else "not reported") + "; the units heal side by side")


def _print_plan(result: dict) -> None:
    from rich.console import Console
    from rich.markup import escape

    from ..planner.plan import course_text
    from ..planner.plan import format_days as _days
    from ..planner.words import days_text

    def lines(prefix: str, items) -> None:
        for item in items:
            con.print(f"  {prefix}{escape(item)}")

    con = Console()
    con.print(f"[bold]plan for {escape(result['patient']['name'])}[/bold] "
              f"({len(result['plans'])} concern(s); clinical envelope "
              f"{escape(result['envelope']['version'])})")
    if result.get("needed_answers"):
        con.print("[bold red]answers needed[/bold red] before any option that depends on them "
                  "can be recommended:")
        for a in result["needed_answers"]:
            con.print(f"  - {escape(a['key'])}: {escape(a['question'])}")
    for i, p in enumerate(result["plans"]):
        c = p["concern"]
        extra = f", {c['scar_type']} scars" if c.get("scar_type") else ""
        con.rule(f"concern {i + 1}: {escape(c['kind'])} (severity {c['severity']}{extra}), "
                 f"{escape(c['site'])}")
        rec = p["recommended"]
        if rec:
            iv = rec["interval_weeks"]
            con.print(f"[bold green]★ recommended[/bold green]: {escape(rec['label'])}: "
                      f"{escape(_settings(rec['settings']))}; "
                      + course_text(rec["sessions"], iv))
            lines("for this patient: ", rec.get("patient_warnings", []))
            re = rec["reepithelialization"] or {}
            model = re.get("model_days")
            ery = rec["erythema_days"]
            con.print(f"  social downtime {_downtime(rec)} (published); erythema "
                      + (f"{_days(ery)} d ({days_text(ery)})" if ery and ery[1] >= 60 else
                         f"{_days(ery)} d")
                      + " (published); re-epithelialization "
                      + (f"{model:.1f} d (model)" if model is not None else "not simulated")
                      + (f" [{escape(re['note'])}]" if re.get("note") else ""))
            con.print(f"  expected: {escape(rec['improvement'])}")
            if rec.get("units"):
                _print_units(con, rec["units"])
            for dv in rec["devices"]:
                con.print(f"  on {escape(dv['model'])}: "
                          f"{escape(_settings(dv['settings']))}"
                          + (escape(f" [{'; '.join(dv['notes'])}]") if dv["notes"] else ""))
            lines("- ", rec["reasons"])
            lines("step ", rec["steps"])
            lines("risk: ", rec["risks"])
            lines("adjunct: ", rec["adjuncts"])
        else:
            d = p["deferral"]
            con.print("[bold red]no recommendation yet[/bold red]")
            lines("why: ", d["why"])
            lines("to do: ", d["what_to_do"])
            lines("other route: ", d["non_laser"])
        if p["candidates"]:
            con.print(_candidates_table(p["candidates"], rec))
        for b in p["blocked"]:
            con.print(f"blocked: {escape(b['label'])}: {escape(b['reason'])} "
                      f"({escape(b['source'])})")
        con.print(f"[italic]for the patient:[/italic] {escape(p['summary'])}")
    if len(result["plans"]) > 1:
        con.rule("combined plan")
        for s in result["combined"]["steps"]:
            con.print(f"  - {escape(s)}")
    if result.get("session"):
        _print_session(con, result)
    for w in result["warnings"]:
        con.print(f"[yellow]warning[/yellow]: {escape(w)}")


@cli.command()
@click.argument("mci", type=click.Path(dir_okay=False))
@click.option("--out-dir", type=click.Path(file_okay=False), default=".",
              help="Folder for the .mco outputs (default: here).")
@click.option("--seed", type=click.IntRange(0, 2**63 - 1), default=1, show_default=True,
              help="Seed of the photon streams (0 to 2^63 - 1).")
@click.option("--json", "as_json", is_flag=True, help="Print the RAT results as JSON.")
def mc(mci: str, out_dir: str, seed: int, as_json: bool) -> None:
    """Monte Carlo light transport for an MCML input file (.mci; built-in: mcml_test)."""
    from .._version import __version__
    from ..io.files import atomic_write
    from ..io.mcml import format_mco, read_mci
    from ..physics.montecarlo import run as mc_run

    if not Path(out_dir).is_dir():
        _fail(f"--out-dir: got {out_dir!r}; allowed: an existing folder")
    try:
        if mci == "mcml_test" and not Path(mci).exists():
            with resources.as_file(resources.files("dermalase").joinpath(
                    "examples", "mcml_test.mci")) as p:
                runs = read_mci(p)
        else:
            runs = read_mci(mci)
    except InputError as exc:
        _fail(str(exc))
    for r in runs:  # every output checked before the first run starts
        _check_out_path("--out-dir", str(Path(out_dir) / Path(r.out_name).name))
    from ..simulate.budget import check_monte_carlo

    try:
        check_monte_carlo(runs)  # refuse up front what would run for hours
    except InputError as exc:
        _fail(str(exc))
    out = []
    for r in runs:
        res = mc_run(r.medium, r.n_photons, dr=r.dr, dz=r.dz, nr=r.nr, nz=r.nz, seed=seed)
        path = Path(out_dir) / Path(r.out_name).name
        with atomic_write(path, "--out-dir") as tmp:
            Path(tmp).write_text(format_mco(r, res, __version__), encoding="utf-8")
        out.append({"output": str(path), "photons": r.n_photons, "Rsp": res.Rsp, "Rd": res.Rd,
                    "A": res.A, "Tt": res.Tt, "se": res.se, "seconds": round(res.seconds, 3)})
    if as_json:
        click.echo(json.dumps(out, indent=2))
    else:
        for o in out:
            click.echo(f"{o['output']}: Rsp {o['Rsp']:.5f}  Rd {o['Rd']:.5f}  A {o['A']:.5f}  "
                       f"Tt {o['Tt']:.5f}  ({o['photons']} photons, {o['seconds']} s)")


@cli.command()
@click.argument("name", type=click.Choice(EXAMPLES + PATIENTS + SWEEPS))
def example(name: str) -> None:
    """Print a built-in example scenario, patient or sweep (TOML) to adapt."""
    click.echo(example_path(name).read_text(encoding="utf-8"), nl=False)


@cli.command()
@click.argument("name", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def devices(name: str | None, as_json: bool) -> None:
    """List the device catalogue, or show device NAME with its settings and sources."""
    from ..devices import catalogue, get

    if name is None:
        rows = [d.to_dict() for d in catalogue().values()]
        if as_json:
            click.echo(json.dumps(rows, indent=2))
            return
        from rich import box
        from rich.console import Console
        from rich.markup import escape
        from rich.table import Table

        table = Table(title="dermalase devices (dermalase devices NAME shows one)",
                      box=box.SIMPLE_HEAD)
        # what a user types (the name, the dials, the values to give) is never cut: one per
        # line, whatever the terminal's width; the description wraps
        table.add_column("name", no_wrap=True)
        table.add_column("device")
        table.add_column("dials", no_wrap=True)
        table.add_column("you give", no_wrap=True)
        for d in rows:
            table.add_row(escape(d["name"]),
                          escape(f"{d['model']}; {d['laser'] or '-'}, {d['delivery']}"),
                          escape("\n".join(d["settings"]) or "-"),
                          "not simulated" if d["unsupported"] else
                          escape("\n".join(d["needs_from_you"]) or "-"))
        Console().print(table)
        return
    dev = get(name, "NAME").to_dict()
    if as_json:
        click.echo(json.dumps(dev, indent=2))
        return
    _print_device(dev)


def _print_device(d: dict) -> None:
    click.echo(f"{d['name']}: {d['vendor']} {d['model']}")
    click.echo(f"  {d['summary']}")
    wl = f" ({d['wavelength_nm']:,.0f} nm)" if d["wavelength_nm"] else ""
    click.echo(f"  laser: {d['laser'] or '-'}{wl}; delivery: {d['delivery']}; planner "
               f"modalities: {', '.join(d['modalities']) or '-'}")
    if d["unsupported"]:
        click.echo(f"  not simulated: {d['unsupported']}")
    click.echo("  settings:")
    for n, s in d["settings"].items():
        click.echo(f"    {n} [{s['unit'] or 'count'}] {s['range'][0]:g}-{s['range'][1]:g} "
                   f"({s['status']}): {s.get('means', '')}; rule {s['rule']}. {s['source']}")
    click.echo("  fixed by the device:")
    for n, f in d["fixed"].items():
        val = f["value"] or (f"rule {f['rule']}" if f["rule"] else "none: give it in [device]")
        click.echo(f"    {n} = {val} ({f['status']}): {f['source']}")
    click.echo("  sources:")
    for src in d["sources"]:
        click.echo(f"    - {src}")


@cli.command()
@click.argument("which", type=click.Choice(("scenario", "patient")))
def schema(which: str) -> None:
    """Print the JSON Schema of a scenario or patient file (units in x-unit)."""
    from ..inputs import json_schema

    click.echo(json.dumps(json_schema(which), indent=2))


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the envelope as one JSON object.")
def envelope(as_json: bool) -> None:
    """Show the clinical envelope (data/envelope.toml): the treatment areas, the rows that
    block or bound the planner's settings by area, phototype and history, and the device
    ranges the search keeps to."""
    from ..planner.envelope import describe

    env = describe()
    if as_json:
        click.echo(json.dumps(env, indent=2, allow_nan=False))
        return
    from rich.console import Console
    from rich.markup import escape

    con = Console()
    con.print(f"[bold]clinical envelope {escape(env['version'])}[/bold] ({escape(env['file'])})")
    con.rule("areas")
    for name, a in env["areas"].items():
        flags = ", ".join(k for k in ("eyes", "keloid_prone") if a.get(k))
        con.print(f"{escape(name)}: {escape(a['region'])}, skin preset {escape(a['skin'])}, "
                  f"dermis {a['dermis_um']:g} µm" + (f" ({flags})" if flags else "")
                  + f"; full field <= {a['full_field_depth_max_um']:.0f} µm, fractional <= "
                  f"{a['fractional_depth_max_um']:.0f} µm")
    con.rule("rows")
    for r in env["rows"]:
        when = "; ".join(f"{k.replace('_', ' ')} {_plain(v)}" for k, v in r["when"].items())
        con.print(f"[bold]{escape(r['id'])}[/bold] ({escape(r['action'])}"
                  + (", policy" if r.get("policy") else "") + f"): {escape(when)}")
        if r["limits"]:
            con.print("  " + escape(", ".join(
                f"energy range x{v[0]:g} at the bottom, x{v[1]:g} at the top"
                if k == "energy_factor" else f"{k.replace('_', ' ')} {_plain(v)}"
                for k, v in r["limits"].items())))
        con.print(f"  {escape(r['reason'])} ({escape(r['source'])})")
    con.rule("devices")
    for m, d in env["devices"].items():
        con.print(f"{escape(m)}: " + (escape(d["model"]) + ": " + escape(", ".join(
            _device_range(k, v, d["units"][k]) for k, v in d["ranges"].items()))
            if d else "no device: blocked"))


def _plain(v) -> str:
    """An envelope value as text: lists as ranges or comma lists, flags as yes."""
    if v is True:
        return "yes"
    if isinstance(v, list | tuple):
        if len(v) == 2 and all(isinstance(x, int | float) for x in v):
            return f"{v[0]:g}-{v[1]:g}"
        return ", ".join(str(x) for x in v)
    return f"{v:g}" if isinstance(v, float) else str(v)


def _device_range(key: str, v: list, unit: str) -> str:
    """A device range with its unit, to the precision of the device's dials."""
    if unit == "1":  # a fraction of the surface
        return f"{key.replace('_', ' ')} {100 * v[0]:.0f}-{100 * v[1]:.0f} %"
    def num(x: float) -> str:
        return f"{x:.3g}" if abs(x) < 100 else f"{x:.0f}"

    return (f"{key.replace('_', ' ').replace(' um', '').replace(' cm2', '')} "
            f"{num(v[0])}-{num(v[1])} {unit}").rstrip()


@cli.command()
@click.argument("sweep_file", metavar="SWEEP.toml", type=click.Path(dir_okay=False))
@click.option("--workers", type=click.IntRange(0, 1024), default=None,
              help="Dask workers on this machine (at most one per core; default: serial or "
              "one per free core, whichever is predicted faster; 0: no Dask, here).")
@click.option("--scheduler", default=None,
              help="Address of a running Dask scheduler (or set DASK_SCHEDULER_ADDRESS).")
@click.option("--yes", is_flag=True,
              help="Run a sweep predicted to take longer than the limit (DERMALASE_MAX_SECONDS).")
@click.option("--out", type=click.Path(), help="Write the results (.nc or .zarr).")
@click.option("--figure", type=click.Path(dir_okay=False),
              help="Write the dose-response curves or maps (PNG, PDF, SVG, ... by the "
              "extension).")
@click.option("--json", "as_json", is_flag=True,
              help="Print the results as JSON: dims, units and one record per point.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def sweep(sweep_file: str, workers: int | None, scheduler: str | None, yes: bool,
          out: str | None, figure: str | None, as_json: bool, quiet: bool) -> None:
    """Run a scenario whose fields are lists or ranges {from, to, steps}, on Dask: one dimension
    per swept field (built-in: sweep_er_yag). Stored points are not run again (an interrupted
    sweep resumes)."""
    from ..sweep import read_sweep, run_sweep

    if out is not None:
        if not out.endswith((".nc", ".zarr")):
            _fail(f"--out: got {out!r}; allowed: a file name ending in .nc or .zarr")
        from ..io.files import check_output_dir

        if out.endswith(".zarr"):
            try:
                check_output_dir("--out", out)
            except InputError as exc:
                _fail(str(exc))
        else:
            _check_out_path("--out", out)
    _check_figure_path("--figure", figure)
    _check_scheduler(scheduler, workers)
    try:
        if sweep_file in SWEEPS and not Path(sweep_file).exists():
            with resources.as_file(example_path(sweep_file)) as p:
                sw = read_sweep(p)
        else:
            sw = read_sweep(sweep_file)
    except InputError as exc:
        _fail(str(exc))
    ds = _sweep_with_progress(run_sweep, sw, workers, scheduler, quiet or as_json, yes)
    if out:
        from ..sweep.dataset import write

        with _output("--out"):
            write(ds, out)
    if figure:
        from ..sweep.figures import dose_response_figure

        band = (sw.target_depth[0] * 1e6, sw.target_depth[1] * 1e6) if sw.target_depth \
            else None
        with _output("--figure"):
            dose_response_figure(ds, figure, target_um=band)
    if as_json:
        from ..sweep.dataset import to_json

        click.echo(json.dumps(to_json(ds), allow_nan=False))
        return
    a = ds.attrs
    click.echo(f"{a['points']} points ({a['computed']} computed, {a['from_store']} from the "
               f"store, {a['failed']} failed) in {a['seconds']:.1f} s on {a['engine']}")
    for e in sorted({str(x) for x in ds["error"].values.ravel() if x}):
        click.echo(f"failed: {e}", err=True)
    for label, path in (("results", out), ("figure", figure)):
        if path:
            click.echo(f"wrote {label}: {path}")


#: the quantities the terminal shows intervals for (the JSON has every quantity)
INTERVAL_KEYS = ("ablation_depth_um", "coagulation_depth_um", "injury_depth_um",
                 "collagen_denaturation_depth_um", "peak_temperature_C",
                 "surface_injury_fraction", "reepithelialization_days")


def _intervals(sc, n: int, workers: int | None, quiet: bool) -> dict:
    """The prediction intervals of ``sc`` over ``n`` samples (sweep/uncertainty.py)."""
    from ..sweep.uncertainty import intervals, run_uncertainty, sensitivity

    def go(progress=None):
        return run_uncertainty(sc, n, workers=workers, progress=progress)

    if quiet:
        ds = go()
    else:
        from rich.progress import Progress

        with Progress(transient=True) as prog:
            task = prog.add_task(f"uncertainty: {n} samples", total=n)
            ds = go(lambda done, total: prog.update(task, completed=done))
    return {"samples": n, "seed": ds.attrs["seed"], "sampling": ds.attrs["sampling"],
            "varied": ds.attrs["varied"].split(", "), "failed": ds.attrs["failed"],
            "engine": ds.attrs["engine"],
            "note": "model intervals over the sourced ranges of the tissue inputs (layers' "
                    "water and thickness, water absorption, necrosis kinetics); not checked "
                    "against clinical spread",
            "intervals": intervals(ds),
            "sensitivity": {k: [[name, round(rho, 3)] for name, rho in v[:3]]
                            for k, v in sensitivity(ds).items()}}


def _interval_table(spread: dict):
    """The intervals and, below them, what drives each quantity most; the quantity and input
    names (what a user types) are never cut, at 80 columns too."""
    from rich import box
    from rich.console import Group
    from rich.markup import escape
    from rich.table import Table

    keys = [k for k in INTERVAL_KEYS if spread["intervals"].get(k) is not None]
    width = max(len(k) for k in keys) if keys else 8
    t = Table(title=f"prediction intervals: {spread['samples']} samples over the sourced "
              "tissue ranges (model; not checked against clinical spread)", box=box.SIMPLE)
    t.add_column("quantity", no_wrap=True, min_width=width)
    for col in ("5 %", "50 %", "95 %"):
        t.add_column(col, justify="right")
    drivers = Table(title="driven most by (Spearman rank correlation)", box=box.SIMPLE)
    drivers.add_column("quantity", no_wrap=True, min_width=width)
    drivers.add_column("input", no_wrap=True)
    drivers.add_column("rho", justify="right")
    for k in keys:
        iv = spread["intervals"][k]
        t.add_row(escape(k), *(f"{iv[p]:.4g}" for p in ("p5", "p50", "p95")))
        top = spread["sensitivity"].get(k, [])
        if top:
            drivers.add_row(escape(k), escape(top[0][0]), f"{top[0][1]:+.2f}")
    return Group(t, drivers) if drivers.row_count else t


def _sweep_with_progress(run, sw, workers, scheduler, quiet, yes=False):
    if quiet:
        return run(sw, workers=workers, scheduler=scheduler, yes=yes)
    from rich.progress import Progress

    with Progress(transient=True) as prog:
        task = prog.add_task(f"sweep of {sw.size} points", total=sw.size)
        return run(sw, workers=workers, scheduler=scheduler, yes=yes,
                   progress=lambda done, total: prog.update(task, completed=done))


def _run_with_progress(run, sc, quiet):
    if quiet:
        return run(sc)
    from rich.progress import Progress

    with Progress(transient=True) as prog:
        task = prog.add_task(f"simulating {sc.name}", total=1.0)
        return run(sc, progress=lambda f: prog.update(task, completed=f))

