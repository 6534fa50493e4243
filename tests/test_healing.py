"""Healing (issue 4): the front-migration solver against its analytic limits, the invariants
of the issue, and the simulate/CLI wiring. Published healing times: tests/validation."""

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dermalase import healing as H
from dermalase import simulate
from dermalase.report import healing_figure
from dermalase.tissue.model import build_skin

P = H.HealingParams(c=0.2e-3 / H.DAY, lag=0.5 * H.DAY, closure=0.99)


@pytest.mark.parametrize("R", [100e-6, 300e-6])
def test_disc_heals_from_rim_at_analytic_time(R):
    """A disc of radius R covered from its rim: the closure quantile of the distance to the rim
    is R (1 - sqrt(1 - f)), so it closes at lag + R (1 - sqrt(1 - f)) / c. Tolerance: two
    pixels of front travel (rasterized rim)."""
    pixel = 2e-6
    side = 2.5 * R
    h = H.heal_pattern(np.array([[side / 2, side / 2]]), side, 2 * R, "cheek",
                       adnexa_survive=False, pixel=pixel, params=P)
    expect = P.lag + R * (1 - math.sqrt(1 - P.closure)) / P.c
    assert h.days * H.DAY == pytest.approx(expect, abs=2 * pixel / P.c)


def test_poisson_sources_give_the_analytic_open_fraction():
    """Sources of density n scattered at random (periodic tile): open fraction
    exp(-n pi c^2 (t - lag)^2) (Poisson void probability). Tolerance 0.01 absolute, the sampling
    noise of ~3000 sources (at the cheek's follicles and glands, the density of issue 4)."""
    p = dataclasses.replace(P, eccrine_weight=1.0)
    h = H.heal_full_field("cheek", True, True, params=p, sampled=True)
    n = H.adnexal_density("cheek", eccrine_weight=1.0)
    t = P.lag + np.linspace(0.0, 4.0, 21) * H.DAY
    expect = np.exp(-n * math.pi * (P.c * (t - P.lag)) ** 2)
    assert np.max(np.abs(h.open_fraction(t) - expect)) < 0.01
    # and the closed form used for full-field wounds agrees with the sampled solver
    exact = H.heal_full_field("cheek", True, True, params=p)
    assert exact.days == pytest.approx(h.days, rel=0.03)
    assert np.max(np.abs(exact.open_fraction(t) - expect)) < 1e-12


def test_calibration_reproduces_its_datum():
    """The front speed is derived from the superficial-peel healing time on the cheek
    (data/constants.toml): healing a cheek wound must give that time back (within the 2 %
    sampling noise of the closure quantile)."""
    from dermalase import data

    target = data.constant("superficial_resurfacing_healing") / H.DAY
    rec = data.constants()["healing_calibration_coagulation"]
    skin = build_skin("cheek")
    coag = H.dermal_coagulum(skin, rec["superficial_injury"], rec["superficial"])
    x = H.depth_fraction(skin, rec["superficial_injury"])
    assert H.heal_full_field("cheek", True, True, coagulum=coag, dermis_fraction=x).days \
        == pytest.approx(target, rel=1e-9)
    assert H.heal_full_field("cheek", True, True, sampled=True, coagulum=coag,
                             dermis_fraction=x).days == pytest.approx(target, rel=0.03)


def test_a_thicker_coagulum_heals_later_on_full_field_only():
    """The coagulum delays a full-field wound by clearance x thickness; fractional zones are
    covered from their rims (Manstein 2004) and get no delay."""
    p = H.HealingParams.calibrated()
    assert p.clearance > 0
    thin = H.heal_full_field("cheek", True, True, coagulum=5e-6).days
    thick = H.heal_full_field("cheek", True, True, coagulum=50e-6).days
    assert thick - thin == pytest.approx(45e-6 * p.clearance / H.DAY, rel=1e-9)
    skin = build_skin("cheek", 2)
    pos = np.array([[1e-3, 1e-3]])
    a = H.healing_for(skin, 300e-6, pattern=(pos, 2e-3, 150e-6), coagulum=5e-6).days
    b = H.healing_for(skin, 300e-6, pattern=(pos, 2e-3, 150e-6), coagulum=50e-6).days
    assert a == b


def test_scarring_depth_is_a_third_of_the_skin():
    """Dunkin et al. 2007: 0.56 mm, 33.1 % of the skin's thickness (lower end used)."""
    skin = build_skin("forearm", 2)
    assert H.scarring_depth(skin) == pytest.approx(0.313 * H.adnexa_depth(skin))
    assert 0.3 * 1.1e-3 < H.scarring_depth(skin) < 0.35 * 1.2e-3


def test_lower_adnexal_density_never_heals_faster():
    sites = ["cheek", "perioral", "chest", "forearm", "neck", "dorsal-hand", "forehead"]
    dens = [H.adnexal_density(s) for s in sites]
    days = [H.heal_full_field(s, True, True).days for s in sites]
    order = np.argsort(dens)
    for a, b in zip(order[:-1], order[1:], strict=True):
        assert days[b] <= days[a] + 1e-9


