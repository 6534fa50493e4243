"""Where the light is absorbed: Beer-Lambert where absorption dominates, Monte Carlo transport
where scattering matters (non-ablative fractional 1,550 and 1,927 nm).

The criterion (data/constants.toml ``beer_lambert_criterion``): Beer-Lambert when the reduced
scattering is at most 1 % of the absorption in every layer. The Monte Carlo deposition is
computed once per run on a fine uniform grid (per unit delivered energy) and rebinned onto the
solver's cells, conserving energy; the solver then adds it like the Beer-Lambert source, so the
rest of the chain (conduction, damage, zone geometry) is unchanged.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from .. import data
from ..tissue.model import SkinModel
from . import montecarlo as MC


def optical_properties(skin: SkinModel, wavelength_nm: float):
    """Per layer (mua, mus, g, n), SI units. mua: water fraction x water + melanin (as the
    Beer-Lambert model); mus from the skin power law and g."""
    k = data.constants()
    a = k["skin_reduced_scattering"]["a_per_cm"] * 100.0
    b = k["skin_reduced_scattering"]["b"]
    g = k["skin_anisotropy"]["value"]
    n = k["tissue_refractive_index"]["value"]
    musp = a * (wavelength_nm / 500.0) ** (-b)
    return [(layer.absorption(wavelength_nm), musp / (1.0 - g), g, n) for layer in skin.layers]


def needs_transport(skin: SkinModel, wavelength_nm: float) -> bool:
    crit = data.constant("beer_lambert_criterion")
    return any(mus * (1 - g) > crit * mua for mua, mus, g, _ in
               optical_properties(skin, wavelength_nm))


@dataclass
class MCDeposition:
    """A Monte Carlo deposition ready for the solver: ``field`` (nr, nz) in 1/m^3 (fraction of
    the delivered energy absorbed per unit volume of each solver cell), ``reflected`` (specular
    + diffuse) and ``lost`` (transmitted, or absorbed beyond the grid) fractions."""

    field: np.ndarray
    reflected: float
    lost: float
    result: MC.MCResult


#: transports kept in this process (issue 18): the absorbed field is per unit of delivered
#: energy, so zones of every pulse energy and stack on one grid share one transport
TRANSPORT_CACHE_SIZE = 16
_TRANSPORTS: OrderedDict[tuple, MC.MCResult] = OrderedDict()


def transport(medium: MC.Medium, n_photons: int, beam: str, radius: float, dr: float,
              dz: float, nr: int, nz: int, seed: int) -> MC.MCResult:
    """:func:`montecarlo.run`, kept by its arguments (the optical properties among them): the
    run is deterministic for a seed, so a kept result is the result. Callers must not modify
    it."""
    key = (medium, int(n_photons), beam, float(radius), float(dr), float(dz), int(nr), int(nz),
           int(seed))
    if key in _TRANSPORTS:
        _TRANSPORTS.move_to_end(key)
        return _TRANSPORTS[key]
    res = MC.run(medium, n_photons, beam=beam, radius=radius, dr=dr, dz=dz, nr=nr, nz=nz,
                 seed=seed)
    _TRANSPORTS[key] = res
    while len(_TRANSPORTS) > TRANSPORT_CACHE_SIZE:
        _TRANSPORTS.popitem(last=False)
    return res


def monte_carlo(skin: SkinModel, wavelength_nm: float, beam_radius: float, profile: str,
                rfaces: np.ndarray, z: np.ndarray, dz: float, n_photons: int = 200_000,
                seed: int = 1) -> MCDeposition:
    """Run the transport for a beam of 1/e^2 (Gaussian) or edge (top-hat) radius and rebin the
    absorbed energy onto the solver cells (radial faces ``rfaces``, depth centres ``z``)."""
    layers = tuple(MC.Layer(n, mua, mus, g, layer.thickness)
                   for (mua, mus, g, n), layer in zip(optical_properties(skin, wavelength_nm),
                                                      skin.layers, strict=True))
    R = float(rfaces[-1])
    depth = float(z[-1] + 0.5 * dz)
    # fine uniform MC grid covering the solver domain
    dr_mc = min(beam_radius / 10.0, 5e-6) if beam_radius > 0 else 5e-6
    nr_mc = int(math.ceil(R / dr_mc))
    nz_mc = int(math.ceil(depth / dz))
    beam = {"gaussian": "gaussian", "top-hat": "top-hat"}.get(profile, "gaussian")
    res = transport(MC.Medium(layers, 1.0, 1.0), n_photons, beam, beam_radius, dr_mc, dz,
                    nr_mc, nz_mc, seed)
    # energy per MC bin (fraction of delivered), rebinned onto the solver rings by the area
    # they share (uniform within an MC annulus): by radial centre instead, MC annuli wider than
    # the solver's rings left every other ring with no deposit at all (a 60 um beam: 3 um
    # annuli, 1.5 um rings), which a zone heated to decomposition showed as a comb of columns
    faces_mc = np.arange(nr_mc + 1) * dr_mc
    ring_mc = np.pi * np.diff(faces_mc**2)
    e_mc = res.A_rz * ring_mc[:, None] * dz
    # energy within radius r (per depth row): piecewise linear in r^2 between the MC faces
    cum = np.vstack([np.zeros((1, nz_mc)), np.cumsum(e_mc, axis=0)])
    rf = np.minimum(np.asarray(rfaces, dtype=float), faces_mc[-1])
    k = np.clip(np.searchsorted(faces_mc, rf, side="right") - 1, 0, nr_mc - 1)
    inside = cum[k] + res.A_rz[k] * (np.pi * (rf**2 - faces_mc[k] ** 2) * dz)[:, None]
    e = np.diff(inside, axis=0)
    nz = len(z)
    e = e[:, :nz] if nz_mc >= nz else np.pad(e, ((0, 0), (0, nz - nz_mc)))
    vol = np.pi * (rfaces[1:] ** 2 - rfaces[:-1] ** 2)[:, None] * dz
    field = e / vol
    absorbed_grid = float(e.sum())
    reflected = res.Rsp + res.Rd
    lost = max(0.0, 1.0 - reflected - absorbed_grid)
    return MCDeposition(field, reflected, lost, res)
