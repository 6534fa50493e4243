"""Fractional run: one microchannel (r-z) -> zone geometry -> pattern -> bulk heating of the
spared bridges -> SI :class:`Outcome` (a peer of the full-field run).

The channel run gives the zone (depth, diameter, collar, MTZ) and the heat it leaves behind; the
pattern turns those into the surface injury fraction, the spacing and the bridges; linear
superposition of the zones' heat (``physics.pattern``) gives the bulk temperature rise of the
bridges and, through the Arrhenius integral, whether they coagulate.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..physics import pattern as zone_pattern
from ..physics.constants import PhysicalConstants
from ..physics.damage import COLLAGEN_SET, necrosis_set
from ..physics.microchannel import ZoneGeometry, run_channel, zone_geometry
from ..physics.solver import SolverOutput
from .fullfield import depth_below, peak_temperature
from .outcome import Outcome, energy_accounts
from .summary import ZoneSummary

#: Wavelength whose fractional channel depths are known to disagree with histology (docs/
#: validation.md, "fractional CO2 depth"); results carry a warning until that is fixed.
CO2_WAVELENGTH_NM = 10600.0


@dataclass(frozen=True)
class PatternResult:
    """Pattern-level outcome of a fractional treatment (SI units)."""

    positions: np.ndarray        # (N, 2) m
    fire_times: np.ndarray       # (N,) s
    side: float                  # m, side of the treated square
    surface_injury_fraction: float
    nearest: np.ndarray          # (N,) m, nearest-neighbour distance of each zone
    merged_fraction: float       # fraction of zones whose injured disc touches a neighbour's
    heat: zone_pattern.ZoneHeat
    bulk: zone_pattern.BulkHeating
    bridge_omega: float          # highest necrosis Arrhenius integral at a bridge point


def zone_heat(out: SolverOutput, geom: ZoneGeometry, skin) -> zone_pattern.ZoneHeat:
    """The heat one zone leaves in the tissue, as a line source for superposition.

    Q: energy absorbed by the tissue and not carried away by ablation (nor absorbed by the
    plume on its way in), summed over the stacked pulses (J). L: the injury depth. sigma0: the
    zone's MTZ radius / 2, which gives the Gaussian the same second moment as heat spread
    uniformly over the MTZ disc. C, kappa: dermis (the bridges lie in it).
    """
    q = 0.0
    for rec in out.passes:
        e = rec.energy
        # deposited in tissue (after reflection, the plume and transmission), less what left
        # with the ablated material
        q += e["absorbed"] - e["vaporized"] - e["ablated"]
    dermis = next((la for la in skin.layers if "dermis" in la.name), skin.layers[-1])
    C = dermis.heat_capacity
    kappa = dermis.conductivity / C
    L = max(geom.injury_depth, out.dz)
    sigma0 = max(geom.mtz_diameter, 2.0 * out.dz) / 4.0
    return zone_pattern.ZoneHeat(Q=max(q, 0.0), L=L, sigma0=sigma0, C=C, kappa=kappa)


def bridge_damage(bulk_rise: np.ndarray, times: np.ndarray, body_temperature: float,
                  activation_energy: float | None = None) -> float:
    """Highest necrosis integral over bridge points, from body temperature + rise (trapezoid);
    ``activation_energy`` replaces the necrosis set's (PhysicalConstants)."""
    aset = necrosis_set(activation_energy)
    T = body_temperature + bulk_rise
    rate = aset.rate(T)
    t = np.concatenate([[0.0], times])
    rate = np.concatenate([rate[:, :1], rate], axis=1)
    omega = np.trapezoid(rate, t, axis=1)
    return float(omega.max()) if omega.size else 0.0


def run_pattern(delivery, out: SolverOutput, geom: ZoneGeometry, skin,
                constants: PhysicalConstants) -> PatternResult:
    pos = zone_pattern.positions(delivery)
    t_fire = zone_pattern.firing_times(delivery, pos)
    side = math.sqrt(delivery.area)
    sif = zone_pattern.surface_injury_fraction(pos, geom.mtz_diameter, side)
    nn = zone_pattern.nearest_neighbour_distances(pos)
    merged = float(np.mean(nn < geom.mtz_diameter)) if len(pos) > 1 else 0.0
    heat = zone_heat(out, geom, skin)
    bulk, rise = zone_pattern.bulk_heating(pos, t_fire, heat, side, return_rise=True)
    return PatternResult(pos, t_fire, side, sif, nn, merged, heat, bulk,
                         bridge_damage(rise, bulk.times, constants.body_temperature,
                                       constants.necrosis_activation_energy))