def test_deeper_or_wider_wounds_never_heal_faster():
    shallow = H.heal_full_field("cheek", True, True).days
    below_adnexa = H.heal_full_field("cheek", True, False).days
    assert below_adnexa > shallow
    pos = np.array([[1e-3, 1e-3]])
    d = [H.heal_pattern(pos, 2e-3, z, "cheek", False, params=P).days for z in (100e-6, 300e-6)]
    assert d[0] < d[1]


def test_fractional_heals_faster_than_full_field_of_same_depth():
    kw = {"skin": {"site": "cheek", "phototype": 2},
          "laser": {"source": "er:yag", "pulse_duration": "250 us"}}
    ff = simulate({**kw, "delivery": {"fluence": "12.5 J/cm^2"}}).summary
    fr = simulate({**kw, "delivery": {"mode": "fractional", "microbeam_diameter": "250 um",
                                      "pulse_energy": "1 mJ", "coverage": 0.1}}).summary
    assert fr["reepithelialization_days"] < ff["reepithelialization_days"]
    assert fr["wound_fraction"] < 1.0 == ff["wound_fraction"]


def test_summary_keys_range_and_remodeling():
    r = simulate({"skin": {"site": "cheek"}, "laser": {"source": "co2", "pulse_duration": "1 ms"},
                  "delivery": {"fluence": "7 J/cm^2", "passes": 2}})
    s = r.summary
    lo, hi = s["reepithelialization_days_range"]
    assert lo <= s["reepithelialization_days"] <= hi
    # 1-D: remodeling index = coagulated dermis thickness (mm) x 100 mm^2 per cm^2
    ds = r.dataset
    z = ds["z"].values
    names = ds["layer"].attrs["flag_meanings"].split()
    dermal = np.array([names[k] in ("papillary_dermis", "reticular_dermis")
                       for k in ds["layer"].values])
    floor = ds["surface_depth"].values[0]
    coag = (ds["damage_necrosis"].values[0] >= 1) & dermal & (z >= floor)
    thickness_mm = coag.sum() * float(ds.attrs["dz_m"]) * 1e3
    assert s["remodeling_index_mm3_per_cm2"] == pytest.approx(thickness_mm * 100, rel=1e-3)
    assert np.all(np.diff(ds["open_wound_fraction"].values) <= 1e-12)


def test_injury_below_adnexa_is_flagged():
    import dataclasses

    from dermalase.simulate.pipeline import healing_of, healing_warnings

    r = simulate({"skin": {"site": "cheek"}, "laser": {"source": "er:yag",
                  "pulse_duration": "250 us"}, "delivery": {"fluence": "12.5 J/cm^2"}})
    # deeper than the dermis (SI): no adnexa survive
    deep = dataclasses.replace(r.outcome, injury_depth=5e-3)
    _, hs = healing_of(deep, r.scenario)
    assert hs.adnexa_survive is False
    assert any("below the adnexa" in w for w in healing_warnings(deep, hs, r.scenario))
    assert hs.days > 10


def test_healing_figure(tmp_path):
    r = simulate({"skin": {"site": "cheek"},
                  "laser": {"source": "er:yag", "pulse_duration": "250 us"},
                  "delivery": {"fluence": "12.5 J/cm^2"}})
    healing_figure([r], tmp_path / "h.png")
    assert (tmp_path / "h.png").read_bytes()[:4] == b"\x89PNG"


@settings(max_examples=25, deadline=None)
@given(d1=st.floats(30e-6, 600e-6), d2=st.floats(30e-6, 600e-6),
       lag=st.floats(0.1, 2.0), c=st.floats(0.05, 0.5))
def test_wider_zone_never_heals_faster(d1, d2, lag, c):
    """Property (issue 4 invariant): for any front speed and lag, a wider isolated zone never
    closes sooner."""
    p = H.HealingParams(c=c * 1e-3 / H.DAY, lag=lag * H.DAY, closure=0.99)
    small, big = sorted((d1, d2))
    pos = np.array([[1e-3, 1e-3]])
    a = H.heal_pattern(pos, 2e-3, small, "cheek", False, pixel=5e-6, params=p).days
    b = H.heal_pattern(pos, 2e-3, big, "cheek", False, pixel=5e-6, params=p).days
    assert a <= b + 5e-6 / p.c / H.DAY  # one pixel of front travel


@settings(max_examples=25, deadline=None)
@given(site_a=st.sampled_from(["cheek", "perioral", "neck", "chest", "dorsal-hand",
                               "forearm"]),
       site_b=st.sampled_from(["cheek", "perioral", "neck", "chest", "dorsal-hand",
                               "forearm"]))
def test_lower_density_never_heals_faster_property(site_a, site_b):
    ha = H.heal_full_field(site_a, True, True)
    hb = H.heal_full_field(site_b, True, True)
    if H.adnexal_density(site_a) < H.adnexal_density(site_b):
        assert ha.days >= hb.days


