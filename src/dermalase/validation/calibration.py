"""The calibration ledger: every parameter fitted to a datum, the datum, and the independent
data that test it (docs/validation.md; tests/validation/test_calibration.py).

A datum is never its own check: the cases a parameter is fitted on and the cases that test it
are disjoint, and every fitted case says so in its note.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import data
from ..healing import CALIBRATION_CASES, DAY, HealingParams


@dataclass(frozen=True)
class Calibrated:
    parameter: str          # name (constants.toml entry or model quantity)
    value: str              # the value used, with its unit
    fitted_on: str          # the datum, with its source
    fitted_cases: tuple[str, ...]   # validation cases (cases.CASES) that are that datum
    checks: tuple[str, ...]         # validation cases that test it independently
    note: str = ""


def healing_coagulation() -> dict[str, float]:
    """The model's coagulated layer and injury depth (m; keys ``<case>`` and
    ``<case>_injury``) in the two healing calibration cases, simulated now (data/constants.toml
    ``healing_calibration_coagulation`` records them)."""
    from .. import simulate
    from .cases import HEALING_CALIBRATION

    out = {}
    for site, _, key in CALIBRATION_CASES:
        scenario = HEALING_CALIBRATION[key]
        assert scenario["skin"]["site"] == site
        res = simulate(scenario)
        assert res.outcome is not None
        out[key] = res.outcome.coagulation_depth
        out[f"{key}_injury"] = res.outcome.injury_depth
    return out


def ledger() -> list[Calibrated]:
    k = data.constants()
    h = HealingParams.calibrated()
    return [
        Calibrated(
            "ejection_residual_water (ablation enthalpy)",
            f"{k['ejection_residual_water']['value']:g}",
            "Hibst & Kaufmann, Lasers Med Sci 1991;6:391-397: ~6 um per J/cm^2 (Er:YAG, in vitro)",
            ("er-yag-slope",),
            ("er-yag-depth-10", "co2-ultrapulse-3pass",
             "co2-heat-of-ablation"),
            "er-yag-depth-10 shares the 1991 source in its range (Kaufmann & Hibst 1996 is the "
            "independent half). Issue 31 item 3, the choice: one enthalpy for both "
            "wavelengths, fitted on the erbium datum, because it is the tissue's (heating and "
            "boiling its water, the same at every wavelength); the CO2 heat of ablation "
            "(Walsh 1988: 2.5-3, CLEO 1989: 4.8 kJ/cm^3) disagrees at every value of the "
            "parameter (at 0, all water boiled: CO2 4.4 um per J/cm^2, Er:YAG 4.7): known gap, "
            "the CO2 excess being energy spent outside the ablated tissue (co2-heat-of-ablation)"),
        Calibrated(
            "water_absorption_temperature.floor (water absorption against temperature, "
            "2,940 nm)",
            f"{k['water_absorption_temperature']['floor']:g} of the 20 C value (bound 0.1: "
            "Vodopyanov 1991)",
            "Walsh, Flotte & Deutsch, Lasers Surg Med 1989;9:314-326: Q-switched (90 ns) Er:YAG "
            "leaves 5-10 um of damage; the value on a 0.05 grid from 0.1 nearest its centre",
            ("er-yag-qswitch-damage",),
            ("er-yag-threshold", "er-ysgg-ordering", "er-yag-spiking-damage",
             "er-yag-damage-flat", "er-yag-necrosis-max"),
            "the slope (WOPP v3, Roettgers et al. 2014) is measured, not fitted; its "
            "extrapolation past ~40 C is an assumption (sensitivity table: water absorption "
            "and temperature)"),
        Calibrated(
            "plume_absorbing_fraction",
            f"{k['plume_absorbing_fraction']['value']:g} (upper end of the bound 0.1-1.0)",
            "Avram et al., Lasers Surg Med 2009;41:185-188: 20 mJ fractional CO2 channel "
            "~630 um (the bound's end was chosen knowing it)",
            ("fractional-co2-depth-20mJ",),
            ("fractional-co2-depth-30mJ", "fractional-co2-depth-ratio",
             "fractional-co2-width-ratio")),
        Calibrated(
            "keratinocyte front speed c and coagulum clearance time s (healing)",
            f"c = {h.c * DAY * 1e6:.0f} um/d, s = {h.clearance / DAY * 1e-6:.3f} d per um of "
            "coagulum",
            "Pozner MicroLaserPeel: superficial facial Er:YAG healed in 3-4 d; Newman et al., "
            "Lasers Surg Med 2000;26:208-214: CO2 on the upper lip crusted 7.7 d (two equations, "
            "two unknowns, with the model's coagulum in each case)",
            ("heal-superficial-er-face", "heal-co2-perioral"),
            ("heal-er-perioral", "heal-full-field-co2-range", "heal-deep-er",
             "heal-mtz-nonablative", "heal-fractional-er-ablative"),
            "the Er:YAG arm of Newman et al. (3.4 d) is the same study's independent arm"),
        Calibrated(
            "nafl_microbeam_diameter (1,550 nm beam, 1/e^2 at the surface)",
            f"{k['nafl_microbeam_diameter']['value'] * 1e6:.0f} um (60 um assumed before)",
            "Bedi et al., Lasers Surg Med 2007;39:145-155: at 40 mJ the zone's width approached "
            "200 um on H&E (denatured collagen); the simulated width divided by the 12 % "
            "excision shrinkage (Marqa & Mordon 2014); the smallest diameter on a 10 um grid "
            "that reaches it",
            ("nafl-1550-width-40mJ",),
            ("nafl-1550-depth-40mJ", "nafl-1550-depth-10mJ", "nafl-1550-width-10mJ"),
            "every check fails (depth 40 mJ -56 %, 10 mJ -26 % below its range, width 10 mJ "
            "+3 % above its range): one diameter cannot give both the 40 mJ width and the depths "
            "(sensitivity table: 1,550 nm zones)"),
        Calibrated(
            "adnexal_depth_exponent p (healing: sources left below a wound reaching a fraction "
            "x of the dermis, (1 - x)^p)",
            f"{k['adnexal_depth_exponent']['value']:g} (range 1-4)",
            "burn chapters (tissue-response.md sec. 5): deep partial-thickness burns (> 50 % "
            "of the dermis) heal in 2-3 weeks or more; p is the smallest integer that gives "
            "2 weeks at 75 % (p = 1 gives 8.5 d); the shape (1 - x)^p is an assumption (no "
            "sourced depth profile)",
            ("heal-burn-deep-partial",),
            ("heal-burn-superficial-partial", "heal-donor-site-thin", "heal-donor-site-thick",
             "heal-deep-er", "heal-er-perioral", "heal-full-field-co2-range"),
            "sources: the site's hair follicles (Collawn); sensitivity table: healing and "
            "depth"),
    ]
