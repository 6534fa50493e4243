"""Settings search: for one modality and one patient, the setting that reaches the middle of
the target depth, inside the published clinical range where it can.

Depth grows monotonically with fluence or pulse energy and with passes or stacked pulses (tested
in tests/physics and tests/simulate/test_qualitative), so the search is a bracketed root
search on the energy (Brent's method) for each pass/stack count, fewest first: the first count
that reaches the middle of the target wins (fewer passes and pulses leave less heat behind).
From the second count on, the first probe is a guess scaled from the probes of fewer pulses or
passes (:func:`_guess`). The energy range is the modality's
published clinical range scaled by the site factor (neck, chest, hands get less); only when the
target cannot be met there does the search leave it, and the result says so. Fractional density
is set so that the *injured surface* (the quantity the sources' density caps describe) sits at
the middle of the phototype-adjusted reference, under every cap and a margin below published
harm values.

Candidates are :class:`~dermalase.simulate.Scenario` objects changed by replacement from one
base scenario per modality. Every simulation is cached in memory and on disk
(``$DERMALASE_CACHE``, default ``~/.cache/dermalase``), keyed by the resolved scenario (its name
aside), the package version and a fingerprint of the model; an entry of the wrong shape is
discarded and recomputed. The chosen settings keep their fields too (a NetCDF next to the
summary), so the plan's report draws them without simulating again.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..healing import healing_for
from ..io.files import write_netcdf
from ..simulate import Scenario, store
from .envelope import Bounds

if TYPE_CHECKING:  # xarray and the pipeline are imported only when they are used
    import xarray as xr

    from ..simulate import Result

#: Numerics of fractional channel runs in the search: resolution 0.5 gives the same channel
#: depth as resolution 1 within 0.5 % (CO2 10 and 20 mJ, 120 µm) and 2 % (Er:YAG 10 and
#: 20 mJ, 250 µm: tests/physics/test_microchannel.py) at a fraction of the time.
FRACTIONAL_NUMERICS = {"resolution": 0.5}
BISECTION_STEPS = 5
#: model-guided probes a search tries before its bracket's ends (:func:`_bisect`)
GUESSES = 2
#: a search stops once its setting reaches the aimed depth and goes past it by less than this
#: fraction (a project choice: 3 % of a 100 µm aim is 3 µm, below the spread of the published
#: depths the targets come from)
DEPTH_TOLERANCE = 0.03

#: fields a report draws (the temperature history is left out: it is not drawn)
KEPT_FIELDS_DROP = ("temperature",)
_RESULTS: dict[str, Result] = {}
#: whether chosen settings keep their drawn fields on disk (not on a Dask worker, whose disk
#: may not be the client's and where xarray's writer would take the cluster's locks)
_KEEP_FIELDS = [True]


@contextlib.contextmanager
def fields_not_kept():
    """Inside the block, :func:`remember` keeps nothing on disk."""
    _KEEP_FIELDS.append(False)
    try:
        yield
    finally:
        _KEEP_FIELDS.pop()


def _summary(sc: Scenario) -> dict:
    from ..simulate import simulate

    result = simulate(sc)
    _RESULTS[store.key("summary", sc)] = result
    return result.stored_summary()


def _zone_probe(sc: Scenario) -> dict:
    from ..simulate import zone_probe

    return zone_probe(sc)


def summary_of(sc: Scenario) -> dict:
    """The JSON summary of ``sc`` (cached)."""
    return store.cached("summary", sc, _summary)


def kept_result(sc: Scenario) -> Result:
    """The :class:`Result` of ``sc`` with the fields a report draws: from memory, else from the
    disk cache, else simulated (and kept on disk for the next report)."""
    key = store.key("summary", sc)
    if key in _RESULTS:
        result = _RESULTS[key]
    else:
        path = store.cache_dir() / f"{key}.nc"
        try:
            import xarray as xr  # only for a report drawn from stored fields

            stored = _stored_result(sc, xr.load_dataset(io.BytesIO(store.read_regular(path)),
                                                         engine="h5netcdf"))
            checked = summary_of(sc)  # the digest-checked summary of the same scenario
            if any(stored.summary.get(k) != checked.get(k) for k in store.REQUIRED["summary"]):
                store.discard(path, "edited (its depths differ from the checked summary)")
                raise ValueError(path)
            return stored
        except (OSError, ValueError, KeyError, TypeError):
            from ..simulate import simulate

            result = simulate(sc)
            _RESULTS[key] = result
    keep(sc, result)
    return result


def remember(sc: Scenario) -> None:
    """Keep the fields of a chosen setting simulated in this process (for the report)."""
    result = _RESULTS.get(store.key("summary", sc))
    if result is not None and _KEEP_FIELDS[-1]:
        keep(sc, result)


def _stored_result(sc: Scenario, ds: xr.Dataset) -> Result:
    """A :class:`Result` from stored fields: the healing (closed form or a pattern map, no
    physics) is recomputed from the stored depth and zone positions, read back into SI."""
    import numpy as np  # on use: a repeated plan imports no NumPy
    summary = dict(json.loads(ds.attrs["summary"]), scenario=sc.resolved())
    injury = float(summary["injury_depth_um"]) * 1e-6
    pattern = None
    if sc.fractional:
        pos = np.column_stack([ds["zone_x"].values, ds["zone_y"].values]) * 1e-6
        pattern = (pos, float(ds.attrs["pattern_side_um"]) * 1e-6,
                   float(summary["mtz_diameter_um"]) * 1e-6)
    heal = healing_for(sc.skin, injury, pattern=pattern,
                       coagulum=float(summary["coagulation_depth_um"]) * 1e-6)
    from ..simulate import Result

    return Result(summary=summary, dataset=ds, scenario=sc, healing=heal)


def keep(sc: Scenario, result: Result) -> None:
    """Write the drawn fields of ``result`` next to its cached summary (best effort)."""
    path = store.cache_dir() / f"{store.key('summary', sc)}.nc"
    if path.exists():
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_netcdf(result.dataset.drop_vars(KEPT_FIELDS_DROP, errors="ignore"), path,
                     "cache")
    except (OSError, ValueError):
        pass  # a read-only home: the report simulates again


@dataclass
class Found:
    """Outcome of a search: the scenario, its summary, whether the target is reached, and
    notes a clinician reads (why a setting left the published range, model gaps)."""

    scenario: Scenario | None
    summary: dict | None
    reached: bool
    settings: dict = field(default_factory=dict)
    note: str = ""
    notes: list = field(default_factory=list)
    model_gap: bool = False  # kept at a published setting the model is known to misjudge
    #: the patient's lowered energy ceiling cannot reach the target: aimed shallower, with a
    #: smaller benefit (the plan says so)
    reduced_depth: bool = False


class _Reached(Exception):
    def __init__(self, x: float):
        self.x = x


def _bisect(depth, lo_x: float, hi_x: float, target: float,
            guess: float | None = None) -> float | None:
    """Smallest x in [lo_x, hi_x] with depth(x) >= target (None if even hi_x falls short), to
    within (hi_x - lo_x) / 2**BISECTION_STEPS, or sooner: at the first probe whose depth reaches
    the target and passes it by less than :data:`DEPTH_TOLERANCE`.

    The depth is monotone and smooth in energy, so Brent's method (SciPy's ``brentq``: inverse
    quadratic and secant steps, bisection as the safeguard) aims at the middle of that window
    instead of halving the bracket: a few probes land in it where bisection needed all of its
    steps (issue 18: fewer simulations per plan). A ``guess`` inside the range is probed first:
    if it lands in the window it is the answer; otherwise it replaces the end of the bracket on
    its side, and a guess that falls short is followed by one more, its energy scaled by the
    target over its depth (above an ablation threshold that overestimates, so it usually reaches
    the target). A guess that reaches the target shows the target is reachable, so the dearest
    probe, the top of the range, is skipped."""
    window = DEPTH_TOLERANCE * target
    known: dict[float, float] = {}

    def f(x: float) -> float:
        if x not in known:
            known[x] = depth(x) - target
        return known[x]

    a, b = lo_x, hi_x
    x = guess
    for _ in range(GUESSES):
        if x is None or not a < x < b:
            break
        v = f(x)
        if 0 <= v <= window:
            return x
        if v >= 0:
            b = x
            break
        a, d = x, v + target  # short: the next guess scales this one's depth to the target
        x = x * target * (1 + 0.5 * DEPTH_TOLERANCE) / d if d > 0 else None
    if f(b) < 0:
        return None
    if f(a) >= 0:
        return a
    if f(b) <= window:
        return b
    best = [b]

    def g(x: float) -> float:
        v = f(x)
        if v >= 0:
            best[0] = min(best[0], x)
            if v <= window and x not in (a, b):
                raise _Reached(x)
        return v - 0.5 * window

    from scipy.optimize import brentq  # here: a guess that lands needs none of SciPy's optimize

    try:
        brentq(g, a, b, xtol=(hi_x - lo_x) / 2 ** BISECTION_STEPS, rtol=1e-6)
    except _Reached as hit:
        return hit.x
    return best[0]


def _guess(tried: list, n: int, aim: float) -> float | None:
    """An energy for ``n`` pulses or passes that should reach the middle of the window above
    ``aim``, from the deepest probe of fewer: depth taken proportional to the count and to the
    energy. Erbium comes close (measured: an Er:YAG channel at 20 mJ, 444 µm for one pulse and
    884 µm for two; Er:YAG passes at 17.5 J/cm², 101 and 197 µm), so one probe often lands in
    the window; CO2, whose depth grows less than linearly, falls short and pays a probe more
    (:func:`_bisect` never returns a worse setting for a bad guess: tested)."""
    fewer = [(x, m, d) for x, m, d in tried if m < n and d > 0]
    if not fewer:
        return None
    x, m, d = max(fewer, key=lambda t: t[2])
    return x * aim * (1 + 0.5 * DEPTH_TOLERANCE) / (d * n / m)


@dataclass(frozen=True)
class Space:
    """What a search may vary: pass/stack counts and the energy range, clinical first."""

    counts: tuple[int, ...]
    clinical: tuple[float, float]
    device: tuple[float, float]
    unit: str
    model_gap: str = ""
    #: the top of the energy range is this patient's hard ceiling (data/envelope.toml): the
    #: search never goes above it and aims shallower where the target needs more
    ceiling: bool = False


def _first(space: Space, x0: float, x1: float, depth, aim: float):
    """(x, n) of the first count (fewest) whose smallest energy in [x0, x1] reaches ``aim``,
    else None with the deepest (n, depth) tried."""
    deepest = None
    tried: list[tuple[float, int, float]] = []

    def probe(e: float, n: int) -> float:
        d = depth(e, n)
        tried.append((e, n, d))
        return d

    for n in space.counts:
        x = _bisect(lambda e, n=n: probe(e, n), x0, x1, aim, _guess(tried, n, aim))
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
    if space.ceiling and d > 0:  # lowered for this patient: a shallower aim, never above it
        found = finish(c1, n)
        if found.reached:
            found.reduced_depth = True
            found.notes.append(f"this patient's energy ceiling ({crange}) reaches {d:.0f} µm, "
                               f"short of the target {lo:.0f}-{hi:.0f} µm: aimed shallower, "
                               "a smaller benefit is expected")
            return found
    return Found(None, None, False, {}, f"cannot reach {lo:.0f} µm within the device range "
                 f"({d:.0f} µm at {d1:g} {space.unit} x {n})")


def _memo(args: dict, search) -> Found:
    """``search()`` kept in the store by what it searches (the modality's settings rules, the
    patient's site and phototype, the target and caps; the store adds the package version and
    the model's fingerprint): a repeated plan skips the search and its probes."""
    def compute() -> dict:
        f = search()
        return {"scenario": f.scenario.to_dict(si=True) if f.scenario is not None else None,
                "summary": f.summary, "reached": f.reached, "settings": f.settings,
                "note": f.note, "notes": f.notes, "model_gap": f.model_gap,
                "reduced_depth": f.reduced_depth}

    v = store.cached_call("search", args, compute)
    try:
        sc = Scenario.from_dict(v["scenario"]) if v["scenario"] is not None else None
        return Found(sc, v["summary"], bool(v["reached"]), dict(v["settings"]), str(v["note"]),
                     list(v["notes"]), bool(v["model_gap"]), bool(v.get("reduced_depth")))
    except (KeyError, TypeError, ValueError):  # an entry of another shape: search again
        return search()


def full_field(st: dict, site: str, phototype: int, lo: float, hi: float,
               bounds: Bounds) -> Found:
    """The full-field search (kept in the store, :func:`_memo`). ``site`` is the skin preset;
    ``bounds`` the clinical envelope's (energy range, passes)."""
    return _memo({"search": "full-field", "rules": st, "site": site, "phototype": phototype,
                  "target_um": [lo, hi], "bounds": bounds.key()},
                 lambda: _full_field(st, site, phototype, lo, hi, bounds))


def _full_field(st: dict, site: str, phototype: int, lo: float, hi: float,
                bounds: Bounds) -> Found:
    base = Scenario.from_dict({
        "name": "candidate", "skin": {"site": site, "phototype": phototype},
        "laser": {"source": st["source"], "pulse_duration": st["pulse_duration"]},
        "delivery": {"mode": "full-field", "spot_diameter": "4 mm",
                     "fluence": f"{st['fluence_J_cm2'][0]} J/cm^2"}})

    def scen(f, p):
        return base.replace(delivery={"fluence": f"{round(f, 3)} J/cm^2", "passes": p})

    def depth(f, p):
        return summary_of(scen(f, p))["injury_depth_um"]

    def finish(f, p):
        sc = scen(f, p)
        s = summary_of(sc)
        ok = s["injury_depth_um"] <= hi
        remember(sc)
        # no spot in the settings: the fluence is what the search sets, and each device's
        # reading converts it over that device's own spot (review B3)
        return Found(sc, s, ok, {"fluence": f"{round(f, 1)} J/cm^2", "passes": p,
                                 "pulse_duration": st["pulse_duration"].replace("us", "µs")},
                     "" if ok else f"overshoots the target ({s['injury_depth_um']:.0f} µm)")

    counts = tuple(p for p in st["passes"]
                   if bounds.passes_max is None or p <= bounds.passes_max)
    space = Space(counts, bounds.energy, bounds.energy_device, "J/cm^2",
                  st.get("model_depth_gap", ""), bounds.ceiling)
    return _search(space, depth, finish, lo, hi)


def injured_surface_aim(st: dict, bounds: Bounds) -> float:
    """The injured surface the fractional search aims at: the middle of the modality's
    reference range, times the envelope's density factors (phototype) and the top energy factor
    (area), under the envelope's cap."""
    a, b = st["injured_surface"]
    c0, c1 = st.get("clinical_pulse_energy_mJ", st["pulse_energy_mJ"])
    site = bounds.energy[1] / c1 if c1 else 1.0  # the area's (and history's) energy factor
    aim = 0.5 * (a + b) * bounds.injured_surface_factor * min(1.0, site)
    if bounds.injured_surface_min is not None:  # the device delivers no less (its dial's bottom)
        aim = max(aim, bounds.injured_surface_min)
    cap = bounds.injured_surface_max
    return min(aim, cap) if cap is not None else aim


def fractional(st: dict, site: str, phototype: int, lo: float, hi: float,
               injured_surface: float, bounds: Bounds) -> Found:
    """The fractional search (kept in the store, :func:`_memo`). ``site`` is the skin preset;
    ``bounds`` the clinical envelope's (energy range, stacked pulses, injured-surface cap)."""
    return _memo({"search": "fractional", "rules": st, "site": site, "phototype": phototype,
                  "target_um": [lo, hi], "injured_surface": injured_surface,
                  "bounds": bounds.key()},
                 lambda: _fractional(st, site, phototype, lo, hi, injured_surface, bounds))


def _fractional(st: dict, site: str, phototype: int, lo: float, hi: float,
                injured_surface: float, bounds: Bounds) -> Found:
    """Energy and stack by the channel probe (aiming at the middle of the target), then the beam
    coverage that puts the injured surface at ``injured_surface`` (never above the cap)."""
    probe_cov = round(st["injured_surface"][0], 4)

    base = Scenario.from_dict({
        "name": "candidate", "skin": {"site": site, "phototype": phototype},
        "laser": {"source": st["source"], "pulse_duration": st["pulse_duration"]},
        "delivery": {"mode": "fractional", "microbeam_diameter": st["microbeam_diameter"],
                     "pulse_energy": f"{st['pulse_energy_mJ'][0]} mJ",
                     "coverage": probe_cov},
        "numerics": FRACTIONAL_NUMERICS})

    def scen(e, n, cov):
        return base.replace(delivery={"pulse_energy": f"{round(e, 3)} mJ", "stack": n,
                                      "coverage": round(cov, 5)})

    def depth(e, n):
        return store.cached("channel", scen(e, n, probe_cov), _zone_probe)["injury_depth_um"]

    beam_um = float(st["microbeam_diameter"].split()[0])
    cap = bounds.injured_surface_max if bounds.injured_surface_max is not None else 1.0

    def finish(e, n):
        ch = store.cached("channel", scen(e, n, probe_cov), _zone_probe)
        # injured surface ~ beam coverage x (MTZ / beam diameter)^2 (discs that do not overlap)
        cov = injured_surface * (beam_um / max(ch["mtz_diameter_um"], beam_um)) ** 2
        sc = scen(e, n, cov)
        s = summary_of(sc)
        if s["surface_injury_fraction"] > cap:  # overlapping discs: scale down once
            cov *= cap / s["surface_injury_fraction"] * 0.98
            sc = scen(e, n, cov)
            s = summary_of(sc)
        floor = bounds.injured_surface_min
        for _ in range(8):  # the device's coverage dial goes no lower: up to its bottom
            if floor is None or not s["surface_injury_fraction"] < floor < cap:
                break
            # the zones sit on a lattice, so the surface moves in steps: 2 % over per try
            cov *= min(floor * 1.02, cap) / s["surface_injury_fraction"]
            sc = scen(e, n, cov)
            s = summary_of(sc)
        ok = s["injury_depth_um"] <= hi and s["surface_injury_fraction"] <= cap + 1e-9
        remember(sc)
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

    counts = tuple(n for n in st["stack"]
                   if bounds.passes_max is None or n <= bounds.passes_max)
    space = Space(counts, bounds.energy, bounds.energy_device, "mJ",
                  st.get("model_depth_gap", ""), bounds.ceiling)
    return _search(space, depth, finish, lo, hi)
