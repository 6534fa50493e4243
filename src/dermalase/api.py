"""The package's top-level functions, each a thin wrapper over the subpackage that does the
work (``dermalase.simulate``, ``dermalase.planner``, ``dermalase.sweep``, ``dermalase.devices``,
``dermalase.physics.montecarlo``), and the :class:`Plan` that :func:`plan` returns.

Everything is imported on first use: ``import dermalase`` stays cheap (issue 18).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import InputError

if TYPE_CHECKING:
    import xarray as xr

    from .devices import Device
    from .io.mcml import MCIRun
    from .physics.montecarlo import MCResult, Medium
    from .planner import Patient
    from .sweep import Sweep

#: built-in examples (``dermalase example NAME`` prints one)
EXAMPLES = ("default", "co2_two_pass", "fractional_er_yag", "er_yag_coagulation",
            "device_contour_trl", "device_fraxel_repair", "patient_perioral", "patient_acne_v",
            "patient_full_face", "sweep_er_yag", "mcml_test")


def example(name: str) -> Path:
    """The path of a built-in example file: a scenario, a patient, a sweep or an MCML input.

    >>> import dermalase
    >>> dermalase.example("default").name
    'default.toml'
    """
    from importlib import resources

    if name not in EXAMPLES:
        raise InputError("example", name, "one of " + ", ".join(EXAMPLES))
    suffix = ".mci" if name == "mcml_test" else ".toml"
    return Path(str(resources.files("dermalase").joinpath("examples", name + suffix)))


class Plan(Mapping):
    """A treatment plan: the planner's JSON (:meth:`to_dict`, the contract of
    ``dermalase plan --json``) with typed access to its parts and a readable display.

    It wraps the JSON as the planner makes it, so keys the planner adds are here too
    (``plan["key"]`` or ``plan.key``). It is a read-only mapping: code written for the plain
    dict keeps working.

    >>> p = dermalase.plan(dermalase.example("patient_perioral"))   # doctest: +SKIP
    >>> p.recommended["modality"]                                   # doctest: +SKIP
    'fractional-co2'
    """

    def __init__(self, data: dict[str, Any]):
        self._data = data

    # -- the contract's parts ----------------------------------------------------------------
    @property
    def recommended(self) -> dict[str, Any] | None:
        """The first concern's recommended candidate (None when nothing may be recommended)."""
        return self._data.get("recommended")

    @property
    def candidates(self) -> list[dict[str, Any]]:
        """The first concern's candidates, ranked."""
        return list(self._data.get("candidates") or [])

    @property
    def blocked(self) -> list[dict[str, Any]]:
        """Modalities ruled out for the first concern, each with its reason and source."""
        return list(self._data.get("blocked") or [])

    @property
    def plans(self) -> list[dict[str, Any]]:
        """One plan per concern (``concern``, ``recommended``, ``candidates``, ``blocked``)."""
        return list(self._data.get("plans") or [])

    @property
    def warnings(self) -> list[str]:
        return list(self._data.get("warnings") or [])

    @property
    def missing(self) -> list[str]:
        """History answers the patient file does not give (never assumed safe)."""
        return list(self._data.get("missing") or [])

    def to_dict(self) -> dict[str, Any]:
        """The plan as the JSON contract (the same object ``dermalase plan --json`` prints)."""
        return self._data

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self._data, allow_nan=False, **{"indent": 2, **kwargs})

    def html(self, *, figures: bool = True) -> str:
        """The report (the page ``dermalase plan --report`` writes)."""
        from .planner.html import render

        return render(self._data, figures=figures)

    # -- a read-only mapping over the JSON ------------------------------------------------------
    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self._data[name]
        except KeyError:
            raise AttributeError(f"this plan has no {name!r}") from None

    def __repr__(self) -> str:
        return plan_repr(self._data)

    def _repr_html_(self) -> str:
        return plan_html(self._data)


def _patient(patient: Patient | dict | str | Path) -> Patient:
    from .planner import Patient

    if isinstance(patient, Patient):
        return patient
    if isinstance(patient, dict):
        return Patient.from_dict(patient)
    if isinstance(patient, str | Path):
        return Patient.from_toml(patient)
    raise InputError("patient", patient, "a Patient, a patient dict or a patient file")


def plan(patient: Patient | dict | str | Path, **engine: Any) -> Plan:
    """Recommend a procedure and settings for ``patient`` (a :class:`Patient`, a dict shaped
    like a patient file, or the path of one), with reasons, sources and what is ruled out.

    ``engine``: ``workers``, ``scheduler``, ``uncertainty``, ``threads`` (see
    :func:`dermalase.planner.plan.make_plan`).

    >>> import dermalase
    >>> p = dermalase.plan(dermalase.example("patient_perioral"))     # doctest: +SKIP
    >>> p.recommended["modality"], p.recommended["settings"]           # doctest: +SKIP
    """
    from .planner import plan as make

    return Plan(make(_patient(patient), **engine))


