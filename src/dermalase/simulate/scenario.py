"""Scenario: the validated, resolved description of one simulation (TOML or Python).

Every input field is declared once, in the ``*Spec`` models below (pydantic, via
:mod:`dermalase.schema`): its unit, allowed range, default and description. From that
declaration come the parsing with one-line errors, the allowed keys, the resolved (SI) and
serialised forms, the JSON Schema (``dermalase schema scenario``) and the docs table
(docs/inputs.md). Quantities are accepted as strings with units (``"250 us"``) or SI numbers and
stored as SI floats. A :class:`Scenario` is immutable; :meth:`Scenario.replace` makes a changed
copy (re-validated).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any, ClassVar

from pydantic import Discriminator, Field, Tag

from .. import data
from ..errors import InputError
from ..laser.delivery import FullField
from ..laser.fractional import Fractional
from ..laser.sources import SOURCES, LaserSource, get_source
from ..physics.constants import PhysicalConstants
from ..physics.numerics import Numerics
from ..schema import Integer, Number, OneOf, Quantity, Spec, Text, parse, read_toml
from ..tissue.model import (
    LAYER_NAMES,
    SITES,
    THICKNESS_LAYERS,
    SkinModel,
    build_skin,
    thickness_limits,
    water_ranges,
)
from ..tissue.properties import water_absorption

#: Ranges accepted for inputs (SI). Wide enough for every clinical device in
#: shared/reference/clinical-evidence.md sections 2 and 8; beyond them the model is not meant
#: to run. M^2 >= 1 by definition (Siegman 1986, ch. 17); 50 bounds multimode sources.
LIMITS = {
    "spot_diameter": (50e-6, 20e-3),       # m
    "fluence": (0.0, 2.0e6),               # J/m^2 (200 J/cm^2)
    "pulse_energy": (0.0, 50.0),           # J
    "pass_interval": (0.0, 600.0),         # s
    "passes": (1, 10),
    "cooling_time": (0.01, 60.0),          # s
    "resolution": (0.25, 8.0),
    "microbeam_diameter": (20e-6, 2e-3),   # m
    "microbeam_energy": (0.0, 0.5),        # J per microbeam pulse
    # J/m^2 (5,000 J/cm^2): the local fluence of one microbeam, E / (pi d^2 / 4), as a
    # microbeam becomes a spot (Fractional.as_spot). Same rule as the full-field fluence: wide
    # enough for every clinical setting in the sources, beyond them the model is not meant to
    # run. The highest microbeam settings reached: Fraxel re:store 70 mJ (Katz et al., JAAD,
    # clinical-evidence-2.md E55) in the 60 um beam this project assumes for 1,550 nm
    # (validation/cases.py nafl_zone) = 2,480 J/cm^2; Hantash 2007, 40 mJ in a 120 um spot =
    # 354 J/cm^2; YouLaser CO2 35 mJ in 200 um (E18) = 111 J/cm^2. 5,000 is twice the highest;
    # 0.5 J into a 20 um beam (160,000 J/cm^2) is refused (issue 30).
    "microbeam_fluence": (0.0, 5.0e7),
    "stack": (1, 20),
    "density": (0.0, 1.0e8),               # 1/m^2 (10,000 /cm^2)
    "repetition_rate": (0.0, 1.0e5),       # 1/s
    "area": (1e-8, 1e-3),                  # m^2 (0.01 mm^2 - 10 cm^2)
    "beam_quality": (1.0, 50.0),           # M^2
    "train_pulses": (0, 100),
    "train_duration": (0.0, 0.1),          # s: 10x the longest variable erbium pulse (10 ms)
}


def _q(unit: str, key: str, inclusive: bool = False, example: str = "") -> Quantity:
    lo, hi = LIMITS[key]
    return Quantity(unit, lo, hi, inclusive, example)


class SourceKey(OneOf):
    """A laser source key, case-insensitive."""

    def check(self, value: Any) -> str:
        return super().check(value.strip().lower() if isinstance(value, str) else value)


# -- the declaration ------------------------------------------------------------------------------
def _water(layer: str) -> Number:
    lo, hi = water_ranges()[layer]
    return Number(lo, hi, "a water mass fraction")


def _water_text(layer: str) -> str:
    lo, hi = water_ranges()[layer]
    default = next(float(r["water_mass_fraction"]) for r in data.table("layers")
                   if r["layer"] == layer)
    return (f"Water mass fraction of the {layer.replace('_', ' ')}, within its sourced range "
            f"(data/layers.csv); default {default:g}. Sets its absorption and heat capacity.")


def _thickness(layer: str) -> Quantity:
    lo, hi = thickness_limits(layer)
    return Quantity("m", lo, hi, True, f"{round(lo * 2e6)} um")


def _thickness_text(layer: str) -> str:
    return (f"Thickness of the {layer.replace('_', ' ')} (e.g. measured by ultrasound), instead "
            "of the site's (data/sites.csv); accepted over the span of the sourced site ranges "
            "(data/thickness_ranges.csv).")


class SkinSpec(Spec):
    site: Annotated[str, OneOf(SITES)] = Field(
        "cheek", description="Body site: sets layer thicknesses and adnexal density "
        "(data/sites.csv).")
    phototype: Annotated[int, Integer(1, 6)] = Field(
        2, description="Fitzpatrick skin phototype I-VI: sets epidermal melanin.")
    water_stratum_corneum: Annotated[float | None, _water("stratum_corneum")] = Field(
        None, description=_water_text("stratum_corneum"))
    water_epidermis: Annotated[float | None, _water("epidermis")] = Field(
        None, description=_water_text("epidermis"))
    water_papillary_dermis: Annotated[float | None, _water("papillary_dermis")] = Field(
        None, description=_water_text("papillary_dermis"))
    water_reticular_dermis: Annotated[float | None, _water("reticular_dermis")] = Field(
        None, description=_water_text("reticular_dermis"))
    water_subcutis: Annotated[float | None, _water("subcutis")] = Field(
        None, description=_water_text("subcutis"))

    thickness_epidermis: Annotated[float | None, _thickness("epidermis")] = Field(
        None, description=_thickness_text("epidermis"))
    thickness_papillary_dermis: Annotated[float | None, _thickness("papillary_dermis")] = Field(
        None, description=_thickness_text("papillary_dermis"))
    thickness_reticular_dermis: Annotated[float | None, _thickness("reticular_dermis")] = Field(
        None, description=_thickness_text("reticular_dermis"))
    water_absorption: Annotated[float | None, Quantity("1/m", 0.0, example="12500 1/cm")] = \
        Field(None, description="Absorption coefficient of water at the laser's wavelength, "
              "within its sourced range (data/water_absorption.csv mua_low-mua_high); default "
              "the tabulated value.")

    def thickness(self) -> dict[str, float]:
        """The layers whose thickness is set, by layer name."""
        return {name: v for name in THICKNESS_LAYERS
                if (v := getattr(self, f"thickness_{name}", None)) is not None}

    def water(self) -> dict[str, float]:
        """The layers whose water mass fraction is set, by layer name."""
        return {name: v for name in LAYER_NAMES
                if (v := getattr(self, f"water_{name}", None)) is not None}


class LaserSpec(Spec):
    canonical_exclude: ClassVar[set[str]] = {"wavelength"}

    source: Annotated[str | None, SourceKey(tuple(SOURCES))] = Field(
        None, description="Laser source (data/lasers.csv); or give the wavelength.")
    wavelength: Annotated[float | None, Quantity("m", 0.0, example="2940 nm")] = Field(
        None, description="Wavelength of a tabulated source, instead of its key.")
    pulse_duration: Annotated[float, Quantity("s", 0.0, example="250 us")] = Field(
        description="Pulse duration (temporal top-hat), within the source's range.",
        json_schema_extra={"x-required": "a duration such as '250 us'"})


class FullFieldSpec(Spec):
    canonical_exclude: ClassVar[set[str]] = {"pulse_energy"}

    mode: Annotated[str, OneOf(("full-field",))] = Field(
        "full-field", description="Full-field (spot) delivery.")
    spot_diameter: Annotated[float, _q("m", "spot_diameter", True, "4 mm")] = Field(
        4e-3, description="Spot diameter (1/e^2 diameter for a Gaussian profile).",
        json_schema_extra={"x-default": "4 mm"})
    fluence: Annotated[float | None, _q("J/m^2", "fluence", example="10 J/cm^2")] = Field(
        None, description="Fluence per pulse; or give pulse_energy.")
    pulse_energy: Annotated[float | None, _q("J", "pulse_energy", example="1.2 J")] = Field(
        None, description="Energy per pulse over the spot (at most 200 J/cm^2 over it); or "
        "give fluence.")
    passes: Annotated[int, Integer(*LIMITS["passes"])] = Field(
        1, description="Passes; each sees the tissue the previous one left.")
    pass_interval: Annotated[float, _q("s", "pass_interval", example="2 s")] = Field(
        2.0, description="Time between passes.", json_schema_extra={"x-default": "2 s"})
    profile: Annotated[str, OneOf(("top-hat", "gaussian"))] = Field(
        "top-hat", description="Beam profile.")
    beam_quality: Annotated[float, Number(*LIMITS["beam_quality"], what="an M^2 of")] = Field(
        1.0, description="Beam quality M^2 (1: ideal Gaussian); sets the spread with depth.")
    train_pulses: Annotated[int, Integer(*LIMITS["train_pulses"])] = Field(
        0, description="Sub-ablative pulses after each ablative pulse (a coagulation train, as "
        "in Sciton's coagulation mode); 0: none.")
    train_fluence: Annotated[float | None, _q("J/m^2", "fluence", example="1 J/cm^2")] = Field(
        None, description="Fluence of each pulse of the train (each lasts pulse_duration).")
    train_duration: Annotated[float | None, _q("s", "train_duration", example="10 ms")] = \
        Field(None, description="Duration of the train after the ablative pulse; its pulses "
              "are spread evenly over it.")
    stack: Annotated[int, Integer(*LIMITS["stack"])] = Field(
        1, description="Pulses fired on the same spot in each pass (stacked pulses, or the "
        "pulses of a scanned pass that overlap on one site), one every 1/repetition_rate; "
        "each sees the heat, the drier floor and the crater the ones before left.")
    repetition_rate: Annotated[float | None, _q("Hz", "repetition_rate", example="10 Hz")] = \
        Field(None, description="Pulse repetition rate of the stacked pulses (start to "
              "start), with stack >= 2; erbium hand-pieces fire at 1-15 Hz (Kaufmann & Hibst, "
              "Lasers Surg Med 1996;19:324) and were studied at 2-30 Hz (Walsh & Cummings, "
              "Proc SPIE 1990;1202).")


class FractionalSpec(Spec):
    canonical_exclude: ClassVar[set[str]] = {"coverage"}

    mode: Annotated[str, OneOf(("fractional",))] = Field(
        "fractional", description="Fractional delivery: microbeams over part of the surface.")
    microbeam_diameter: Annotated[float, _q("m", "microbeam_diameter", True, "120 um")] = Field(
        description="Microbeam diameter (1/e^2 for a Gaussian).",
        json_schema_extra={"x-required": "a diameter such as '120 um'"})
    pulse_energy: Annotated[float, _q("J", "microbeam_energy", example="10 mJ")] = Field(
        description="Energy per microbeam pulse; at most 5,000 J/cm^2 over the microbeam "
        "(E / (pi d^2 / 4)).",
        json_schema_extra={"x-required": "an energy per microbeam such as '10 mJ'"})
    stack: Annotated[int, Integer(*LIMITS["stack"])] = Field(
        1, description="Pulses stacked into the same channel.")
    stack_interval: Annotated[float | None, Quantity("s", 0.0, 10.0, example="1 ms")] = Field(
        None, description="Time between the starts of stacked pulses (default: back to back).")
    density: Annotated[float | None, _q("1/m^2", "density", example="100 /cm^2")] = Field(
        None, description="Microthermal zones per area; or give coverage.")
    coverage: Annotated[float | None, Quantity("dimensionless", 0.0, 1.0, example="0.1")] = Field(
        None, description="Fraction of the surface under microbeams (pi d^2/4 x density); "
        "or give density.")
    pattern: Annotated[str, OneOf(("grid", "random"))] = Field(
        "grid", description="Zone layout: square lattice or uniform random (seeded).")
    scan: Annotated[str, OneOf(("raster", "random"))] = Field(
        "raster", description="Firing order.")
    repetition_rate: Annotated[float | None, _q("Hz", "repetition_rate", example="500 Hz")] = \
        Field(None, description="Microbeam firing rate; none: all zones at once (upper bound "
              "on bulk heating).")
    area: Annotated[float, _q("m^2", "area", True, "1 cm^2")] = Field(
        1e-4, description="Treated area (the pattern square).",
        json_schema_extra={"x-default": "1 cm^2"})
    profile: Annotated[str, OneOf(("gaussian", "top-hat"))] = Field(
        "gaussian", description="Microbeam profile.")
    seed: Annotated[int, Integer(0, 2**31 - 1)] = Field(
        0, description="Seed of the random pattern and scan order.")
    beam_quality: Annotated[float, Number(*LIMITS["beam_quality"], what="an M^2 of")] = Field(
        1.0, description="Microbeam quality M^2 (1: ideal Gaussian); sets its spread with depth.")


def _mode(v: Any) -> str:
    mode = v.get("mode", "full-field") if isinstance(v, dict) else getattr(v, "mode",
                                                                             "full-field")
    return mode if isinstance(mode, str) else repr(mode)


class NumericsSpec(Spec):
    geometry: Annotated[str, OneOf(("auto", "1d", "rz"))] = Field(
        "auto", description="auto: 1-D when the spot is wide against the heated depth.")
    resolution: Annotated[float, Number(*LIMITS["resolution"])] = Field(
        1.0, description="Refinement factor: dz and dt are divided by it.")
    cooling_time: Annotated[float, _q("s", "cooling_time", True, "2 s")] = Field(
        2.0, description="Cooling simulated after the last pulse.",
        json_schema_extra={"x-default": "2 s"})


class ScenarioSpec(Spec):
    """A simulation scenario as written in a TOML file."""

    name: Annotated[str, Text()] = Field("scenario", description="Name shown in outputs.")
    skin: SkinSpec = Field(description="[skin]", json_schema_extra={
        "x-required": "a [skin] section is required"})
    laser: LaserSpec = Field(description="[laser]", json_schema_extra={
        "x-required": "a [laser] section is required"})
    delivery: Annotated[
        Annotated[FullFieldSpec, Tag("full-field")] | Annotated[FractionalSpec, Tag("fractional")],
        Discriminator(_mode)] = Field(description="[delivery]", json_schema_extra={
            "x-required": "a [delivery] section is required"})
    numerics: NumericsSpec = Field(NumericsSpec(), description="[numerics]")


# -- resolution: the rules between fields ---------------------------------------------------------
def _source(laser: LaserSpec) -> LaserSource:
    if laser.source is not None:
        src = get_source(laser.source)
        if laser.wavelength is not None and abs(laser.wavelength - src.wavelength) >= 0.5e-9:
            raise InputError("laser.wavelength", f"{laser.wavelength * 1e9:g} nm",
                             f"the wavelength of {src.key} ({src.wavelength_nm:g} nm), or "
                             "leave it out")
        return src
    if laser.wavelength is not None:
        return get_source(wavelength=laser.wavelength)
    raise InputError("laser.source", None, "one of " + ", ".join(SOURCES))


def _full_field(d: FullFieldSpec, tau: float) -> FullField:
    if d.fluence is not None and d.pulse_energy is not None:
        raise InputError("delivery.pulse_energy", d.pulse_energy,
                         "either fluence or pulse_energy, not both")
    area = math.pi * (d.spot_diameter / 2) ** 2
    if d.fluence is not None:
        fluence = d.fluence
    elif d.pulse_energy is not None:
        fluence = d.pulse_energy / area
        if fluence > LIMITS["fluence"][1]:
            raise InputError("delivery.pulse_energy", d.pulse_energy,
                             "an energy giving at most 200 J/cm^2 over the spot")
    else:
        raise InputError("delivery.fluence", None, "a fluence such as '10 J/cm^2' "
                         "(or pulse_energy with spot_diameter)")
    train = _train(d, tau)
    if d.stack == 1 and d.repetition_rate is not None:
        raise InputError("delivery.repetition_rate", d.repetition_rate,
                         "only with stack >= 2 (one pulse per site per pass: no rate to apply)")
    if d.stack > 1 and d.repetition_rate is None:
        raise InputError("delivery.repetition_rate", None,
                         "a rate such as '10 Hz' (stack is set: pulses on the same spot)")
    return FullField(d.spot_diameter, fluence, tau, d.passes, d.pass_interval, d.profile,
                     d.beam_quality, *train, stack=d.stack, repetition_rate=d.repetition_rate)


def _train(d: FullFieldSpec, tau: float) -> tuple[int, float, float]:
    """(pulses, fluence, duration) of the coagulation train, checked together."""
    if not d.train_pulses:
        for name in ("train_fluence", "train_duration"):
            if getattr(d, name) is not None:
                raise InputError(f"delivery.{name}", getattr(d, name),
                                 "only with train_pulses >= 1 (no train is set)")
        return 0, 0.0, 0.0
    if d.train_fluence is None:
        raise InputError("delivery.train_fluence", None,
                         "a fluence per train pulse such as '1 J/cm^2' (train_pulses is set)")
    if d.train_duration is None or d.train_duration < d.train_pulses * tau * (1 - 1e-9):
        raise InputError("delivery.train_duration", d.train_duration,
                         f"room for {d.train_pulses} pulses of {tau:g} s: at least "
                         f"{d.train_pulses * tau:g} s and at most "
                         f"{LIMITS['train_duration'][1]:g} s")
    return d.train_pulses, d.train_fluence, d.train_duration


def _fractional(d: FractionalSpec, tau: float) -> Fractional:
    if d.stack_interval is not None and d.stack_interval < tau:
        raise InputError("delivery.stack_interval", d.stack_interval,
                         f">= the pulse duration ({tau:g} s) and <= 10 s")
    if (d.coverage is None) == (d.density is None):
        raise InputError("delivery.coverage", d.coverage,
                         "exactly one of coverage (0-1] or density (per cm^2)")
    diam = d.microbeam_diameter
    local = d.pulse_energy / (math.pi * diam * diam / 4)
    cap = LIMITS["microbeam_fluence"][1]
    if local > cap * (1 + 1e-9):
        raise InputError("delivery.pulse_energy", f"{d.pulse_energy * 1e3:g} mJ",
                         f"an energy giving at most {cap / 1e4:,.0f} J/cm^2 over the "
                         f"{diam * 1e6:g} um microbeam (here {local / 1e4:,.0f} J/cm^2): at "
                         f"most {cap * math.pi * diam * diam / 4 * 1e3:.4g} mJ")
    given: float
    if d.coverage is not None:
        field, given = "delivery.coverage", d.coverage
        density = d.coverage / (math.pi * diam * diam / 4)
    else:
        assert d.density is not None
        field, given = "delivery.density", d.density
        density = float(d.density)
    if d.pattern == "grid" and 1.0 / math.sqrt(density) <= diam:
        raise InputError(field, given,
                         f"a value whose grid pitch (here {1e6 / math.sqrt(density):.0f} um) "
                         f"exceeds the microbeam diameter ({diam * 1e6:.0f} um), i.e. "
                         f"coverage < pi/4")
    if density * d.area < 1.0:
        raise InputError("delivery.area", d.area,
                         "an area holding at least one microthermal zone at this density")
    return Fractional(microbeam_diameter=diam, pulse_energy=d.pulse_energy, pulse_duration=tau,
                      density=density, stack=d.stack, stack_interval=d.stack_interval,
                      pattern=d.pattern, scan=d.scan, repetition_rate=d.repetition_rate,
                      area=d.area, profile=d.profile, seed=d.seed, beam_quality=d.beam_quality)


# -- the scenario ----------------------------------------------------------------------------------
_SUFFIX = {"m": "_m", "s": "_s", "J": "_J", "J/m^2": "_J_m2", "1/m^2": "_per_m2", "Hz": "_Hz",
           "1/m": "_per_m",
           "m^2": "_m2", "dimensionless": ""}


class Scenario:
    """A resolved simulation scenario (immutable): the validated spec and the physics objects
    built from it (skin model, laser source, delivery, numerics, physical constants)."""

    def __init__(self, *, name: str, skin: SkinModel, source: LaserSource,
                 delivery: FullField | Fractional, numerics: Numerics = Numerics(),
                 constants: PhysicalConstants | None = None):
        self.name = name
        self.skin = skin
        self.source = source
        self.delivery = delivery
        self.numerics = numerics
        self.constants = constants if constants is not None else PhysicalConstants.from_data()
        #: the device settings this scenario was resolved from (dermalase.devices), if any
        self.device: dict[str, Any] | None = None

    @property
    def fractional(self) -> bool:
        return isinstance(self.delivery, Fractional)

    def __repr__(self) -> str:
        from .display import scenario_repr

        return scenario_repr(self)

    def _repr_html_(self) -> str:
        from .display import scenario_html

        return scenario_html(self)

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def from_spec(cls, spec: ScenarioSpec,
                  constants: PhysicalConstants | None = None) -> Scenario:
        source = _source(spec.laser)
        fractional = isinstance(spec.delivery, FractionalSpec)
        if not source.ablative and not fractional:
            raise InputError("laser.source", source.key,
                             "an ablative source (co2, er:yag, er:ysgg) for full-field delivery; "
                             "non-ablative sources (er:glass, tm:fiber) are fractional only")
        tau = spec.laser.pulse_duration
        if not source.min_pulse_duration <= tau <= source.max_pulse_duration:
            raise InputError("laser.pulse_duration", tau,
                             f">= {source.min_pulse_duration:g} s and <= "
                             f"{source.max_pulse_duration:g} s for {source.key}")
        delivery = _fractional(spec.delivery, tau) if isinstance(spec.delivery, FractionalSpec) \
            else _full_field(spec.delivery, tau)
        num = spec.numerics
        mua = spec.skin.water_absorption
        if mua is not None:
            _, lo, hi, _ = water_absorption(source.wavelength_nm)
            if not lo <= mua <= hi:
                raise InputError("skin.water_absorption", f"{mua:g} 1/m", f"{lo:g}-{hi:g} 1/m at "
                                 f"{source.wavelength_nm:g} nm (the sourced range, "
                                 "data/water_absorption.csv)")
        return cls(name=spec.name, skin=build_skin(spec.skin.site, spec.skin.phototype,
                                                   spec.skin.water(), spec.skin.thickness(),
                                                   mua),
                   source=source, delivery=delivery,
                   numerics=Numerics(geometry=num.geometry, resolution=num.resolution,
                                     cooling_time=num.cooling_time), constants=constants)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Scenario:
        if not isinstance(d, dict):
            raise InputError("scenario", d, "a table of sections [skin], [laser], [delivery]")
        if "device" in d:
            raise InputError("device", d["device"], "a [device] scenario read by "
                             "dermalase.devices.load_scenario or the command line (Scenario "
                             "takes [laser] and [delivery])")
        return cls.from_spec(parse(ScenarioSpec, d))

    @classmethod
    def from_toml(cls, path: str | Path) -> Scenario:
        return cls.from_dict(read_toml("scenario file", path))

    # -- the spec these physics objects stand for -----------------------------------------------
    def spec(self) -> ScenarioSpec:
        """The fully resolved spec (every field set, derived ones included; SI)."""
        dl = self.delivery
        if isinstance(dl, Fractional):
            delivery: FullFieldSpec | FractionalSpec = FractionalSpec.model_construct(
                microbeam_diameter=dl.microbeam_diameter, pulse_energy=dl.pulse_energy,
                stack=dl.stack, stack_interval=dl.interval, density=dl.density,
                coverage=dl.coverage, pattern=dl.pattern, scan=dl.scan,
                repetition_rate=dl.repetition_rate, area=dl.area, profile=dl.profile,
                seed=dl.seed, beam_quality=dl.beam_quality)
        else:
            train = dl.train_pulses > 0
            delivery = FullFieldSpec.model_construct(
                spot_diameter=dl.spot_diameter, fluence=dl.fluence,
                pulse_energy=dl.pulse_energy, passes=dl.passes,
                pass_interval=dl.pass_interval, profile=dl.profile,
                beam_quality=dl.beam_quality, train_pulses=dl.train_pulses,
                train_fluence=dl.train_fluence if train else None,
                train_duration=dl.train_duration if train else None,
                stack=dl.stack, repetition_rate=dl.repetition_rate)
        n = self.numerics
        return ScenarioSpec.model_construct(
            name=self.name,
            skin=SkinSpec.model_construct(site=self.skin.site, phototype=self.skin.phototype,
                                          **self._skin_set(),  # type: ignore[arg-type]
                                          water_absorption=self.skin.layers[0].water_mua),
            laser=LaserSpec.model_construct(source=self.source.key,
                                            wavelength=self.source.wavelength,
                                            pulse_duration=dl.pulse_duration),
            delivery=delivery,
            numerics=NumericsSpec.model_construct(geometry=n.geometry, resolution=n.resolution,
                                                  cooling_time=n.cooling_time))

    def _skin_set(self) -> dict[str, float | None]:
        """``water_<layer>`` and ``thickness_<layer>`` of every layer whose value differs from
        the tables' (the site's) value; None for the others."""
        base = build_skin(self.skin.site, self.skin.phototype)
        out: dict[str, float | None] = {}
        for a, b in zip(self.skin.layers, base.layers, strict=True):
            out[f"water_{a.name}"] = a.water if a.water != b.water else None
            if a.name in THICKNESS_LAYERS:
                out[f"thickness_{a.name}"] = a.thickness if a.thickness != b.thickness else None
        return out

    def resolved(self) -> dict[str, Any]:
        """The scenario with every value resolved, in SI units (keys name the unit)."""
        spec = self.spec()
        out: dict[str, Any] = {"name": spec.name}
        for section in ("skin", "laser", "delivery", "numerics"):
            out[section] = _section(getattr(spec, section), resolved=True)
        changed = self.constants.changed()
        if changed:
            out["constants"] = changed
        if self.device is not None:
            out["device"] = self.device
        return out

    def to_dict(self, si: bool = False) -> dict[str, Any]:
        """A scenario dict (unit strings; ``si``: SI numbers, read back without parsing a
        unit) that :meth:`from_dict` reads back to the same scenario."""
        spec = self.spec()
        out: dict[str, Any] = {"name": spec.name}
        for section in ("skin", "laser", "delivery", "numerics"):
            out[section] = _section(getattr(spec, section), resolved=False, si=si)
        return out

    def replace(self, *, constants: PhysicalConstants | None = None,
                **sections: dict[str, Any]) -> Scenario:
        """A copy with fields changed, e.g. ``replace(delivery={"passes": 3})`` (SI numbers or
        unit strings), re-validated; ``constants`` replaces the physical constants. The fields
        kept are passed on as SI numbers (no unit strings to parse again)."""
        spec = self.spec()
        d: dict[str, Any] = {"name": spec.name}
        for section in ("skin", "laser", "delivery", "numerics"):
            d[section] = _section(getattr(spec, section), resolved=False, si=True)
        for section, changes in sections.items():
            if section not in ("skin", "laser", "delivery", "numerics"):
                raise InputError(section, changes, "skin, laser, delivery or numerics")
            d[section] = {**d[section], **changes}
            if section == "delivery" and "pulse_energy" in changes and "fluence" not in changes:
                d[section].pop("fluence", None)
            if section == "delivery" and "coverage" in changes:
                d[section].pop("density", None)
        sc = Scenario.from_dict(d)
        sc.constants = constants if constants is not None else self.constants
        return sc


def _section(spec: Spec, *, resolved: bool, si: bool = False) -> dict[str, Any]:
    """A section as resolved (SI, keys naming the unit), as input with unit strings, or as
    input with SI numbers (``si``)."""
    out: dict[str, Any] = {}
    skip: set[str] = getattr(spec, "canonical_exclude", set())
    for name, info in type(spec).model_fields.items():
        value = getattr(spec, name)
        meta = next((m for m in info.metadata if isinstance(m, Quantity)), None)
        if resolved:
            out[name + (_SUFFIX[meta.unit] if meta is not None else "")] = value
        elif name not in skip and value is not None:
            out[name] = f"{value!r} {meta.unit}" if meta is not None and not si \
                and meta.unit != "dimensionless" else value
    return out
