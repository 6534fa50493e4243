"""Energy tallies of a run: one named slot per place the energy can go (J; 1-D: J per m^2).

The compiled kernels add to a float array indexed by :class:`Tally`; the same names label the
solver output, so no code addresses a tally by a bare number.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np


class Tally(IntEnum):
    """Index of each energy tally in the array the kernels fill."""

    ABSORBED = 0      # deposited in tissue
    REFLECTED = 1     # specular (and, with transport, diffuse) loss at the surface
    VAPORIZED = 2     # carried off by vapor
    ABLATED = 3       # carried off by ejected cells (relative to the initial state)
    BOUNDARY = 4      # conducted out of the domain bottom
    PERFUSION = 5     # removed by blood (Pennes)
    TRANSMITTED = 6   # beam left at the domain bottom
    PLUME = 7         # absorbed by ejecta in a crater on the way down (they leave with it)


#: names of the tallies, in index order (``retained``, the heat still in the tissue at the end,
#: is summed from the final enthalpy field, not tallied)
TALLY_NAMES: tuple[str, ...] = tuple(t.name.lower() for t in Tally)


def new_tally() -> np.ndarray:
    """A zeroed tally array with one slot per :class:`Tally`."""
    return np.zeros(len(Tally))


def as_dict(tally: np.ndarray) -> dict[str, float]:
    """The tally array as ``{name: J}``."""
    return {name: float(tally[int(t)]) for name, t in zip(TALLY_NAMES, Tally, strict=True)}