def warnings_for(scenario, out: SolverOutput, geom: ZoneGeometry, pat: PatternResult) -> list:
    w = []
    if abs(scenario.source.wavelength_nm - CO2_WAVELENGTH_NM) < 1.0:
        w.append("fractional CO2: channel depths match histology at 20-30 mJ (Avram et al. "
                 "2009) with the plume taken at its most absorbing; the zone widens with energy "
                 "less than histology (1.2x vs 2x from 5 to 30 mJ, Hantash et al. 2007): the "
                 "coagulated collar is probably too thin; see docs/validation.md")
    elif scenario.source.wavelength_nm > 2000.0 and out.ejecta_speed is None:
        w.append("fractional erbium channel depths are not validated: no histology with device "
                 "settings was found, and the plume, which halves CO2 channels at 20 mJ, is not "
                 "modelled without a measured ejecta speed: depths may be too deep; see "
                 "docs/validation.md")
    if not scenario.source.ablative and int(np.max(out.top)) > 0:
        w.append(nonablative_warning(scenario, out, geom))
    z_bottom = out.z[-1] + 0.5 * out.dz
    if geom.injury_depth >= z_bottom - 2 * out.dz:
        w.append(f"the injury reached the bottom of the simulated domain ({z_bottom * 1e6:.0f} "
                 "um): channel and injury depths are lower bounds")
    if pat.merged_fraction > 0:
        w.append(f"neighbouring injured zones merge ({pat.merged_fraction:.0%} of zones touch a "
                 "neighbour): spared skin bridges are lost; lower the density or coverage")
    if pat.bridge_omega >= 1.0:
        w.append("bulk heating coagulates the bridges between zones (Arrhenius integral "
                 f"{pat.bridge_omega:.2g} >= 1): lower the repetition rate or density")
    return w


def nonablative_warning(scenario, out: SolverOutput, geom: ZoneGeometry) -> str:
    """What a non-ablative source that removed tissue did, in plain words (issue 30)."""
    d = scenario.delivery
    depth = float(np.max(out.top)) * out.dz
    return (f"this setting is not non-ablative: {d.pulse_energy * 1e3:.3g} mJ x {d.stack} into "
            f"a {d.microbeam_diameter * 1e6:.0f} um {scenario.source.name} "
            f"({scenario.source.wavelength_nm:,.0f} nm) microbeam boils the tissue water off "
            "and heats the dried tissue until it decomposes, so the model ablates it: a channel "
            f"up to {depth * 1e6:.0f} um deep "
            f"({geom.channel_diameter * 1e6:.0f} um wide) through the skin's surface, which a "
            "non-ablative treatment keeps intact (Manstein et al. 2004); lower the pulse energy "
            "or the stack, or widen the microbeam. The channel is approximate: the light's "
            "transport was computed for intact tissue")


def zone_summary(scenario, out: SolverOutput, geom: ZoneGeometry,
                 pat: PatternResult) -> ZoneSummary:
    finite = bool(np.isfinite(pat.nearest).any())
    spacing = float(np.median(pat.nearest)) if finite else None
    return ZoneSummary(
        channel_diameter=geom.channel_diameter, coagulation_collar=geom.mean_collar,
        mtz_diameter=geom.mtz_diameter, zone_max_width=geom.max_width,
        bulk_temperature_rise=float(pat.bulk.mean_rise),
        bridge_peak_rise=float(pat.bulk.max_rise), bridge_damage_integral=pat.bridge_omega,
        zones=len(pat.positions), zone_density=float(scenario.delivery.density),
        coverage=float(scenario.delivery.coverage), zone_spacing=spacing,
        # merged zones leave no bridge (zones_merge says so), never a negative width
        bridge_width=None if spacing is None else max(spacing - geom.mtz_diameter, 0.0),
        zones_merge=pat.merged_fraction > 0,
        energy_per_zone=energy_accounts(out))  # J per zone (the r-z run is one channel)


