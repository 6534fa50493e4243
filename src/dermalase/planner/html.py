"""HTML report of a plan: every concern with its complete plan (settings, sessions and interval,
the three distinct recovery figures, care steps, risks, adjuncts, a plain-language summary),
the candidates side by side, what is blocked and why, how the concerns combine, figures and
every source used. All user text is escaped; nothing is printed as a Python structure."""

from __future__ import annotations

import base64
import html
import json

from .._version import __version__
from .plan import course_text, format_days

e = html.escape

COLUMNS = [("injury_depth_um", "injury depth (µm)"), ("ablation_depth_um", "ablation (µm)"),
           ("coagulation_depth_um", "coagulation (µm)"),
           ("surface_injury_fraction", "injured surface")]


def _png(fig) -> str:
    from ..report import png_bytes

    return base64.b64encode(png_bytes(fig)).decode()


def _figures(candidates, results: dict) -> list[tuple[str, str]]:
    """(title, base64 PNG) for each simulated candidate: cross-section, then healing curves.
    The fields come from the planner's kept results (memory or the disk cache), so the report
    does not simulate what the plan already did; ``results`` memoizes across concerns."""
    from ..report import healing_figure, treatment_figure
    from ..simulate import Scenario
    from .search import kept_result

    out, runs = [], []
    for c in candidates:
        if c.get("scenario") is None:
            continue
        key = json.dumps(c["scenario"], sort_keys=True)
        if key not in results:
            results[key] = kept_result(Scenario.from_dict(c["scenario"]))
        named = _named(results[key], c["label"])
        runs.append(named)
        out.append((f"{c['label']}: cross-section", _png(treatment_figure(named))))
    if runs:
        out.append(("healing of the candidates", _png(healing_figure(runs))))
    return out


def _named(result, label: str):
    """A shallow copy of ``result`` whose scenario is named after the modality, so figures and
    legends name what they show (the searches' scenarios are all named "candidate")."""
    import copy

    out = copy.copy(result)
    out.scenario = copy.copy(result.scenario)
    out.scenario.name = label
    return out


def _depth(v) -> str:
    return "–" if v is None else f"{5 * round(v / 5):.0f}"


def _cell(key: str, v) -> str:
    if v is None:
        return "–"
    if key == "surface_injury_fraction":
        return f"{100 * v:.0f} %"
    return _depth(v)


def _spread(key: str, iv: dict | None) -> str:
    """A model interval under its value (5-95 %)."""
    if not iv:
        return ""
    return (f"<br><small class='interval'>{_cell(key, iv['p5'])}–{_cell(key, iv['p95'])}"
            "</small>")


def _days(r) -> str:
    return format_days(r, " d")


def _settings(st: dict) -> str:
    return ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in st.items())


def _ul(items, cls: str = "") -> str:
    if not items:
        return ""
    c = f' class="{cls}"' if cls else ""
    return f"<ul{c}>" + "".join(f"<li>{e(str(i))}</li>" for i in items) + "</ul>"


def _recovery(c: dict) -> str:
    re = c.get("reepithelialization") or {}
    model = re.get("model_days")
    rng = re.get("model_range_days")
    model_txt = "not simulated" if model is None else (
        f"{model:.1f} d (model range {rng[0]:.1f}–{rng[1]:.1f} d)" if rng else f"{model:.1f} d")
    note = f" <span class='note'>{e(re['note'])}</span>" if re.get("note") else ""
    pub = re.get("published_days")
    return (
        "<table class='recovery'><tr><th>recovery</th><th>days</th><th>source</th></tr>"
        f"<tr class='reepithelialization'><td>re-epithelialization (model)</td>"
        f"<td>{e(model_txt)}{note}</td><td>dermalase healing model</td></tr>"
        f"<tr class='reepithelialization-published'><td>re-epithelialization (published)</td>"
        f"<td>{e(_days(pub))}</td><td>{e(c.get('downtime_source') or '–')}</td></tr>"
        f"<tr class='downtime'><td>social downtime (published; typical, may take up to)</td>"
        f"<td>{e(_typical(c))}</td>"
        f"<td>{e(c.get('downtime_source') or '–')}</td></tr>"
        f"<tr class='erythema'><td>redness (erythema, published)</td>"
        f"<td>{e(_days(c.get('erythema_days')))}"
        f"{' – ' + e(c['erythema_note']) if c.get('erythema_note') else ''}</td>"
        f"<td>{e(c.get('erythema_source') or '–')}</td></tr></table>")


