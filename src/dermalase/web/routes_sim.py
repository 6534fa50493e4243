"""Simulations: a scenario form generated from the scenario's sections, a background run with
its progress, the stored result (summary, cross-section, NetCDF and JSON downloads), and a
side-by-side comparison. A result already computed for the same resolved scenario and model
comes from the database at once."""

from __future__ import annotations

import json

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy import select

from .._version import __version__
from ..errors import InputError
from ..simulate.scenario import FractionalSpec, FullFieldSpec, LaserSpec, NumericsSpec, SkinSpec
from . import forms
from .common import Web, require
from .db import Job, Simulation

SECTIONS: dict[str, type[BaseModel]] = {"skin": SkinSpec, "laser": LaserSpec,
                                        "numerics": NumericsSpec}
DELIVERY: dict[str, type[BaseModel]] = {"full-field": FullFieldSpec,
                                        "fractional": FractionalSpec}
#: summary rows shown, in order (the command line's table)
ROWS = ("ablation_depth_um", "coagulation_depth_um", "injury_depth_um", "deepest_layer",
        "peak_temperature_C", "collagen_denaturation_depth_um", "surface_injury_fraction",
        "coverage", "mtz_diameter_um", "reepithelialization_days")


def scenario_fields(mode: str) -> list[forms.FormField]:
    out = [forms.FormField("name", "name", "text", False, allowed="text of at most 200 "
                           "characters", help="Name shown in the results.", default="scenario")]
    for sec, model in SECTIONS.items():
        out += forms.fields(model, sec)
    return out + [f for f in forms.fields(DELIVERY[mode], "delivery") if f.name != "delivery.mode"]


def _mode(v: object) -> str:
    return v if isinstance(v, str) and v in DELIVERY else "full-field"


def sim_work(d: dict, username: str):
    def work(db, progress) -> int:
        from ..devices import scenario_from_dict
        from ..report import healing_figure, png_bytes, treatment_figure
        from ..simulate import simulate
        from ..simulate.store import key, model_fingerprint

        sc = scenario_from_dict(d)  # physics or [device]
        result = simulate(sc, progress=progress)
        sim = Simulation(name=sc.name, key=key("summary", sc), scenario=d,
                         summary=json.loads(result.to_json()),
                         netcdf=bytes(result.dataset.to_netcdf(engine="h5netcdf")),
                         figure_png=png_bytes(treatment_figure(result)),
                         healing_png=png_bytes(healing_figure([result])), created_by=username,
                         version=__version__, fingerprint=model_fingerprint())
        db.add(sim)
        db.commit()
        return sim.id
    return work


def device_fields(name: str) -> list[forms.FormField]:
    """The settings of a catalogue device, and the physics values it leaves to the user."""
    from ..devices import get

    dev = get(name)
    out = [forms.FormField("name", "name", "text", False, allowed="text of at most 200 "
                           "characters", help="Name shown in the results.", default=dev.key)]
    out += forms.fields(SkinSpec, "skin")
    for s in dev.settings.values():
        kind = "integer" if s.unit == "" else "text" if s.unit == "%" else "quantity"
        rng = f"{s.low:g}-{s.high:g} {s.unit}".strip()
        out.append(forms.FormField(
            f"device.{s.name}", s.name.replace("_", " "), kind, s.name in dev.required,
            unit=s.unit, allowed=rng + ("" if s.checked else " (no device range in the sources)"),
            help=f"{s.means or s.name}. [{s.status}] {s.source}",
            default="" if s.default is None else f"{s.default:g}"))
    for name_ in dev.missing():
        f = dev.fixed[name_]
        out.append(forms.FormField(f"device.{name_}", name_.replace("_", " "), "quantity",
                                   True, help=f.source, allowed="a quantity with its unit"))
    return out + forms.fields(NumericsSpec, "numerics")


def device_work(d: dict, username: str):
    """Resolve a device scenario (its model-resolved dials may simulate), then simulate it,
    unless the database already has the same resolved scenario."""
    inner = sim_work(d, username)

    def work(db, progress) -> int:
        from ..devices import scenario_from_dict
        from ..simulate.store import key

        k = key("summary", scenario_from_dict(d))
        done = db.scalar(select(Simulation.id).where(Simulation.key == k))
        return done if done is not None else inner(db, progress)
    return work


