"""Arrhenius thermal damage.

.. math:: \\Omega(t) = \\int_0^t A \\exp\\!\\big(-E_a / (R\\,T(t'))\\big)\\,dt'

Coagulation (collagen denaturation) and necrosis boundaries are where Omega = 1.

References
----------
Henriques FC. Arch Pathol 1947;43:489-502. Pearce JA. Int J Hyperthermia 2013;29:262-280.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import data


@dataclass(frozen=True)
class ArrheniusSet:
    name: str
    A: float        # 1/s
    Ea: float       # J/mol
    endpoint: str
    source: str

    def rate(self, T_celsius):
        """Damage rate (1/s) at temperature T (C)."""
        R = data.constant("gas_constant")
        return self.A * np.exp(-self.Ea / (R * (np.asarray(T_celsius) + 273.15)))

    def time_to_threshold(self, T_celsius, omega: float = 1.0):
        """Exposure time (s) at constant temperature T (C) that gives Omega = ``omega``."""
        return omega / self.rate(T_celsius)


def arrhenius_sets() -> dict[str, ArrheniusSet]:
    return {r["name"]: ArrheniusSet(r["name"], float(r["A_per_s"]), float(r["Ea_J_mol"]),
                                    r["endpoint"], r["source"])
            for r in data.table("arrhenius")}


#: Collagen denaturation (the summary's ``collagen_denaturation_depth``) and cell necrosis (its
#: ``coagulation_depth``, the boundary of the wound).
COLLAGEN_SET = "collagen"
NECROSIS_SET = "henriques-moritz"
