"""Heat conduction (Pennes bioheat): readable reference solver and wrappers over the kernels.

.. math:: C\\,\\partial_t T = \\nabla\\cdot(k\\nabla T) + \\omega_b C_b (T_a - T) + q

Backward Euler in time, second-order finite volumes in space (harmonic-mean face
conductivities). The reference :func:`implicit_step_1d` (SciPy banded solve) is the test oracle
of the compiled kernels in :mod:`dermalase.physics._kernel`, which the simulator uses.

References
----------
Pennes HH. J Appl Physiol 1948;1:93-122.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import solve_banded

from . import _kernel as kernel
from .numerics import REST_TOLERANCE, window_margin
from .tallies import new_tally


def implicit_step_1d(T, C, k, dz, dt, *, top=("neumann", 0.0), bottom=("dirichlet", 37.0),
                     perfusion=None, Ta=37.0, theta=1.0):
    # 37 C defaults: the body temperature of data/constants.toml (Pennes 1948)
    """One theta-scheme step (theta = 1: backward Euler, 0.5: Crank-Nicolson) of 1-D conduction.

    Parameters
    ----------
    T : array
        Temperatures of the cells (C), cell 0 at the surface.
    C, k : array or float
        Volumetric heat capacity (J/m^3/K) and conductivity (W/m/K) of each cell.
    dz, dt : float
        Cell size (m), step (s).
    top, bottom : tuple
        ``("neumann", q)`` with q the heat flux into the tissue (W/m^2), or
        ``("dirichlet", T_wall)`` with the wall at the outer face of the end cell (C).
    perfusion : array, optional
        omega_b C_b per cell (W/m^3/K).
    """
    T = np.asarray(T, dtype=float)
    n = T.size
    C = np.broadcast_to(np.asarray(C, dtype=float), (n,))
    k = np.broadcast_to(np.asarray(k, dtype=float), (n,))
    P = np.zeros(n) if perfusion is None else np.broadcast_to(perfusion, (n,)).astype(float)
    g = 2.0 * k[1:] * k[:-1] / (k[1:] + k[:-1]) / dz**2  # interior face conductances / volume
    # operator L(T) = A T + s
    diag = np.zeros(n)
    lower = np.zeros(n)
    upper = np.zeros(n)
    s = P * Ta
    diag -= P
    diag[:-1] -= g
    diag[1:] -= g
    upper[:-1] = g
    lower[1:] = g
    for end, (kind, val) in ((0, top), (n - 1, bottom)):
        if kind == "dirichlet":
            gw = 2.0 * k[end] / dz**2
            diag[end] -= gw
            s[end] += gw * val
        elif kind == "neumann":
            s[end] += val / dz
        else:
            raise ValueError(f"boundary kind {kind!r}")
    AT = diag * T
    AT[1:] += lower[1:] * T[:-1]
    AT[:-1] += upper[:-1] * T[1:]
    rhs = C * T + dt * ((1 - theta) * AT + s)
    ab = np.zeros((3, n))
    ab[0, 1:] = -dt * theta * upper[:-1]
    ab[1] = C - dt * theta * diag
    ab[2, :-1] = -dt * theta * lower[1:]
    return solve_banded((1, 1), ab, rhs)


def conduct_kernel(T0, C, k, dz, dt, nsteps, *, rfaces=None, Ta=None):
    """Pure conduction with the simulator's compiled kernels (dry material, no ablation).

    ``T0`` has shape (nr, nz); nr = 1 is 1-D. Zero flux at the surface, r = 0 and r = R;
    T = Ta below the domain. Returns the temperature after ``nsteps`` steps of ``dt``.
    """
    from .. import data

    Ta = data.constant("body_temperature") if Ta is None else Ta
    T0 = np.atleast_2d(np.asarray(T0, dtype=float))
    nr, nz = T0.shape
    Cs = np.ascontiguousarray(np.broadcast_to(C, (nr, nz)), dtype=float).copy()
    ks = np.ascontiguousarray(np.broadcast_to(k, (nr, nz)), dtype=float).copy()
    H = Cs * T0
    phiw = np.zeros((nr, nz))
    perf = np.zeros((nr, nz))
    top = np.zeros(nr, dtype=np.int64)
    area = np.ones(nr)
    tally = new_tally()
    if rfaces is not None:
        rf = np.concatenate([rfaces, [2 * rfaces[-1] - rfaces[-2]]])
    rest = Cs * Ta  # the same windows as the solver's (physics/solver.py)
    tol = REST_TOLERANCE * float(Cs.max())
    margin = window_margin(float((ks / Cs).max()), dt, dz)
    ends = np.full(nr, H.shape[1], dtype=np.int64)  # the initial field may be warm anywhere
    no_cap = np.full(nr, H.shape[1], dtype=np.int64)
    for _ in range(nsteps):
        rows = kernel.conduct_z(H, phiw, Cs, ks, perf, top, 0.0, 0.0, 1e9, Ta, dt, dz, 1e9,
                                area, tally, rest, tol, margin, ends, no_cap)
        if nr > 1:
            kernel.conduct_r(H, phiw, Cs, ks, top, 0.0, 0.0, 1e9, dt, rf, 1e9, rows)
            np.maximum(ends, rows, out=ends)
    return H / Cs
