"""Verification ladder for heat conduction: analytic solutions and measured convergence order."""

import numpy as np
import pytest
from scipy.special import erfc

from dermalase.physics.thermal import conduct_kernel, implicit_step_1d
from dermalase.validation.analytic import (
    KAPPA,
    KAPPA_C,
    KAPPA_K,
    exp_profile_solution,
    fit_order,
    run_exp_case,
)


def test_exponential_profile_matches_analytic():
    err, T, exact = run_exp_case(dz=1e-6, dt=2e-6, t_end=2e-3)
    assert err < 0.01 * (exact.max() - 37.0)


def test_time_convergence_first_order():
    """Backward Euler: error ~ dt^1 (spatial error made negligible with dz = 0.5 um)."""
    dts = np.array([1e-4, 5e-5, 2.5e-5, 1.25e-5])
    errs = np.array([run_exp_case(0.5e-6, dt, 2e-3)[0] for dt in dts])
    order = fit_order(dts, errs)
    assert 0.85 < order < 1.15, order


def test_space_convergence_second_order():
    """Finite volumes: error ~ dz^2. Crank-Nicolson reference with tiny dt isolates space."""
    mu, A, t_end = 1.0 / 20e-6, 50.0, 1e-3
    errs, dzs = [], np.array([8e-6, 4e-6, 2e-6, 1e-6])
    for dz in dzs:
        n = int(round(800e-6 / dz))
        # point values at centres: the analytic initial condition sampled (not cell averages)
        z = (np.arange(n) + 0.5) * dz
        T = 37.0 + A * np.exp(-mu * z)
        steps = 400
        for _ in range(steps):
            T = implicit_step_1d(T, KAPPA_C, KAPPA_K, dz, t_end / steps, theta=0.5)
        errs.append(np.max(np.abs(T - 37.0 - exp_profile_solution(z, t_end, mu, A))))
    order = fit_order(dzs, np.array(errs))
    assert 1.8 < order < 2.2, order


def test_surface_flux_semi_infinite():
    """Constant flux q0 into a half-space: T - Ti = (2 q0/k) sqrt(kt) ierfc(z / 2 sqrt(kt)),
    ierfc(x) = exp(-x^2)/sqrt(pi) - x erfc(x) (Carslaw & Jaeger 1959, sec. 2.9)."""
    q0, dz, t_end, n = 1e5, 2e-6, 0.05, 1000
    T = np.full(n, 37.0)
    steps = 500
    for _ in range(steps):
        T = implicit_step_1d(T, KAPPA_C, KAPPA_K, dz, t_end / steps, top=("neumann", q0),
                             theta=0.5)
    z = (np.arange(n) + 0.5) * dz
    x = z / (2 * np.sqrt(KAPPA * t_end))
    ierfc = np.exp(-x * x) / np.sqrt(np.pi) - x * erfc(x)
    exact = 37.0 + 2 * q0 / KAPPA_K * np.sqrt(KAPPA * t_end) * ierfc
    assert np.max(np.abs(T - exact)) < 0.005 * (exact[0] - 37.0)


def test_kernel_matches_reference_oracle(rng):
    """The compiled 1-D kernel equals the readable reference (backward Euler), layered k, C."""
    n, dz, dt = 300, 1e-6, 1e-5
    C = rng.uniform(2e6, 4e6, n)
    k = rng.uniform(0.2, 0.6, n)
    T0 = 37.0 + 40.0 * rng.random(n)
    ref = T0.copy()
    for _ in range(20):
        ref = implicit_step_1d(ref, C, k, dz, dt)
    got = conduct_kernel(T0[None, :], C, k, dz, dt, 20)[0]
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-9)


