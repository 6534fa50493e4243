"""Layered skin model and body-site presets."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from .. import data
from ..errors import InputError
from . import properties as props

LAYER_NAMES = ("stratum_corneum", "epidermis", "papillary_dermis", "reticular_dermis", "subcutis")
SITES = tuple(r["site"] for r in data.table("sites"))


@dataclass(frozen=True)
class Layer:
    """One skin layer. SI units throughout.

    Attributes
    ----------
    name : str
    thickness : float
        m.
    water, protein, fat : float
        Mass fractions (sum to 1).
    perfusion : float
        Blood perfusion rate, 1/s (volume of blood per volume of tissue per second).
    melanin : float
        Melanosome volume fraction (epidermis only).
    source : str
    """

    name: str
    thickness: float
    water: float
    protein: float
    fat: float
    perfusion: float
    melanin: float = 0.0
    source: str = ""
    #: water absorption coefficient (1/m) at the scenario's wavelength, when the scenario sets
    #: it within its sourced range; None: the tabulated value (data/water_absorption.csv)
    water_mua: float | None = None

    @property
    def volume_fractions(self) -> dict[str, float]:
        return props.volume_fractions(self.water, self.protein, self.fat)

    @property
    def density(self) -> float:
        """kg/m^3."""
        c = props.constituents()
        return sum(v * c[n].density for n, v in self.volume_fractions.items())

    @property
    def heat_capacity(self) -> float:
        """Volumetric heat capacity, J/(m^3 K)."""
        return props.mixture(self.volume_fractions)[0]

    @property
    def specific_heat(self) -> float:
        """J/(kg K)."""
        return self.heat_capacity / self.density

    @property
    def conductivity(self) -> float:
        """W/(m K)."""
        return props.mixture(self.volume_fractions)[1]

    def absorption(self, wavelength_nm: float) -> float:
        """Absorption coefficient, 1/m: water volume fraction x mua_water + melanin."""
        mua_w = self.water_mua if self.water_mua is not None \
            else props.water_absorption(wavelength_nm)[0]
        return (self.volume_fractions["water"] * mua_w
                + self.melanin * props.melanin_absorption(wavelength_nm))


@dataclass(frozen=True)
class SkinModel:
    """Skin as a stack of layers from the surface down."""

    site: str
    phototype: int
    layers: tuple[Layer, ...] = field(repr=False)

    @property
    def depth(self) -> float:
        return sum(layer.thickness for layer in self.layers)

    def boundaries(self) -> list[float]:
        """Depths (m) of the bottom of each layer."""
        out, z = [], 0.0
        for layer in self.layers:
            z += layer.thickness
            out.append(z)
        return out

    def layer_at(self, z: float) -> str:
        for layer, zb in zip(self.layers, self.boundaries(), strict=True):
            if z < zb:
                return layer.name
        return self.layers[-1].name


def thickness_ranges(site: str) -> dict[str, tuple[float, float]]:
    """The sourced thickness range (m) of each layer of ``site`` that has one
    (data/thickness_ranges.csv)."""
    return {r["layer"]: (float(r["low_um"]) * 1e-6, float(r["high_um"]) * 1e-6)
            for r in data.table("thickness_ranges") if r["site"] == site}


#: layers whose thickness a scenario may set (those with a sourced range at some site)
THICKNESS_LAYERS = tuple(n for n in LAYER_NAMES
                         if any(r["layer"] == n for r in data.table("thickness_ranges")))


def thickness_limits(layer: str) -> tuple[float, float]:
    """The thickness (m) a scenario may give ``layer``: from the thinnest to the thickest end of
    its sourced ranges over all sites."""
    rows = [r for r in data.table("thickness_ranges") if r["layer"] == layer]
    return (min(float(r["low_um"]) for r in rows) * 1e-6,
            max(float(r["high_um"]) for r in rows) * 1e-6)


def water_ranges() -> dict[str, tuple[float, float]]:
    """The sourced range of each layer's water mass fraction (data/layers.csv water_range)."""
    out = {}
    for r in data.table("layers"):
        lo, hi = (float(x) for x in str(r["water_range"]).split("-"))
        out[r["layer"]] = (lo, hi)
    return out


def _with_water(layer: Layer, water: float) -> Layer:
    """``layer`` with another water mass fraction; protein and fat keep their proportion."""
    rest = 1.0 - layer.water
    k = (1.0 - water) / rest if rest > 0 else 0.0
    return replace(layer, water=water, protein=layer.protein * k, fat=layer.fat * k)


def build_skin(site: str = "cheek", phototype: int = 2,
               water: dict[str, float] | None = None,
               thickness: dict[str, float] | None = None,
               water_mua: float | None = None) -> SkinModel:
    """Skin model for a body site and Fitzpatrick phototype (1-6), from the data tables.
    ``water`` sets a layer's water mass fraction within its sourced range, ``thickness`` a
    layer's thickness (m, within :func:`thickness_limits`), ``water_mua`` the water absorption
    coefficient (1/m; the caller checks it against its wavelength's range); the tables' values
    otherwise."""
    rows = {r["site"]: r for r in data.table("sites")}
    if site not in rows:
        raise InputError("skin.site", site, "one of " + ", ".join(SITES))
    if isinstance(phototype, bool) or not isinstance(phototype, int) or not 1 <= phototype <= 6:
        raise InputError("skin.phototype", phototype, "an integer 1-6 (Fitzpatrick I-VI)")
    comp = {r["layer"]: r for r in data.table("layers")}
    site_row = rows[site]
    melanin = props.melanosome_fraction(phototype)
    layers = []
    for name in LAYER_NAMES:
        c = comp[name]
        layers.append(Layer(
            name=name,
            thickness=float(site_row[f"{name}_um"]) * 1e-6,
            water=float(c["water_mass_fraction"]),
            protein=float(c["protein_mass_fraction"]),
            fat=float(c["fat_mass_fraction"]),
            perfusion=float(c["perfusion_per_s"]),
            melanin=melanin if name == "epidermis" else 0.0,
            source=f"{c['source']} | thickness: {site_row['source']}",
        ))
    ranges = water_ranges()
    for name, value in (water or {}).items():
        if name not in LAYER_NAMES:
            raise InputError(f"skin.water_{name}", value, "a layer: " + ", ".join(LAYER_NAMES))
        lo, hi = ranges[name]
        if isinstance(value, bool) or not isinstance(value, int | float) \
                or not lo <= value <= hi:
            raise InputError(f"skin.water_{name}", value, f"a water mass fraction {lo:g}-"
                             f"{hi:g} (the sourced range, data/layers.csv)")
        i = LAYER_NAMES.index(name)
        layers[i] = _with_water(layers[i], float(value))
    for name, value in (thickness or {}).items():
        if name not in THICKNESS_LAYERS:
            raise InputError(f"skin.thickness_{name}", value,
                             "a layer: " + ", ".join(THICKNESS_LAYERS))
        lo, hi = thickness_limits(name)
        if isinstance(value, bool) or not isinstance(value, int | float) \
                or not lo <= value <= hi:
            raise InputError(f"skin.thickness_{name}", value, f"{lo:g}-{hi:g} m (the sourced "
                             "site ranges, data/thickness_ranges.csv)")
        i = LAYER_NAMES.index(name)
        layers[i] = replace(layers[i], thickness=float(value))
    if water_mua is not None:
        layers = [replace(la, water_mua=float(water_mua)) for la in layers]
    return SkinModel(site=site, phototype=phototype, layers=tuple(layers))
