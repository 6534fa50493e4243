"""Deposition: the Beer-Lambert / Monte Carlo criterion checked with the transport engine, and
the Monte Carlo source in the solver (issue 5, non-ablative fractional)."""

import numpy as np
import pytest

from dermalase import Scenario
from dermalase.physics import deposition as D
from dermalase.physics import montecarlo as MC
from dermalase.physics.microchannel import run_channel, zone_geometry
from dermalase.tissue.model import build_skin

SKIN = build_skin("cheek", 2)


@pytest.mark.parametrize(("lam", "transport"), [(2940, False), (10600, False), (1550, True),
                                                (1927, True)])
def test_criterion(lam, transport):
    assert D.needs_transport(SKIN, lam) is transport


def test_beer_lambert_is_what_transport_gives_where_the_criterion_says_so():
    """At 2,940 nm (mus'/mua ~ 1e-4) the Monte Carlo absorbed profile of a wide beam in
    homogeneous epidermis-like tissue is the Beer-Lambert exponential: the fraction absorbed
    above 0.5, 1, 2 and 3 optical depths within 1 % (Fresnel loss removed)."""
    mua, mus, g, n = D.optical_properties(SKIN, 2940)[1]
    d = 5.0 / mua
    r = MC.run(MC.Medium((MC.Layer(n, mua, mus, g, d),), 1.0, 1.0), 200_000, beam="top-hat",
               radius=1e-3, dr=2e-3, nr=1, dz=0.05 / mua, nz=60, seed=4)
    zf = (np.arange(len(r.z)) + 1) * r.dz  # bottom face of each bin
    cum = np.cumsum(r.A_z) * r.dz
    for tau in (0.5, 1.0, 2.0, 3.0):
        k = int(round(tau / (mua * r.dz))) - 1
        expect = (1 - r.Rsp) * (1 - np.exp(-mua * zf[k]))
        assert cum[k] == pytest.approx(expect, rel=0.01), (tau, cum[k], expect)


def test_monte_carlo_source_conserves_energy_in_the_solver():
    sc = Scenario.from_dict({"skin": {"site": "cheek"},
                             "laser": {"source": "er:glass", "pulse_duration": "0.33 ms"},
                             "delivery": {"mode": "fractional", "microbeam_diameter": "60 um",
                                          "pulse_energy": "10 mJ", "density": "250 /cm^2"}})
    out = run_channel(sc.skin, sc.source, sc.delivery, sc.numerics, n_photons=50_000)
    e = out.passes[0].energy
    parts = (e["reflected"] + e["vaporized"] + e["ablated"] + e["retained_change"]
             + e["boundary"] + e["perfusion"] + e["transmitted"])
    assert parts == pytest.approx(e["delivered"], rel=1e-6)
    assert e["delivered"] == pytest.approx(0.010, rel=2e-3)
    g = zone_geometry(out)
    assert g.channel_depth == 0.0 and g.injury_depth > 100e-6 and g.max_width > 0


def test_non_ablative_zone_grows_with_energy():
    depths = []
    for e in (5, 10, 20):
        sc = Scenario.from_dict({"skin": {"site": "forearm"},
                                 "laser": {"source": "er:glass",
                                           "pulse_duration": f"{e / 30:.4f} ms"},
                                 "delivery": {"mode": "fractional", "microbeam_diameter": "60 um",
                                              "pulse_energy": f"{e} mJ",
                                              "density": "250 /cm^2"}})
        depths.append(zone_geometry(run_channel(sc.skin, sc.source, sc.delivery, sc.numerics,
                                                n_photons=50_000)).injury_depth)
    assert depths[0] < depths[1] < depths[2]


def test_full_field_non_ablative_is_refused_clearly():
    from dermalase import InputError

    with pytest.raises(InputError, match="laser.source"):
        Scenario.from_dict({"skin": {"site": "cheek"},
                            "laser": {"source": "er:glass", "pulse_duration": "1 ms"},
                            "delivery": {"fluence": "10 J/cm^2"}})
