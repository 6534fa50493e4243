"""Photon-packet Monte Carlo transport in layered tissue (the method of MCML).

Wang L, Jacques SL, Zheng L. MCML - Monte Carlo modeling of light transport in multi-layered
tissues. Comput Methods Programs Biomed 1995;47:131-146. Packets are launched normally at the
surface (pencil, top-hat or Gaussian beam), enter with the specular (Fresnel) loss, move with
exponentially distributed steps, deposit the fraction mu_a/mu_t of their weight at every
interaction (implicit capture), scatter by Henyey-Greenstein, meet layer boundaries with
probabilistic Fresnel reflection/refraction, and end by Russian roulette (w < 1e-4: survive with
probability 1/10 and weight x10). Tallies: absorbed energy A(r, z), diffuse reflectance Rd(r)
and transmittance Tt(r), in cylindrical bins (dr, dz), each per launched packet.

Reproducible and thread-count independent: photons are split into fixed chunks, each with its
own xoshiro256** stream seeded from (seed, chunk); chunks run in parallel (numba prange) with
their own tallies, summed at the end. SI units (m, 1/m) throughout.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numba import njit, prange

WEIGHT_THRESHOLD = 1e-4   # roulette threshold (MCML default)
ROULETTE_CHANCE = 0.1     # survival probability in roulette (MCML default)
COS_ZERO = 1.0 - 1e-12
COS_90 = 1e-6


@dataclass(frozen=True)
class Layer:
    """One layer: refractive index n, mua and mus (1/m), anisotropy g, thickness d (m)."""

    n: float
    mua: float
    mus: float
    g: float
    d: float


@dataclass(frozen=True)
class Medium:
    layers: tuple[Layer, ...]
    n_above: float = 1.0
    n_below: float = 1.0


@dataclass(kw_only=True)
class MCResult:
    """Tallies per launched packet. ``A_rz`` in 1/m^3 (fraction of the incident power absorbed
    per unit volume); ``Rd_r``, ``Tt_r`` in 1/m^2; totals dimensionless."""

    n_photons: int
    dr: float
    dz: float
    Rsp: float
    Rd: float
    Tt: float
    A: float
    A_rz: np.ndarray
    Rd_r: np.ndarray
    Tt_r: np.ndarray
    A_layer: np.ndarray
    seconds: float = 0.0
    meta: dict = field(default_factory=dict)
    se: dict = field(default_factory=dict)   # standard errors of Rd, Tt, A (between chunks)

    @property
    def r(self) -> np.ndarray:
        return (np.arange(self.A_rz.shape[0]) + 0.5) * self.dr

    @property
    def z(self) -> np.ndarray:
        return (np.arange(self.A_rz.shape[1]) + 0.5) * self.dz

    @property
    def A_z(self) -> np.ndarray:
        """Absorbed fraction per unit depth, 1/m (integrated over r)."""
        ring = np.pi * self.dr**2 * (2 * np.arange(self.A_rz.shape[0]) + 1)
        return (self.A_rz * ring[:, None]).sum(axis=0)

    def fluence_rz(self, mua_z: np.ndarray) -> np.ndarray:
        """Fluence per unit incident energy, 1/m^2: A / mua (where mua > 0)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(mua_z[None, :] > 0, self.A_rz / mua_z[None, :], 0.0)

    @property
    def balance(self) -> float:
        """Rsp + Rd + A + Tt (1 up to the roulette noise)."""
        return self.Rsp + self.Rd + self.A + self.Tt


# ----------------------------------------------------------------- random numbers (xoshiro256**)
@njit(cache=True, inline="always")
def _rotl(x, k):
    return (x << np.uint64(k)) | (x >> np.uint64(64 - k))


@njit(cache=True)
def _seed_state(seed, stream):
    """splitmix64 expansion of (seed, stream) into a xoshiro256** state."""
    s = np.empty(4, dtype=np.uint64)
    z = np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(stream)
    for i in range(4):
        z = z + np.uint64(0x9E3779B97F4A7C15)
        x = z
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        s[i] = x ^ (x >> np.uint64(31))
    return s