def register(app: FastAPI, web: Web) -> None:
    _device_routes(app, web)
    _downloads(app, web)

    @app.get("/simulate", response_class=HTMLResponse)
    def form(request: Request, mode: str = "full-field"):
        require(request)
        fs = scenario_fields(_mode(mode))
        return web.page(request, "simulate.html", fields=fs, mode=_mode(mode),
                        values={f.name: f.default for f in fs}, error=None, error_field=None)

    @app.post("/simulate")
    async def run(request: Request):
        user = require(request)
        raw = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        mode = _mode(raw.get("mode"))
        fs = scenario_fields(mode)
        d = forms.to_dict(fs, raw)
        d.setdefault("delivery", {})["mode"] = mode
        from ..simulate import Scenario
        from ..simulate.store import key

        try:
            k = key("summary", Scenario.from_dict(d))
        except InputError as exc:
            return web.page(request, "simulate.html", 422, fields=fs, mode=mode, values=raw,
                            error=exc, error_field=forms.error_field(exc.field))
        with web.make_session() as db:
            done = db.scalar(select(Simulation).where(Simulation.key == k))
            if done is not None:  # the same resolved scenario and model: at once
                return RedirectResponse(f"/simulations/{done.id}", 303)
            job = Job(kind="simulate", created_by=user.username)
            db.add(job)
            db.commit()
            web.runner.submit(job.id, sim_work(d, user.username))
        return RedirectResponse(f"/jobs/{job.id}", 303)

    @app.get("/simulations", response_class=HTMLResponse)
    def listing(request: Request):
        require(request)
        with web.make_session() as db:
            rows = db.execute(select(Simulation.id, Simulation.name, Simulation.created_at,
                                     Simulation.created_by).order_by(Simulation.id.desc())
                              .limit(200)).all()
        return web.page(request, "simulations.html", rows=rows)

    @app.get("/simulations/{sid}", response_class=HTMLResponse)
    def show(request: Request, sid: int):
        require(request)
        s = _sim(web, sid)
        return web.page(request, "simulation.html", s=s, rows=ROWS)

    @app.get("/simulations/{sid}/figure.png")
    def figure(request: Request, sid: int):
        require(request)
        return Response(_sim(web, sid).figure_png, media_type="image/png")

    @app.get("/compare", response_class=HTMLResponse)
    def compare(request: Request):
        require(request)
        ids = [int(x) for x in request.query_params.getlist("ids") if x.isdigit()][:6]
        if len(ids) < 2:
            raise HTTPException(422, "choose at least two simulations to compare")
        sims = [_sim(web, i) for i in ids]
        return web.page(request, "compare.html", sims=sims, rows=ROWS)


def _downloads(app: FastAPI, web: Web) -> None:
    @app.get("/simulations/{sid}/healing.png")
    def healing(request: Request, sid: int):
        require(request)
        png = _sim(web, sid).healing_png
        if png is None:  # simulated before revision 0002
            raise HTTPException(404, "no healing curve was kept for this simulation")
        return Response(png, media_type="image/png")

    @app.get("/simulations/{sid}/fields.nc")
    def netcdf(request: Request, sid: int):
        require(request)
        return Response(_sim(web, sid).netcdf, media_type="application/x-netcdf", headers={
            "Content-Disposition": f'attachment; filename="simulation-{sid}.nc"'})

    @app.get("/simulations/{sid}/summary.json")
    def summary(request: Request, sid: int):
        require(request)
        return Response(json.dumps(_sim(web, sid).summary, indent=2),
                        media_type="application/json")


def _device_routes(app: FastAPI, web: Web) -> None:
    @app.get("/simulate/device", response_class=HTMLResponse)
    def device_form(request: Request, name: str = ""):
        from ..devices import catalogue

        require(request)
        if not name:
            return web.page(request, "devices.html", devices=list(catalogue().values()))
        try:
            fs = device_fields(name)
        except InputError:
            raise HTTPException(404, f"no device {name!r} in the catalogue") from None
        return web.page(request, "simulate_device.html", fields=fs, device=name,
                        values={f.name: f.default for f in fs}, error=None, error_field=None)

    @app.post("/simulate/device")
    async def device_run(request: Request):
        from ..devices.resolve import check

        user = require(request)
        raw = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        name = raw.get("device_name", "")
        try:
            fs = device_fields(name)
        except InputError:
            raise HTTPException(404, f"no device {name!r} in the catalogue") from None
        d = forms.to_dict(fs, raw)
        d.setdefault("device", {})["name"] = name
        try:
            check(d)
        except InputError as exc:
            return web.page(request, "simulate_device.html", 422, fields=fs, device=name,
                            values=raw, error=exc, error_field=forms.error_field(exc.field))
        with web.make_session() as db:
            job = Job(kind="simulate", created_by=user.username)
            db.add(job)
            db.commit()
            web.runner.submit(job.id, device_work(d, user.username))
        return RedirectResponse(f"/jobs/{job.id}", 303)


def _sim(web: Web, sid: int) -> Simulation:
    with web.make_session() as db:
        s = db.get(Simulation, sid)
    if s is None:
        raise HTTPException(404, f"no simulation {sid}")
    return s
