"""The face map (issue 33): an SVG drawing of the face with its cosmetic units, each coloured by
the modality it gets and darker with depth, the feathering band hatched, and a legend in
clinical terms with each unit's settings. Drawn from data (``data/face_units.toml``: outlines,
colours), from a plan as JSON (:func:`dermalase.planner.plan`), so the command line, the HTML
report, the PDF documents and the web application draw the same map.

The SVG is self-contained: no script, no external reference (links, images, fonts, style
sheets), no ``style`` element or attribute (presentation attributes only), so it can be inlined
under a strict Content-Security-Policy.
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from ..planner import face

#: settings shown in the legend, in this order, as a clinician reads them
LEGEND_KEYS = ("fluence", "passes", "pulse_energy", "stack", "beam_coverage", "coverage",
               "density")
FAMILY_WORDS = {"full-field": "full field", "ablative-fractional": "ablative fractional",
                "non-ablative": "non-ablative fractional"}


def _family(modality: str) -> str:
    from ..planner.fullface import family

    return family(modality)


def _shade(entry: dict) -> str:
    st = face.face_units()["style"]
    if entry.get("modality") is None:
        return str(st["untreated"])
    colours = st[_family(entry["modality"])]
    depth = entry.get("injury_depth_um")
    if depth is None:
        return str(colours[0])
    band = sum(depth > b for b in st["depth_bands_um"])
    return str(colours[min(band, len(colours) - 1)])


def _depth_words(entry: dict) -> str:
    d = entry.get("injury_depth_um")
    return "depth not simulated" if d is None else f"injury ~{5 * round(d / 5):.0f} µm"


def unit_settings(entry: dict) -> str:
    """A unit's settings in a few words (the legend and the terminal)."""
    st = entry.get("settings") or {}
    parts = [f"{k.replace('_', ' ')} {st[k]}" for k in LEGEND_KEYS if k in st]
    return ", ".join(parts) or ", ".join(f"{k} {v}" for k, v in st.items())


def treated(plan: dict) -> dict[str, dict]:
    """Each unit's most intense treatment in the plan's session (a unit two concerns treat is
    drawn with the more intense one)."""
    from ..planner.fullface import intensity

    out: dict[str, dict] = {}
    for e in (plan.get("session") or {}).get("units", []):
        if e["unit"] not in out or intensity(e["modality"]) > intensity(out[e["unit"]]
                                                                        ["modality"]):
            out[e["unit"]] = e
    return out


def legend_lines(plan: dict) -> list[tuple[str, str]]:
    """(colour, text) of every unit, in the order of data/face_units.toml, then the feathered
    edges."""
    by_unit = treated(plan)
    lines = []
    for name in face.unit_names():
        e = by_unit.get(name)
        label = face.unit(name)["label"]
        if e is None:
            lines.append((str(face.face_units()["style"]["untreated"]), f"{label}: not treated"))
            continue
        text = (f"{label}: {e['modality_label']}; {unit_settings(e)}; {_depth_words(e)}"
                + ("; feathering band" if e.get("feathering_band") else ""))
        lines.append((_shade(e), text))
    for edge in (plan.get("session") or {}).get("feathering", []):
        into = ", ".join(face.unit(n)["label"] for n in edge["into"])
        lines.append(("none", f"edge of the {face.unit(edge['unit'])['label']} into the "
                              f"{into}: {edge['how']}"))
    return lines


def face_map_text(plan: dict) -> list[str]:
    """The face map as text for the terminal: one line per unit and per feathered edge."""
    if not plan.get("session"):
        return ["face map: no unit of the face is treated in this plan"]
    return [t for _, t in legend_lines(plan)]


def _wrap(text: str, width: int) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width) or [""]


