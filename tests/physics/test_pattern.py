"""Fractional patterns: positions, spacing, injury fraction (analytic), superposition vs 3-D."""

import math

import numpy as np
import pytest

from dermalase.laser.fractional import Fractional
from dermalase.physics import pattern as P


def frac(**kw):
    base = dict(microbeam_diameter=120e-6, pulse_energy=0.02, pulse_duration=1e-3,
                density=200e4, area=1e-4)  # 200 /cm^2 over 1 cm^2
    base.update(kw)
    return Fractional(**base)


def test_grid_pitch_and_count():
    d = frac(density=400e4)  # 400 /cm^2 -> pitch 500 um -> 20 x 20 in 1 cm^2
    pos = P.positions(d)
    assert len(pos) == 400
    nn = P.nearest_neighbour_distances(pos)
    np.testing.assert_allclose(nn, 500e-6, rtol=1e-9)


def test_random_pattern_mean_spacing_poisson():
    """Uniform random points: E[nearest-neighbour distance] = 1/(2 sqrt(rho)) (Clark & Evans
    1954), edge effects aside; 2000 points give a standard error of ~1 %."""
    d = frac(pattern="random", density=2000e4, seed=3)
    nn = P.nearest_neighbour_distances(P.positions(d))
    assert np.mean(nn) == pytest.approx(0.5 / math.sqrt(d.density), rel=0.05)


def test_random_pattern_is_reproducible():
    d = frac(pattern="random", seed=7)
    np.testing.assert_array_equal(P.positions(d), P.positions(d))
    assert not np.array_equal(P.positions(d), P.positions(frac(pattern="random", seed=8)))


@pytest.mark.parametrize("ratio", [1.0, 1.5])
def test_injury_fraction_grid_equals_coverage_times_area_ratio(ratio):
    """No overlap: injured fraction = coverage x (d_MTZ / d_beam)^2 exactly, up to pixels."""
    d = frac(density=200e4)
    pos = P.positions(d)
    f = P.surface_injury_fraction(pos, ratio * d.microbeam_diameter, math.sqrt(d.area),
                                  pixel=5e-6)
    assert f == pytest.approx(d.coverage * ratio**2, rel=0.02)


def test_injury_fraction_random_matches_poisson_union():
    """Overlapping random discs: covered = 1 - (1 - a/A)^N (union of independent discs)."""
    d = frac(pattern="random", density=1500e4, seed=1)
    pos = P.positions(d)
    zd = 200e-6
    f = P.surface_injury_fraction(pos, zd, math.sqrt(d.area), pixel=5e-6)
    expected = 1 - (1 - math.pi * zd**2 / 4 / d.area) ** len(pos)
    assert f == pytest.approx(expected, rel=0.03)


def test_firing_times_raster_and_rate():
    d = frac(density=400e4, repetition_rate=250.0)
    pos = P.positions(d)
    t = P.firing_times(d, pos)
    assert sorted(t) == pytest.approx(np.arange(len(pos)) / 250.0)
    assert np.all(P.firing_times(frac(density=400e4), pos) == 0.0)


HEAT = P.ZoneHeat(Q=2e-3, L=500e-6, sigma0=80e-6, C=3.6e6, kappa=1.4e-7)


def test_line_source_conserves_energy():
    """The superposed field of one zone integrates to Q at any time (adiabatic surface)."""
    x = np.linspace(-3e-3, 3e-3, 241)
    z = np.linspace(0, 4e-3, 161)
    X, Y, Z = np.meshgrid(x, x, z, indexing="ij")
    pts = np.column_stack([X.ravel(), Y.ravel(), Z.ravel()])
    dT = P.temperature_rise(pts, np.zeros((1, 2)), np.zeros(1), np.array([0.05]), HEAT)
    vol = (x[1] - x[0]) ** 2 * (z[1] - z[0])
    # trapezoid-ish: the z = 0 plane carries half weight
    w = np.where(np.isclose(pts[:, 2], 0.0), 0.5, 1.0)
    assert np.sum(dT[:, 0] * w) * vol * HEAT.C == pytest.approx(HEAT.Q, rel=0.02)


def test_superposition_matches_direct_3d_tile():
    """Four zones fired in sequence on a 1.2 mm tile: superposed line sources against direct
    3-D conduction of the same injected fields (adiabatic tile faces ~ a periodic pattern's
    symmetry planes). Tolerance 5 % of the peak rise."""
    side, depth = 1.2e-3, 1.2e-3
    zones = np.array([[0.3e-3, 0.3e-3], [0.9e-3, 0.3e-3], [0.3e-3, 0.9e-3], [0.9e-3, 0.9e-3]])
    t_fire = np.array([0.0, 0.004, 0.008, 0.012])
    pts = np.array([[0.6e-3, 0.6e-3, 0.25e-3], [0.6e-3, 0.3e-3, 0.25e-3]])
    times = np.array([0.02, 0.05, 0.1])
    # mirror images across the tile faces make the superposition adiabatic there too
    images = []
    for sx in (-1, 0, 1):
        for sy in (-1, 0, 1):
            for zx, zy in zones:
                x = zx if sx == 0 else (-zx if sx < 0 else 2 * side - zx)
                y = zy if sy == 0 else (-zy if sy < 0 else 2 * side - zy)
                images.append([x, y])
    img = np.array(images)
    img_t = np.tile(t_fire, 9)
    sup = P.temperature_rise(pts, img, img_t, times, HEAT)
    ref = P.bulk_heating_3d_reference(zones, t_fire, HEAT, side, depth, pts, times, dx=20e-6)
    assert np.max(np.abs(sup - ref)) < 0.05 * ref.max()


def test_bulk_heating_rises_with_density_and_rate():
    """More zones per area, or the same zones fired faster, heat the bridges more."""
    def mean_rise(density, rate):
        d = frac(density=density, repetition_rate=rate, area=0.25e-4)
        pos = P.positions(d)
        return P.bulk_heating(pos, P.firing_times(d, pos), HEAT, math.sqrt(d.area)).mean_rise
    assert mean_rise(400e4, 500.0) > mean_rise(100e4, 500.0)
    assert mean_rise(400e4, 2000.0) > mean_rise(400e4, 200.0)
    # simultaneous firing (no rate) bounds every finite rate from above
    assert mean_rise(400e4, None) >= mean_rise(400e4, 2000.0)
