"""Cosmetic units of the face (issue 33, ``data/face_units.toml``): the units a full-face plan is
made of, the words for them, the groups a blended plan treats alike, their neighbours and their
outlines on the face map.

Each unit is an area of the clinical envelope (``data/envelope.toml``): its skin preset, its
dermis with a source and every envelope row apply to it as to any area, so a unit's settings
are bound exactly as a single-site plan's are. This module holds no clinical number.
"""

from __future__ import annotations

import functools

from .. import data

#: the site a concern names for the whole face
FULL_FACE = "full-face"
GROUPS = ("mouth", "eyes", "rest", "feather")


def _bad(where: str, what: str) -> ValueError:
    return ValueError(f"data/face_units.toml [{where}]: {what}")


@functools.cache
def face_units() -> dict:
    """``data/face_units.toml``, its shape checked once: every unit an envelope area, every
    neighbour and alias a unit, every outline a polygon inside the drawing."""
    from .envelope import envelope

    d = data.toml("face_units")
    areas = envelope()["area"]
    names = [u["name"] for u in d["unit"]]
    if len(set(names)) != len(names):
        raise _bad("unit", "unit names are unique")
    x0, y0, x1, y1 = d["viewbox"]
    for u in d["unit"]:
        if u["name"] not in areas:
            raise _bad(u["name"], "is not an area of data/envelope.toml")
        if areas[u["name"]]["region"] not in ("face", "neck"):
            raise _bad(u["name"], "a unit of the face is a face or neck area")
        if u["group"] not in GROUPS:
            raise _bad(u["name"], f"group is one of {GROUPS}")
        for n in u.get("neighbours", ()):
            if n not in names:
                raise _bad(u["name"], f"neighbour {n!r} is not a unit")
        pts = u["outline"]
        if len(pts) < 3 or not all(x0 <= x <= x1 and y0 <= y <= y1 for x, y in pts):
            raise _bad(u["name"], "outline: at least 3 points inside the viewbox")
    for a, units in d.get("alias", {}).items():
        if a not in areas or not set(units) <= set(names):
            raise _bad(f"alias.{a}", "an envelope area mapped to units")
    for b in d["blend"]:
        if not b.get("source") or set(GROUPS) - set(b) - {"feather"}:
            raise _bad(b.get("id", "blend"), "needs a source and a modality group per unit group")
    return d


def version() -> str:
    return str(face_units()["version"])


def unit_names() -> tuple[str, ...]:
    return tuple(u["name"] for u in face_units()["unit"])


def unit(name: str) -> dict:
    return next(u for u in face_units()["unit"] if u["name"] == name)


def is_unit(site: str) -> bool:
    return site in unit_names()


def units_of(site: str) -> tuple[str, ...]:
    """The units a concern's site covers on the face: every unit for the full face, the unit
    itself, an older area's units (``perioral``: upper lip and chin), or none (off the face)."""
    if site == FULL_FACE:
        return unit_names()
    if is_unit(site):
        return (site,)
    return tuple(face_units().get("alias", {}).get(site, ()))


def areas_of(site: str) -> tuple[str, ...]:
    """The envelope areas a concern's site is planned on (the full face: its units)."""
    return unit_names() if site == FULL_FACE else (site,)


def polygons(name: str) -> list[list[tuple[float, float]]]:
    """The outline of a unit, twice for a unit on both sides (mirrored at the face's middle)."""
    u = face_units()
    x0, _, x1, _ = u["viewbox"]
    pts = [(float(x), float(y)) for x, y in unit(name)["outline"]]
    out = [pts]
    if unit(name).get("mirror"):
        out.append([(x0 + x1 - x, y) for x, y in reversed(pts)])
    return out


def _area(pts) -> float:
    return 0.5 * abs(sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(pts, pts[1:] + pts[:1],
                                                                             strict=True)))


@functools.cache
def shares() -> dict[str, float]:
    """Each unit's share of the drawn face (outline areas; schematic, not a measured area)."""
    a = {n: sum(_area(p) for p in polygons(n)) for n in unit_names()}
    total = sum(a.values())
    return {n: v / total for n, v in a.items()}