def _typical(c: dict) -> str:
    typ, dt = c.get("downtime_typical_days"), c.get("downtime_days")
    if typ is None or not dt:
        return _days(dt)
    return f"typically {typ:g} d (may take up to {dt[1]:g} d)"


def _complete(c: dict) -> str:
    """The complete plan of one candidate (item 7 of issue 12)."""
    iv = c.get("interval_weeks")
    sessions = course_text(c["sessions"], iv)
    phases: dict[str, list[str]] = {"before": [], "during": [], "after": []}
    for s in c["steps"]:
        ph, _, text = s.partition(": ")
        phases.get(ph, phases["before"]).append(text)
    steps = "".join(f"<h4>{ph}</h4>{_ul(items)}" for ph, items in phases.items() if items)
    adj = (f"<h4>adjuncts</h4>{_ul(c['adjuncts'], 'adjuncts')}" if c.get("adjuncts") else "")
    notes = _ul(c.get("notes"), "note")
    return (f"<p class='settings'><b>Settings:</b> {e(_settings(c['settings']))}</p>{notes}"
            f"{_devices(c.get('devices') or [])}"
            f"<p class='sessions'><b>Sessions:</b> {e(sessions)}</p>"
            f"<p class='improvement'><b>Expected improvement:</b> {e(c['improvement'])}</p>"
            f"{_recovery(c)}<div class='steps'><h3>Care</h3>{steps}</div>"
            f"<h3>Risks</h3>{_ul(c['risks'], 'risks')}{adj}")


def _devices(devices: list) -> str:
    """The settings in each catalogue device's own terms."""
    if not devices:
        return ""
    rows = "".join(f"<tr><td>{e(d['model'])}</td><td>{e(_settings(d['settings']))}</td>"
                   f"<td>{_ul(d['notes'])}</td></tr>" for d in devices)
    return ("<table class='devices'><tr><th>device</th><th>settings in its terms</th>"
            f"<th>reading rests on</th></tr>{rows}</table>")


def _candidates_table(p: dict) -> str:
    rec = p["recommended"]
    rows = []
    for c in p["candidates"]:
        pred = c["predicted"] or {}
        star = "★ " if rec and c["label"] == rec["label"] else ""
        cond = (f"<br><i>conditional on: {e(', '.join(c['conditional_on']))}</i>"
                if c["conditional_on"] else "")
        ivs = (c.get("predicted_interval") or {}).get("intervals") or {}
        cells = "".join(f"<td>{_cell(k, pred.get(k))}{_spread(k, ivs.get(k))}</td>"
                        for k, _ in COLUMNS)
        lit = "" if c["simulated"] else " (published values)"
        rows.append(f"<tr><td class='modality'>{star}{e(c['label'])}{lit}{cond}</td>"
                    f"<td>{_cand_settings(c)}</td><td>{c['sessions']}</td>{cells}"
                    f"<td>{e(_days(c['downtime_days']))}</td>"
                    f"<td>{e('; '.join(c['problems']) or 'meets all constraints')}</td></tr>")
    head = "".join(f"<th>{e(t)}</th>" for _, t in COLUMNS)
    spread = next((c["predicted_interval"] for c in p["candidates"]
                   if c.get("predicted_interval")), None)
    caption = (f"<caption>Small figures under a value: {e(spread['note'])}, "
               f"{spread['samples']} samples.</caption>" if spread else "")
    return (f"<table class='candidates'>{caption}<tr><th>modality</th><th>settings</th>"
            f"<th>sessions</th>{head}<th>social downtime</th><th>constraints</th></tr>"
            f"{''.join(rows)}</table>")


def _cand_settings(c: dict) -> str:
    if c.get("units") is None:
        return e(_settings(c["settings"]))
    return "by unit: " + e("; ".join(f"{u['label']}: " + (_unit_short(u) if u["modality"]
                                                           else "not treated")
                                     for u in c["units"]))