def sweep(spec: Sweep | dict | str | Path, *, workers: int | None = None,
          scheduler: str | None = None, yes: bool = False,
          progress: Callable[[int, int], None] | None = None) -> xr.Dataset:
    """Run a scenario whose fields are lists or ranges ``{from, to, steps}``: one dimension per
    swept field, every summary quantity a variable (CF conventions, units in ``attrs``).

    ``workers``: 0 here, N a Dask LocalCluster (at most one per core), None (default) whichever
    is predicted to finish first; ``scheduler``: a running Dask cluster. A sweep predicted to
    take longer than ``DERMALASE_MAX_SECONDS`` is refused unless ``yes``.

    >>> ds = dermalase.sweep({"skin": {"site": "cheek"},
    ...     "laser": {"source": "er:yag", "pulse_duration": "250 us"},
    ...     "delivery": {"fluence": {"from": "4 J/cm^2", "to": "12 J/cm^2", "steps": 5}}})
    ... # doctest: +SKIP
    >>> ds["ablation_depth"].plot()                                    # doctest: +SKIP
    """
    from .sweep import Sweep, read_sweep, run_sweep, sweep_from_dict

    if isinstance(spec, dict):
        spec = sweep_from_dict(spec)
    elif isinstance(spec, str | Path):
        spec = read_sweep(spec)
    if not isinstance(spec, Sweep):
        raise InputError("sweep", spec, "a Sweep, a sweep dict or a sweep file")
    return run_sweep(spec, workers=workers, scheduler=scheduler, progress=progress, yes=yes)


def devices() -> dict[str, Device]:
    """The device catalogue: name -> :class:`~dermalase.devices.Device` (its dials, their
    ranges, what each means in physics, and the sources).

    >>> sorted(dermalase.devices())[:2]                                # doctest: +SKIP
    """
    from .devices import catalogue

    return dict(catalogue())


def device(name: str) -> Device:
    """One device of the catalogue by its name (``dermalase devices`` lists them)."""
    from .devices import get

    return get(name, "device")


def monte_carlo(medium: Medium, n_photons: int = 100_000, **options: Any) -> MCResult:
    """Monte Carlo photon transport in a layered medium (MCML's method; seeded, numba):
    reflectance, transmittance and the absorbed fraction per depth and radius.

    ``options``: ``beam`` ("pencil", ...), ``radius``, ``dr``, ``dz``, ``nr``, ``nz``,
    ``seed`` (see :func:`dermalase.physics.montecarlo.run`).

    >>> from dermalase import Layer, Medium
    >>> slab = Medium((Layer(n=1.4, mua=1e3, mus=9e3, g=0.75, d=1e-3),))   # 1/m, m
    >>> dermalase.monte_carlo(slab, 10_000).Rd                         # doctest: +SKIP
    """
    from .physics.montecarlo import run

    return run(medium, n_photons, **options)


def run_mci(path: str | Path, *, seed: int = 1) -> list[tuple[MCIRun, MCResult]]:
    """Every run of an MCML input file (``.mci``), after the time guard: (run, result) pairs.

    >>> [(r.n_photons, res.Rd) for r, res in dermalase.run_mci(dermalase.example("mcml_test"))]
    ... # doctest: +SKIP
    """
    from .io.mcml import read_mci
    from .physics.montecarlo import run
    from .simulate.budget import check_monte_carlo

    runs = read_mci(path)
    check_monte_carlo(runs)
    return [(r, run(r.medium, r.n_photons, dr=r.dr, dz=r.dz, nr=r.nr, nz=r.nz, seed=seed))
            for r in runs]


def _candidate_text(c: dict | None) -> str:
    if not c:
        return "none"
    depth = (c.get("predicted") or {}).get("injury_depth_um")
    at = f", injury {depth:.0f} µm" if isinstance(depth, int | float) else ""
    return f"{c.get('modality', '?')}{at}"


def plan_repr(data: dict[str, Any]) -> str:
    name = (data.get("patient") or {}).get("name", "patient")
    plans = data.get("plans") or [data]
    parts = [f"{(p.get('concern') or {}).get('kind', 'concern')}: recommended "
             f"{_candidate_text(p.get('recommended'))} ({len(p.get('candidates') or [])} "
             f"candidate(s), {len(p.get('blocked') or [])} blocked)" for p in plans]
    warn = f"; {len(data.get('warnings') or [])} warning(s)" if data.get("warnings") else ""
    return f"<Plan for {name!r}: " + "; ".join(parts) + warn + ">"


def plan_html(data: dict[str, Any]) -> str:
    from .simulate.display import _table

    rows = []
    for p in data.get("plans") or [data]:
        concern = p.get("concern") or {}
        what = f"{concern.get('kind', 'concern')} ({concern.get('site', '')})"
        rows.append((what, "recommended: " + _candidate_text(p.get("recommended"))))
        rec = (p.get("recommended") or {}).get("modality")
        for c in p.get("candidates") or []:
            if c.get("modality") != rec:
                rows.append(("", "candidate: " + _candidate_text(c)
                             + (" (conditional)" if c.get("conditional_on") else "")))
        for b in p.get("blocked") or []:
            rows.append(("", f"blocked: {b.get('modality', '?')}: {b.get('reason', '')}"))
    warnings = "; ".join(data.get("warnings") or [])
    name = (data.get("patient") or {}).get("name", "patient")
    return _table(f"Plan for {name}", rows, f"warnings: {warnings}" if warnings else "")
