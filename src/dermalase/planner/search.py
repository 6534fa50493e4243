"""Settings search: for one modality, the gentlest setting that reaches the target depth.

Depth grows monotonically with fluence or pulse energy and with passes or stacked pulses (tested
in tests/physics and tests/test_qualitative), so the search is a bisection on the energy for each
pass/stack count, fewest first: the first count that reaches the target wins (fewer passes and
pulses leave less heat behind). Every simulation is cached in memory and on disk
(``$DERMALASE_CACHE``, default ``~/.cache/dermalase``), keyed by the resolved scenario and the
package version, so a repeated plan runs no simulation.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from .._version import __version__

#: Numerics of fractional channel runs in the search: resolution 0.5 gives the same channel
#: depth as resolution 1 within 0.5 % (CO2 10 and 20 mJ, 120 um) at ~1/6 of the time.
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


def cached(kind: str, scenario: dict, compute) -> dict:
    """``compute(scenario)`` -> JSON-able dict, cached in memory and on disk."""
    key = _key(kind, scenario)
    if key in _MEMORY:
        return _MEMORY[key]
    path = cache_dir() / f"{key}.json"
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
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
    return {"injury_depth_um": g.injury_depth * 1e6, "channel_depth_um": g.channel_depth * 1e6}


@dataclass
class Found:
    """Outcome of a search: the scenario, its summary, and whether the target is reached."""

    scenario: dict | None
    summary: dict | None
    reached: bool
    settings: dict = field(default_factory=dict)
    note: str = ""


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


def _search(counts, energy_range, scen, probe, settings, unit: str, lo: float,
            hi: float) -> Found:
    """For each pass/stack count (fewest first), the smallest energy in ``energy_range`` whose
    ``probe`` depth reaches ``lo``; the first count that reaches it runs the whole pipeline."""
    x0, x1 = energy_range
    short = None
    for n in counts:
        def depth(x, n=n):
            return probe(scen(x, n))["injury_depth_um"]
        x = _bisect(depth, x0, x1, lo)
        if x is None:
            short = (n, depth(x1))
            continue
        sc = scen(x, n)
        s = cached("summary", sc, _summary)
        ok = s["injury_depth_um"] <= hi
        return Found(sc, s, ok, settings(x, n),
                     "" if ok else f"overshoots the target ({s['injury_depth_um']:.0f} um)")
    n, d = short
    return Found(None, None, False, {}, f"cannot reach {lo:.0f} um within the device range "
                 f"({d:.0f} um at {x1} {unit} x {n})")


def full_field(st: dict, site: str, phototype: int, lo: float, hi: float) -> Found:
    def scen(f, p):
        return {"name": "candidate", "skin": {"site": site, "phototype": phototype},
                "laser": {"source": st["source"], "pulse_duration": st["pulse_duration"]},
                "delivery": {"mode": "full-field", "spot_diameter": "4 mm",
                             "fluence": f"{round(f, 3)} J/cm^2", "passes": p}}

    def settings(f, p):
        return {"fluence": f"{round(f, 2)} J/cm^2", "passes": p,
                "pulse_duration": st["pulse_duration"], "spot_diameter": "4 mm"}

    return _search(st["passes"], st["fluence_J_cm2"], scen,
                   lambda sc: cached("summary", sc, _summary), settings, "J/cm^2", lo, hi)


def fractional(st: dict, site: str, phototype: int, lo: float, hi: float,
               coverage: float) -> Found:
    def scen(e, n):
        return {"name": "candidate", "skin": {"site": site, "phototype": phototype},
                "laser": {"source": st["source"], "pulse_duration": st["pulse_duration"]},
                "delivery": {"mode": "fractional", "microbeam_diameter": st["microbeam_diameter"],
                             "pulse_energy": f"{round(e, 3)} mJ", "stack": n,
                             "coverage": round(coverage, 4)},
                "numerics": FRACTIONAL_NUMERICS}

    def settings(e, n):
        return {"microbeam_diameter": st["microbeam_diameter"],
                "pulse_energy": f"{round(e, 2)} mJ", "stack": n,
                "coverage": round(coverage, 4), "pulse_duration": st["pulse_duration"]}

    return _search(st["stack"], st["pulse_energy_mJ"], scen,
                   lambda sc: cached("channel", sc, _channel), settings, "mJ", lo, hi)
