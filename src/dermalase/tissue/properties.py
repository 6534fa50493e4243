"""Material properties from composition (Cooper & Trezek mixture model) and water optics.

.. math::
    \\rho = \\Big(\\sum_n m_n/\\rho_n\\Big)^{-1},\\quad
    \\phi_n = \\rho\\, m_n/\\rho_n,\\quad
    C = \\sum_n \\phi_n \\rho_n c_n,\\quad k = \\sum_n \\phi_n k_n

with mass fractions :math:`m_n` of water, protein and fat. Written with volume fractions, the
same rules let the properties follow desiccation during ablation (water leaves, the solid stays).

References
----------
Cooper TE, Trezek GJ. Aerospace Med 1971;42:24-27.
Hale GM, Querry MR. Appl Opt 1973;12:555-563.
Jacques SL. Phys Med Biol 2013;58:R37-R61.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache

from .. import data
from ..errors import InputError


@dataclass(frozen=True)
class Constituent:
    density: float        # kg/m^3
    specific_heat: float  # J/(kg K)
    conductivity: float   # W/(m K)


@lru_cache(maxsize=1)
def constituents() -> dict[str, Constituent]:
    return {
        r["constituent"]: Constituent(float(r["density_kg_m3"]), float(r["specific_heat_J_kgK"]),
                                      float(r["conductivity_W_mK"]))
        for r in data.table("constituents")
    }


def volume_fractions(water: float, protein: float, fat: float) -> dict[str, float]:
    """Volume fractions of water, protein, fat from mass fractions (Cooper & Trezek)."""
    c = constituents()
    masses = {"water": water, "protein": protein, "fat": fat}
    rho = 1.0 / sum(m / c[n].density for n, m in masses.items())
    return {n: rho * m / c[n].density for n, m in masses.items()}


@cache
def water_absorption(wavelength_nm: float) -> tuple[float, float, float, float]:
    """Water absorption coefficient (1/m) with its low/high range (1/m) and refractive index.

    Only tabulated laser wavelengths are supported (Hale & Querry 1973).
    """
    for r in data.table("water_absorption"):
        if abs(float(r["wavelength_nm"]) - wavelength_nm) < 0.5:
            return (float(r["mua_per_cm"]) * 100.0, float(r["mua_low_per_cm"]) * 100.0,
                    float(r["mua_high_per_cm"]) * 100.0, float(r["refractive_index"]))
    allowed = ", ".join(r["wavelength_nm"] for r in data.table("water_absorption"))
    raise InputError("laser.wavelength", f"{wavelength_nm:g} nm", f"one of {allowed} nm")


def water_absorption_temperature_coefficient(wavelength_nm: float) -> float:
    """Relative temperature derivative (1/K) of the water absorption at ``wavelength_nm``:
    (d mua / dT) / mua at 20 C (data/water_absorption.csv, from the WOPP v3 file, Roettgers et
    al. 2014; 0 where no derivative was found or it is not applied: data/constants.toml
    ``water_absorption_temperature``)."""
    water_absorption(wavelength_nm)  # the wavelength's check and its one-line error
    for r in data.table("water_absorption"):
        if abs(float(r["wavelength_nm"]) - wavelength_nm) < 0.5:
            return float(r["temperature_coefficient_per_K"])
    raise AssertionError("unreachable: water_absorption checked the wavelength")


def melanin_absorption(wavelength_nm: float) -> float:
    """Absorption coefficient of melanosomes (1/m): 519 (lambda/500 nm)^-3.5 1/cm (Jacques 2013)."""
    c = data.constants()["melanin_absorption"]
    return float(c["value"]) * (wavelength_nm / 500.0) ** float(c["exponent"]) * 100.0


def melanosome_fraction(phototype: int) -> float:
    """Epidermal melanosome volume fraction for Fitzpatrick phototype 1..6 (Jacques 1998)."""
    values = data.constants()["melanosome_volume_fraction"]["values"]
    return float(values[phototype - 1])


def fresnel_reflectance(n: float) -> float:
    """Specular reflectance at normal incidence from air: ((n-1)/(n+1))^2."""
    return float(((n - 1.0) / (n + 1.0)) ** 2)


def mixture(phi: dict[str, float]) -> tuple[float, float]:
    """Volumetric heat capacity (J/m^3/K) and conductivity (W/m/K) of a mixture."""
    c = constituents()
    cap = float(sum(phi[n] * c[n].density * c[n].specific_heat for n in phi))
    k = float(sum(phi[n] * c[n].conductivity for n in phi))
    return cap, k


def solid_part(phi: dict[str, float]) -> tuple[float, float]:
    """Heat capacity and conductivity of the non-water part (stays when water vaporizes)."""
    return mixture({n: v for n, v in phi.items() if n != "water"})


__all__ = ["water_absorption", "melanin_absorption", "volume_fractions", "mixture",
           "solid_part", "fresnel_reflectance", "melanosome_fraction"]
