"""MCML interoperability: read ``.mci`` input files, write ``.mco``-style ASCII results.

Format of Wang, Jacques & Zheng, MCML (Comput Methods Programs Biomed 1995;47:131-146): cm
units, one or more runs, each with output name, photons, dz dr, nz nr na, the layers (n mua
mus g d) between the indices of the media above and below. Our ``.mco`` carries the sections
InParm, RAT, A_l, A_z, Rd_r, Tt_r and A_rz with MCML's names and units, so an MCML user can
compare them; angular tallies (Rd_a, Tt_a, Rd_ra, Tt_ra) are not computed and are omitted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from ..physics.montecarlo import Layer, MCResult, Medium

#: limits of an .mci file (range checks against hangs and memory exhaustion, not physics):
#: photons per run (~20 min on 2 cores at 1e5 photons/s/core), runs, layers, grid cells
MAX_PHOTONS = 100_000_000
MAX_RUNS = 100
MAX_LAYERS = 100
MAX_GRID_CELLS = 10_000_000


@dataclass(frozen=True)
class MCIRun:
    out_name: str
    n_photons: int
    dz: float   # m
    dr: float   # m
    nz: int
    nr: int
    na: int
    medium: Medium


def _tokens(text: str) -> list[str]:
    out = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            out.extend(line.split())
    return out


def _finite(field: str, value: float, low: float, inclusive: bool = True) -> float:
    if not math.isfinite(value) or value < low or (value == low and not inclusive):
        raise InputError(field, value, f"a finite number {'>=' if inclusive else '>'} {low:g}")
    return value


def _count(field: str, value: int, low: int, high: int) -> int:
    if not low <= value <= high:
        raise InputError(field, value, f"an integer {low}-{high:,}")
    return value


def read_mci(path) -> list[MCIRun]:
    path = Path(path)
    try:
        if not path.is_file():  # a folder, a pipe (would block), a device, nothing
            raise InputError("mci file", str(path), "an existing regular file")
        if path.stat().st_size > 1_000_000:
            raise InputError("mci file", str(path), "a file of at most 1,000,000 bytes")
        tok = _tokens(path.read_text(encoding="utf-8", errors="replace"))
    except OSError as exc:
        raise InputError("mci file", str(path), "a readable MCML .mci file") from exc
    it = iter(tok)

    def nxt(what, conv=float):
        try:
            return conv(next(it))
        except StopIteration:
            raise InputError(f"mci {what}", "end of file", "MCML .mci layout") from None
        except ValueError as exc:
            raise InputError(f"mci {what}", str(exc), "a number") from None

    nxt("file version")
    runs = []
    for k in range(_count("mci number of runs", nxt("number of runs", int), 1, MAX_RUNS)):
        name = next(it, None)
        if name is None:
            raise InputError(f"mci run {k + 1} output name", "end of file", "a file name")
        nxt("output format", str)  # A (ASCII) or B; we write ASCII
        run = f"mci run {k + 1}"
        n_ph_f = _finite(f"{run} photons", nxt("number of photons"), 1.0)
        n_ph = _count(f"{run} photons", int(n_ph_f), 1, MAX_PHOTONS)
        dz = _finite(f"{run} dz", nxt("dz"), 0.0, inclusive=False) * 1e-2
        dr = _finite(f"{run} dr", nxt("dr"), 0.0, inclusive=False) * 1e-2
        nz, nr, na = nxt("nz", int), nxt("nr", int), nxt("na", int)
        _count(f"{run} nz", nz, 1, MAX_GRID_CELLS)
        _count(f"{run} nr", nr, 1, MAX_GRID_CELLS)
        _count(f"{run} nz x nr", nz * nr, 1, MAX_GRID_CELLS)
        nl = _count(f"{run} number of layers", nxt("number of layers", int), 1, MAX_LAYERS)
        n_above = _finite(f"{run} n above", nxt("n above"), 1.0)
        layers = []
        for i in range(nl):
            n, mua, mus, g, d = (nxt(f"layer {i + 1} {q}") for q in ("n", "mua", "mus", "g",
                                                                      "d"))
            finite = all(math.isfinite(x) for x in (n, mua, mus, g, d))
            if not (finite and n >= 1 and mua >= 0 and mus >= 0 and -1 < g < 1 and d > 0):
                raise InputError(f"mci run {k + 1} layer {i + 1}", (n, mua, mus, g, d),
                                 "finite n >= 1, mua >= 0, mus >= 0, -1 < g < 1, d > 0")
            layers.append(Layer(n, mua * 100, mus * 100, g, d * 1e-2))
        n_below = _finite(f"{run} n below", nxt("n below"), 1.0)
        runs.append(MCIRun(name, n_ph, dz, dr, nz, nr, na, Medium(tuple(layers), n_above,
                                                                  n_below)))
    return runs


def format_mco(run: MCIRun, res: MCResult, version: str) -> str:
    """MCML-style ASCII output (cm units)."""
    L = [f"A1\t# Version number of the file format (written by dermalase {version}).", "",
         "####", "# Data categories include:", "# InParm, RAT, A_l, A_z, Rd_r, Tt_r, A_rz",
         "# (angular tallies are not computed)", "####", "",
         f"# Wall time: {res.seconds:.3f} s, seed {res.meta.get('seed')}", "",
         "InParm\t\t\t# Input parameters. cm is used.",
         f"{run.out_name}\tA\t\t# output file name, ASCII.",
         f"{run.n_photons}\t\t\t# No. of photons",
         f"{run.dz * 100:G}\t{run.dr * 100:G}\t\t# dz, dr [cm]",
         f"{run.nz}\t{run.nr}\t{run.na}\t# No. of dz, dr, da.", "",
         f"{len(run.medium.layers)}\t\t\t\t\t# Number of layers",
         "#n\tmua\tmus\tg\td\t# One line for each layer",
         f"{run.medium.n_above:G}\t\t\t\t\t# n for medium above"]
    for la in run.medium.layers:
        L.append(f"{la.n:G}\t{la.mua / 100:G}\t{la.mus / 100:G}\t{la.g:G}\t{la.d * 100:G}"
                 "\t# layer")
    L += [f"{run.medium.n_below:G}\t\t\t\t\t# n for medium below", "",
          "RAT #Reflectance, absorption, transmission.",
          f"{res.Rsp:<12.6G}\t#Specular reflectance [-]",
          f"{res.Rd:<12.6G}\t#Diffuse reflectance [-]",
          f"{res.A:<12.6G}\t#Absorbed fraction [-]",
          f"{res.Tt:<12.6G}\t#Transmittance [-]", "",
          "A_l #Absorption as a function of layer. [-]"]
    L += [f"{a:12.4E}" for a in res.A_layer]
    L += ["", "A_z #A[0], [1],..A[nz-1]. [1/cm]"]
    L += [f"{a:12.4E}" for a in res.A_z / 100]
    L += ["", "Rd_r #Rd[0], [1],..Rd[nr-1]. [1/cm2]"]
    L += [f"{a:12.4E}" for a in res.Rd_r / 1e4]
    L += ["", "Tt_r #Tt[0], [1],..Tt[nr-1]. [1/cm2]"]
    L += [f"{a:12.4E}" for a in res.Tt_r / 1e4]
    L += ["", "# A[r][z]. [1/cm3]", "# A[0][0], [0][1],..[0][nz-1]", "# ...",
          "# A[nr-1][0], [nr-1][1],..[nr-1][nz-1]", "A_rz"]
    flat = (res.A_rz / 1e6).ravel()
    for i in range(0, flat.size, 5):
        L.append(" ".join(f"{a:12.4E}" for a in flat[i:i + 5]))
    return "\n".join(L) + "\n"


def read_mco_rat(text: str) -> dict[str, float]:
    """The RAT block (Rsp, Rd, A, Tt) of an MCML .mco file (ours or MCML's)."""
    lines = text.splitlines()
    i = next(k for k, ln in enumerate(lines) if ln.startswith("RAT"))
    vals = [float(lines[i + j].split()[0]) for j in range(1, 5)]
    return dict(zip(("Rsp", "Rd", "A", "Tt"), vals, strict=True))