@pytest.mark.parametrize("t_end", [2e-4, 1e-3])
def test_axisymmetric_gaussian_source(t_end):
    """Instantaneous Gaussian source at the surface of a half-space (adiabatic surface is its
    own mirror): dT = A (s0^2/(s0^2 + 2 kt))^{3/2} exp(-(r^2+z^2)/(2 (s0^2 + 2 kt)))."""
    s0, A = 20e-6, 40.0
    dz = dr = 1.5e-6
    nz, nr = 120, 120
    z = (np.arange(nz) + 0.5) * dz
    rfaces = np.arange(nr + 1) * dr
    r = 0.5 * (rfaces[1:] + rfaces[:-1])
    R, Z = np.meshgrid(r, z, indexing="ij")
    T0 = 37.0 + A * np.exp(-(R**2 + Z**2) / (2 * s0**2))
    steps = 400
    T = conduct_kernel(T0, KAPPA_C, KAPPA_K, dz, t_end / steps, steps, rfaces=rfaces)
    s2 = s0**2 + 2 * KAPPA * t_end
    exact = 37.0 + A * (s0**2 / s2) ** 1.5 * np.exp(-(R**2 + Z**2) / (2 * s2))
    assert np.max(np.abs(T - exact)) < 0.02 * (exact.max() - 37.0)


def test_energy_conserved_without_losses():
    """Adiabatic column far from the bottom: total enthalpy constant to round-off."""
    n, dz = 400, 1e-6
    T0 = np.full(n, 37.0)
    T0[:20] = 90.0
    T = conduct_kernel(T0[None, :], KAPPA_C, KAPPA_K, dz, 1e-5, 30)[0]
    assert abs(np.sum(T - 37.0) - np.sum(T0 - 37.0)) < 1e-9 * np.sum(T0 - 37.0)


@pytest.mark.parametrize("case", ["co2-1d-two-passes", "er-yag-channel-stacked"])
def test_search_for_the_window_from_the_known_rest_row_changes_nothing(case):
    """Each step looks for the deepest cell not at rest from the row where the tissue is
    known to be at rest (``State.reach``: the last window, raised by the deposit and by radial
    sweeps) instead of from the domain's bottom (issue 18). Starting every search from the
    bottom must give bit-identical fields: otherwise the known-rest row was wrong somewhere."""
    import dataclasses

    from dermalase import Scenario
    from dermalase.physics.constants import PhysicalConstants
    from dermalase.physics.microchannel import channel_setup
    from dermalase.physics.solver import SpotSolver

    if case == "co2-1d-two-passes":
        sc = Scenario.from_dict({"skin": {"site": "cheek"},
                                 "laser": {"source": "co2", "pulse_duration": "1 ms"},
                                 "delivery": {"fluence": "7 J/cm^2", "passes": 2}})
        num, spot = sc.numerics, sc.delivery
    else:
        sc = Scenario.from_dict({"skin": {"site": "cheek"},
                                 "laser": {"source": "er:yag", "pulse_duration": "250 us"},
                                 "delivery": {"mode": "fractional", "pulse_energy": "2 mJ",
                                              "microbeam_diameter": "250 um", "stack": 3,
                                              "coverage": 0.1}})
        num, _ = channel_setup(sc.skin, sc.source, sc.delivery, sc.numerics,
                               PhysicalConstants.from_data())
        spot = sc.delivery.as_spot()
    num = dataclasses.replace(num, parallel="never")

    class FromTheBottom(SpotSolver):
        def step(self, st, dt, fluence, confined):
            st.reach[:] = st.H.shape[1]
            super().step(st, dt, fluence, confined)

    k = PhysicalConstants.from_data()
    a = SpotSolver(sc.skin, sc.source, spot, num, k).run()
    b = FromTheBottom(sc.skin, sc.source, spot, num, k).run()
    assert a.steps == b.steps
    np.testing.assert_array_equal(a.top, b.top)
    np.testing.assert_array_equal(a.tmax, b.tmax)
    for name in a.omega:
        np.testing.assert_array_equal(a.omega[name], b.omega[name])
    np.testing.assert_array_equal(a.snapshots, b.snapshots)
