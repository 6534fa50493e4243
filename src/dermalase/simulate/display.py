"""How a Scenario and a Result show themselves: one readable line for ``repr`` (the
terminal, a log) and a small table for Jupyter (``_repr_html_``). Clinical units throughout
(µm, µs, J/cm², days); nothing here computes physics."""

from __future__ import annotations

from html import escape

#: summary rows shown by a Result: (key, label, unit shown)
RESULT_ROWS = (("ablation_depth_um", "ablation depth", "µm"),
               ("coagulation_depth_um", "coagulation below it", "µm"),
               ("injury_depth_um", "injury depth", "µm"),
               ("deepest_layer", "deepest layer reached", ""),
               ("peak_temperature_C", "peak temperature", "°C"),
               ("channel_diameter_um", "channel diameter", "µm"),
               ("mtz_diameter_um", "microthermal zone diameter", "µm"),
               ("surface_injury_fraction", "injured surface", "fraction"),
               ("reepithelialization_days", "re-epithelialization", "days"))


def _q(value: float | None, scale: float, unit: str, fmt: str = ".3g") -> str:
    return "-" if value is None else f"{value * scale:{fmt}} {unit}"


def scenario_parts(sc) -> list[tuple[str, str]]:
    """(section, text) of a Scenario in clinical units."""
    src, dl = sc.source, sc.delivery
    laser = f"{src.key} ({src.wavelength_nm:,.0f} nm), pulse {_q(dl.pulse_duration, 1e6, 'µs')}"
    if sc.fractional:
        delivery = (f"fractional: {_q(dl.microbeam_diameter, 1e6, 'µm')} microbeams, "
                    f"{_q(dl.pulse_energy, 1e3, 'mJ')} x {dl.stack} stacked, coverage "
                    f"{dl.coverage:.3g}")
    else:
        delivery = (f"full field: {_q(dl.spot_diameter, 1e3, 'mm')} spot, "
                    f"{_q(dl.fluence, 1e-4, 'J/cm²')} x {dl.passes} pass(es)")
    skin = f"{sc.skin.site}, phototype {sc.skin.phototype}"
    num = f"geometry {sc.numerics.geometry}, cooling {sc.numerics.cooling_time:g} s"
    return [("skin", skin), ("laser", laser), ("delivery", delivery), ("numerics", num)]


def scenario_repr(sc) -> str:
    parts = scenario_parts(sc)
    return f"<Scenario {sc.name!r}: " + "; ".join(t for _, t in parts[:3]) + ">"


def _table(title: str, rows: list[tuple[str, str]], foot: str = "") -> str:
    body = "".join(f"<tr><th style='text-align:left'>{escape(k)}</th>"
                   f"<td style='text-align:left'>{escape(v)}</td></tr>" for k, v in rows)
    tail = f"<p>{escape(foot)}</p>" if foot else ""
    return f"<div><strong>{escape(title)}</strong><table>{body}</table>{tail}</div>"


def scenario_html(sc) -> str:
    return _table(f"Scenario {sc.name}", scenario_parts(sc))


def _value(summary: dict, key: str, unit: str) -> str:
    v = summary.get(key)
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.4g} {unit}".strip()
    return f"{v} {unit}".strip()


def result_rows(summary: dict) -> list[tuple[str, str]]:
    return [(label, _value(summary, key, unit)) for key, label, unit in RESULT_ROWS
            if key in summary and summary[key] is not None]


def result_repr(result) -> str:
    s = result.summary
    text = ", ".join(f"{label} {value}" for label, value in result_rows(s)[:4])
    warn = f"; {len(s.get('warnings', []))} warning(s)" if s.get("warnings") else ""
    return f"<Result of {result.scenario.name!r}: {text}{warn}>"


def result_html(result) -> str:
    warnings = "; ".join(result.summary.get("warnings", []))
    return _table(f"Result of {result.scenario.name}", result_rows(result.summary),
                  f"warnings: {warnings}" if warnings else "")
