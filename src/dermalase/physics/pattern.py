"""Fractional treatment patterns: zone positions, firing times, spacing, surface injury and
bulk heating by superposition.

Heat conduction is linear once a zone has been drilled, so the temperature rise of the bridges
between zones is the sum of single-zone solutions fired at their own times. Each zone's retained
heat Q is represented as a line source along the injury depth L with an initial Gaussian radius,
mirrored at the adiabatic skin surface:

.. math::
    \\Delta T(r, z, t) = \\frac{Q}{C L}\\,\\frac{e^{-r^2/4\\kappa t'}}{4\\pi\\kappa t'}\\,
    \\tfrac12\\Big[\\operatorname{erf}\\frac{L - z}{\\sqrt{4\\kappa t'}} +
    \\operatorname{erf}\\frac{L + z}{\\sqrt{4\\kappa t'}}\\Big],\\qquad t' = t + t_0

(Carslaw & Jaeger 1959, sec. 10.3 line source; t_0 = sigma_0^2 / (2 kappa) sets the initial
radius). Perfusion (time constant ~1/omega_b ~ 800 s) is neglected over the seconds of a scan.
:func:`bulk_heating_3d_reference` checks the shortcut by direct 3-D conduction of a small tile.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit, prange

from ..laser.fractional import Fractional


def positions(delivery: Fractional) -> np.ndarray:
    """Zone centres (m), shape (N, 2), in the square [0, L)^2 with L^2 = treated area."""
    side = math.sqrt(delivery.area)
    if delivery.pattern == "grid":
        pitch = delivery.spacing
        n = max(1, int(math.floor(side / pitch + 1e-9)))
        c = (np.arange(n) + 0.5) * pitch + 0.5 * (side - n * pitch)
        X, Y = np.meshgrid(c, c, indexing="xy")
        return np.column_stack([X.ravel(), Y.ravel()])
    rng = np.random.default_rng(delivery.seed)
    n = max(1, int(round(delivery.density * delivery.area)))
    return rng.uniform(0.0, side, size=(n, 2))


def firing_times(delivery: Fractional, pos: np.ndarray) -> np.ndarray:
    """Time (s) at which each zone is fired: raster (row by row, serpentine) or random order
    at ``repetition_rate``; all zero when the rate is not given (simultaneous: upper bound)."""
    n = len(pos)
    if delivery.scan == "raster":
        rows = np.round(pos[:, 1] / (delivery.spacing * 0.5)).astype(np.int64)
        serp = np.where(rows % 2 == 0, pos[:, 0], -pos[:, 0])
        order = np.lexsort((serp, rows))
    else:
        order = np.random.default_rng(delivery.seed + 1).permutation(n)
    t = np.zeros(n)
    if delivery.repetition_rate:
        t[order] = np.arange(n) / delivery.repetition_rate
    return t


def nearest_neighbour_distances(pos: np.ndarray) -> np.ndarray:
    """Distance (m) from each zone to its nearest neighbour (inf for a single zone)."""
    if len(pos) < 2:
        return np.full(len(pos), np.inf)
    from scipy.spatial import cKDTree  # imported on use: scipy.spatial is slow to import

    d, _ = cKDTree(pos).query(pos, k=2)
    return d[:, 1]


def surface_injury_fraction(pos: np.ndarray, zone_diameter: float, side: float,
                            pixel: float | None = None) -> float:
    """Fraction of the square [0, side)^2 covered by discs of ``zone_diameter`` (union, so
    overlaps count once; discs are clipped at the edge), rasterized at ``pixel`` (m)."""
    if zone_diameter <= 0:
        return 0.0
    pixel = pixel or zone_diameter / 10.0
    n = int(math.ceil(side / pixel))
    covered = np.zeros((n, n), dtype=bool)
    rad = zone_diameter / 2
    k = int(math.ceil(rad / pixel)) + 1
    offs = (np.arange(-k, k + 1) * pixel)
    for x, y in pos:
        ix, iy = int(x / pixel), int(y / pixel)
        xs = (ix + np.arange(-k, k + 1) + 0.5) * pixel
        ys = (iy + np.arange(-k, k + 1) + 0.5) * pixel
        inside = (xs[None, :] - x) ** 2 + (ys[:, None] - y) ** 2 <= rad * rad
        i0, j0 = iy - k, ix - k
        a0, b0 = max(i0, 0), max(j0, 0)
        a1, b1 = min(i0 + len(offs), n), min(j0 + len(offs), n)
        if a1 > a0 and b1 > b0:
            covered[a0:a1, b0:b1] |= inside[a0 - i0:a1 - i0, b0 - j0:b1 - j0]
    return float(covered.mean())


@dataclass(frozen=True)
class ZoneHeat:
    """Heat a single zone leaves behind, as a line source.

    Q : J retained; L : m, depth of the source; sigma0 : m, initial Gaussian radius;
    C : J/m^3/K and kappa : m^2/s of the tissue between zones.
    """

    Q: float
    L: float
    sigma0: float
    C: float
    kappa: float


@njit(cache=True, inline="always")
def _line_source(r2, z, t, Q, L, t0, C, kappa):
    tp = t + t0
    a = 4.0 * kappa * tp
    lateral = math.exp(-r2 / a) / (math.pi * a)
    s = math.sqrt(a)
    axial = 0.5 * (math.erf((L - z) / s) + math.erf((L + z) / s))
    return Q / (C * L) * lateral * axial


@njit(cache=True, parallel=True)
def _superpose(px, py, pz, zx, zy, tz, times, Q, L, t0, C, kappa, out):
    npts = px.shape[0]
    nt = times.shape[0]
    for p in prange(npts):
        for it in range(nt):
            t = times[it]
            acc = 0.0
            for k in range(zx.shape[0]):
                dt = t - tz[k]
                if dt <= 0.0:
                    continue
                r2 = (px[p] - zx[k]) ** 2 + (py[p] - zy[k]) ** 2
                a = 4.0 * kappa * (dt + t0)
                if r2 > 40.0 * a:  # exp(-40) ~ 4e-18: negligible
                    continue
                acc += _line_source(r2, pz[p], dt, Q, L, t0, C, kappa)
            out[p, it] = acc


def temperature_rise(points: np.ndarray, zones: np.ndarray, t_fire: np.ndarray,
                     times: np.ndarray, heat: ZoneHeat) -> np.ndarray:
    """Temperature rise (K) at ``points`` (N, 3: x, y, z in m) at ``times`` (s), summing every
    zone fired before each time. Shape (N, len(times))."""
    out = np.zeros((len(points), len(times)))
    t0 = heat.sigma0**2 / (2.0 * heat.kappa)
    _superpose(np.ascontiguousarray(points[:, 0]), np.ascontiguousarray(points[:, 1]),
               np.ascontiguousarray(points[:, 2]), np.ascontiguousarray(zones[:, 0]),
               np.ascontiguousarray(zones[:, 1]), np.ascontiguousarray(t_fire),
               np.asarray(times, dtype=float), heat.Q, heat.L, t0, heat.C, heat.kappa, out)
    return out


def bridge_points(pos: np.ndarray, side: float, depth: float, n_max: int = 200,
                  seed: int = 0) -> np.ndarray:
    """Points of spared skin farthest from the zones (the bridges), at ``depth``: the vertices
    of the Voronoi diagram inside the central region, subsampled to ``n_max``."""
    from scipy.spatial import QhullError, Voronoi, cKDTree

    pts = np.empty((0, 2))
    if len(pos) >= 4:
        try:
            v = Voronoi(pos).vertices
            m = 0.1 * side
            pts = v[(v[:, 0] > m) & (v[:, 0] < side - m) & (v[:, 1] > m) & (v[:, 1] < side - m)]
        except QhullError:  # degenerate (e.g. collinear) zones: use midpoints instead
            pts = np.empty((0, 2))
    if len(pts) == 0 and len(pos) >= 2:
        _, nn = cKDTree(pos).query(pos, k=2)
        pts = 0.5 * (pos + pos[nn[:, 1]])
    if len(pts) == 0:
        pts = np.array([[side / 2, side / 2]])
    if len(pts) > n_max:
        pts = pts[np.random.default_rng(seed).choice(len(pts), n_max, replace=False)]
    return np.column_stack([pts, np.full(len(pts), depth)])


def bulk_heating_3d_reference(zones: np.ndarray, t_fire: np.ndarray, heat: ZoneHeat,
                              side: float, depth: float, points: np.ndarray,
                              times: np.ndarray, dx: float) -> np.ndarray:
    """Direct 3-D conduction on a small tile (explicit FTCS, adiabatic faces), each zone
    injected at its firing time as its line-source field at age 0. Test oracle for
    :func:`temperature_rise`; slow, for small tiles only."""
    nx = int(round(side / dx))
    nzc = int(round(depth / dx))
    xc = (np.arange(nx) + 0.5) * dx
    zc = (np.arange(nzc) + 0.5) * dx
    X, Y, Z = np.meshgrid(xc, xc, zc, indexing="ij")
    T = np.zeros((nx, nx, nzc))
    dt_stable = dx * dx / (6.0 * heat.kappa) * 0.9
    t0 = heat.sigma0**2 / (2.0 * heat.kappa)
    order = np.argsort(t_fire)
    fired = 0
    t = 0.0
    out = np.zeros((len(points), len(times)))
    idx = [tuple(np.clip((p / dx).astype(int), 0, [nx - 1, nx - 1, nzc - 1])) for p in points]
    lam = heat.kappa / (dx * dx)
    for it, t_out in enumerate(times):
        while t < t_out - 1e-15:
            while fired < len(order) and t_fire[order[fired]] <= t + 1e-15:
                k = order[fired]
                r2 = (X - zones[k, 0]) ** 2 + (Y - zones[k, 1]) ** 2
                a = 4.0 * heat.kappa * t0
                axial = 0.5 * (np.vectorize(math.erf)((heat.L - Z) / math.sqrt(a))
                               + np.vectorize(math.erf)((heat.L + Z) / math.sqrt(a)))
                T += heat.Q / (heat.C * heat.L) * np.exp(-r2 / a) / (math.pi * a) * axial
                fired += 1
            nxt = t_fire[order[fired]] if fired < len(order) else np.inf
            dt = min(dt_stable, t_out - t, max(nxt - t, 1e-15))
            P = np.pad(T, 1, mode="edge")  # adiabatic faces (zero gradient)
            lap = (P[2:, 1:-1, 1:-1] + P[:-2, 1:-1, 1:-1] + P[1:-1, 2:, 1:-1]
                   + P[1:-1, :-2, 1:-1] + P[1:-1, 1:-1, 2:] + P[1:-1, 1:-1, :-2] - 6.0 * T)
            T = T + dt * lam * lap
            t += dt
        for ip, ijk in enumerate(idx):
            out[ip, it] = T[ijk]
    return out


@dataclass(frozen=True)
class BulkHeating:
    """Bulk heating of the spared bridges.

    mean_rise : K, the highest bridge-averaged temperature rise over time (reported as
        ``bulk_temperature_rise_K``); max_rise : K, the highest rise at any bridge point;
    times : s; mean_series : K, bridge-averaged rise at ``times``.
    """

    mean_rise: float
    max_rise: float
    times: np.ndarray
    mean_series: np.ndarray


def bulk_heating(pos: np.ndarray, t_fire: np.ndarray, heat: ZoneHeat, side: float, *,
                 n_points: int = 200, n_times: int = 160, after: float = 1.0,
                 return_rise: bool = False):
    """Temperature rise of the bridges (Voronoi vertices at half the injury depth) while the
    pattern is fired and for ``after`` s; the end of the scan is always sampled. With
    ``return_rise``, also the rise at every bridge point, shape (points, times)."""
    pts = bridge_points(pos, side, heat.L / 2, n_max=n_points)
    t_end = float(t_fire.max())
    times = np.unique(np.concatenate([
        np.linspace(0.0, t_end, n_times // 2)[1:] if t_end > 0 else [],
        t_end + np.geomspace(1e-4, after, n_times // 2)]))
    rise = temperature_rise(pts, pos, t_fire, times, heat)
    mean = rise.mean(axis=0)
    bulk = BulkHeating(float(mean.max()), float(rise.max()), times, mean)
    return (bulk, rise) if return_rise else bulk
