"""Simulations: the physics form (fields from the scenario's sections, in clinical units), the
device form (a catalogue device's own settings), the stored results with how each device dial
became physics and every warning, downloads, and the side-by-side comparison."""

from __future__ import annotations

import json

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy import select

from ...errors import InputError
from ...simulate.scenario import FractionalSpec, FullFieldSpec, LaserSpec, NumericsSpec, SkinSpec
from .. import forms
from ..db import Simulation
from ..deps import DB, User_, csrf, web
from ..services import NotFound
from ..services import simulations as service

router = APIRouter(tags=["simulations"], dependencies=[Depends(csrf)])

SECTIONS: dict[str, type[BaseModel]] = {"skin": SkinSpec, "laser": LaserSpec,
                                        "numerics": NumericsSpec}
DELIVERY: dict[str, type[BaseModel]] = {"full-field": FullFieldSpec,
                                        "fractional": FractionalSpec}
#: summary rows shown, in order (the command line's table)
ROWS = ("ablation_depth_um", "coagulation_depth_um", "injury_depth_um", "deepest_layer",
        "peak_temperature_C", "collagen_denaturation_depth_um", "surface_injury_fraction",
        "coverage", "mtz_diameter_um", "reepithelialization_days")
#: what each summary row means, in a clinician's words
ROW_LABELS = {
    "ablation_depth_um": "Ablation depth (tissue removed, on the beam axis)",
    "coagulation_depth_um": "Coagulated layer below the ablation floor",
    "injury_depth_um": "Injury depth (ablated and coagulated)",
    "deepest_layer": "Deepest skin layer reached",
    "peak_temperature_C": "Peak tissue temperature",
    "collagen_denaturation_depth_um": "Collagen denaturation depth",
    "surface_injury_fraction": "Injured surface (fraction of the treated area)",
    "coverage": "Beam coverage (fraction of the surface under microbeams)",
    "mtz_diameter_um": "Microthermal zone diameter at the surface",
    "reepithelialization_days": "Re-epithelialization (wound covered again)",
}
#: how the summary's units are printed
UNIT_SHOWN = {"um": "µm", "C": "°C", "degC": "°C", "d": "days", "1": "", "": ""}


def scenario_fields(mode: str) -> list[forms.FormField]:
    out = [forms.FormField("name", "Name", "text", False, allowed="",
                           help="Name shown in the results.", default="scenario")]
    for sec, model in SECTIONS.items():
        out += forms.fields(model, sec, mode=mode)
    return out + [f for f in forms.fields(DELIVERY[mode], "delivery", mode=mode)
                  if f.name != "delivery.mode"]


def _mode(v: object) -> str:
    return v if isinstance(v, str) and v in DELIVERY else "full-field"


def device_fields(name: str) -> list[forms.FormField]:
    """The settings of a catalogue device, and the physics values it leaves to the user."""
    from ...devices import get

    dev = get(name)
    out = [forms.FormField("name", "Name", "text", False, allowed="",
                           help="Name shown in the results.", default=dev.key)]
    out += forms.fields(SkinSpec, "skin")
    for s in dev.settings.values():
        kind = "integer" if s.unit == "" else "text" if s.unit == "%" else "quantity"
        unit = "%" if s.unit == "%" else s.unit
        rng = f"{s.low:g}-{s.high:g} {forms.PRETTY.get(unit, unit)}".strip()
        out.append(forms.FormField(
            f"device.{s.name}", s.name.replace("_", " ").capitalize(), kind,
            s.name in dev.required, unit=unit if kind == "quantity" else "",
            allowed=rng + ("" if s.checked else " (no device range in the sources)"),
            help=f"{s.means or s.name}. Known from: {s.status}; {s.source}",
            default="" if s.default is None else f"{s.default:g}"))
    units = {"microbeam_diameter": "um", "spot_diameter": "mm", "pulse_duration": "us"}
    for name_ in dev.missing():
        f = dev.fixed[name_]
        out.append(forms.FormField(f"device.{name_}", name_.replace("_", " ").capitalize(),
                                   "quantity", True, unit=units.get(name_, ""), help=f.source,
                                   allowed="a value the sources do not give: yours"))
    return out + forms.fields(NumericsSpec, "numerics")


