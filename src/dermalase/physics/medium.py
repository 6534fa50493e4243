"""The tissue model of one run: the skin's layers at one wavelength, on one grid.

Built from the skin model (layer composition, perfusion, melanin), the sourced optical data and
a :class:`~dermalase.physics.constants.PhysicalConstants`, all passed in; the solver reads no
global constant.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tissue import properties as props
from ..tissue.model import SkinModel
from .ablation import ablation_enthalpy
from .constants import PhysicalConstants
from .damage import COLLAGEN_SET, NECROSIS_SET, arrhenius_sets, collagen_set, necrosis_set
from .grid import Grid

#: damage sets integrated by the solver, in the order of its ``omega`` array
DAMAGE_SETS = (COLLAGEN_SET, NECROSIS_SET)


@dataclass(frozen=True)
class Medium:
    """Per-cell properties (arrays of shape (nr, nz)) and per-layer values of one run.

    Cs, ks: heat capacity (J/(m^3 K)) and conductivity (W/(m K)) of the non-water part;
    water: initial water volume fraction; perfusion: Pennes coefficient (W/(m^3 K));
    mua_other: absorption by everything but water (melanin), 1/m; mua_water: 1/m of pure water
    (tabulated, room temperature); mua_water_beta: its relative temperature derivative, 1/K
    (issue 31: :meth:`water_absorption_factor`);
    enthalpy_layer: ablation enthalpy of each layer, J/m^3; v_crit: vapor volume fraction that
    ejects a cell.
    """

    Cs: np.ndarray
    ks: np.ndarray
    water: np.ndarray
    perfusion: np.ndarray
    mua_other: np.ndarray
    mua_water: float
    refractive_index: float
    water_layer: np.ndarray
    mua_other_layer: np.ndarray
    enthalpy_layer: np.ndarray
    v_crit: float
    constants: PhysicalConstants
    A: np.ndarray
    Ea: np.ndarray
    mua_water_beta: float = 0.0

    def water_absorption_factor(self, T: np.ndarray | float) -> np.ndarray:
        """mua_w(T) / mua_w (tabulated): 1 + beta (T - T_ref) up to the temperature where the
        linear law stops (data/constants.toml ``water_absorption_temperature``), never below
        the floor of a bleaching band (the reference for the kernel, ``_kernel._bleach``)."""
        k = self.constants
        Tl = np.minimum(np.asarray(T, dtype=float), k.water_absorption_linear_until)
        f = 1.0 + self.mua_water_beta * (Tl - k.water_absorption_reference_temperature)
        return np.maximum(f, k.water_absorption_floor)

    @property
    def lnA(self) -> np.ndarray:
        return np.log(self.A)

    @property
    def reflectance(self) -> float:
        """Specular reflectance of the surface at normal incidence."""
        return props.fresnel_reflectance(self.refractive_index)

    @property
    def front_enthalpy(self) -> float:
        """Ablation enthalpy of viable epidermis (J/m^3): sets the step of the ablation front."""
        return float(self.enthalpy_layer[1])

    @property
    def layer_absorption(self) -> np.ndarray:
        """Absorption coefficient (1/m) of each layer's intact tissue."""
        return self.water_layer * self.mua_water + self.mua_other_layer

    @property
    def resting_layer_absorption(self) -> np.ndarray:
        """Absorption coefficient (1/m) of each layer's intact tissue at body temperature, or
        the tabulated value where that is less (water's absorption follows its temperature,
        :meth:`water_absorption_factor`; at 2,940 nm body-warm water absorbs 8 % less)."""
        f = float(self.water_absorption_factor(self.constants.body_temperature))
        return self.water_layer * self.mua_water * min(f, 1.0) + self.mua_other_layer

    @property
    def front_absorption(self) -> float:
        """Absorption coefficient (1/m) of the most absorbing layer: its inverse, the optical
        depth, scales the step of the ablation front in r-z (the grid's cells follow the same
        value, taken from the skin model: grid.build_grid)."""
        return float(np.max(self.layer_absorption))

    def plume_coefficient(self, ejecta_speed: float, layer_index: np.ndarray) -> np.ndarray:
        """f mua / (h_abl u) of each depth cell (the ejecta come from the crater floor)."""
        k = self.constants
        plume_l = k.plume_absorbing_fraction * self.layer_absorption \
            / (self.enthalpy_layer * ejecta_speed)
        return np.ascontiguousarray(plume_l[layer_index])

    def damage_rate(self, T: np.ndarray) -> np.ndarray:
        """Arrhenius rate (1/s) of each damage set at temperature T (C): (sets, *T.shape)."""
        R = self.constants.gas_constant
        return np.stack([a * np.exp(-e / (R * (T + 273.15)))
                         for a, e in zip(self.A, self.Ea, strict=True)])


def build_medium(skin: SkinModel, wavelength_nm: float, grid: Grid,
                 constants: PhysicalConstants) -> Medium:
    """The tissue model of ``skin`` at ``wavelength_nm`` on ``grid``."""
    k = constants
    mua_w, _, _, n_refr = props.water_absorption(wavelength_nm)
    beta = props.water_absorption_temperature_coefficient(wavelength_nm)
    if skin.layers[0].water_mua is not None:  # set by the scenario, within its sourced range
        mua_w = skin.layers[0].water_mua
    Cw = k.water_heat_capacity
    phi = [layer.volume_fractions for layer in skin.layers]
    Cs_l = np.array([props.solid_part(p)[0] for p in phi])
    ks_l = np.array([props.solid_part(p)[1] for p in phi])
    phiw_l = np.array([p["water"] for p in phi])
    perf_l = np.array([layer.perfusion * k.blood_volumetric_heat_capacity
                       for layer in skin.layers])
    mel_l = np.array([layer.melanin * props.melanin_absorption(wavelength_nm)
                      for layer in skin.layers])
    shape = (grid.nr, grid.nz)

    def tile(v: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(np.broadcast_to(v[grid.layer_index], shape)).copy()

    # ablation happens while light arrives, at the confined boiling temperature
    Tc, rhoL = k.confined_boiling()
    h_l = np.array([ablation_enthalpy(Cs_l[i] + phiw_l[i] * Cw, phiw_l[i], k.body_temperature,
                                      Tc, rhoL,
                                      k.ejection_residual_water)
                    for i in range(len(skin.layers))])
    # vapor (volume fraction of a cell) needed to blow it off: (1 - f_res) of the water of
    # viable epidermis (the wettest tissue the model holds)
    v_crit = (1.0 - k.ejection_residual_water) * max(
        layer.volume_fractions["water"] for layer in skin.layers)
    sets = dict(arrhenius_sets())
    sets[NECROSIS_SET] = necrosis_set(k.necrosis_activation_energy)
    sets[COLLAGEN_SET] = collagen_set(k.collagen_activation_energy)
    return Medium(
        Cs=tile(Cs_l), ks=tile(ks_l), water=tile(phiw_l), perfusion=tile(perf_l),
        mua_other=tile(mel_l), mua_water=mua_w, refractive_index=n_refr, water_layer=phiw_l,
        mua_other_layer=mel_l, enthalpy_layer=h_l, v_crit=v_crit, constants=k,
        A=np.array([sets[n].A for n in DAMAGE_SETS]),
        Ea=np.array([sets[n].Ea for n in DAMAGE_SETS]), mua_water_beta=beta)