def _unit_short(u: dict) -> str:
    from ..report.facemap import unit_settings

    return f"{u['modality_label']}, {unit_settings(u)}"


def _units_table(units: list) -> str:
    """A full-face recommendation: each unit with its modality, settings, device terms,
    passes, injury depth and envelope rows."""
    from ..report.facemap import unit_settings

    rows = []
    for u in units:
        if not u["modality"]:
            rows.append(f"<tr><td>{e(u['label'])}</td><td colspan='5'>not treated: "
                        f"{e(u.get('reason', ''))}</td></tr>")
            continue
        dev = "; ".join(f"{d['model']}: {_settings(d['settings'])}" for d in u["devices"])
        depth = u["injury_depth_um"]
        rows.append(f"<tr><td>{e(u['label'])}"
                    + (" (feathering band)" if u["feathering_band"] else "")
                    + f"</td><td>{e(u['modality_label'])}</td><td>{e(unit_settings(u))}</td>"
                    f"<td>{e(dev or 'published settings')}</td>"
                    f"<td>{'-' if depth is None else f'{5 * round(depth / 5):.0f}'}</td>"
                    f"<td>{e(', '.join(u['envelope_rows']) or '-')}</td></tr>")
    return ("<table class='units'><tr><th>unit</th><th>modality</th><th>settings</th>"
            "<th>device (its terms)</th><th>injury (µm, model)</th><th>envelope rows</th></tr>"
            + "".join(rows) + "</table>")


def _session(plan: dict) -> str:
    """The one session of the face units, with the face map (inline SVG)."""
    from ..report.facemap import face_map_svg

    ses = plan.get("session")
    if not ses:
        return ""
    dt = ses["downtime_days"]
    edges = [f"{x['unit']} into {', '.join(x['into'])}: {x['how']}" for x in ses["feathering"]]
    return ("<section class='session'><h2>One session by cosmetic unit: face map</h2>"
            f"<figure class='facemap'>{face_map_svg(plan, 'report-facemap')}</figure>"
            f"<p>{len(ses['treated_units'])} units treated; "
            f"{100 * ses['treated_share_of_face']:.0f} % of the face drawing "
            f"({e(ses['treated_share_note'])}); {course_text(ses['sessions'])}; social downtime "
            + (f"typically {ses['downtime_typical_days']:g} d (may take up to {dt[1]:g} d); "
               if dt and ses["downtime_typical_days"] is not None else "not reported; ")
            + f"{e(ses['downtime_note'])}.</p>"
            + (f"<p><b>Feathering</b> ({e(ses['feathering_source'])}):</p>{_ul(edges)}"
               if edges else "") + "</section>")


def _concern(i: int, p: dict, figs: list) -> str:
    con = p["concern"]
    title = f"{con['kind']} (severity {con['severity']}" + (
        f", {con['scar_type']} scars" if con.get("scar_type") else "") + f"), {con['site']}"
    t = p["target"]
    depth = t["full_field_um"] or t["fractional_um"]
    target = f"{t['layer']}" + (f", injury {depth[0]}–{depth[1]} µm" if depth else "")
    rec = p["recommended"]
    if rec:
        warn = (f"<p><b>For this patient:</b></p>{_ul(rec['patient_warnings'])}"
                if rec.get("patient_warnings") else "")
        units = _units_table(rec["units"]) if rec.get("units") else ""
        body = (f"<div class='recommendation'><h3>★ Recommended: {e(rec['label'])}</h3>"
                f"{warn}{units}{_ul(rec['reasons'])}{_complete(rec)}</div>")
    else:
        d = p["deferral"]
        body = ("<div class='deferral'><h3>No recommendation yet</h3>"
                f"<p><b>Why:</b></p>{_ul(d['why'])}"
                + (f"<p><b>What to do:</b></p>{_ul(d['what_to_do'])}" if d["what_to_do"]
                   else "")
                + (f"<p><b>Other routes the evidence names:</b></p>{_ul(d['non_laser'])}"
                   if d["non_laser"] else "") + "</div>")
        top = p["candidates"][0] if p["candidates"] else None
        if top and top["conditional_on"]:
            body += (f"<div class='conditional'><h3>Top-ranked, conditional on the answers "
                     f"above: {e(top['label'])}</h3>{_complete(top)}</div>")
    parts = [f"<section class='concern' id='concern-{i}'><h2>Concern {i + 1}: {e(title)}</h2>",
             f"<p>Target: {e(target)} ({e(t['source'])})</p>",
             f"<p class='summary'><b>For the patient:</b> {e(p['summary'])}</p>", body]
    if p["adjuncts"] and not rec:
        parts.append(f"<h3>Adjuncts for this scar type</h3>{_ul(p['adjuncts'], 'adjuncts')}")
    if p["candidates"]:
        parts.append(f"<h3>Candidates side by side</h3>{_candidates_table(p)}")
    if p["blocked"]:
        parts.append("<h3>Blocked</h3>" + _ul(
            [f"{b['label']}: {b['reason']} ({b['source']})" for b in p["blocked"]]))
    if figs:
        parts.append("<h3>Figures</h3>" + "".join(
            f"<figure><img src='data:image/png;base64,{b}' alt='{e(t)}'/><figcaption>{e(t)}"
            f"</figcaption></figure>" for t, b in figs))
    return "".join(parts) + "</section>"


