"""Compiled kernels (numba) for one time step of the coupled ablation-conduction model.

The state lives on an (nr, nz) grid of cells: nr = 1 is the 1-D (wide spot) model, nr > 1 the
axisymmetric r-z model. Private module: the public API is :mod:`dermalase.physics.solver`.
The pure-NumPy reference for the conduction step is
:func:`dermalase.physics.thermal.implicit_step_1d`.

Energy variable: volumetric enthalpy H (J/m^3) with H = C T below boiling, where
C = C_solid + phi_w C_water follows the current water volume fraction phi_w.

Two plateaus bound the temperature (docs/design.md, "Dry tissue and the temperature bound"):
a wet cell (phi_w > 0) is pinned at the boiling temperature ``Tb`` the caller passes (1 atm,
confined, or the spinodal during the ejection delay) while its water boils off; a dry cell
(phi_w = 0) heats on its solid part alone until ``Td``, the decomposition temperature of
desiccated tissue, where it is pinned until it decomposes and leaves
(:func:`vaporize_and_eject`).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from .tallies import Tally

# tally slots as plain ints (numba folds module-level ints into the compiled code)
ABSORBED = int(Tally.ABSORBED)
VAPORIZED = int(Tally.VAPORIZED)
ABLATED = int(Tally.ABLATED)
BOUNDARY = int(Tally.BOUNDARY)
PERFUSION = int(Tally.PERFUSION)
TRANSMITTED = int(Tally.TRANSMITTED)
PLUME = int(Tally.PLUME)


@njit(cache=True, nogil=True)
def thomas(lower, diag, upper, rhs, out, n):
    """Solve a tridiagonal system of size n in place (Thomas algorithm)."""
    cp = np.empty(n)
    dp = np.empty(n)
    cp[0] = upper[0] / diag[0]
    dp[0] = rhs[0] / diag[0]
    for i in range(1, n):
        m = diag[i] - lower[i] * cp[i - 1]
        cp[i] = upper[i] / m
        dp[i] = (rhs[i] - lower[i] * dp[i - 1]) / m
    out[n - 1] = dp[n - 1]
    for i in range(n - 2, -1, -1):
        out[i] = dp[i] - cp[i] * out[i + 1]


@njit(cache=True, inline="always")
def _plateau(phiw, Tb, Td):
    """The phase-change temperature of a cell: boiling while it holds water, decomposition of
    the solid once it is dry."""
    return Tb if phiw > 0.0 else Td


@njit(cache=True, inline="always")
def _linear_T(H, phiw, Cs, Cw, Tb, Td):
    """Temperature as a linear function of H near the current state: T = a H + b (a = 0 on
    the plateau of the cell's phase change: boiling at ``Tb`` while wet, decomposition at
    ``Td`` once dry)."""
    C = Cs + phiw * Cw
    Tp = _plateau(phiw, Tb, Td)
    if H >= C * Tp:
        return 0.0, Tp
    return 1.0 / C, 0.0


@njit(cache=True, inline="always")
def _unpin_cooled(a, b, sol, Cs_line, phiw_line, Cw, Tb, Td):
    """After an implicit solve: a cell pinned on its plateau (a = 0) whose enthalpy fell below
    it is switched to sensible heat (otherwise it would act as a 100 C source over long
    steps). Arrays are aligned views of one line of cells. Returns True if any cell changed."""
    changed = False
    for m in range(sol.shape[0]):
        C = Cs_line[m] + phiw_line[m] * Cw
        if a[m] == 0.0 and sol[m] < C * _plateau(phiw_line[m], Tb, Td) * (1.0 - 1e-12):
            a[m] = 1.0 / C
            b[m] = 0.0
            changed = True
    return changed


@njit(cache=True, nogil=True)
def temperature(H, phiw, Cs, Cw, Tb, Td, out, ends):
    """``out`` = T(H) in the first ``ends[i]`` rows of each column i (below them the tissue is
    at rest and unchanged since ``out`` was last computed there: the windows
    :func:`conduct_z` solved, or every row; ``out`` keeps its values, within 1 µK of rest)."""
    nr = H.shape[0]
    for i in range(nr):
        for j in range(min(H.shape[1], ends[i])):
            a, b = _linear_T(H[i, j], phiw[i, j], Cs[i, j], Cw, Tb, Td)
            out[i, j] = a * H[i, j] + b


@njit(cache=True, inline="always")
def _bleach(T, beta, T_ref, T_lin, floor):
    """mua_w(T) / mua_w(tabulated) of water at temperature ``T`` (C): linear with the relative
    derivative ``beta`` (1/K) about ``T_ref`` up to ``T_lin``, never below ``floor``
    (data/constants.toml ``water_absorption_temperature``; issue 31 item 1)."""
    if T > T_lin:
        T = T_lin
    f = 1.0 + beta * (T - T_ref)
    return f if f > floor else floor


@njit(cache=True, nogil=True)
def deposit(H, phiw, mua_other, top, fluence_step, mua_w, dz, area, tally, reach, T, beta,
            T_ref, T_lin, floor):
    """Beer-Lambert deposition of ``fluence_step[i]`` (J/m^2) into column i from its surface.

    Each cell gets the exact integral of the exponential over its thickness, so the energy
    deposited is conserved whatever dz. Tallies: absorbed and transmitted (J). ``reach[i]``
    is raised to the end of the cells it heated (the rows below are untouched). The water of
    each cell absorbs at its temperature ``T`` (C) at the start of the step (:func:`_bleach`;
    ``beta`` = 0: the tabulated value).
    """
    nr, nz = H.shape
    for i in range(nr):
        e = fluence_step[i]
        if e <= 0.0:
            continue
        e0 = e
        j = top[i]
        while j < nz:
            mw = mua_w
            if beta != 0.0:
                mw = mua_w * _bleach(T[i, j], beta, T_ref, T_lin, floor)
            att = math.exp(-(phiw[i, j] * mw + mua_other[i, j]) * dz)
            absorbed = e * (1.0 - att)
            H[i, j] += absorbed / dz
            e -= absorbed
            j += 1
            if e < 1e-14 * e0:
                break
        if j > reach[i]:
            reach[i] = j
        tally[ABSORBED] += (e0 - e) * area[i]
        tally[TRANSMITTED] += e * area[i]


@njit(cache=True, nogil=True)
def lambert_w(s):
    """Principal branch of the Lambert W function for s >= 0 (Newton on w e^w = s)."""
    if s <= 0.0:
        return 0.0
    w = math.log1p(s) if s < 3.0 else math.log(s) - math.log(math.log(s))
    for _ in range(50):
        ew = math.exp(w)
        f = w * ew - s
        dw = f / (ew * (w + 1.0))
        w -= dw
        if abs(dw) <= 1e-13 * (1.0 + abs(w)):
            break
    return w


@njit(cache=True, nogil=True)
def shield(fluence_step, top, dz, dt, plume_z, area, tally):
    """Attenuate the beam of each column by the ablation plume in its crater (in place).

    Ejecta rise up column i at speed u, so its crater of depth d holds, per unit area, the
    tissue ablated over the last d/u: optical depth tau = f mua v d / u, with v the recession
    speed, which the shielded beam sets: v = I exp(-tau) / h_abl. The fixed point is
    tau = W(s), s = plume_z[j] * I * d with plume_z = f mua / (h_abl u) of the floor cell j, so
    the transmitted fraction is W(s)/s (physics/ablation.py, plume_transmission). The plume
    tally gains the energy absorbed by the plume (J), which leaves with it.
    """
    nr = fluence_step.shape[0]
    nz = plume_z.shape[0]
    for i in range(nr):
        e = fluence_step[i]
        if e <= 0.0 or top[i] == 0:
            continue
        j = min(top[i], nz - 1)
        s = plume_z[j] * (e / dt) * top[i] * dz
        if s < 1e-12:
            continue
        trans = lambert_w(s) / s
        tally[PLUME] += e * (1.0 - trans) * area[i]
        fluence_step[i] = e * trans


@njit(cache=True, nogil=True)
def _window(i, H, H_rest, t0, tolH, margin, bound):
    """End (exclusive) of the rows of column i that conduction must solve: the deepest cell
    whose enthalpy differs from its rest value by more than ``tolH``, plus ``margin`` cells
    (``tolH`` <= 0: the whole column). Rows from ``bound`` down are known to be at rest."""
    nz = H.shape[1]
    if tolH <= 0.0:
        return nz
    jd = min(nz, bound) - 1
    while jd >= t0 and abs(H[i, jd] - H_rest[i, jd]) <= tolH:
        jd -= 1
    return min(nz, max(jd, t0) + 1 + margin)


@njit(cache=True, nogil=True, inline="always")
def _line_arrays(n):
    """Work arrays of one implicit line solve: the three diagonals, the right-hand side, the
    solution, the linearization T = a H + b and the conductivity."""
    return (np.empty(n), np.empty(n), np.empty(n), np.empty(n), np.empty(n), np.empty(n),
            np.empty(n), np.empty(n))


@njit(cache=True, nogil=True)
def _conduct_column(i, H, phiw, Cs, ks, perf, top, Cw, kw, Tb, Ta, dt, dz, Td, area,
                    inv_dz2, H_rest, tolH, margin, ends, cap, below):
    """One column of :func:`conduct_z`; returns (J perfused, J conducted out of the bottom,
    the end of the rows solved). ``below``: the rows deferred under ``cap[i]`` instead (from
    the row above the cap, whose upper face is left out; perfusion from the cap down)."""
    nz = H.shape[1]
    t0 = top[i]
    p0 = t0
    if below:
        t0 = max(t0, cap[i] - 1)
        p0 = max(t0, cap[i])
    if nz - t0 <= 0:
        return 0.0, 0.0, t0
    jw = _window(i, H, H_rest, t0, tolH, margin, nz if below else ends[i])
    if not below:
        jw = max(min(jw, cap[i]), t0 + 1)
    n = jw - t0
    # work arrays of the window only (index m = j - t0): the column may be far deeper
    lo, di, up, rhs, sol, a, b, k = _line_arrays(n)
    g = np.zeros(n + 1)  # g[m]: conductance of the face above cell m
    for m in range(n):
        a[m], b[m] = _linear_T(H[i, t0 + m], phiw[i, t0 + m], Cs[i, t0 + m], Cw, Tb, Td)
        k[m] = ks[i, t0 + m] + phiw[i, t0 + m] * kw
    for m in range(1, n):
        g[m] = 2.0 * k[m] * k[m - 1] / (k[m] + k[m - 1]) * inv_dz2
    if jw == nz:
        g[n] = 2.0 * k[n - 1] * inv_dz2  # Dirichlet ghost at dz/2
    # else: the bottom of a window, where the tissue is at rest: no flux (conservative)
    for _it in range(50):
        for m in range(n):
            j = t0 + m
            gm = g[m]
            gp = g[m + 1]
            p = perf[i, j] if j >= p0 else 0.0
            di[m] = 1.0 + dt * (gm + gp + p) * a[m]
            lo[m] = -dt * gm * a[m - 1] if m > 0 else 0.0
            up[m] = -dt * gp * a[m + 1] if m < n - 1 else 0.0
            r = H[i, j] + dt * p * (Ta - b[m])
            if m > 0:
                r += dt * gm * (b[m - 1] - b[m])
            if m < n - 1:
                r += dt * gp * (b[m + 1] - b[m])
            elif j == nz - 1:
                r += dt * gp * (Ta - b[m])
            rhs[m] = r
        thomas(lo, di, up, rhs, sol, n)
        if not _unpin_cooled(a, b, sol, Cs[i, t0:jw], phiw[i, t0:jw], Cw, Tb, Td):
            break
    perf_sum = 0.0
    for m in range(n):
        j = t0 + m
        H[i, j] = sol[m]
        T = a[m] * sol[m] + b[m]
        if j >= p0:
            perf_sum += perf[i, j] * (T - Ta) * dt * dz * area[i]
    if jw < nz:  # the bottom face was not solved: nothing crossed it
        return perf_sum, 0.0, jw
    jb = nz - 1
    ab, bb = _linear_T(H[i, jb], phiw[i, jb], Cs[i, jb], Cw, Tb, Td)
    Tb_cell = ab * H[i, jb] + bb
    return perf_sum, 2.0 * (ks[i, jb] + phiw[i, jb] * kw) / dz * (Tb_cell - Ta) * dt * area[i], jw


@njit(cache=True, nogil=True)
def _add_losses(tally, perf_out, bottom_out):
    """Add the per-column losses in column order (a serial loop: a parallel function would
    turn ``sum()`` into a reduction whose order depends on the threads)."""
    p = 0.0
    b = 0.0
    for i in range(perf_out.shape[0]):
        p += perf_out[i]
        b += bottom_out[i]
    tally[PERFUSION] += p
    tally[BOUNDARY] += b


_CONDUCT_Z_DOC = """Implicit (backward Euler) conduction + Pennes perfusion along z, per column.

    Zero flux at the current surface (top alive cell), T = Ta at a ghost cell below the domain.
    Only the rows down to ``margin`` cells below the deepest cell whose enthalpy differs from
    ``H_rest`` by more than ``tolH`` are solved, with no flux through the bottom of that window
    (energy is conserved exactly); below, the tissue is at rest and conduction changes nothing
    that matters (``tolH`` <= 0: every row). No window reaches below ``cap[i]`` (int64, one
    per column): the rows from there are deferred (warm tissue under a pulse, solved once for
    the time they waited by the call with ``below=True``, which solves the row above the cap
    and every row under it, leaving out the face above that row: each face is solved once).
    ``ends`` (int64, one per column) comes in as the row of each column from which the tissue
    is known to be at rest (the search for the deepest cell not at rest starts there) and
    leaves as the end of the column's window; returns the deepest end (rows beyond it are at
    rest in every column, or wait under the cap).
    The enthalpy is linearized around the current state (T = aH + b; a = 0 on the boiling
    plateau at ``Tb`` of a wet cell and on the decomposition plateau at ``Td`` of a dry one),
    which keeps the scheme conservative and unconditionally stable. Serial; the
    ``_parallel`` twin splits the columns over threads (same result: the per-column sums are
    added in the same order).
    """


@njit(cache=True, nogil=True)
def conduct_z(H, phiw, Cs, ks, perf, top, Cw, kw, Tb, Ta, dt, dz, Td, area, tally,
              H_rest, tolH, margin, ends, cap, below=False):
    nr = H.shape[0]
    inv_dz2 = 1.0 / (dz * dz)
    perf_out = np.zeros(nr)
    bottom_out = np.zeros(nr)
    for i in range(nr):
        perf_out[i], bottom_out[i], ends[i] = _conduct_column(
            i, H, phiw, Cs, ks, perf, top, Cw, kw, Tb, Ta, dt, dz, Td, area, inv_dz2,
            H_rest, tolH, margin, ends, cap, below)
    _add_losses(tally, perf_out, bottom_out)
    return ends.max()


@njit(cache=True, parallel=True, nogil=True)
def conduct_z_parallel(H, phiw, Cs, ks, perf, top, Cw, kw, Tb, Ta, dt, dz, Td, area,
                       tally, H_rest, tolH, margin, ends, cap, below=False):
    nr = H.shape[0]
    inv_dz2 = 1.0 / (dz * dz)
    perf_out = np.zeros(nr)
    bottom_out = np.zeros(nr)
    for i in prange(nr):  # columns are independent: one per thread
        perf_out[i], bottom_out[i], ends[i] = _conduct_column(
            i, H, phiw, Cs, ks, perf, top, Cw, kw, Tb, Ta, dt, dz, Td, area, inv_dz2,
            H_rest, tolH, margin, ends, cap, below)
    _add_losses(tally, perf_out, bottom_out)
    return ends.max()


conduct_z.__doc__ = conduct_z_parallel.__doc__ = _CONDUCT_Z_DOC


@njit(cache=True, nogil=True)
def _conduct_row(j, H, phiw, Cs, ks, top, Cw, kw, Tb, dt, rfaces, Td):
    """One row of :func:`conduct_r`."""
    nr = H.shape[0]
    lo, di, up, rhs, sol, a, b, k = _line_arrays(nr)
    alive = np.empty(nr, dtype=np.bool_)
    for i in range(nr):
        alive[i] = j >= top[i]
        a[i], b[i] = _linear_T(H[i, j], phiw[i, j], Cs[i, j], Cw, Tb, Td)
        k[i] = ks[i, j] + phiw[i, j] * kw
    gms = np.zeros(nr)  # conductances of each ring's inner and outer faces
    gps = np.zeros(nr)
    for i in range(nr):
        if not alive[i]:
            continue
        r_in = rfaces[i]
        r_out = rfaces[i + 1]
        vol = r_out * r_out - r_in * r_in
        dr_out = 0.5 * (rfaces[i + 2] - rfaces[i]) if i < nr - 1 else 1.0
        dr_in = 0.5 * (rfaces[i + 1] - rfaces[i - 1]) if i > 0 else 1.0
        if i > 0 and alive[i - 1]:
            gms[i] = 2.0 * k[i] * k[i - 1] / (k[i] + k[i - 1]) * 2.0 * r_in / (dr_in * vol)
        if i < nr - 1 and alive[i + 1]:
            gps[i] = 2.0 * k[i] * k[i + 1] / (k[i] + k[i + 1]) * 2.0 * r_out / (dr_out * vol)
    for _it in range(50):
        for i in range(nr):
            if not alive[i]:
                lo[i] = 0.0
                up[i] = 0.0
                di[i] = 1.0
                rhs[i] = H[i, j]
                continue
            gm = gms[i]
            gp = gps[i]
            di[i] = 1.0 + dt * (gm + gp) * a[i]
            lo[i] = -dt * gm * a[i - 1] if i > 0 else 0.0
            up[i] = -dt * gp * a[i + 1] if i < nr - 1 else 0.0
            r = H[i, j]
            if gm > 0.0:
                r += dt * gm * (b[i - 1] - b[i])
            if gp > 0.0:
                r += dt * gp * (b[i + 1] - b[i])
            rhs[i] = r
        thomas(lo, di, up, rhs, sol, nr)
        # ablated cells have identity rows (sol = H), so they are never unpinned
        if not _unpin_cooled(a, b, sol, Cs[:, j], phiw[:, j], Cw, Tb, Td):
            break
    for i in range(nr):
        H[i, j] = sol[i]


_CONDUCT_R_DOC = """Implicit radial conduction per row (axisymmetric), zero flux at r = 0, r = R
    and at ablated (empty) cells; the first ``rows`` rows (below them the tissue is at rest:
    what :func:`conduct_z` returns). Operator-split with :func:`conduct_z` (Lie splitting).
    Serial; the ``_parallel`` twin splits the rows over threads (same result)."""


@njit(cache=True, nogil=True)
def conduct_r(H, phiw, Cs, ks, top, Cw, kw, Tb, dt, rfaces, Td, rows):
    for j in range(rows):
        _conduct_row(j, H, phiw, Cs, ks, top, Cw, kw, Tb, dt, rfaces, Td)


@njit(cache=True, parallel=True, nogil=True)
def conduct_r_parallel(H, phiw, Cs, ks, top, Cw, kw, Tb, dt, rfaces, Td, rows):
    for j in prange(rows):  # rows are independent: one per thread
        _conduct_row(j, H, phiw, Cs, ks, top, Cw, kw, Tb, dt, rfaces, Td)


conduct_r.__doc__ = conduct_r_parallel.__doc__ = _CONDUCT_R_DOC


@njit(cache=True, nogil=True)
def _boiling_segment(i, H, phiw, vap, Cs, top, Cw, Tb, v_crit, T_dry, h_dry):
    """The end of the boiling segment column i ejects, and the vapor made beyond its need:
    walk down from the surface and eject as soon as the vapor made in this pass reaches
    (1 - f_res) of its initial water (a thin, nearly dry crust goes with the boiling tissue
    under it); decomposed dry cells go at once. A crust that an earlier pulse left dry (no
    water, no vapor made in this pulse, not decomposed) asks for no vapor of its own: the steam
    of the wet tissue under it ruptures it (Thomsen S et al., Proc SPIE 1991;1422), so it goes
    with that tissue instead of diluting its vapor (issue 31 item 6: a desiccated crust blocked
    ejection, and more fluence ablated less). Tissue that boils in this pulse, water-poor or
    not, asks (1 - f_res) of the epidermis' water per cell, as before: a water-poor layer
    (stratum corneum) goes only with wetter tissue under it."""
    nz = H.shape[1]
    j = top[i]
    new_top = top[i]
    surplus = 0.0
    made = 0.0
    need = 0.0
    while j < nz:
        w = phiw[i, j]
        if w <= 0.0:
            if H[i, j] >= Cs[i, j] * T_dry + h_dry:
                new_top = j + 1
                made = 0.0
                need = 0.0
                j += 1
                continue
            if vap[i, j] <= 0.0:  # a crust from an earlier pulse: the steam under it
                j += 1            # ruptures it; it asks for no vapor of its own
                continue
        elif H[i, j] < (Cs[i, j] + w * Cw) * Tb * (1.0 - 1e-12):
            break  # below boiling: no vapor pressure here
        made += vap[i, j]
        need += v_crit
        if made >= need * (1.0 - 1e-12):
            new_top = j + 1
            surplus = made - need
            made = 0.0
            need = 0.0
        j += 1
    return new_top, surplus


@njit(cache=True, nogil=True)
def vaporize_and_eject(H, H0, phiw, vap, Cs, top, Cw, rhoL, Tb, v_crit, T_dry, h_dry, eject_wet,
                       remove_dry, dz, area, tally, rows):
    """Boil off water above the boiling plateau; remove decomposed dry tissue; eject surface
    cells.

    A wet cell with H > C Tb loses d(phi) = (H - C Tb) / (rho_w L_v) of water (the vapor
    leaves, carrying latent and sensible heat); ``vap`` accumulates the water boiled off in the
    current pass. A cell that has lost all its water is dry: it heats on its solid part until
    ``T_dry`` and has decomposed once it holds ``h_dry`` (J/m^3) more, H >= Cs T_dry + h_dry.

    ``eject_wet`` (ablative lasers): the boiling segment under the surface is ejected when the
    vapor it made in this pass reaches ``v_crit`` per cell (a volume fraction: explosive
    removal needs that much vapor); water-poor tissue (stratum corneum, a desiccated floor)
    cannot make it alone and goes with the wetter tissue under it; a dry crust asks for none
    (:func:`_boiling_segment`).
    ``remove_dry``: a decomposed dry cell is gas, not tissue: it leaves, and so does every cell
    above it in its column (its gas ruptures the tissue over it), however the tissue came to be
    dry: on an ablative crater floor, or under the intact surface of a non-ablative zone
    heated past boiling. Neither during the ejection delay (both False: boiling only, the
    material stays until the delay ends).
    Tallies: vaporized (vapor energy) and ablated (ejected energy relative to the initial
    state). Only the first ``rows`` rows can boil (below them the tissue is at rest).
    Returns the number of cells ejected.
    """
    nr, nz = H.shape
    ejected = 0
    for i in range(nr):
        deepest_dry = -1  # the deepest decomposed dry cell of the column
        for j in range(top[i], min(nz, rows)):
            w = phiw[i, j]
            if w > 0.0:
                C = Cs[i, j] + w * Cw
                excess = H[i, j] - C * Tb
                if excess > 0.0:
                    d = excess / rhoL
                    if d > w:
                        d = w
                    e = d * (rhoL + Cw * Tb)
                    H[i, j] -= e
                    w = w - d
                    phiw[i, j] = w
                    vap[i, j] += d
                    tally[VAPORIZED] += e * dz * area[i]
            if w <= 0.0 and H[i, j] >= Cs[i, j] * T_dry + h_dry:
                deepest_dry = j
        new_top = top[i]
        surplus = 0.0
        if eject_wet:
            new_top, surplus = _boiling_segment(i, H, phiw, vap, Cs, top, Cw, Tb, v_crit,
                                                T_dry, h_dry)
        if remove_dry and deepest_dry + 1 > new_top:
            new_top = deepest_dry + 1
            surplus = 0.0  # the segment that made it did not end the column's removal
        # Water boiled beyond the need of the ejected segment was heated by light that, had the
        # segment left on time, would have reached the cell below: hand that energy on, so the
        # result does not depend on the step size.
        if new_top > top[i] and new_top < nz and surplus > 0.0:
            e = surplus * (rhoL + Cw * Tb)
            H[i, new_top] += e
            tally[VAPORIZED] -= e * dz * area[i]
        for j in range(top[i], new_top):
            tally[ABLATED] += (H[i, j] - H0[i, j]) * dz * area[i]
        ejected += new_top - top[i]
        top[i] = new_top
    return ejected


@njit(cache=True, nogil=True)
def _damage_column(i, T_old, T_new, top, lnA, Ea, R, dt, T_skip, rate, omega, Tmax, ends,
                   first=0):
    """One column of :func:`accumulate_damage` (rows from ``first``)."""
    nz = min(T_new.shape[1], ends[i])
    ns = lnA.shape[0]
    for j in range(first, min(top[i], nz)):  # ablated cells: the temperature only
        T_old[i, j] = T_new[i, j]
    for j in range(max(top[i], first), nz):
        T_old[i, j] = T_new[i, j]
        t2 = T_new[i, j]
        if t2 > Tmax[i, j]:
            Tmax[i, j] = t2
        if t2 <= T_skip and T_old[i, j] <= T_skip:
            for s in range(ns):
                rate[s, i, j] = 0.0
            continue
        tk = t2 + 273.15
        for s in range(ns):
            k2 = math.exp(lnA[s] - Ea[s] / (R * tk))
            omega[s, i, j] += 0.5 * dt * (rate[s, i, j] + k2)
            rate[s, i, j] = k2


_DAMAGE_DOC = """Arrhenius integral, trapezoid in time: Omega += dt/2 (k(T_old) + k(T_new)),
    k(T) = A exp(-Ea / (R T)), T in kelvin; ``rate`` keeps k(T_old) from the previous step.
    Cells at or below ``T_skip`` (C) contribute less than 1e-4 over the whole run (the caller
    derives it; the Omega = 1 boundaries are unaffected) and are not evaluated, nor are the
    rows of column i from ``ends[i]`` down (at rest, unchanged since the last step: the
    windows :func:`conduct_z` solved, or every row). Also tracks the peak temperature (C), and
    leaves ``T_old`` = ``T_new`` in the rows it visits (the caller's next step starts there;
    elsewhere the two are already equal)."""


@njit(cache=True, nogil=True)
def accumulate_damage(T_old, T_new, top, lnA, Ea, R, dt, T_skip, rate, omega, Tmax, ends):
    for i in range(T_new.shape[0]):
        _damage_column(i, T_old, T_new, top, lnA, Ea, R, dt, T_skip, rate, omega, Tmax, ends)


@njit(cache=True, parallel=True, nogil=True)
def accumulate_damage_parallel(T_old, T_new, top, lnA, Ea, R, dt, T_skip, rate, omega, Tmax,
                               ends):
    for i in prange(T_new.shape[0]):
        _damage_column(i, T_old, T_new, top, lnA, Ea, R, dt, T_skip, rate, omega, Tmax, ends)


accumulate_damage.__doc__ = accumulate_damage_parallel.__doc__ = _DAMAGE_DOC


@njit(cache=True, nogil=True)
def accumulate_damage_below(T_old, T_new, top, lnA, Ea, R, dt, T_skip, rate, omega, Tmax, cap):
    """:func:`accumulate_damage` over ``dt`` in the rows from ``cap[i]`` down only (the
    deferred rows, whose ``rate`` still holds k(T) from before they waited); the row above the
    cap, solved with them, takes its new temperature (its damage went with every step)."""
    nz = T_new.shape[1]
    every = np.full(T_new.shape[0], nz, dtype=np.int64)
    for i in range(T_new.shape[0]):
        if 0 < cap[i] <= nz:
            T_old[i, cap[i] - 1] = T_new[i, cap[i] - 1]
        _damage_column(i, T_old, T_new, top, lnA, Ea, R, dt, T_skip, rate, omega, Tmax, every,
                       cap[i])
