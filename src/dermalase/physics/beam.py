"""How the beam's energy enters the tissue: the source protocol of the solver.

Each model takes the fluence arriving at each column in one step and accounts for the energy:

- :class:`BeerLambert`: specular (Fresnel) reflection, then exponential absorption by water and
  melanin below each column's own surface (exact cell integral; static within a pulse);
- :class:`PlumeShielded`: Beer-Lambert behind the ablation plume in the crater (CO2, where the
  ejecta speed is measured: data/ejecta.csv);
- :class:`Transported`: a fixed absorbed-energy field from Monte Carlo photon transport (where
  scattering matters, e.g. 1,550 nm), with its own total reflectance.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from . import _kernel as kernel
from .tallies import Tally


class BeamModel(Protocol):
    """What the solver asks of a deposition model."""

    #: True when the energy is deposited through the volume (no ablation front to resolve)
    volumetric: bool

    def incident(self, fluence: np.ndarray, dt: float, tau: float, delivered: float,
                 state) -> np.ndarray:
        """Fluence (J/m^2 per column) entering the tissue in a step ``dt`` of a pulse ``tau``
        whose fluence per column is ``fluence``, after the surface and the plume; adds the
        reflected (and plume) losses to ``state.tally``. ``delivered``: J arriving at the
        surface this step."""
        ...

    def deposit(self, state, fluence: np.ndarray) -> None:
        """Add the absorbed energy of ``fluence`` to ``state.H``; tally absorbed/transmitted."""
        ...


class BeerLambert:
    """Fresnel reflection, then Beer-Lambert absorption below each column's surface."""

    volumetric = False

    def __init__(self, medium, grid):
        self.reflectance = medium.reflectance
        self.mua_water = medium.mua_water
        self.mua_other = medium.mua_other
        self.dz = grid.dz
        self.area = grid.area

    def incident(self, fluence, dt, tau, delivered, state):
        state.tally[Tally.REFLECTED] += self.reflectance * delivered
        return (1.0 - self.reflectance) * fluence * dt / tau

    def deposit(self, state, fluence):
        # the water that sets absorption is frozen during a pulse (static optics)
        kernel.deposit(state.H, state.water_optics, self.mua_other, state.top, fluence,
                       self.mua_water, self.dz, self.area, state.tally, state.reach)


class PlumeShielded(BeerLambert):
    """Beer-Lambert behind the ablation plume: ejecta rising at ``ejecta_speed`` (m/s) in each
    column's crater absorb part of the beam and leave with it (kernel ``shield``)."""

    def __init__(self, medium, grid, ejecta_speed: float):
        super().__init__(medium, grid)
        self.ejecta_speed = ejecta_speed
        self.plume = medium.plume_coefficient(ejecta_speed, grid.layer_index)

    def incident(self, fluence, dt, tau, delivered, state):
        entering = super().incident(fluence, dt, tau, delivered, state)  # a fresh array
        kernel.shield(entering, state.top, self.dz, dt, self.plume, self.area, state.tally)
        return entering


@dataclass(frozen=True)
class Transport:
    """Request for a transported deposition: photons launched and the seed of the run."""

    n_photons: int = 200_000
    seed: int = 1


class Transported:
    """A static absorbed-energy field from photon transport (non-ablative lasers: no crater).

    ``field`` ((nr, nz), 1/m^3): fraction of the delivered energy absorbed per unit volume of
    each cell; ``reflected``: total (specular and diffuse) reflectance; the rest of what is not
    absorbed leaves the domain (tallied as transmitted).
    """

    volumetric = True

    @classmethod
    def monte_carlo(cls, request: Transport, skin, wavelength_nm: float, spot,
                    grid) -> Transported:
        """Run the photon transport for ``spot`` on ``grid`` (physics/deposition.py)."""
        from .deposition import monte_carlo

        return cls(monte_carlo(skin, wavelength_nm, spot.spot_diameter / 2, spot.profile,
                               grid.r_faces, grid.z, grid.dz, n_photons=request.n_photons,
                               seed=request.seed), grid)

    def __init__(self, deposition, grid):
        self.field = deposition.field
        self.reflected = deposition.reflected
        self.dz = grid.dz
        self.area = grid.area

    def incident(self, fluence, dt, tau, delivered, state):
        state.tally[Tally.REFLECTED] += self.reflected * delivered
        return fluence * dt / tau

    def deposit(self, state, fluence):
        e_step = float(np.sum(fluence * self.area))  # J delivered in this step
        fld = self.field
        if state.top.any():  # nothing is deposited in ablated cells: it leaves with the plume
            fld = fld.copy()
            for i in range(len(state.top)):
                fld[i, : state.top[i]] = 0.0
        state.H[:] += fld * e_step
        state.reach[:] = state.H.shape[1]  # the whole field is heated
        absorbed = float(np.sum(fld * self.area[:, None])) * self.dz * e_step
        state.tally[Tally.ABSORBED] += absorbed
        state.tally[Tally.TRANSMITTED] += (1.0 - self.reflected) * e_step - absorbed