def _raw(form) -> dict[str, str]:
    return {k: v for k, v in form.items() if isinstance(v, str)}


def _form_error(fs: list[forms.FormField], exc: InputError) -> tuple[str, str]:
    """The field an error names, and what it allows in the field's own units."""
    name = forms.error_field(exc.field)
    f = next((x for x in fs if x.name == name), None)
    return name, (f.allowed if f is not None and f.allowed and f.kind == "quantity"
                  else exc.allowed)


@router.get("/simulate", response_class=HTMLResponse)
def form(request: Request, user: User_, mode: str = "full-field"):
    fs = scenario_fields(_mode(mode))
    return web(request).page(request, "simulate.html", fields=fs, mode=_mode(mode),
                             values={f.name: f.default for f in fs}, error=None,
                             error_field=None, error_allowed=None)


@router.post("/simulate")
async def run(request: Request, user: User_, db: DB):
    from ...simulate import Scenario
    from ...simulate.store import key

    raw = _raw(await request.form())
    mode = _mode(raw.get("mode"))
    fs = scenario_fields(mode)
    d = forms.to_dict(fs, raw)
    d.setdefault("delivery", {})["mode"] = mode
    try:
        k = key("summary", Scenario.from_dict(d))
    except InputError as exc:
        name, allowed = _form_error(fs, exc)
        return web(request).page(request, "simulate.html", 422, fields=fs, mode=mode,
                                 values=raw, error=exc, error_field=name,
                                 error_allowed=allowed)
    done = db.scalar(select(Simulation.id).where(Simulation.key == k).limit(1))
    if done is not None:  # the same resolved scenario and model: at once
        return RedirectResponse(f"/simulations/{done}", 303)
    job_id = service.queue(db, web(request).worker, user, d)
    return RedirectResponse(f"/jobs/{job_id}", 303)


@router.get("/simulations", response_class=HTMLResponse)
def listing(request: Request, user: User_, db: DB):
    rows = db.execute(select(Simulation.id, Simulation.name, Simulation.created_at,
                             Simulation.created_by).order_by(Simulation.id.desc())
                      .limit(200)).all()
    return web(request).page(request, "simulations.html", rows=rows)


@router.get("/simulations/{sid}", response_class=HTMLResponse)
def show(request: Request, sid: int, user: User_, db: DB):
    s = service.read(db, sid)
    return web(request).page(request, "simulation.html", s=s, rows=ROWS, units=UNIT_SHOWN,
                             scenario_rows=scenario_rows(s), labels=ROW_LABELS)


#: the unit suffixes of the resolved scenario's keys (``fluence_J_m2``)
_SUFFIXES = ("_J_m2", "_per_m2", "_per_m", "_m2", "_Hz", "_m", "_s", "_J")


def scenario_rows(s: Simulation) -> list[tuple[str, str]]:
    """The resolved scenario of a result in clinical units (what was simulated)."""
    sc = (s.summary or {}).get("scenario") or {}
    out: list[tuple[str, str]] = []
    mode = ((sc.get("delivery") or {}).get("mode")) or ""
    for sec in ("laser", "delivery"):
        part = sc.get(sec) or {}
        model = SECTIONS.get(sec) or DELIVERY.get(mode)
        if model is None or not isinstance(part, dict):
            continue
        fs = {f.name: f for f in forms.fields(model, sec, mode=mode)}
        for k, v in part.items():
            f = fs.get(f"{sec}.{k}") or next(
                (fs[f"{sec}.{k[:-len(x)]}"] for x in _SUFFIXES
                 if k.endswith(x) and f"{sec}.{k[:-len(x)]}" in fs), None)
            if v is None or k == "mode" or f is None:
                continue
            if f.kind == "quantity" and f.unit and isinstance(v, int | float):
                shown = f"{_num(v / forms.factor(f.unit, f.si_unit))} {f.unit_shown}"
            else:
                shown = str(v)
            out.append((f.label, shown))
    return out


