"""Re-epithelialization of the treated surface: a front-migration model on the 2-D skin surface.

Keratinocytes cover the wound from its edges (the intact epidermis around it) and from the
adnexa (hair follicles, eccrine sweat ducts) that survive below the injury. After a lag, the
epithelial front advances at a constant speed ``c`` from every source, so the time at which a
point of the wound is covered is

.. math::  T(x) = t_{lag} + d(x) / c,

with d the distance to the nearest source (exact Euclidean distance transform). The wound is
closed when ``wound_closure_fraction`` of its area is covered. Two analytic limits check the
solver: a disc of radius R healing from its rim closes at t_lag + R (1 - sqrt(1 - f)) / c for a
closure fraction f, and a field of Poisson-distributed sources of density n leaves an open
fraction exp(-n pi c^2 (t - t_lag)^2).

A full-field wound also carries the coagulated (thermally necrotic) layer the laser left on its
floor, which has to be shed or resorbed before the epithelium can cover it, and thermal injury
slows the keratinocytes (clinical: CO2 wounds crust for 7.7 d where erbium wounds of similar
depth crust for 3.4 d, Newman et al. 2000). The model lumps both into a delay proportional to
the thickness of that layer in the dermis (coagulated epidermis goes with the crust): the lag
becomes t_lag + s * coagulum. Fractional zones get no such
delay: they are covered from their rims within a day or two although their walls are necrotic
(Manstein et al. 2004; Hantash et al. 2007), and their debris is extruded later.

Parameters and their status (data/constants.toml, data/adnexa.csv):
- lag: 12-24 h (sourced range).
- adnexal density by site: eccrine glands (Taylor & Machado-Moreira 2013) + hair follicles
  (Otberg 2004 to Blume 1991).
- front speed c and clearance time s: **calibrated**, not measured: the two solve the healing
  times of a superficial facial Er:YAG peel (3-4 d, Pozner; thin coagulum) and of a two-pass
  CO2 resurfacing of the upper lip (7.7 d, Newman et al. 2000; thick coagulum), with the
  coagulated layer the model leaves in those two cases. The Er:YAG arm of Newman et al. and
  the published ranges are the independent checks (docs/validation.md, calibration ledger).
  The uncertainty range spans the lag and both calibration ranges.
- sources of new epidermis: the site's hair follicles (Collawn: mostly follicles after CO2;
  ``reepithelialization_sources.eccrine_weight`` adds eccrine glands, 0 by default).
- depth (issue 31): a wound reaching a fraction x of the dermis (below the epidermis) leaves
  (1 - x)^p of the sources, p = ``adnexal_depth_exponent`` (an ASSUMPTION: no sourced depth
  profile was found; sensitivity table in docs/validation.md); none at the bottom of the dermis,
  where the wound heals from its edges only. Full-field healing is the sooner of the two
  routes (surviving sources everywhere; the edges of the treated square), so it never gets
  faster as the wound deepens.
- scarring depth: a confluent wound deeper than ~1/3 of the skin's thickness scars (Dunkin et
  al. 2007); :func:`scarring_depth` gives the depth the warnings use.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from . import data
from .physics.damage import NECROSIS_SET

if TYPE_CHECKING:  # NumPy is imported on first use: a repeated plan needs none of it
    import numpy as np

DAY = 86400.0
#: the layers of the dermis (tissue.model.LAYER_NAMES; "epidermis" contains "dermis" too)
DERMIS_LAYERS = ("papillary_dermis", "reticular_dermis")


def adnexal_density(site: str, eccrine_weight: float | None = None) -> float:
    """Sources of new epidermis per m^2 at ``site`` (data/adnexa.csv): the hair follicles, plus
    ``eccrine_weight`` (data/constants.toml ``reepithelialization_sources``) per eccrine
    gland."""
    rows = {r["site"]: r for r in data.table("adnexa")}
    if site not in rows:
        from .errors import InputError

        raise InputError("skin.site", site, "one of " + ", ".join(rows))
    if eccrine_weight is None:
        eccrine_weight = data.constants()["reepithelialization_sources"]["eccrine_weight"]
    r = rows[site]
    return (eccrine_weight * float(r["eccrine_per_cm2"]) + float(r["follicles_per_cm2"])) * 1e4


def surviving_fraction(x: float, exponent: float | None = None) -> float:
    """Share of the sources of new epidermis left below a wound that reaches a fraction ``x``
    of the dermis: (1 - x)^p for 0 <= x < 1 (x <= 0: all; x >= 1: none); p =
    ``adnexal_depth_exponent`` (an assumption, data/constants.toml)."""
    p = data.constant("adnexal_depth_exponent") if exponent is None else exponent
    if x <= 0.0:
        return 1.0
    return (1.0 - x) ** p if x < 1.0 else 0.0


def dermis_span(skin) -> tuple[float, float]:
    """(depth of the dermo-epidermal junction, thickness of the dermis), m."""
    top = thick = 0.0
    for layer in skin.layers:
        if layer.name == "subcutis":
            break
        if layer.name in DERMIS_LAYERS:
            thick += layer.thickness
        elif thick == 0.0:
            top += layer.thickness
    return top, thick


def dermal_coagulum(skin, injury_depth: float, coagulum: float) -> float:
    """The part (m) of the coagulated layer on a wound's floor that lies in the dermis: what
    the clearance delay counts. Coagulated epidermis (and stratum corneum) is shed with the
    crust while the epithelium covers the dermis below it; a necrotic dermal floor must be
    demarcated and shed first (issue 31: this also keeps a deeper wound from healing sooner
    because a sub-ablative pass coagulated the whole epidermis)."""
    top, _ = dermis_span(skin)
    return min(max(coagulum, 0.0), max(injury_depth - top, 0.0))


def depth_fraction(skin, injury_depth: float) -> float:
    """Fraction of the dermis a wound of ``injury_depth`` (m, from the surface) reaches: 0
    within the epidermis, 1 at the bottom of the dermis."""
    top, thick = dermis_span(skin)
    return min(max((injury_depth - top) / thick, 0.0), 1.0)


def poisson_cover_radius(density: float, closure: float) -> float:
    """Distance (m) within which ``closure`` of the plane lies from Poisson points of density
    ``density`` (1/m^2): 1 - exp(-n pi r^2) = closure."""
    return math.sqrt(-math.log(1.0 - closure) / (math.pi * density))


#: The two calibration cases: (site, constants.toml entry of the healing time, key of the
#: model's coagulated layer in ``healing_calibration_coagulation``)
CALIBRATION_CASES = (("cheek", "superficial_resurfacing_healing", "superficial"),
                     ("perioral", "deep_resurfacing_healing", "deep"))


@dataclass(frozen=True)
class HealingParams:
    """Front speed ``c`` (m/s), ``lag`` (s), the closure fraction and the clearance time
    ``clearance`` (s per m of coagulated tissue left on a full-field wound's floor); the
    assumptions on the sources, ``exponent`` (:func:`surviving_fraction`) and
    ``eccrine_weight`` (:func:`adnexal_density`), None: the data's."""

    c: float
    lag: float
    closure: float
    clearance: float = 0.0
    exponent: float | None = None
    eccrine_weight: float | None = None

    @classmethod
    def calibrated(cls, lag: float | None = None, heal_time: float | None = None,
                   deep_heal_time: float | None = None, exponent: float | None = None,
                   eccrine_weight: float | None = None) -> HealingParams:
        """Parameters solving the two calibration cases (see module doc): for each, healing
        time = lag + clearance x coagulum + r / c, with r the Poisson cover radius of the
        sources the case's wound leaves (its recorded injury depth on its site)."""
        k = data.constants()
        lag = k["reepithelialization_lag"]["value"] if lag is None else lag
        closure = k["wound_closure_fraction"]["value"]
        fitted = _calibration_healing(heal_time, deep_heal_time, exponent, eccrine_weight)
        if fitted is not None:  # a calibration from outcomes (dermalase.calibration)
            return cls(c=fitted[0], lag=lag, closure=closure, clearance=fitted[1])
        times = (heal_time, deep_heal_time)
        rows, rhs = [], []
        from .tissue.model import build_skin

        for (site, entry, key), given in zip(CALIBRATION_CASES, times, strict=True):
            heal = k[entry]["value"] if given is None else given
            rec = k["healing_calibration_coagulation"]
            skin = build_skin(site)
            coag = dermal_coagulum(skin, rec[f"{key}_injury"], rec[key])
            x = depth_fraction(skin, rec[f"{key}_injury"])
            dens = adnexal_density(site, eccrine_weight) * surviving_fraction(x, exponent)
            rows.append((coag, poisson_cover_radius(dens, closure)))
            rhs.append(heal - lag)
        (a, b), (c, d) = rows
        det = a * d - b * c
        clearance = (rhs[0] * d - b * rhs[1]) / det
        inv_speed = (a * rhs[1] - c * rhs[0]) / det
        if not (clearance >= 0.0 and inv_speed > 0.0):
            raise ValueError("healing calibration has no physical solution: "
                             f"clearance {clearance:g} s/m, 1/c {inv_speed:g} s/m")
        return cls(c=1.0 / inv_speed, lag=lag, closure=closure, clearance=clearance,
                   exponent=exponent, eccrine_weight=eccrine_weight)

    @classmethod
    def corners(cls, exponent: float | None = None,
                eccrine_weight: float | None = None) -> list[HealingParams]:
        """The combinations of the lag range and both calibration ranges (uncertainty)."""
        k = data.constants()
        h = _calibration_healing(None, None, exponent, eccrine_weight, "range")
        if h is not None:  # the lag range x the calibration's intervals
            closure = k["wound_closure_fraction"]["value"]
            return [cls(c=c, lag=lag, closure=closure, clearance=s)
                    for lag in k["reepithelialization_lag"]["range"] for c in h[0]
                    for s in h[1]]
        return [cls.calibrated(lag, heal, deep, exponent, eccrine_weight)
                for lag in k["reepithelialization_lag"]["range"]
                for heal in k["superficial_resurfacing_healing"]["range"]
                for deep in k["deep_resurfacing_healing"]["range"]]

    def delayed(self, coagulum: float) -> HealingParams:
        """These parameters with the lag grown by the clearance of ``coagulum`` (m)."""
        return replace(self, lag=self.lag + self.clearance * max(coagulum, 0.0))


def _calibration_healing(heal_time, deep_heal_time, exponent, eccrine_weight,
                         which: str = "value"):
    """The front speed (m/s) and clearance (s/m) of the calibration in force
    (:func:`dermalase.calibration.current`), or their ranges (``which = "range"``); None for
    the published calibration, or when the caller asks for other calibration data or source
    assumptions than those a calibration from outcomes was fitted with."""
    from .calibration import current

    h = current().healing
    if h is None or heal_time is not None or deep_heal_time is not None \
            or exponent is not None or eccrine_weight is not None:
        return None
    speed = 1e-6 / DAY  # um/d -> m/s
    clear = DAY * 1e6  # d/um -> s/m
    if which == "range":
        return ([v * speed for v in h["front_speed_range"]],
                [v * clear for v in h["clearance_range"]])
    return h["front_speed_um_per_day"] * speed, h["clearance_days_per_um"] * clear


def scarring_depth(skin) -> float:
    """Depth (m) beyond which a confluent wound is reported to scar: the lower end of Dunkin
    et al. 2007's threshold, a fraction of the epidermis + dermis (data/constants.toml)."""
    return data.constant("scarring_depth_fraction") * adnexa_depth(skin)


@dataclass(frozen=True)
class Healing:
    """Healing of one treated surface.

    distance : (ny, nx) m, distance from each wound pixel to the nearest source (NaN: no
    wound), or None for a homogeneous wound healed from Poisson-distributed adnexa, whose
    healing is exact in closed form (``poisson_density``, 1/m^2; a sample map is drawn on
    demand by :meth:`sample`); pixel : m; wound_fraction : wounded fraction of the treated
    surface; params : used; days : closure time (d); days_range : (lowest, highest) over the
    parameter corners.
    """

    distance: np.ndarray | None
    pixel: float
    wound_fraction: float
    params: HealingParams
    days: float
    days_range: tuple[float, float]
    poisson_density: float | None = None
    seed: int = 0

    def sample(self) -> tuple[np.ndarray, float]:
        """(distance map, pixel): the map, drawn for a Poisson wound."""
        if self.distance is not None:
            return self.distance, self.pixel
        assert self.poisson_density is not None  # a Poisson wound has no distance map
        return _poisson_map(self.poisson_density, self.params.closure, self.seed)

    def open_fraction(self, times: np.ndarray) -> np.ndarray:
        """Open (not yet covered) fraction of the treated surface at ``times`` (s)."""
        import numpy as np
        times = np.asarray(times, dtype=float)
        p = self.params
        if self.distance is None:
            assert self.poisson_density is not None
            r = p.c * np.clip(times - p.lag, 0.0, None)
            return np.exp(-self.poisson_density * math.pi * r * r)
        d = self.distance[~np.isnan(self.distance)]
        if d.size == 0:
            return np.zeros_like(times)
        t = np.sort(p.lag + d / p.c)
        still = d.size - np.searchsorted(t, times, side="right")
        return still / self.distance.size


def _poisson_map(dens: float, closure: float, seed: int, n_adnexa: int = 3000):
    """A periodic tile of a wound with ~``n_adnexa`` Poisson adnexa: (distance map, pixel)."""
    import numpy as np
    tile = math.sqrt(n_adnexa / dens)
    r = poisson_cover_radius(dens, closure)
    pixel = r / 25.0
    n = int(math.ceil(tile / pixel))
    sources = _adnexa_pixels((n, n), pixel, dens, seed)
    wound = np.ones((n, n), dtype=bool)
    return heal_map(wound, sources, pixel, periodic=True, reach=4.0 * r), pixel


def closure_time(distance: np.ndarray, params: HealingParams) -> float:
    """Time (s) at which ``params.closure`` of the wound pixels are covered (0: no wound)."""
    import numpy as np
    d = distance[~np.isnan(distance)]
    if d.size == 0:
        return 0.0
    if not np.isfinite(d).any():  # no epidermis left to heal from (np.quantile would warn)
        return math.inf
    return params.lag + float(np.quantile(d, params.closure)) / params.c


def heal_map(wound: np.ndarray, sources: np.ndarray, pixel: float,
             periodic: bool = False, reach: float | None = None) -> np.ndarray:
    """Distance (m) from each wound pixel to the nearest source pixel (NaN outside the wound;
    inf if there is no source at all). ``periodic`` wraps the square (a unit cell); ``reach``
    (m) bounds the distances that matter, so that only that much is wrapped."""
    import numpy as np
    if not sources.any():
        return np.where(wound, np.inf, np.nan)
    from scipy import ndimage  # imported on use: keeps the package quick to import

    if periodic:
        ny, nx = sources.shape
        w = min(int(math.ceil(reach / pixel)) if reach else max(ny, nx), max(ny, nx))
        big = np.pad(~sources, w, mode="wrap")
        d = ndimage.distance_transform_edt(big)[w:w + ny, w:w + nx]
    else:
        d = ndimage.distance_transform_edt(~sources)
    return np.where(wound, d * pixel, np.nan)


def _finish(dist, pixel, params, corners) -> Healing:
    import numpy as np
    wound_fraction = float((~np.isnan(dist)).mean())
    days = closure_time(dist, params) / DAY
    rng = [closure_time(dist, p) / DAY for p in corners]
    return Healing(dist, pixel, wound_fraction, params, days, (min(rng), max(rng)))


def _adnexa_pixels(shape, pixel, density, seed) -> np.ndarray:
    import numpy as np
    ny, nx = shape
    n = np.random.default_rng(seed).poisson(density * nx * ny * pixel * pixel)
    rng = np.random.default_rng(seed + 1)
    src = np.zeros(shape, dtype=bool)
    src[rng.integers(0, ny, n), rng.integers(0, nx, n)] = True
    return src


def edge_cover_radius(side: float, closure: float) -> float:
    """Distance (m) the front must travel from the edges of a square wound of ``side`` (m) to
    cover ``closure`` of it: the share farther than r from every side is (1 - 2 r / side)^2."""
    return 0.5 * side * (1.0 - math.sqrt(1.0 - closure))


def heal_full_field(site: str, wounded: bool, adnexa_survive: bool, side: float = 1e-2,
                    seed: int = 0, params: HealingParams | None = None,
                    sampled: bool = False, coagulum: float = 0.0,
                    dermis_fraction: float = 0.0, density: float | None = None) -> Healing:
    """A full-field wound reaching ``dermis_fraction`` of the dermis (:func:`depth_fraction`).

    With surviving sources (the site's follicles x :func:`surviving_fraction`) it heals from
    them everywhere, far from any edge (full-face treatments span many cm): closed form for
    Poisson-distributed sources (``sampled`` solves a random periodic tile instead, the check
    of the solver). Where the edges of the treated square of ``side`` (m) would cover it
    sooner (few sources left, or none: below the adnexa) it heals from the edges.
    ``coagulum`` (m): the coagulated layer to clear before the front starts. ``density``
    (1/m^2) replaces the site's sources (before the depth takes its share)."""
    import numpy as np
    params = (params or HealingParams.calibrated()).delayed(coagulum)
    corners = [p.delayed(coagulum)
               for p in HealingParams.corners(params.exponent, params.eccrine_weight)]
    if not wounded:
        return _finish(np.full((4, 4), np.nan), 1.0, params, corners)
    dens = (adnexal_density(site, params.eccrine_weight) if density is None else density) \
        * surviving_fraction(dermis_fraction, params.exponent) if adnexa_survive else 0.0
    r_edge = edge_cover_radius(side, params.closure)
    if dens > 0.0 and poisson_cover_radius(dens, params.closure) <= r_edge:
        if sampled:
            dist, pixel = _poisson_map(dens, params.closure, seed)
            return _finish(dist, pixel, params, corners)
        r = poisson_cover_radius(dens, params.closure)
        days = [(p.lag + min(r, r_edge) / p.c) / DAY for p in corners]
        return Healing(None, 0.0, 1.0, params, (params.lag + r / params.c) / DAY,
                       (min(days), max(days)), poisson_density=dens, seed=seed)
    margin = 2
    px = side / 1000.0
    n = int(math.ceil(side / px))
    wound = np.zeros((n + 2 * margin, n + 2 * margin), dtype=bool)
    wound[margin:-margin, margin:-margin] = True
    dist = heal_map(wound, ~wound, px)[margin:-margin, margin:-margin]
    return _finish(dist, px, params, corners)


def heal_pattern(positions: np.ndarray, side: float, zone_diameter: float, site: str,
                 adnexa_survive: bool, pixel: float | None = None, seed: int = 0,
                 params: HealingParams | None = None) -> Healing:
    """Fractional wound: discs of ``zone_diameter`` at ``positions`` in the square [0, side)^2,
    each healing from its rim (and from surviving adnexa inside it)."""
    import numpy as np
    params = params or HealingParams.calibrated()
    if pixel is None:
        pixel = max(min(zone_diameter / 10.0, 10e-6), side / 2000.0)
    n = int(math.ceil(side / pixel))
    yy, xx = (np.mgrid[0:n, 0:n] + 0.5) * pixel
    wound = np.zeros((n, n), dtype=bool)
    rad = zone_diameter / 2.0
    k = int(math.ceil(rad / pixel)) + 1
    for x, y in positions:
        i, j = int(y / pixel), int(x / pixel)
        a0, a1, b0, b1 = max(i - k, 0), min(i + k + 1, n), max(j - k, 0), min(j + k + 1, n)
        wound[a0:a1, b0:b1] |= (xx[a0:a1, b0:b1] - x) ** 2 + (yy[a0:a1, b0:b1] - y) ** 2 \
            <= rad * rad
    sources = ~wound
    if adnexa_survive:
        sources |= _adnexa_pixels(wound.shape, pixel, adnexal_density(site, params.eccrine_weight),
                                  seed) & wound
    return _finish(heal_map(wound, sources, pixel), pixel, params, HealingParams.corners())


def adnexa_depth(skin) -> float:
    """Depth (m) of the deepest adnexal epithelium: the bottom of the dermis."""
    z = 0.0
    for layer in skin.layers:
        if layer.name == "subcutis":
            break
        z += layer.thickness
    return z


def remodeling_volume(out, density: float | None) -> float:
    """Coagulated dermis (Henriques-Moritz Omega >= 1 below the crater floor, in the dermis
    layers) per treated area, m^3/m^2 (= m), from a solver output (SI). Full field (``density``
    None): the thickness on the beam axis (the treated area is tiled by spots); fractional: per
    zone volume x zone density (1/m^2)."""
    import numpy as np
    dermal = np.array([out.layer_names[k] in DERMIS_LAYERS for k in out.layer_index])
    alive = np.arange(len(out.z))[None, :] >= out.top[:, None]
    coag = (out.omega[NECROSIS_SET] >= 1.0) & alive & dermal[None, :]
    if density is None:  # overlapping spots: the axis column is representative
        return float(coag[0].sum()) * out.dz
    per_zone = float((coag.sum(axis=1) * out.area).sum()) * out.dz
    return per_zone * density


def healing_for(skin, injury_depth: float, *, coagulum: float = 0.0,
                pattern: tuple | None = None, seed: int = 0,
                params: HealingParams | None = None) -> Healing:
    """The healing of a treated surface (SI). Full field: the treated 1 cm^2 square, with the
    dermal part of the ``coagulum`` (m, coagulated layer on the floor) to clear first
    (:func:`dermal_coagulum`); fractional:
    ``pattern = (positions (N, 2) m, side m, zone diameter m)`` (no clearance delay)."""
    sc_thickness = skin.layers[0].thickness if skin.layers[0].name == "stratum_corneum" else 0.0
    survive = injury_depth < adnexa_depth(skin)
    if pattern is not None:
        positions, side, zone_diameter = pattern
        zone = zone_diameter if injury_depth > sc_thickness else 0.0
        return heal_pattern(positions, side, zone, skin.site, survive, seed=seed, params=params)
    return heal_full_field(skin.site, injury_depth > sc_thickness, survive, seed=seed,
                           params=params,
                           coagulum=dermal_coagulum(skin, injury_depth, coagulum),
                           dermis_fraction=depth_fraction(skin, injury_depth))
