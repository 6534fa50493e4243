"""The computational grid of one run: depth cells (z) and, in r-z, radial rings (r).

The grid is chosen by the physics: cells of a third of the optical depth (capped), a domain deep
enough for the heat, radial cells fine over the beam and growing beyond it. Its exact cell faces
are kept and returned with the output.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..laser.delivery import FullField
from ..laser.sources import LaserSource
from ..tissue.model import SkinModel

#: radial extent (m) of r-z runs with a transported (scattered) deposition: at 1,550 nm a
#: 0.3 mm domain left about half the absorbed energy outside
TRANSPORT_RADIUS = 2.0e-3


@dataclass(frozen=True)
class Grid:
    """Cells of one run. 1-D: one column of unit area (J per m^2 in the tallies).

    Attributes
    ----------
    geometry : "1d" or "rz"
    dz : float
        Cell thickness, m (uniform in z).
    z_faces : ndarray (nz + 1,)
        Depth of the cell faces, m (0: the initial skin surface).
    r_faces : ndarray (nr + 1,)
        Radius of the ring faces, m (1-D: ``[0, 1]``, a column of unit area).
    layer_index : ndarray (nz,)
        Skin layer of each depth cell.
    """

    geometry: str
    dz: float
    z_faces: np.ndarray
    r_faces: np.ndarray
    layer_index: np.ndarray

    @property
    def z(self) -> np.ndarray:
        """Cell centres in depth, m."""
        return (np.arange(self.nz) + 0.5) * self.dz

    @property
    def nz(self) -> int:
        return len(self.z_faces) - 1

    @property
    def nr(self) -> int:
        return len(self.r_faces) - 1

    @property
    def r(self) -> np.ndarray:
        """Ring centres, m (1-D: ``[0]``)."""
        if self.geometry == "1d":
            return np.array([0.0])
        return 0.5 * (self.r_faces[1:] + self.r_faces[:-1])

    @property
    def area(self) -> np.ndarray:
        """Surface area of each column, m^2 (1-D: 1)."""
        if self.geometry == "1d":
            return np.array([1.0])
        return np.pi * (self.r_faces[1:] ** 2 - self.r_faces[:-1] ** 2)

    @property
    def kernel_r_faces(self) -> np.ndarray:
        """Faces as the radial kernel reads them: one ghost face beyond the last ring."""
        if self.geometry == "1d":
            return np.array([0.0, 1.0, 2.0])  # unused
        rf = self.r_faces
        return np.concatenate([rf, [rf[-1] + (rf[-1] - rf[-2])]])

    @property
    def bottom(self) -> float:
        """Depth of the domain bottom, m."""
        return float(self.z_faces[-1])


def cells(length: float, size: float) -> int:
    """Cells of ``size`` that cover ``length``: the ceiling of the ratio, taken 1e-9 below it so
    that a ratio that is a whole number in exact arithmetic (1.3 w over w / 20: 26 cells) does
    not gain a cell from its last bit. Without it, a 120 um beam written "120 um" (1.2e-4 m)
    and the same beam converted by pint (1.1999999999999999e-4 m) had 53 and 54 radial
    columns, and zone diameters 3 % apart."""
    return int(math.ceil(length / size - 1e-9))


def radial_faces(w: float, R: float, resolution: float = 1.0, growth: float = 1.08) -> np.ndarray:
    """Radial cell faces (m): uniform, dr = min(w/20, 10 um)/resolution, out to 1.3 w (the beam
    and the crater edge), then growing geometrically by ``growth`` per cell out to R."""
    dr = min(w / 20.0, 10e-6) / resolution
    n_uniform = cells(min(1.3 * w, R), dr)
    faces = list(np.arange(n_uniform + 1) * dr)
    step = dr
    while faces[-1] < R:
        step *= growth
        faces.append(faces[-1] + step)
    return np.array(faces)


def choose_geometry(skin: SkinModel, source: LaserSource, spot: FullField, numerics) -> str:
    """``numerics.geometry`` if set; else 1-D when the spot radius exceeds 20x the heated depth
    (optical depth plus diffusion length over the pulse), r-z otherwise."""
    if numerics.geometry in ("1d", "rz"):
        return numerics.geometry
    # the viable epidermis/dermis decide the heated depth (the stratum corneum is too thin)
    mua = min(layer.absorption(source.wavelength_nm) for layer in skin.layers[1:3])
    kappa = skin.layers[1].conductivity / skin.layers[1].heat_capacity
    heated = 3.0 / mua + math.sqrt(4.0 * kappa * spot.pulse_duration)
    return "1d" if spot.spot_diameter / 2 >= 20.0 * heated else "rz"


def build_grid(skin: SkinModel, source: LaserSource, spot: FullField, numerics, *,
               transported: bool = False, ablative: bool = True) -> Grid:
    """The grid for one spot. ``transported``: the deposition comes from photon transport
    (wider domain, no ablation-front cell cap); ``ablative``: tissue is removed."""
    geometry = choose_geometry(skin, source, spot, numerics)
    mua_max = max(layer.absorption(source.wavelength_nm) for layer in skin.layers)
    # r-z channels drilled by surface (Beer-Lambert) deposition may use cells of a third of the
    # optical depth up to dz_max_rz: CO2 channels at 5 um agree with a refined run
    # (tests/physics/test_microchannel.py)
    cap = numerics.dz_max_rz if (geometry == "rz" and not transported and ablative) \
        else numerics.dz_max
    dz = min(1.0 / (3.0 * mua_max), cap)
    if geometry == "rz":
        dz = max(dz, numerics.dz_min_rz)
    dz /= numerics.resolution
    depth = min(skin.depth, numerics.domain_depth if geometry == "1d" else numerics.domain_depth_rz)
    nz = cells(depth, dz)
    z = (np.arange(nz) + 0.5) * dz
    bounds = np.array(skin.boundaries())
    layer_index = np.minimum(np.searchsorted(bounds, z, side="right"), len(skin.layers) - 1)
    if geometry == "1d":
        r_faces = np.array([0.0, 1.0])
    else:
        w = spot.spot_diameter / 2
        R_dom = w + max(0.3e-3, 0.5 * w)
        if transported:  # scattered light spreads mm sideways (e.g. 1,550 nm)
            R_dom = max(R_dom, TRANSPORT_RADIUS)
        r_faces = radial_faces(w, R_dom, numerics.resolution)
    return Grid(geometry, dz, np.arange(nz + 1) * dz, r_faces, layer_index)