SITES = ["cheek", "forehead", "periorbital", "perioral", "neck", "chest", "dorsal-hand",
         "forearm"]


@settings(max_examples=200, deadline=None)
@given(site=st.sampled_from(SITES), d1=st.floats(0.0, 2.5e-3), d2=st.floats(0.0, 2.5e-3),
       coag=st.floats(0.0, 200e-6), exponent=st.floats(1.0, 4.0),
       eccrine=st.floats(0.0, 1.0), corner=st.integers(0, 7))
def test_deeper_wound_never_heals_faster(site, d1, d2, coag, exponent, eccrine, corner):
    """Property (issue 31): on the same site, with the same coagulum, a deeper full-field wound
    never closes sooner, for any depth (from the surface to below the dermis), over the
    assumptions' ranges (depth exponent 1-4, eccrine weight 0-1) and the calibration corners.
    Deeper than the dermis it heals from the edges of the treated square."""
    skin = build_skin(site)
    p = H.HealingParams.corners(exponent, eccrine)[corner]
    shallow, deep = sorted((d1, d2))
    a = H.heal_full_field(site, True, shallow < H.adnexa_depth(skin), params=p, coagulum=coag,
                          dermis_fraction=H.depth_fraction(skin, shallow))
    b = H.heal_full_field(site, True, deep < H.adnexa_depth(skin), params=p, coagulum=coag,
                          dermis_fraction=H.depth_fraction(skin, deep))
    assert a.days <= b.days
    assert a.days_range[0] <= b.days_range[0] and a.days_range[1] <= b.days_range[1]


@settings(max_examples=100, deadline=None)
@given(site=st.sampled_from(SITES), d1=st.floats(0.0, 2.5e-3), d2=st.floats(0.0, 2.5e-3),
       c1=st.floats(0.0, 200e-6), c2=st.floats(0.0, 200e-6))
def test_deeper_and_thicker_coagulum_never_heals_faster_through_the_entry_point(site, d1, d2,
                                                                                 c1, c2):
    """The same property through ``healing_for`` (what simulate and the planner call): a wound
    at least as deep with at least as much coagulum never closes sooner."""
    skin = build_skin(site)
    (da, db), (ca, cb) = sorted((d1, d2)), sorted((c1, c2))
    assert H.healing_for(skin, da, coagulum=ca).days <= H.healing_for(skin, db, coagulum=cb).days


def test_healing_grows_with_depth_on_the_same_site():
    """Issue 31 must-show: on the cheek a wound through a quarter, half and three quarters of
    the dermis closes later and later (burn chapters: deeper partial-thickness burns take
    weeks, tissue-response.md sec. 5), and below the dermis it heals from its edges only."""
    skin = build_skin("cheek")
    top, thick = H.dermis_span(skin)
    days = [H.healing_for(skin, top + f * thick).days for f in (0.0, 0.25, 0.5, 0.75, 1.0)]
    assert all(a < b for a, b in zip(days, days[1:], strict=False)), days


LASERS = [("er:yag", "250 us"), ("co2", "1 ms"), ("er:yag", "1 ms")]


@settings(max_examples=int(__import__("os").environ.get("DERMALASE_HEAL_EXAMPLES", "12")),
          deadline=None)
@given(site=st.sampled_from(SITES), laser=st.sampled_from(LASERS),
       f1=st.floats(1.0, 25.0), f2=st.floats(1.0, 25.0), p1=st.integers(1, 3),
       p2=st.integers(1, 3))
def test_a_deeper_wound_from_the_same_laser_never_heals_sooner(site, laser, f1, f2, p1, p2):
    """Property (issue 31) through the whole chain: on the same site with the same laser and
    pulse, more fluence and more passes wound at least as deep, and a wound at least as deep
    with at least as thick a dermal coagulum never closes sooner (the law of
    dermalase.testing.laws.healing_law: a deeper wound whose necrotic layer is thinner may,
    docs/design.md 'Healing, depth and the coagulum'; this test once drew such a pair, Er:YAG
    on the cheek 79 -> 87 um with 5.52 -> 5.18 um of coagulum, 3.78 -> 3.75 d)."""
    from dermalase.testing.laws import Run, healing_law, wound

    src, tau = laser
    (fa, fb), (pa, pb) = sorted((f1, f2)), sorted((p1, p2))

    def run(f, p):
        r = simulate({"skin": {"site": site}, "laser": {"source": src, "pulse_duration": tau},
                      "delivery": {"fluence": f"{f} J/cm^2", "passes": p}})
        return r, wound(Run(r))
    (ra, a), (rb, b) = run(fa, pa), run(fb, pb)
    assert rb.summary["injury_depth_um"] >= ra.summary["injury_depth_um"] - 1e-9
    assert healing_law(a, b) == [], (ra.summary, rb.summary)
