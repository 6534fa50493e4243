"""How the beam's energy enters the tissue: the source protocol of the solver.

Each model takes the fluence arriving at each column in one step and accounts for the energy:

- :class:`BeerLambert`: specular (Fresnel) reflection, then exponential absorption by water and
  melanin below each column's own surface (exact cell integral; the water fraction static
  within a pulse, its absorption following each cell's temperature at the erbium lines);
- :class:`PlumeShielded`: Beer-Lambert behind the ablation plume in the crater (CO2, where the
  ejecta speed is measured: data/ejecta.csv);
- :class:`Transported`: an absorbed-energy field from Monte Carlo photon transport (where
  scattering matters, e.g. 1,550 nm), computed once for intact tissue, with its own total
  reflectance; absorption follows each cell's water (dried tissue passes its light on).
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
        k = medium.constants
        #: water absorption against temperature (issue 31 item 1): the relative derivative
        #: and the law's limits (data/constants.toml water_absorption_temperature)
        self.bleach = (float(medium.mua_water_beta), k.water_absorption_reference_temperature,
                       k.water_absorption_linear_until, k.water_absorption_floor)

    def incident(self, fluence, dt, tau, delivered, state):
        state.tally[Tally.REFLECTED] += self.reflectance * delivered
        return (1.0 - self.reflectance) * fluence * dt / tau

    def deposit(self, state, fluence):
        # the water that sets absorption is frozen during a pulse (static optics); its
        # absorption follows each cell's temperature at the start of the step
        kernel.deposit(state.H, state.water_optics, self.mua_other, state.top, fluence,
                       self.mua_water, self.dz, self.area, state.tally, state.reach, state.T,
                       *self.bleach)


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
    """An absorbed-energy field from photon transport (non-ablative lasers), computed once for
    intact tissue.

    ``field`` ((nr, nz), 1/m^3): fraction of the delivered energy absorbed per unit volume of
    each cell of intact tissue; ``reflected``: total (specular and diffuse) reflectance; the
    rest of what is not absorbed leaves the domain (tallied as transmitted).

    Absorption follows the water (issue 30): a cell absorbs its intact share times
    mu_a(now) / mu_a(intact), mu_a = water fraction x mu_a of water + the rest (melanin), so
    tissue that has boiled dry at 1,550 or 1,927 nm, where water is the chromophore, no longer
    takes the light of wet tissue. The light it passes on is absorbed by the cells that still
    absorb, in proportion to what they absorb, keeping the absorbed total of the intact field
    (at these wavelengths nearly all light that enters is absorbed: drying moves where, not
    how much; a transport rerun on the dried tissue would say exactly where). The share of
    cells that have left (a non-ablative setting that ablates) is absorbed by what left (the
    plume tally).
    """

    volumetric = True

    @classmethod
    def monte_carlo(cls, request: Transport, skin, wavelength_nm: float, spot,
                    grid, medium=None) -> Transported:
        """Run the photon transport for ``spot`` on ``grid`` (physics/deposition.py)."""
        from .deposition import monte_carlo

        return cls(monte_carlo(skin, wavelength_nm, spot.spot_diameter / 2, spot.profile,
                               grid.r_faces, grid.z, grid.dz, n_photons=request.n_photons,
                               seed=request.seed), grid, medium)

    def __init__(self, deposition, grid, medium=None):
        self.field = deposition.field
        self.reflected = deposition.reflected
        self.dz = grid.dz
        self.area = grid.area
        # Russian roulette conserves energy on average, not in each run: where nearly all light
        # is absorbed, the estimate of absorbed + reflected may pass 1 by ~1e-6, which would
        # leave a negative transmitted account; the field is scaled back to what entered
        total = float(np.sum(self.field * self.area[:, None])) * self.dz
        if total > 1.0 - self.reflected > 0.0:
            self.field = self.field * ((1.0 - self.reflected) / total)
        #: absorption of each cell's water per unit water fraction and of the rest (1/m), and of
        #: the intact cell: None keeps the field as it is (no medium given)
        self.mua_water = None if medium is None else medium.mua_water
        self.mua_other = None if medium is None else medium.mua_other
        self.mua_intact = None if medium is None else \
            medium.water * medium.mua_water + medium.mua_other

    def incident(self, fluence, dt, tau, delivered, state):
        state.tally[Tally.REFLECTED] += self.reflected * delivered
        return fluence * dt / tau

    def deposit(self, state, fluence):
        e_step = float(np.sum(fluence * self.area))  # J delivered in this step
        a_col = self.area[:, None] * self.dz
        alive = np.arange(self.field.shape[1])[None, :] >= state.top[:, None]
        intact = np.where(alive, self.field, 0.0)
        fld = intact
        if self.mua_intact is not None:
            mua = state.water * self.mua_water + self.mua_other
            share = np.divide(mua, self.mua_intact, out=np.ones_like(mua),
                              where=self.mua_intact > 0)
            fld = intact * share
            held = float(np.sum(fld * a_col))
            want = float(np.sum(intact * a_col))
            if held > 0.0 and held < want:
                fld *= want / held  # what dried cells pass on, the wet ones absorb
        # nothing is deposited in ablated cells: it leaves with the plume
        plume = float(np.sum(np.where(alive, 0.0, self.field) * a_col)) * e_step
        if plume > 0.0:
            state.tally[Tally.PLUME] += plume
        state.H[:] += fld * e_step
        state.reach[:] = state.H.shape[1]  # the whole field is heated
        absorbed = float(np.sum(fld * a_col)) * e_step
        state.tally[Tally.ABSORBED] += absorbed
        state.tally[Tally.TRANSMITTED] += (1.0 - self.reflected) * e_step - absorbed - plume