@njit(cache=True, inline="always")
def _rand(s):
    """Uniform in (0, 1)."""
    result = _rotl(s[1] * np.uint64(5), 7) * np.uint64(9)
    t = s[1] << np.uint64(17)
    s[2] ^= s[0]
    s[3] ^= s[1]
    s[1] ^= s[2]
    s[0] ^= s[3]
    s[2] ^= t
    s[3] = _rotl(s[3], 45)
    return ((result >> np.uint64(11)) + np.uint64(1)) * (1.0 / 9007199254740994.0)


# ----------------------------------------------------------------- physics helpers
@njit(cache=True, inline="always")
def _fresnel(n1, n2, ca1):
    """Reflectance for unpolarized light from n1 to n2 at incidence cosine ca1 (>0); returns
    (R, cos of the transmitted angle)."""
    if n1 == n2:
        return 0.0, ca1
    if ca1 > COS_ZERO:
        r = (n2 - n1) / (n2 + n1)
        return r * r, ca1
    if ca1 < COS_90:
        return 1.0, 0.0
    sa1 = math.sqrt(1.0 - ca1 * ca1)
    sa2 = n1 * sa1 / n2
    if sa2 >= 1.0:
        return 1.0, 0.0
    ca2 = math.sqrt(1.0 - sa2 * sa2)
    cap = ca1 * ca2 - sa1 * sa2   # cos(a1 + a2)
    cam = ca1 * ca2 + sa1 * sa2   # cos(a1 - a2)
    sap = sa1 * ca2 + ca1 * sa2
    sam = sa1 * ca2 - ca1 * sa2
    r = 0.5 * sam * sam * (cam * cam + cap * cap) / (sap * sap * cam * cam)
    return r, ca2


@njit(cache=True, inline="always")
def _hg_cos(g, xi):
    if g == 0.0:
        return 2.0 * xi - 1.0
    t = (1.0 - g * g) / (1.0 - g + 2.0 * g * xi)
    c = (1.0 + g * g - t * t) * (0.5 / g)
    return max(-1.0, min(1.0, c))


@njit(cache=True, inline="always")
def _scatter(ux, uy, uz, g, s):
    """New direction after a Henyey-Greenstein scattering (MCML's spin)."""
    ct = _hg_cos(g, _rand(s))
    st = math.sqrt(max(0.0, 1.0 - ct * ct))
    cp, sp = _azimuth(s)
    if abs(uz) > COS_ZERO:
        return st * cp, st * sp, (ct if uz > 0.0 else -ct)
    tmp = math.sqrt(1.0 - uz * uz)
    k = st / tmp
    return (k * (ux * uz * cp - uy * sp) + ux * ct,
            k * (uy * uz * cp + ux * sp) + uy * ct,
            -st * cp * tmp + uz * ct)


@njit(cache=True, inline="always")
def _azimuth(s):
    """(cos, sin) of an azimuth uniform on [0, 2 pi), without trigonometry: a point (u, v)
    uniform in the unit disc has a uniform polar angle a, and ((u^2 - v^2), 2uv) / (u^2 + v^2)
    = (cos 2a, sin 2a) (von Neumann 1951; ~1.27 tries per angle)."""
    while True:
        u = 2.0 * _rand(s) - 1.0
        v = 2.0 * _rand(s) - 1.0
        q = u * u + v * v
        if 0.0 < q <= 1.0:
            iq = 1.0 / q
            return (u * u - v * v) * iq, 2.0 * u * v * iq


@njit(cache=True, inline="always")
def _launch_xy(beam, radius, s):
    """Entry point of a packet: pencil (0), top-hat of ``radius`` (1), Gaussian with 1/e^2
    ``radius`` (2)."""
    if beam == 0:
        return 0.0, 0.0
    if beam == 1:
        rr = radius * math.sqrt(_rand(s))
    else:
        rr = radius * math.sqrt(-0.5 * math.log(_rand(s)))
    ph = 2.0 * math.pi * _rand(s)
    return rr * math.cos(ph), rr * math.sin(ph)


