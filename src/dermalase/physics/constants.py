"""The physical constants a simulation uses, as one immutable value passed down to the solver.

:meth:`PhysicalConstants.from_data` reads them from ``data/constants.toml`` and
``data/constituents.csv`` (each row there carries its source). A study that varies a constant
passes a changed copy (:meth:`PhysicalConstants.replace`) through the public API, e.g.
``simulate(scenario.replace(constants=scenario.constants.replace(ejection_delay=2e-6)))``;
nothing is patched.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from functools import cache

from .. import data
from ..errors import InputError

#: constants read from data/constants.toml under the same name
_FROM_TOML = ("body_temperature", "boiling_temperature", "water_latent_heat",
              "blood_volumetric_heat_capacity", "gas_constant", "ejection_residual_water",
              "dry_ablation_temperature", "ejection_delay", "plume_absorbing_fraction",
              "confined_boiling_temperature", "spinodal_temperature", "dry_decomposition_enthalpy")

#: allowed ranges for overrides (open at 0 where a constant divides)
_RANGES = {
    "ejection_residual_water": (0.0, 1.0),
    "plume_absorbing_fraction": (0.0, 1.0),
    "dry_decomposition_enthalpy": (0.0, math.inf),  # 0 allowed: the data's value
    "water_absorption_floor": (0.0, 1.0),
    "water_absorption_linear_until": (20.0, 400.0),  # C: 20 = no temperature dependence
}
#: constants whose None means "the data's law or table"
_OPTIONAL = ("ejecta_speed", "necrosis_activation_energy", "collagen_activation_energy")


def _range(name: str) -> tuple[float, float]:
    if name == "necrosis_activation_energy":  # the sourced span (data/arrhenius.csv)
        from .damage import necrosis_set

        span = necrosis_set().Ea_range
        return span if span is not None else (necrosis_set().Ea, necrosis_set().Ea)
    if name == "collagen_activation_energy":  # 10-20 bonds on Jacques' line
        from .damage import entropy_enthalpy_range

        return entropy_enthalpy_range()
    if name in ("confined_boiling_temperature", "spinodal_temperature",
                "dry_ablation_temperature"):  # their sourced ranges (data/constants.toml)
        lo, hi = data.constants()[name]["range"]
        return float(lo), float(hi)
    return _RANGES.get(name, (0.0, math.inf))


@dataclass(frozen=True)
class PhysicalConstants:
    """Constants of the tissue model (SI; temperatures in degrees C).

    ``ejecta_speed`` (m/s) replaces the measured ejecta-speed law (data/ejecta.csv) when set;
    None uses the law.
    """

    body_temperature: float
    boiling_temperature: float
    water_latent_heat: float                 # J/kg
    blood_volumetric_heat_capacity: float    # J/(m^3 K)
    gas_constant: float                      # J/(mol K)
    ejection_residual_water: float           # fraction of the water left when a cell goes
    dry_ablation_temperature: float          # C: desiccated tissue decomposes (the dry plateau)
    ejection_delay: float                    # s
    plume_absorbing_fraction: float          # fraction of the ejecta that absorbs like tissue
    confined_boiling_temperature: float      # C: tissue water boils here while a pulse lasts
    spinodal_temperature: float              # C: limit of superheat (phase explosion), 1 atm
    dry_decomposition_enthalpy: float        # J/m^3 to decompose a dry cell at its plateau
    water_density: float                     # kg/m^3
    water_specific_heat: float               # J/(kg K)
    water_conductivity: float                # W/(m K)
    ejecta_speed: float | None = None        # m/s override of the measured law
    necrosis_activation_energy: float | None = None  # J/mol; None: data/arrhenius.csv
    collagen_activation_energy: float | None = None  # J/mol on Jacques' line; None: the data
    #: water absorption against temperature (issue 31 item 1): the share of the 20 C value a
    #: falling band keeps at least, and the temperature (C) up to which the linear law holds
    #: (beyond, the coefficient keeps its value there; 20 C: no temperature dependence)
    water_absorption_floor: float = 0.25
    water_absorption_linear_until: float = 305.0
    water_absorption_reference_temperature: float = 20.0

    @classmethod
    def from_data(cls) -> PhysicalConstants:
        return _from_data()

    def replace(self, **changes: float | None) -> PhysicalConstants:
        """A copy with some constants changed; each must be finite and in its range."""
        names = {f.name for f in dataclasses.fields(self)}
        for name, value in changes.items():
            if name not in names:
                raise InputError(f"constants.{name}", value,
                                 "no such constant; known: " + ", ".join(sorted(names)))
            if value is None and name in _OPTIONAL:
                continue
            lo, hi = _range(name)
            if isinstance(value, bool) or not isinstance(value, int | float) \
                    or not math.isfinite(value) or not lo <= value <= hi \
                    or (value == 0.0 and name not in _RANGES):
                allowed = f"a finite number in [{lo:g}, {hi:g}]" if lo > 0 or name in _RANGES \
                    else "a finite positive number"
                raise InputError(f"constants.{name}", value, allowed)
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    @property
    def water_heat_capacity(self) -> float:
        """Volumetric heat capacity of water, J/(m^3 K)."""
        return self.water_density * self.water_specific_heat

    @property
    def water_latent_heat_volumetric(self) -> float:
        """Latent heat of vaporization per volume of water, J/m^3."""
        return self.water_density * self.water_latent_heat

    def latent_heat_volumetric_at(self, T: float) -> float:
        """Latent heat of vaporization per volume of water (J/m^3) at the saturation
        temperature ``T`` (C): data/steam.csv (IAPWS-IF97), scaled so that it equals
        ``water_latent_heat`` at the boiling temperature."""
        return self.water_latent_heat_volumetric \
            * _latent_heat(T, "constants.confined_boiling_temperature") \
            / _latent_heat(self.boiling_temperature, "constants.boiling_temperature")

    def confined_boiling(self) -> tuple[float, float]:
        """(temperature C, latent heat J/m^3 of water) at which tissue water boils while light
        arrives: the confined boiling temperature, or 1 atm where it is not above it."""
        T = self.confined_boiling_temperature
        if T <= self.boiling_temperature:
            return self.boiling_temperature, self.water_latent_heat_volumetric
        return T, self.latent_heat_volumetric_at(T)

    def explosive_boiling(self) -> tuple[float, float]:
        """(temperature C, latent heat J/m^3 of water) at which tissue water boils during the
        ejection delay, while no material can leave: the limit of superheat (phase explosion
        near the spinodal), or the confined boiling temperature where that is higher."""
        T = max(self.spinodal_temperature, self.confined_boiling_temperature)
        return T, self.latent_heat_volumetric_at(T)

    @property
    def peak_temperature_bound(self) -> float:
        """The hottest state tissue can hold in the model (C): wet tissue boils at or below the
        spinodal (or the confined boiling temperature), dry tissue decomposes at
        ``dry_ablation_temperature``. No cell is ever hotter (tests/physics/test_dry_tissue.py,
        tests/simulate/test_laws.py)."""
        return max(self.dry_ablation_temperature, self.spinodal_temperature,
                   self.confined_boiling_temperature, self.boiling_temperature)

    def changed(self) -> dict[str, float | None]:
        """The constants that differ from the data files (for the resolved scenario)."""
        base = _from_data()
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                if getattr(self, f.name) != getattr(base, f.name)}


@cache
def _steam() -> tuple[tuple[float, ...], tuple[float, ...]]:
    """(saturation temperatures C, latent heats kJ/kg) of data/steam.csv, read once."""
    rows = data.table("steam")
    return (tuple(float(r["T_C"]) for r in rows), tuple(float(r["h_fg_kJ_kg"]) for r in rows))


def _latent_heat(T: float, field: str) -> float:
    """Latent heat of water (kJ/kg) at the saturation temperature ``T`` (C), interpolated in
    data/steam.csv; ``field`` names the input when ``T`` is beyond the table."""
    import numpy as np  # on use: a repeated plan imports no NumPy
    Ts, h = _steam()
    if not Ts[0] <= T <= Ts[-1]:
        raise InputError(field, T, f"a temperature in [{Ts[0]:g}, {Ts[-1]:g}] C "
                         "(data/steam.csv)")
    return float(np.interp(T, Ts, h))


@cache
def _from_data() -> PhysicalConstants:
    water = next(r for r in data.table("constituents") if r["constituent"] == "water")
    wt = data.constants()["water_absorption_temperature"]
    return PhysicalConstants(
        **{name: data.constant(name) for name in _FROM_TOML},
        water_density=float(water["density_kg_m3"]),
        water_specific_heat=float(water["specific_heat_J_kgK"]),
        water_conductivity=float(water["conductivity_W_mK"]),
        water_absorption_floor=float(wt["floor"]),
        water_absorption_linear_until=float(wt["linear_until"]),
        water_absorption_reference_temperature=float(wt["reference_temperature"]))