def face_map_svg(plan: dict, id_prefix: str = "facemap") -> str:
    """The face map of ``plan`` (the plan's JSON) as a self-contained SVG document.
    ``id_prefix`` keeps the element ids unique where several maps share a page."""
    d = face.face_units()
    x0, y0, x1, y1 = d["viewbox"]
    by_unit = treated(plan)
    rows: list[tuple[str, list[str]]] = [(c, _wrap(t, 88)) for c, t in legend_lines(plan)]
    width = 760
    n_lines = sum(len(w) for _, w in rows) + 3 + 6
    height = max(y1 + 20, 34 + 12 * n_lines)
    title = ("Face map: " + plan.get("patient", {}).get("name", "patient")
             + (f" ({len(by_unit)} units treated)" if by_unit else " (no unit treated)"))
    hatch = f"{id_prefix}-hatch"
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
           f'width="{width}" height="{height}" role="img" '
           f'aria-labelledby="{id_prefix}-title {id_prefix}-desc" '
           f'data-face-units-version={quoteattr(face.version())}>',
           f'<title id="{id_prefix}-title">{escape(title)}</title>',
           f'<desc id="{id_prefix}-desc">Cosmetic units of the face coloured by the treatment '
           'each gets (red: full field, orange: ablative fractional, blue: non-ablative '
           'fractional; darker: deeper); hatched: the feathering band. Schematic drawing, not '
           'to scale.</desc>',
           f'<defs><pattern id="{hatch}" width="6" height="6" patternUnits="userSpaceOnUse" '
           'patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="6" stroke="#333333" '
           'stroke-width="1.2"/></pattern></defs>',
           f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
           f'<ellipse cx="{(x0 + x1) / 2}" cy="128" rx="70" ry="104" fill="#fbf3ee" '
           f'stroke="{d["style"]["outline"]}" stroke-width="0.8"/>',
           *_units_svg(plan, by_unit, hatch, id_prefix),
           *_legend_svg(rows, hatch, id_prefix, x1 + 16), "</svg>"]
    return "\n".join(out) + "\n"


def _points(poly) -> str:
    return " ".join(f"{x:g},{y:g}" for x, y in poly)


def _units_svg(plan: dict, by_unit: dict, hatch: str, id_prefix: str) -> list[str]:
    """Each unit's outline(s), filled by its treatment, and the feathered edges dashed."""
    st = face.face_units()["style"]
    out = [f'<g id="{id_prefix}-units">']
    for name in face.unit_names():
        e = by_unit.get(name)
        fill = _shade(e) if e else str(st["untreated"])
        label = face.unit(name)["label"]
        tip = f"{label}: " + (f"{e['modality_label']}, {unit_settings(e)}" if e
                              else "not treated")
        mod = e["modality"] if e else "none"
        out.append(f'<g data-unit={quoteattr(name)} data-modality={quoteattr(mod)}>'
                   f'<title>{escape(tip)}</title>')
        for poly in face.polygons(name):
            out.append(f'<polygon points="{_points(poly)}" fill="{fill}" '
                       f'stroke="{st["outline"]}" stroke-width="0.8"/>')
            if e and e.get("feathering_band"):
                out.append(f'<polygon points="{_points(poly)}" fill="url(#{hatch})" '
                           'fill-opacity="0.5" stroke="none"/>')
        out.append("</g>")
    for edge in (plan.get("session") or {}).get("feathering", []):
        for poly in face.polygons(edge["unit"]):
            out.append(f'<polygon points="{_points(poly)}" fill="none" stroke="#333333" '
                       'stroke-width="1.6" stroke-dasharray="3 2" '
                       f'data-feathered={quoteattr(edge["unit"])}/>')
    out.append("</g>")
    return out


def _legend_svg(rows: list, hatch: str, id_prefix: str, lx: float) -> list[str]:
    """The legend: each unit's treatment and settings, then the colour key."""
    st = face.face_units()["style"]
    bands = st["depth_bands_um"]
    depth = (f"up to {bands[0]} µm", f"{bands[0]}-{bands[1]} µm", f"over {bands[1]} µm")
    key = [(st[f][i], f"{FAMILY_WORDS[f]}, {depth[i]} deep")
           for f in FAMILY_WORDS for i in range(3)]
    y = 20
    out = [f'<g id="{id_prefix}-legend" font-family="sans-serif" font-size="10" '
           'fill="#111111">',
           f'<text x="{lx}" y="{y}" font-weight="bold">Units, treatment and settings '
           '(one session)</text>']
    y += 14
    for colour, wrapped in rows:
        fill = f'url(#{hatch})' if colour == "none" else colour
        out.append(f'<rect x="{lx}" y="{y - 9}" width="10" height="10" fill="{fill}" '
                   f'stroke="{st["outline"]}" stroke-width="0.5"/>')
        for k, line in enumerate(wrapped):
            out.append(f'<text x="{lx + 16}" y="{y + 12 * k}" data-legend="unit">'
                       f'{escape(line)}</text>')
        y += 12 * len(wrapped)
    y += 8
    out.append(f'<text x="{lx}" y="{y}" font-weight="bold">Colours</text>')
    y += 13
    for i, (colour, text) in enumerate(key):
        col, row = i % 3, i // 3
        out.append(f'<rect x="{lx + 180 * col}" y="{y + 12 * row - 9}" width="10" '
                   f'height="10" fill="{colour}" stroke="{st["outline"]}" '
                   'stroke-width="0.5"/>')
        out.append(f'<text x="{lx + 180 * col + 14}" y="{y + 12 * row}" font-size="8">'
                   f'{escape(text)}</text>')
    out.append("</g>")
    return out
