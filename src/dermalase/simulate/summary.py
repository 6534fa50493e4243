"""The typed summary of one simulation (SI) and its one serialiser (the JSON contract).

A summary is built once from the outcome of a run; :meth:`Summary.to_dict` makes the JSON
summary (µm, °C, days; every key's unit in ``units``), which the command-line table, the NetCDF
attributes and the planner's report columns all read.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from .._version import __version__

#: unit of every numeric key of the JSON summary
UNITS = {
    "ablation_depth_um": "um", "coagulation_depth_um": "um", "injury_depth_um": "um",
    "collagen_denaturation_depth_um": "um", "peak_temperature_C": "degC",
    "channel_diameter_um": "um", "coagulation_collar_um": "um", "mtz_diameter_um": "um",
    "surface_injury_fraction": "1", "reepithelialization_days": "d",
    "ablation_per_pass_um": "um", "energy_balance_J_m2": "J/m^2",
    "bulk_temperature_rise_K": "K", "bridge_peak_rise_K": "K", "bridge_damage_integral": "1",
    "zone_density_per_cm2": "1/cm^2", "coverage": "1", "zone_spacing_um": "um",
    "bridge_width_um": "um", "energy_per_zone_J": "J", "reepithelialization_days_range": "d",
    "wound_fraction": "1", "remodeling_index_mm3_per_cm2": "mm^3/cm^2", "zone_max_width_um": "um",
}


#: the three coverage quantities, named apart in every output (issue 14): a device's
#: "density %" or "coverage %" is not the beam coverage
DEFINITIONS = {
    "coverage": "beam coverage: fraction of the surface under the microbeams (pi d^2/4 x "
                "zone density)",
    "surface_injury_fraction": "injured surface: fraction of the surface inside the injured "
                               "zones (ablated channel and coagulated rim); 1 for full-field",
    "zone_density_per_cm2": "MTZ density: microthermal zones per cm^2",
}


def _um(x: float | None) -> float | None:
    return None if x is None else round(float(x) * 1e6, 3)


@dataclass(frozen=True)
class ZoneSummary:
    """Fractional treatments: one zone and the pattern (SI)."""

    channel_diameter: float        # m
    coagulation_collar: float      # m, mean coagulated wall thickness
    mtz_diameter: float            # m
    zone_max_width: float          # m
    bulk_temperature_rise: float   # K, bridge-averaged
    bridge_peak_rise: float        # K
    bridge_damage_integral: float  # 1
    zones: int
    zone_density: float            # 1/m^2
    coverage: float                # 1
    zone_spacing: float | None     # m
    bridge_width: float | None     # m
    zones_merge: bool
    energy_per_zone: dict[str, float]  # J

    def to_dict(self) -> dict[str, Any]:
        return {
            "zone_max_width_um": _um(self.zone_max_width),
            "bulk_temperature_rise_K": round(float(self.bulk_temperature_rise), 3),
            "bridge_peak_rise_K": round(float(self.bridge_peak_rise), 3),
            "bridge_damage_integral": float(f"{self.bridge_damage_integral:.4g}"),
            "zones": int(self.zones),
            "zone_density_per_cm2": round(float(self.zone_density) * 1e-4, 3),
            "coverage": round(float(self.coverage), 5),
            "zone_spacing_um": _um(self.zone_spacing),
            "bridge_width_um": _um(self.bridge_width),
            "zones_merge": bool(self.zones_merge),
            "energy_per_zone_J": {k: float(f"{float(v):.6g}")
                                  for k, v in self.energy_per_zone.items()},
        }


@dataclass(frozen=True)
class HealingSummary:
    """Re-epithelialization and remodeling (SI but days)."""

    days: float | None                      # d, None: no surviving epidermis
    days_range: tuple[float, float] | None  # d
    wound_fraction: float
    adnexa_survive: bool
    remodeling_volume: float                # m^3 of coagulated dermis per m^2 treated

    def to_dict(self) -> dict[str, Any]:
        return {
            "reepithelialization_days_range":
                None if self.days_range is None else [round(d, 2) for d in self.days_range],
            "wound_fraction": round(self.wound_fraction, 5),
            "adnexa_survive": self.adnexa_survive,
            "remodeling_index_mm3_per_cm2": round(self.remodeling_volume * 1e5, 4),
        }


@dataclass(frozen=True)
class Findings:
    """What a run finds, shared by the SI :class:`~dermalase.simulate.outcome.Outcome` of a
    run and the :class:`Summary` that carries it on (m, degrees C)."""

    ablation_depth: float
    coagulation_depth: float
    injury_depth: float
    collagen_denaturation_depth: float
    deepest_layer: str | None
    peak_temperature: float
    surface_injury_fraction: float
    energy_balance: dict[str, float] | None   # J/m^2 of the spot (full field)

    def findings(self) -> dict[str, Any]:
        """These fields by name (to carry them from an outcome to its summary)."""
        return {f.name: getattr(self, f.name) for f in fields(Findings)}


@dataclass(frozen=True)
class Summary(Findings):
    """What one simulation predicts (SI: m, degrees C)."""

    ablation_per_pass: tuple[float, ...]
    regimes: tuple[str, ...]
    geometry: str
    healing: HealingSummary
    zone: ZoneSummary | None = None
    warnings: tuple[str, ...] = field(default=())

    @property
    def reepithelialization_days(self) -> float | None:
        return self.healing.days

    def to_dict(self, scenario: dict[str, Any] | None = None) -> dict[str, Any]:
        """The JSON summary; ``scenario`` is the resolved scenario it carries."""
        z = self.zone
        d: dict[str, Any] = {
            "ablation_depth_um": _um(self.ablation_depth),
            "coagulation_depth_um": _um(self.coagulation_depth),
            "injury_depth_um": _um(self.injury_depth),
            "deepest_layer": self.deepest_layer,
            "peak_temperature_C": round(float(self.peak_temperature), 2),
            "collagen_denaturation_depth_um": _um(self.collagen_denaturation_depth),
            "channel_diameter_um": _um(z.channel_diameter) if z else None,
            "coagulation_collar_um": _um(z.coagulation_collar) if z else None,
            "mtz_diameter_um": _um(z.mtz_diameter) if z else None,
            "surface_injury_fraction": round(float(self.surface_injury_fraction), 5),
            "reepithelialization_days": None if self.healing.days is None
            else round(self.healing.days, 2),
            "ablation_per_pass_um": [_um(x) for x in self.ablation_per_pass],
            "regimes": list(self.regimes),
            "geometry": self.geometry,
            "energy_balance_J_m2": None if self.energy_balance is None
            else {k: round(float(v), 3) for k, v in self.energy_balance.items()},
            "warnings": list(self.warnings),
            "units": UNITS,
            "definitions": DEFINITIONS,
            "version": __version__,
        }
        if scenario is not None:
            d["scenario"] = scenario
        if z is not None:
            d.update(z.to_dict())
        d.update(self.healing.to_dict())
        return d