@njit(cache=True, inline="always")
def _roulette(w, s):
    """Russian roulette below the weight threshold: (new weight, alive)."""
    if w >= WEIGHT_THRESHOLD:
        return w, True
    if _rand(s) <= ROULETTE_CHANCE:
        return w / ROULETTE_CHANCE, True
    return w, False


@njit(cache=True)
def _run_chunk(n_phot, seed, stream, beam, radius, lay_n, lay_mua, lay_mus, lay_g, lay_z0,
               lay_z1, n_above, n_below, dr, dz, A, Rd, Tt, Al, tot):
    s = _seed_state(seed, stream)
    nl = lay_n.shape[0]
    nr = A.shape[0]
    nz = A.shape[1]
    rsp_r, _ = _fresnel(n_above, lay_n[0], 1.0)
    inv_dr = 1.0 / dr
    inv_dz = 1.0 / dz
    lay_mut = lay_mua + lay_mus
    lay_inv_mut = np.empty(nl)  # 1/mu_t and the absorbed share mu_a/mu_t of each layer
    lay_absorbed = np.empty(nl)
    for la in range(nl):
        lay_inv_mut[la] = 1.0 / lay_mut[la] if lay_mut[la] > 0.0 else 1e300
        lay_absorbed[la] = lay_mua[la] / lay_mut[la] if lay_mut[la] > 0.0 else 0.0
    for _p in range(n_phot):
        x, y = _launch_xy(beam, radius, s)
        z = 0.0
        ux = 0.0
        uy = 0.0
        uz = 1.0
        w = 1.0 - rsp_r
        layer = 0
        alive = True
        sleft = 0.0
        while alive:
            mut = lay_mut[layer]
            if sleft == 0.0:
                sleft = -math.log(_rand(s))
            # distance to the layer boundary along uz
            if uz > 0.0:
                db = (lay_z1[layer] - z) / uz
            elif uz < 0.0:
                db = (lay_z0[layer] - z) / uz
            else:
                db = 1e300
            step = sleft * lay_inv_mut[layer] if mut > 0.0 else 1e300
            if step > db:  # hit the boundary
                x += ux * db
                y += uy * db
                z += uz * db
                if mut > 0.0:
                    sleft -= db * mut
                # neighbouring medium
                if uz > 0.0:
                    n2 = n_below if layer == nl - 1 else lay_n[layer + 1]
                else:
                    n2 = n_above if layer == 0 else lay_n[layer - 1]
                ca = abs(uz)
                rf, ca2 = _fresnel(lay_n[layer], n2, ca)
                if _rand(s) <= rf:  # reflect
                    uz = -uz
                else:
                    if uz > 0.0 and layer == nl - 1:  # transmitted out the bottom
                        ir = int(math.sqrt(x * x + y * y) / dr)
                        if ir < nr:
                            Tt[ir] += w
                        tot[1] += w
                        alive = False
                    elif uz < 0.0 and layer == 0:  # out the top: diffuse reflectance
                        ir = int(math.sqrt(x * x + y * y) / dr)
                        if ir < nr:
                            Rd[ir] += w
                        tot[0] += w
                        alive = False
                    else:  # into the neighbouring layer, refracted
                        ratio = lay_n[layer] / n2
                        ux *= ratio
                        uy *= ratio
                        uz = ca2 if uz > 0.0 else -ca2
                        layer = layer + 1 if uz > 0.0 else layer - 1
                        # nudge across the interface
                        z = lay_z0[layer] if uz > 0.0 else lay_z1[layer]
                continue
            # interact inside the layer
            x += ux * step
            y += uy * step
            z += uz * step
            sleft = 0.0
            dw = w * lay_absorbed[layer]
            w -= dw
            ir = int(math.sqrt(x * x + y * y) * inv_dr)
            iz = int(z * inv_dz)
            if ir < nr and iz < nz:
                A[ir, iz] += dw
            Al[layer] += dw
            tot[2] += dw
            ux, uy, uz = _scatter(ux, uy, uz, lay_g[layer], s)
            w, alive = _roulette(w, s)


