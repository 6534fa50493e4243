"""Arrhenius thermal damage.

.. math:: \\Omega(t) = \\int_0^t A \\exp\\!\\big(-E_a / (R\\,T(t'))\\big)\\,dt'

Coagulation (collagen denaturation) and necrosis boundaries are where Omega = 1.

References
----------
Henriques FC. Arch Pathol 1947;43:489-502. Pearce JA. Int J Hyperthermia 2013;29:262-280.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from .. import data


@dataclass(frozen=True)
class ArrheniusSet:
    name: str
    A: float        # 1/s
    Ea: float       # J/mol
    endpoint: str
    source: str
    Ea_range: tuple[float, float] | None = None  # J/mol, the sourced span (None: no range)

    def rate(self, T_celsius):
        """Damage rate (1/s) at temperature T (C)."""
        import numpy as np  # on use: a repeated plan imports no NumPy
        R = data.constant("gas_constant")
        return self.A * np.exp(-self.Ea / (R * (np.asarray(T_celsius) + 273.15)))

    def time_to_threshold(self, T_celsius, omega: float = 1.0):
        """Exposure time (s) at constant temperature T (C) that gives Omega = ``omega``."""
        return omega / self.rate(T_celsius)


def arrhenius_sets() -> dict[str, ArrheniusSet]:
    return {r["name"]: ArrheniusSet(r["name"], float(r["A_per_s"]), float(r["Ea_J_mol"]),
                                    r["endpoint"], r["source"],
                                    (float(r["Ea_low_J_mol"]), float(r["Ea_high_J_mol"]))
                                    if r["Ea_low_J_mol"] else None)
            for r in data.table("arrhenius")}


def on_entropy_enthalpy_line(activation_energy: float) -> float:
    """Frequency factor A (1/s) of the pair with ``activation_energy`` (J/mol) on the
    entropy-enthalpy line of tissue transitions (Jacques, J Biomed Opt 2006;11:041108):
    A = (k_B T / h) exp((a + b Ea) / R), data/constants.toml ``entropy_enthalpy_line``."""
    line = data.constants()["entropy_enthalpy_line"]
    k_b, planck = 1.380649e-23, 6.62607015e-34  # J/K, J s (SI defining constants, exact)
    entropy = line["a"] + line["b"] * activation_energy
    return k_b * line["reference_temperature"] / planck \
        * math.exp(entropy / data.constant("gas_constant"))


def entropy_enthalpy_range() -> tuple[float, float]:
    """Activation energies (J/mol) of the 10-20 cooperative bonds of most tissues (Jacques)."""
    line = data.constants()["entropy_enthalpy_line"]
    lo, hi = line["bonds_range"]
    return lo * line["bond_enthalpy"], hi * line["bond_enthalpy"]


def collagen_set(activation_energy: float | None = None) -> ArrheniusSet:
    """The collagen set (on Jacques' line), moved along the line to ``activation_energy``
    (J/mol) when one is given (a :class:`~dermalase.physics.constants.PhysicalConstants`
    override within the line's 10-20 bonds)."""
    aset = arrhenius_sets()[COLLAGEN_SET]
    return aset if activation_energy is None else dataclasses.replace(
        aset, Ea=activation_energy, A=on_entropy_enthalpy_line(activation_energy))


def necrosis_set(activation_energy: float | None = None) -> ArrheniusSet:
    """The cell-necrosis set, with its activation energy replaced when one is given (a
    :class:`~dermalase.physics.constants.PhysicalConstants` override, within its range)."""
    aset = arrhenius_sets()[NECROSIS_SET]
    return aset if activation_energy is None else \
        dataclasses.replace(aset, Ea=activation_energy)


#: Collagen denaturation (the summary's ``collagen_denaturation_depth``) and cell necrosis (its
#: ``coagulation_depth``, the boundary of the wound).
COLLAGEN_SET = "collagen"
NECROSIS_SET = "henriques-moritz"
