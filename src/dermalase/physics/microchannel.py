"""One fractional microchannel: an axisymmetric r-z run of a microbeam and its stacked pulses,
and the geometry of the zone it leaves (channel, coagulated collar, microthermal zone).

The geometry and energy accounting are verified; channel depths are compared with histology in
docs/validation.md (fractional CO2, with plume shielding).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from ..laser.fractional import Fractional
from ..laser.sources import LaserSource
from ..tissue.model import SkinModel
from .ablation import ablation_enthalpy
from .beam import Transport
from .constants import PhysicalConstants
from .damage import NECROSIS_SET
from .solver import Numerics, SolverOutput, run_spot

#: depth of the r-z domain for channels (m): deep enough for the >1 mm channels reported for
#: fractional CO2 (Avram et al. 2009: ~0.9 mm at 30 mJ)
CHANNEL_DOMAIN_DEPTH = 2.0e-3
#: depth of the r-z domain for non-ablative zones (m): columns over 1 mm deep are reported at
#: high energy (Laubach et al. 2007)
NONABLATIVE_DOMAIN_DEPTH = 2.0e-3


@dataclass(frozen=True)
class ZoneGeometry:
    """Geometry of one microthermal zone (m). ``collar`` is indexed like ``collar_depth``."""

    channel_depth: float
    channel_diameter: float
    mtz_diameter: float
    injury_depth: float
    collar_depth: np.ndarray    # depths along the wall, m
    collar: np.ndarray          # coagulated wall thickness at those depths, m
    deepest_layer: str
    max_width: float = 0.0      # widest diameter of the injured column at any depth, m

    @property
    def mean_collar(self) -> float:
        return float(np.mean(self.collar)) if self.collar.size else 0.0


def run_channel(skin: SkinModel, source: LaserSource, delivery: Fractional,
                numerics: Numerics = Numerics(), constants: PhysicalConstants | None = None,
                progress=None, n_photons: int = 200_000) -> SolverOutput:
    """Simulate one microbeam with its stacked pulses (r-z). Beer-Lambert with Gaussian beam
    spreading where absorption dominates; Monte Carlo deposition where scattering matters
    (physics/deposition.py criterion), e.g. non-ablative 1,550 nm."""
    k = constants if constants is not None else PhysicalConstants.from_data()
    num, transport = channel_setup(skin, source, delivery, numerics, k, n_photons)
    return run_spot(skin, source, delivery.as_spot(), num, k, progress=progress,
                    transport=transport, eject=source.ablative or transport is None)


def channel_setup(skin: SkinModel, source: LaserSource, delivery: Fractional,
                  numerics: Numerics, constants: PhysicalConstants,
                  n_photons: int = 200_000) -> tuple[Numerics, Transport | None]:
    """The numerics of a channel run (r-z, its domain) and the transport request, if any."""
    from . import deposition

    if deposition.needs_transport(skin, source.wavelength_nm):
        num = dataclasses.replace(numerics, geometry="rz",
                                  domain_depth_rz=min(skin.depth, NONABLATIVE_DOMAIN_DEPTH))
        return num, Transport(n_photons, seed=delivery.seed + 1)
    num = dataclasses.replace(numerics, geometry="rz",
                              domain_depth_rz=channel_domain_depth(skin, delivery, constants))
    return num, None


def channel_domain_depth(skin: SkinModel, delivery: Fractional,
                         constants: PhysicalConstants | None = None) -> float:
    """Depth (m) of the r-z domain: an upper bound on the channel depth (every pulse's peak
    fluence spent on ablation at the enthalpy of viable epidermis, no threshold, no losses) plus
    0.5 mm for the heat below it, capped at the skin depth and CHANNEL_DOMAIN_DEPTH."""
    bound = crater_depth_bound(skin, delivery.as_spot().peak_fluence, delivery.stack,
                               constants) + 0.5e-3
    return min(skin.depth, CHANNEL_DOMAIN_DEPTH, bound)


def crater_depth_bound(skin: SkinModel, peak_fluence: float, pulses: int,
                       constants: PhysicalConstants | None = None) -> float:
    """An upper bound on the crater depth (m): every pulse's peak fluence spent on ablation at
    the enthalpy of viable epidermis (the wettest tissue), no threshold, no losses."""
    k = constants if constants is not None else PhysicalConstants.from_data()
    ep = skin.layers[1]
    h = ablation_enthalpy(ep.heat_capacity, ep.volume_fractions["water"], k.body_temperature,
                          *k.confined_boiling(), k.ejection_residual_water)
    return pulses * peak_fluence / h


def zone_geometry(out: SolverOutput, damage_set: str = NECROSIS_SET) -> ZoneGeometry:
    """Channel, collar and zone dimensions from an r-z run (Omega >= 1 is coagulated)."""
    dz = out.dz
    top = out.top
    r = out.r
    r_out = out.grid.r_faces[1:]  # outer face of each column
    om = out.omega[damage_set] >= 1.0
    nz = len(out.z)
    alive = np.arange(nz)[None, :] >= top[:, None]
    injured = om & alive
    depth = top[0] * dz
    # first row of viable tissue: the stratum corneum is dead already, so neither its removal
    # (a shallow dish around the crater) nor its "damage" is part of the wound
    viable0 = int(np.argmax(out.layer_index >= 1)) if out.layer_names[0] == "stratum_corneum" \
        else 0
    # channel: columns ablated into viable tissue
    ablated_cols = np.nonzero(top > viable0)[0]
    channel_d = 2.0 * r_out[ablated_cols.max()] if ablated_cols.size else 0.0
    # zone at the surface: columns ablated into viable tissue, or whose viable epidermis is
    # coagulated
    row = np.minimum(np.maximum(top, viable0), nz - 1)
    surf = (top > viable0) | injured[np.arange(len(r)), row]
    mtz_d = 2.0 * r_out[np.nonzero(surf)[0].max()] if surf.any() else 0.0
    # collar along the wall: for each row inside the channel, the coagulated run beyond it
    rows, collar = [], []
    for j in range(int(top[0])):
        wall = np.nonzero(top > j)[0]
        if wall.size == 0:
            break
        i0 = wall.max() + 1  # first column with tissue in this row
        if i0 >= len(r):
            break
        run = injured[i0:, j]
        n = int(np.argmin(run)) if not run.all() else run.size
        rows.append((j + 0.5) * dz)
        collar.append(r_out[i0 + n - 1] - r_out[i0 - 1] if n else 0.0)
    below = injured[0, top[0]:]
    coag_below = (int(np.argmin(below)) if not below.all() else below.size) * dz
    injury = depth + coag_below
    idx = min(int(np.ceil(injury / dz)) - 1, nz - 1) if injury > 0 else 0
    # widest injured (or ablated, below the stratum corneum) diameter at any depth
    hit = injured | (np.arange(nz)[None, :] < top[:, None])
    hit[:, :viable0] = False
    cols = np.nonzero(hit.any(axis=1))[0]
    max_w = 2.0 * r_out[cols.max()] if cols.size else 0.0
    return ZoneGeometry(depth, channel_d, mtz_d, injury, np.array(rows), np.array(collar),
                        out.layer_names[int(out.layer_index[idx])] if injury > 0 else "none",
                        max_w)