@njit(cache=True, parallel=True)
def _run(n_photons, n_chunks, seed, beam, radius, lay_n, lay_mua, lay_mus, lay_g, lay_z0,
         lay_z1, n_above, n_below, dr, dz, nr, nz):
    nl = lay_n.shape[0]
    A = np.zeros((n_chunks, nr, nz))
    Rd = np.zeros((n_chunks, nr))
    Tt = np.zeros((n_chunks, nr))
    Al = np.zeros((n_chunks, nl))
    tot = np.zeros((n_chunks, 3))
    base = n_photons // n_chunks
    extra = n_photons - base * n_chunks
    for c in prange(n_chunks):
        n = base + (1 if c < extra else 0)
        _run_chunk(n, seed, c, beam, radius, lay_n, lay_mua, lay_mus, lay_g, lay_z0, lay_z1,
                   n_above, n_below, dr, dz, A[c], Rd[c], Tt[c], Al[c], tot[c])
    return A.sum(axis=0), Rd.sum(axis=0), Tt.sum(axis=0), Al.sum(axis=0), tot


BEAMS = {"pencil": 0, "top-hat": 1, "gaussian": 2}


#: seeds the compiled kernels take (a 64-bit signed integer argument, expanded by splitmix64)
SEED_RANGE = (0, 2**63 - 1)


def check_seed(seed: object) -> None:
    """A seed is a whole number in :data:`SEED_RANGE` (a larger one cannot reach the compiled
    kernel: "int too big to convert", issue 30)."""
    from ..errors import InputError

    lo, hi = SEED_RANGE
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) \
            or not lo <= int(seed) <= hi:
        raise InputError("seed", seed, f"a whole number from {lo} to {hi} (2^63 - 1)")


def run(medium: Medium, n_photons: int = 100_000, *, beam: str = "pencil",
        radius: float = 0.0, dr: float = 1e-4, dz: float = 1e-4, nr: int = 50, nz: int = 40,
        seed: int = 1, n_chunks: int = 64) -> MCResult:
    """Launch ``n_photons`` packets into ``medium`` and return the normalized tallies."""
    import time

    if beam not in BEAMS:
        raise ValueError(f"beam: {beam!r}; allowed: {', '.join(BEAMS)}")
    if n_photons < 1:
        raise ValueError(f"n_photons: {n_photons}; allowed: >= 1")
    check_seed(seed)
    L = medium.layers
    z1 = np.cumsum([la.d for la in L])
    z0 = np.concatenate([[0.0], z1[:-1]])
    arr = {k: np.array([getattr(la, k) for la in L], dtype=float)
           for k in ("n", "mua", "mus", "g")}
    n_chunks = max(1, min(n_chunks, n_photons))
    t0 = time.perf_counter()
    A, Rd, Tt, Al, chunks = _run(int(n_photons), int(n_chunks), int(seed), BEAMS[beam],
                              float(radius), arr["n"], arr["mua"], arr["mus"], arr["g"], z0, z1,
                              float(medium.n_above), float(medium.n_below), float(dr), float(dz),
                              int(nr), int(nz))
    secs = time.perf_counter() - t0
    r_sp = ((L[0].n - medium.n_above) / (L[0].n + medium.n_above)) ** 2
    N = float(n_photons)
    tot = chunks.sum(axis=0)
    per = np.array([n_photons // n_chunks + (1 if c < n_photons % n_chunks else 0)
                    for c in range(n_chunks)], dtype=float)
    se = {}
    if n_chunks > 1:
        means = chunks / per[:, None]
        for i, k in enumerate(("Rd", "Tt", "A")):
            se[k] = float(np.std(means[:, i], ddof=1) / math.sqrt(n_chunks))
    ring = np.pi * dr**2 * (2 * np.arange(nr) + 1)
    return MCResult(n_photons=int(n_photons), dr=dr, dz=dz, Rsp=r_sp, Rd=tot[0] / N,
                    Tt=tot[1] / N, A=tot[2] / N, A_rz=A / N / (ring[:, None] * dz),
                    Rd_r=Rd / N / ring, Tt_r=Tt / N / ring, A_layer=Al / N, seconds=secs,
                    meta={"beam": beam, "radius_m": radius, "seed": seed,
                          "n_chunks": n_chunks}, se=se)