def render(plan: dict, *, figures: bool = True) -> str:
    pat = plan["patient"]
    results: dict = {}
    concerns = "".join(_concern(i, p, _figures(p["candidates"], results) if figures else [])
                       for i, p in enumerate(plan["plans"]))
    needed = plan.get("needed_answers") or []
    answers = (("<section class='needed'><h2>Answers needed before any option that depends "
                "on them can be recommended</h2>")
               + _ul([f"{a['key']}: {a['question']}" for a in needed]) + "</section>"
               if needed else "")
    comb = plan["combined"]
    combined = ""
    if len(plan["plans"]) > 1:
        combined = ("<section class='combined'><h2>Combined plan</h2>"
                    + (_ul(comb["steps"]) if comb["steps"] else
                       "<p>No two recommended treatments to combine.</p>")
                    + (f"<p>Longest social downtime of the visit: {_days(comb['downtime_days'])}"
                       f"</p>" if comb["downtime_days"] else "")
                    + (f"<p>Not yet recommended: {e('; '.join(comb['not_recommended']))}</p>"
                       if comb["not_recommended"] else "")
                    + f"<p>Intervals between treatments: {e(comb['source'])}</p></section>")
    sources = sorted({s for p in plan["plans"] for c in p["candidates"] for s in c["sources"]}
                     | {b["source"] for p in plan["plans"] for b in p["blocked"]})
    from ..simulate.store import take_notes

    # cache entries the figures found edited (and simulated again) are said in the report too
    warns = _ul(plan["warnings"] + [n for n in take_notes() if n not in plan["warnings"]],
                "warn")
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>dermalase plan: {e(pat['name'])}</title>
<style>body{{font-family:sans-serif;max-width:1200px;margin:auto;padding:0 1em}}
table{{border-collapse:collapse;margin:.5em 0}}td,th{{border:1px solid #bbb;padding:4px;
font-size:13px;vertical-align:top}}img{{max-width:100%}}.warn,.note{{color:#8b1e1e}}
.recommendation{{border-left:4px solid #1e6b2e;padding-left:1em}}
.deferral,.conditional{{border-left:4px solid #8b1e1e;padding-left:1em}}
td.modality{{white-space:nowrap}}section{{margin-bottom:2em}}</style></head><body>
<h1>Treatment plan: {e(pat['name'])}</h1>
<p>dermalase {e(__version__)}. Phototype {pat['patient']['phototype']}; accepts
{pat['preferences']['max_downtime_days']:g} days of social downtime and
{pat['preferences']['max_sessions']} session(s). {len(plan['plans'])} concern(s).</p>
{answers}{concerns}{combined}{_session(plan)}
{'<h2>Warnings</h2>' + warns if warns else ''}
<h2>Sources</h2><ol>{''.join(f'<li>{e(s)}</li>' for s in sources)}</ol>
<p>Depths are rounded to 5 µm (the model's precision; docs/validation.md lists its known gaps).
Recovery figures marked published come from the cited studies; the re-epithelialization marked
model comes from the dermalase healing model. Rules: data/planner_rules.toml. A clinician must
confirm every recommendation.</p>
</body></html>"""