#: channel runs kept in this process (the planner probes a channel, then simulates the same
#: channel at the coverage it chose: issue 18); a few entries of some MB each
CHANNELS_KEPT = 4
_CHANNELS: OrderedDict[str, SolverOutput] = OrderedDict()
_CHANNELS_LOCK = threading.Lock()


def channel_key(scenario) -> str:
    """What one microbeam's channel depends on, from the objects the channel run reads: the
    skin model (every layer), the source, the microbeam as a spot (energy, diameter, stacked
    pulses and their interval, profile), the seed (Monte Carlo transport draws from it), every
    numerical setting and every physical constant. The pattern (coverage, density, scan, area,
    repetition rate) is not part of it."""
    d = scenario.delivery
    parts = {"skin": dataclasses.asdict(scenario.skin),
             "source": dataclasses.asdict(scenario.source),
             "spot": dataclasses.asdict(d.as_spot()), "seed": d.seed,
             "numerics": dataclasses.asdict(scenario.numerics),
             "constants": dataclasses.asdict(scenario.constants)}
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=repr).encode()).hexdigest()


def channel_run(scenario, progress: Callable[[float], None] | None = None) -> SolverOutput:
    """The channel run of a fractional scenario, kept for the next scenario with the same
    channel (its arrays are shared, so they are made read-only)."""
    k = channel_key(scenario)
    with _CHANNELS_LOCK:
        out = _CHANNELS.get(k)
        if out is not None:
            _CHANNELS.move_to_end(k)
    if out is not None:
        if progress is not None:
            progress(1.0)
        return out
    out = run_channel(scenario.skin, scenario.source, scenario.delivery, scenario.numerics,
                      scenario.constants, progress=progress)
    for a in (out.top, out.tmax, out.water, out.times, out.snapshots, *out.omega.values()):
        a.flags.writeable = False  # shared by every scenario that reuses it
    with _CHANNELS_LOCK:
        _CHANNELS[k] = out
        while len(_CHANNELS) > CHANNELS_KEPT:
            _CHANNELS.popitem(last=False)
    return out


def run_fractional(scenario, progress: Callable[[float], None] | None = None) -> Outcome:
    """Simulate a fractional scenario: one channel, its zone, the pattern and bulk heating."""
    out = channel_run(scenario, progress)
    geom = zone_geometry(out)
    pat = run_pattern(scenario.delivery, out, geom, scenario.skin, scenario.constants)
    return Outcome(
        solver=out, ablation_depth=geom.channel_depth,
        coagulation_depth=geom.injury_depth - geom.channel_depth,
        injury_depth=geom.injury_depth,
        collagen_denaturation_depth=depth_below(out.omega[COLLAGEN_SET][0] >= 1.0,
                                                int(out.top[0]), out.dz),
        deepest_layer=geom.deepest_layer if geom.injury_depth > 0 else None,
        peak_temperature=peak_temperature(out),
        surface_injury_fraction=float(pat.surface_injury_fraction),
        # per m^2 of one microbeam's spot, as the full-field balance is per m^2 of the spot
        energy_balance={k: v / (math.pi * (scenario.delivery.microbeam_diameter / 2) ** 2)
                        for k, v in energy_accounts(out).items()},
        zone=zone_summary(scenario, out, geom, pat), pattern=pat, zone_geometry=geom,
        warnings=tuple(warnings_for(scenario, out, geom, pat)))


def zone_probe(scenario) -> dict:
    """The store's ``channel`` entry of a fractional scenario: its zone's depths and diameter,
    µm (the probe the planner's searches and the device dials share)."""
    g = simulate_zone(scenario)
    return {"injury_depth_um": g.injury_depth * 1e6, "channel_depth_um": g.channel_depth * 1e6,
            "mtz_diameter_um": g.mtz_diameter * 1e6}


def simulate_zone(scenario) -> ZoneGeometry:
    """The zone one microbeam leaves (channel, collar, MTZ; SI) for a fractional scenario,
    without the pattern and healing: the probe of the planner's searches."""
    if not scenario.fractional:
        raise InputError("delivery.mode", "full-field", "a fractional scenario")
    return zone_geometry(channel_run(scenario))