# ----------------------------------------------------------------- 3-D voxel mode
@dataclass
class VoxelResult:
    """Voxel tallies per launched packet: ``A`` (nx, ny, nz) in 1/m^3, totals dimensionless
    (``Rd`` leaves through the top face z = 0, ``Tt`` through the bottom face, ``lost_sides``
    through the side faces)."""

    n_photons: int
    voxel: float
    Rsp: float
    Rd: float
    Tt: float
    A_total: float
    A: np.ndarray
    lost_sides: float = 0.0
    seconds: float = 0.0
    se: dict = field(default_factory=dict)

    @property
    def balance(self) -> float:
        return self.Rsp + self.Rd + self.A_total + self.Tt + self.lost_sides


@njit(cache=True)
def _voxel_chunk(n_phot, seed, stream, x0, y0, beam, radius, labels, tn, tmua, tmus, tg,
                 n_out, h, A, tot):
    s = _seed_state(seed, stream)
    nx, ny, nz = labels.shape
    for _p in range(n_phot):
        dx0, dy0 = _launch_xy(beam, radius, s)
        x = x0 + dx0
        y = y0 + dy0
        ix = int(x / h)
        iy = int(y / h)
        if ix < 0 or iy < 0 or ix >= nx or iy >= ny:
            continue  # the beam misses the volume (counted as nothing: keep beams inside)
        # enter at the top face of the first voxel column; air voxels above tissue are crossed
        z = 0.0
        iz = 0
        ux = 0.0
        uy = 0.0
        uz = 1.0
        w = 1.0
        lab = labels[ix, iy, 0]
        rf, _ = _fresnel(n_out, tn[lab], 1.0)
        tot[3] += rf
        w -= rf
        sleft = 0.0
        alive = True
        while alive:
            lab = labels[ix, iy, iz]
            mut = tmua[lab] + tmus[lab]
            if sleft == 0.0 and mut > 0.0:
                sleft = -math.log(_rand(s))
            # distance to the faces of this voxel
            dx = ((ix + 1) * h - x) / ux if ux > 0.0 else ((ix * h - x) / ux if ux < 0.0
                                                            else 1e300)
            dy = ((iy + 1) * h - y) / uy if uy > 0.0 else ((iy * h - y) / uy if uy < 0.0
                                                            else 1e300)
            dzf = ((iz + 1) * h - z) / uz if uz > 0.0 else ((iz * h - z) / uz if uz < 0.0
                                                             else 1e300)
            db = min(dx, dy, dzf)
            db = max(db, 0.0)
            step = sleft / mut if mut > 0.0 else 1e300
            if step <= db:  # interaction inside the voxel
                x += ux * step
                y += uy * step
                z += uz * step
                sleft = 0.0
                dw = w * tmua[lab] / mut
                w -= dw
                A[ix, iy, iz] += dw
                tot[2] += dw
                ux, uy, uz = _scatter(ux, uy, uz, tg[lab], s)
                w, alive = _roulette(w, s)
                continue
            # move to the face and find the neighbour
            x += ux * db
            y += uy * db
            z += uz * db
            if mut > 0.0:
                sleft -= db * mut
            jx, jy, jz = ix, iy, iz
            axis = 0
            if db == dx:
                jx = ix + (1 if ux > 0.0 else -1)
                axis = 0
            elif db == dy:
                jy = iy + (1 if uy > 0.0 else -1)
                axis = 1
            else:
                jz = iz + (1 if uz > 0.0 else -1)
                axis = 2
            outside = jx < 0 or jy < 0 or jz < 0 or jx >= nx or jy >= ny or jz >= nz
            n1 = tn[lab]
            n2 = n_out if outside else tn[labels[jx, jy, jz]]
            cos_i = abs(ux) if axis == 0 else (abs(uy) if axis == 1 else abs(uz))
            rf, ct2 = _fresnel(n1, n2, cos_i)
            if rf > 0.0 and _rand(s) <= rf:  # reflect off the face
                if axis == 0:
                    ux = -ux
                elif axis == 1:
                    uy = -uy
                else:
                    uz = -uz
                continue
            if outside:
                if jz < 0:
                    tot[0] += w
                elif jz >= nz:
                    tot[1] += w
                else:
                    tot[4] += w
                alive = False
                continue
            if n1 != n2:  # refract: scale the tangential part, set the normal part
                ratio = n1 / n2
                if axis == 0:
                    sgn = 1.0 if ux > 0.0 else -1.0
                    uy *= ratio
                    uz *= ratio
                    ux = sgn * ct2
                elif axis == 1:
                    sgn = 1.0 if uy > 0.0 else -1.0
                    ux *= ratio
                    uz *= ratio
                    uy = sgn * ct2
                else:
                    sgn = 1.0 if uz > 0.0 else -1.0
                    ux *= ratio
                    uy *= ratio
                    uz = sgn * ct2
            ix, iy, iz = jx, jy, jz