def _num(v: float) -> str:
    from ..common import number

    return number(v)


@router.get("/simulations/{sid}/figure.png")
def figure(sid: int, user: User_, db: DB):
    return Response(service.read(db, sid).figure_png, media_type="image/png")


@router.get("/simulations/{sid}/healing.png")
def healing(sid: int, user: User_, db: DB):
    png = service.read(db, sid).healing_png
    if png is None:  # simulated before revision 0002
        raise NotFound("no healing curve was kept for this simulation")
    return Response(png, media_type="image/png")


@router.get("/simulations/{sid}/fields.nc")
def netcdf(sid: int, user: User_, db: DB):
    return Response(service.read(db, sid).netcdf, media_type="application/x-netcdf",
                    headers={"Content-Disposition":
                             f'attachment; filename="simulation-{sid}.nc"'})


@router.get("/simulations/{sid}/summary.json")
def summary(sid: int, user: User_, db: DB):
    return Response(json.dumps(service.read(db, sid).summary, indent=2),
                    media_type="application/json")


def _ids(request: Request) -> list[int]:
    ids = [int(x) for x in request.query_params.getlist("ids") if x.isdigit()][:6]
    if len(ids) < 2:
        raise InputError("ids", len(ids), "at least two simulations to compare")
    return ids


@router.get("/compare", response_class=HTMLResponse)
def compare(request: Request, user: User_, db: DB):
    try:
        sims = [service.read(db, i) for i in _ids(request)]
    except InputError as exc:
        return web(request).page(request, "error.html", 422, title="Choose two or more",
                                 message="choose at least two simulations to compare",
                                 code=422, detail=str(exc))
    return web(request).page(request, "compare.html", sims=sims, rows=ROWS, units=UNIT_SHOWN,
                             ids="&".join(f"ids={s.id}" for s in sims), labels=ROW_LABELS)


@router.get("/compare/figure.png")
def compare_figure(request: Request, user: User_, db: DB):
    sims = [service.read(db, i) for i in _ids(request)]
    return Response(service.compare_figure(sims), media_type="image/png")


@router.get("/simulate/device", response_class=HTMLResponse)
def device_form(request: Request, user: User_, name: str = ""):
    from ...devices import catalogue

    if not name:
        return web(request).page(request, "devices.html", devices=list(catalogue().values()))
    try:
        fs = device_fields(name)
    except InputError:
        raise NotFound(f"no device {name[:60]!r} in the catalogue") from None
    return web(request).page(request, "simulate_device.html", fields=fs, device=name,
                             values={f.name: f.default for f in fs}, error=None,
                             error_field=None, error_allowed=None)


@router.post("/simulate/device")
async def device_run(request: Request, user: User_, db: DB):
    from ...devices.resolve import check

    raw = _raw(await request.form())
    name = raw.get("device_name", "")
    try:
        fs = device_fields(name)
    except InputError:
        raise NotFound(f"no device {name[:60]!r} in the catalogue") from None
    d = forms.to_dict(fs, raw)
    d.setdefault("device", {})["name"] = name
    try:
        check(d)
    except InputError as exc:
        field, allowed = _form_error(fs, exc)
        return web(request).page(request, "simulate_device.html", 422, fields=fs, device=name,
                                 values=raw, error=exc, error_field=field,
                                 error_allowed=allowed)
    job_id = service.queue(db, web(request).worker, user, d)
    return RedirectResponse(f"/jobs/{job_id}", 303)
