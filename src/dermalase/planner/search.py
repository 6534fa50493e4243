"""Settings search: for one modality and one patient, the setting that reaches the middle of
the target depth, inside the published clinical range where it can.

Depth grows monotonically with fluence or pulse energy and with passes or stacked pulses (tested
in tests/physics and tests/test_qualitative), so the search is a bisection on the energy for each
pass/stack count, fewest first: the first count that reaches the middle of the target wins (fewer
passes and pulses leave less heat behind). The energy range is the modality's published clinical
range scaled by the site factor (neck, chest, hands get less); only when the target cannot be
met there does the search leave it, and the result says so. Fractional density is set so that
the *injured surface* (the quantity the sources' density caps describe) sits at the middle of
the phototype-adjusted reference, under every cap and a margin below published harm values.

Every simulation is cached in memory and on disk (``$DERMALASE_CACHE``, default
``~/.cache/dermalase``), keyed by the resolved scenario, the package version and a fingerprint
of the model; an entry of the wrong shape is discarded and recomputed.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

from .._version import __version__
from .rules import site_factor

#: Numerics of fractional channel runs in the search: resolution 0.5 gives the same channel
#: depth as resolution 1 within 0.5 % (CO2 10 and 20 mJ, 120 µm) at ~1/6 of the time.
FRACTIONAL_NUMERICS = {"resolution": 0.5}
BISECTION_STEPS = 5

_MEMORY: dict[str, dict] = {}


def cache_dir() -> Path:
    return Path(os.environ.get("DERMALASE_CACHE", Path.home() / ".cache" / "dermalase"))


@functools.cache
def model_fingerprint() -> str:
    """Hash of the package's code and data: a physics change invalidates the disk cache even
    when the version string stays the same (an editable install between releases)."""
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for f in sorted(root.rglob("*")):
        if f.suffix in (".py", ".csv", ".toml") and "__pycache__" not in f.parts:
            h.update(f.relative_to(root).as_posix().encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:16]


def _key(kind: str, scenario: dict) -> str:
    blob = json.dumps({"kind": kind, "scenario": scenario, "version": __version__,
                       "model": model_fingerprint()}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


#: Keys every cached entry must hold as finite numbers (per kind).
REQUIRED = {"summary": ("injury_depth_um", "ablation_depth_um", "surface_injury_fraction"),
            "channel": ("injury_depth_um", "channel_depth_um", "mtz_diameter_um")}


def _valid(kind: str, value) -> bool:
    if not isinstance(value, dict):
        return False
    for k in REQUIRED.get(kind, ()):
        v = value.get(k)
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) \
                or v < 0:
            return False
    return True


def cached(kind: str, scenario: dict, compute) -> dict:
    """``compute(scenario)`` -> JSON-able dict, cached in memory and on disk. A disk entry that
    is unreadable or of the wrong shape is recomputed and replaced."""
    key = _key(kind, scenario)
    if key in _MEMORY:
        return _MEMORY[key]
    path = cache_dir() / f"{key}.json"
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
        if not _valid(kind, value):
            raise ValueError(f"cache entry {path} has the wrong shape")
    except (OSError, ValueError):
        value = compute(scenario)
        try:
            from ..io.files import atomic_write

            path.parent.mkdir(parents=True, exist_ok=True)
            with atomic_write(path) as tmp:
                Path(tmp).write_text(json.dumps(value), encoding="utf-8")
        except OSError:
            pass  # a read-only home: the memory cache still works
    _MEMORY[key] = value
    return value


def _summary(scenario: dict) -> dict:
    from ..simulate import simulate

    s = simulate(scenario).summary
    return {k: v for k, v in s.items() if k not in ("scenario", "units")}


def _channel(scenario: dict) -> dict:
    from ..physics.microchannel import run_channel, zone_geometry
    from ..simulate import Scenario

    sc = Scenario.from_dict(scenario)
    g = zone_geometry(run_channel(sc.skin, sc.source, sc.delivery, sc.numerics))
    return {"injury_depth_um": g.injury_depth * 1e6, "channel_depth_um": g.channel_depth * 1e6,
            "mtz_diameter_um": g.mtz_diameter * 1e6}



@dataclass
class Found:
    """Outcome of a search: the scenario, its summary, whether the target is reached, and
    notes a clinician reads (why a setting left the published range, model gaps)."""

    scenario: dict | None
    summary: dict | None
    reached: bool
    settings: dict = field(default_factory=dict)
    note: str = ""
    notes: list = field(default_factory=list)
    model_gap: bool = False  # kept at a published setting the model is known to misjudge


def _bisect(depth, lo_x: float, hi_x: float, target: float) -> float | None:
    """Smallest x in [lo_x, hi_x] with depth(x) >= target (None if even hi_x falls short)."""
    if depth(hi_x) < target:
        return None
    if depth(lo_x) >= target:
        return lo_x
    a, b = lo_x, hi_x
    for _ in range(BISECTION_STEPS):
        m = 0.5 * (a + b)
        if depth(m) >= target:
            b = m
        else:
            a = m
    return b


@dataclass(frozen=True)
class Space:
    """What a search may vary: pass/stack counts and the energy range, clinical first."""

    counts: tuple[int, ...]
    clinical: tuple[float, float]
    device: tuple[float, float]
    unit: str
    model_gap: str = ""


def _first(space: Space, x0: float, x1: float, depth, aim: float):
    """(x, n) of the first count (fewest) whose smallest energy in [x0, x1] reaches ``aim``,
    else None with the deepest (n, depth) tried."""
    deepest = None
    for n in space.counts:
        x = _bisect(lambda e, n=n: depth(e, n), x0, x1, aim)
        if x is not None:
            return (x, n), None
        deepest = (n, depth(x1, n))
    return None, deepest


def _outside(space: Space, x0: float, x1: float, depth, finish, aim: float, note: str):
    """The search of [x0, x1], a range outside the clinical one: (Found with ``note``, None)
    when a setting there reaches ``aim``, else (None, deepest (n, depth) tried)."""
    hit, deepest = _first(space, x0, x1, depth, aim)
    if hit is None:
        return None, deepest
    found = finish(*hit)
    if found.reached:
        found.notes.append(note)
    return found, None


def _search(space: Space, depth, finish, lo: float, hi: float) -> Found:
    """Aim at the middle of [lo, hi] inside the clinical range; leave it only when the target
    cannot be met there, and say so. ``depth(x, n)`` is the probe; ``finish(x, n)`` runs the
    whole pipeline and returns a Found."""
    aim = 0.5 * (lo + hi)
    c0, c1 = space.clinical
    d0, d1 = space.device
    crange = f"{c0:g}-{c1:g} {space.unit}"
    hit, deepest = _first(space, c0, c1, depth, aim)
    if hit is not None:
        found = finish(*hit)
        if found.reached:
            return found
        # overshoot: even the lowest clinical setting goes past the target in the model
        if space.model_gap and hit[0] == c0:
            found.reached = found.model_gap = True
            found.notes.append(f"kept at the lowest published setting ({crange}); the model "
                               f"predicts {found.summary['injury_depth_um']:.0f} µm, above the "
                               f"target {lo:.0f}-{hi:.0f} µm: {space.model_gap}")
            return found
        if d0 < c0:
            below = _outside(space, d0, c0, depth, finish, aim,
                             f"below the published clinical range ({crange}): the model "
                             "overshoots the target inside it")
            if below[0] is not None and below[0].reached:
                return below[0]
        return found
    if c1 < d1:
        above, deepest = _outside(space, c1, d1, depth, finish, aim,
                                  f"above the published clinical range ({crange}): the model "
                                  f"needs this to reach {aim:.0f} µm")
        if above is not None:
            return above
    n, d = deepest
    if d >= lo:  # the middle is out of reach, the target is not: the deepest setting
        found = finish(space.device[1] if c1 < d1 else c1, n)
        if found.reached:
            found.notes.append(f"the deepest setting in range reaches {d:.0f} µm: inside the "
                               f"target {lo:.0f}-{hi:.0f} µm but short of its middle")
            return found
    return Found(None, None, False, {}, f"cannot reach {lo:.0f} µm within the device range "
                 f"({d:.0f} µm at {d1:g} {space.unit} x {n})")


def full_field(st: dict, site: str, phototype: int, lo: float, hi: float,
               passes_max: int | None = None) -> Found:
    def scen(f, p):
        return {"name": "candidate", "skin": {"site": site, "phototype": phototype},
                "laser": {"source": st["source"], "pulse_duration": st["pulse_duration"]},
                "delivery": {"mode": "full-field", "spot_diameter": "4 mm",
                             "fluence": f"{round(f, 3)} J/cm^2", "passes": p}}

    def depth(f, p):
        return cached("summary", scen(f, p), _summary)["injury_depth_um"]

    def finish(f, p):
        sc = scen(f, p)
        s = cached("summary", sc, _summary)
        ok = s["injury_depth_um"] <= hi
        return Found(sc, s, ok, {"fluence": f"{round(f, 1)} J/cm^2", "passes": p,
                                 "pulse_duration": st["pulse_duration"].replace("us", "µs"),
                                 "spot_diameter": "4 mm"},
                     "" if ok else f"overshoots the target ({s['injury_depth_um']:.0f} µm)")

    counts = tuple(p for p in st["passes"] if passes_max is None or p <= passes_max)
    fl, fh = site_factor(site)
    c0, c1 = st.get("clinical_fluence_J_cm2", st["fluence_J_cm2"])
    space = Space(counts, (c0 * fl, c1 * fh), tuple(st["fluence_J_cm2"]), "J/cm^2",
                  st.get("model_depth_gap", ""))
    return _search(space, depth, finish, lo, hi)


def injured_surface_aim(st: dict, site: str, factor: float, cap: float | None) -> float:
    """The injured surface the fractional search aims at: the middle of the modality's
    reference range, times the phototype factor and the site factor, under the cap."""
    a, b = st["injured_surface"]
    aim = 0.5 * (a + b) * factor * site_factor(site)[1]
    return min(aim, cap) if cap is not None else aim


def fractional(st: dict, site: str, phototype: int, lo: float, hi: float,
               injured_surface: float, injured_surface_cap: float | None = None) -> Found:
    """Energy and stack by the channel probe (aiming at the middle of the target), then the beam
    coverage that puts the injured surface at ``injured_surface`` (never above the cap)."""
    probe_cov = round(st["injured_surface"][0], 4)

    def scen(e, n, cov):
        return {"name": "candidate", "skin": {"site": site, "phototype": phototype},
                "laser": {"source": st["source"], "pulse_duration": st["pulse_duration"]},
                "delivery": {"mode": "fractional", "microbeam_diameter": st["microbeam_diameter"],
                             "pulse_energy": f"{round(e, 3)} mJ", "stack": n,
                             "coverage": round(cov, 5)},
                "numerics": FRACTIONAL_NUMERICS}

    def depth(e, n):
        return cached("channel", scen(e, n, probe_cov), _channel)["injury_depth_um"]

    beam_um = float(st["microbeam_diameter"].split()[0])
    cap = injured_surface_cap if injured_surface_cap is not None else 1.0

    def finish(e, n):
        ch = cached("channel", scen(e, n, probe_cov), _channel)
        # injured surface ~ beam coverage x (MTZ / beam diameter)^2 (discs that do not overlap)
        cov = injured_surface * (beam_um / max(ch["mtz_diameter_um"], beam_um)) ** 2
        sc = scen(e, n, cov)
        s = cached("summary", sc, _summary)
        if s["surface_injury_fraction"] > cap:  # overlapping discs: scale down once
            cov *= cap / s["surface_injury_fraction"] * 0.98
            sc = scen(e, n, cov)
            s = cached("summary", sc, _summary)
        ok = s["injury_depth_um"] <= hi and s["surface_injury_fraction"] <= cap + 1e-9
        density = cov / (math.pi * (beam_um * 1e-4) ** 2 / 4)
        settings = {"microbeam_diameter": f"{beam_um:g} µm",
                    "pulse_energy": f"{round(e, 1)} mJ", "stack": n,
                    "beam_coverage": f"{100 * cov:.1f} %",
                    "density": f"{density:.0f} /cm^2",
                    "pulse_duration": st["pulse_duration"].replace("us", "µs")}
        note = "" if ok else (f"overshoots the target ({s['injury_depth_um']:.0f} µm)"
                              if s["injury_depth_um"] > hi else
                              f"injured surface {100 * s['surface_injury_fraction']:.0f} % above "
                              f"the cap {100 * cap:.0f} %")
        return Found(sc, s, ok, settings, note)

    fl, fh = site_factor(site)
    d0, d1 = st["pulse_energy_mJ"]
    c0, c1 = st.get("clinical_pulse_energy_mJ", (d0, d1))
    space = Space(tuple(st["stack"]), (c0 * fl, c1 * fh), (d0, d1), "mJ",
                  st.get("model_depth_gap", ""))
    return _search(space, depth, finish, lo, hi)