@njit(cache=True, parallel=True)
def _voxel_run(n_photons, n_chunks, seed, x0, y0, beam, radius, labels, tn, tmua, tmus, tg,
               n_out, h):
    nx, ny, nz = labels.shape
    A = np.zeros((n_chunks, nx, ny, nz))
    tot = np.zeros((n_chunks, 5))
    base = n_photons // n_chunks
    extra = n_photons - base * n_chunks
    for c in prange(n_chunks):
        n = base + (1 if c < extra else 0)
        _voxel_chunk(n, seed, c, x0, y0, beam, radius, labels, tn, tmua, tmus, tg, n_out, h,
                     A[c], tot[c])
    return A.sum(axis=0), tot


def run_voxels(labels: np.ndarray, table, voxel: float, n_photons: int = 100_000, *,
               beam: str = "pencil", radius: float = 0.0, center=None, n_outside: float = 1.0,
               seed: int = 1, n_chunks: int = 8) -> VoxelResult:
    """Transport in a 3-D label volume (``labels`` (nx, ny, nz) of integers, z down from the
    top face; ``table[label] = (n, mua, mus, g)`` in SI units; cubic voxels of side ``voxel``
    m). A label with mua = mus = 0 is clear (air, e.g. an ablated channel): packets cross it in
    straight lines and meet Fresnel boundaries wherever the index changes. The beam enters the
    top face at ``center`` (default: the middle), normal incidence."""
    import time

    if beam not in BEAMS:
        raise ValueError(f"beam: {beam!r}; allowed: {', '.join(BEAMS)}")
    check_seed(seed)
    labels = np.ascontiguousarray(labels, dtype=np.int64)
    if labels.ndim != 3 or labels.min() < 0 or labels.max() >= len(table):
        raise ValueError("labels: a 3-D integer array indexing the property table")
    tab = np.array(table, dtype=float)
    nx, ny, _ = labels.shape
    cx, cy = center if center is not None else (nx * voxel / 2, ny * voxel / 2)
    n_chunks = max(1, min(n_chunks, n_photons))
    # the first voxel met may be clear: start the packet in the first voxel of its column
    t0 = time.perf_counter()
    A, chunks = _voxel_run(int(n_photons), int(n_chunks), int(seed), float(cx), float(cy),
                           BEAMS[beam], float(radius), labels, tab[:, 0].copy(),
                           tab[:, 1].copy(), tab[:, 2].copy(), tab[:, 3].copy(),
                           float(n_outside), float(voxel))
    secs = time.perf_counter() - t0
    N = float(n_photons)
    tot = chunks.sum(axis=0)
    se = {}
    if n_chunks > 1:
        per = np.array([n_photons // n_chunks + (1 if c < n_photons % n_chunks else 0)
                        for c in range(n_chunks)], dtype=float)
        means = chunks / per[:, None]
        for i, k in enumerate(("Rd", "Tt", "A")):
            se[k] = float(np.std(means[:, i], ddof=1) / math.sqrt(n_chunks))
    return VoxelResult(int(n_photons), voxel, tot[3] / N, tot[0] / N, tot[1] / N, tot[2] / N,
                       A / N / voxel**3, tot[4] / N, secs, se)
