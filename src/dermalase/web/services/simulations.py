"""Simulations: queued as jobs, stored with their summary, fields (NetCDF) and figures, keyed by
the resolved scenario and the model so the same scenario comes back at once; the comparison
figure that overlays healing curves and puts the wounds on one depth axis."""

from __future__ import annotations

import io
import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..._version import __version__
from ..db import Simulation, User
from ..jobs import Progress, Worker
from . import get


def stored(db: Session, d: dict) -> int | None:
    """The id of a stored simulation of the same resolved scenario and model (None)."""
    from ...devices import scenario_from_dict
    from ...simulate.store import key

    k = key("summary", scenario_from_dict(d))
    return db.scalar(select(Simulation.id).where(Simulation.key == k).limit(1))


def queue(db: Session, worker: Worker, actor: User, d: dict) -> int:
    """A simulation job for the scenario dict ``d`` (physics or [device]); its id."""
    return worker.submit(db, "simulate", actor.username, {"scenario": d,
                                                          "by": actor.username}).id


def run(db: Session, payload: dict, progress: Progress) -> int:
    """The job, under the adopted calibration (its healing values change the healing, and the
    store key): see :func:`_run`."""
    from ... import calibration
    from .outcomes import active

    with calibration.use(active(db)):
        return _run(db, payload, progress)


def _run(db: Session, payload: dict, progress: Progress) -> int:
    """Resolve (device dials may simulate), look in the store, else simulate and keep the
    result with its figures."""
    from ...devices import scenario_from_dict
    from ...report import healing_figure, png_bytes, treatment_figure
    from ...simulate import simulate
    from ...simulate.store import key, model_fingerprint

    d = payload["scenario"]
    sc = scenario_from_dict(d)
    k = key("summary", sc)
    done = db.scalar(select(Simulation.id).where(Simulation.key == k).limit(1))
    if done is not None:
        return int(done)
    result = simulate(sc, progress=progress)
    sim = Simulation(name=sc.name, key=k, scenario=d, summary=json.loads(result.to_json()),
                     netcdf=bytes(result.dataset.to_netcdf(engine="h5netcdf")),
                     figure_png=png_bytes(treatment_figure(result)),
                     healing_png=png_bytes(healing_figure([result])),
                     created_by=str(payload.get("by") or ""), version=__version__,
                     fingerprint=model_fingerprint())
    db.add(sim)
    db.commit()
    return sim.id


def read(db: Session, sid: int) -> Simulation:
    return get(db, Simulation, sid)


def compare_figure(sims: list[Simulation]) -> bytes:
    """Healing curves overlaid (open wound against days) beside the wounds on one depth axis
    (ablated, then coagulated, from the surface), from the stored fields and summaries."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import xarray as xr

    from ...report import png_bytes

    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4.2), width_ratios=[1.6, 1])
    for s in sims:
        try:
            ds = xr.load_dataset(io.BytesIO(s.netcdf), engine="h5netcdf")
            a.plot(ds["heal_t"].values, ds["open_wound_fraction"].values, lw=2, label=s.name)
        except (KeyError, OSError, ValueError):
            continue
    a.set_xlabel("time after treatment (d)")
    a.set_ylabel("open wound (fraction of treated surface)")
    a.set_xlim(left=0)
    a.set_ylim(bottom=0)
    a.grid(alpha=0.3)
    a.legend(fontsize=8)
    a.set_title("re-epithelialization (model)", fontsize=9)
    names = [s.name for s in sims]
    abl = [float(s.summary.get("ablation_depth_um") or 0.0) for s in sims]
    coag = [float(s.summary.get("coagulation_depth_um") or 0.0) for s in sims]
    x = range(len(sims))
    b.bar(x, abl, color="#8b1e1e", label="ablated")
    b.bar(x, coag, bottom=abl, color="#e8a33d", label="coagulated")
    b.set_xticks(list(x), names, rotation=20, ha="right", fontsize=8)
    b.invert_yaxis()  # depth grows downwards from the skin surface, one axis for all
    b.set_ylabel("depth below the surface (µm)")
    b.legend(fontsize=8)
    b.set_title("wounds on one depth axis", fontsize=9)
    fig.tight_layout()
    return png_bytes(fig)
