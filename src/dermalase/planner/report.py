"""HTML report of a plan: the comparison table, cross-sections and healing curves (figures
embedded), reasons, warnings, blocked modalities and every source used."""

from __future__ import annotations

import base64
import html
import io

from .._version import __version__

COLUMNS = [("injury_depth_um", "injury depth [µm]"), ("ablation_depth_um", "ablation [µm]"),
           ("coagulation_depth_um", "coagulation [µm]"),
           ("surface_injury_fraction", "injured surface [1]"),
           ("reepithelialization_days", "re-epithelialization [d]"),
           ("reepithelialization_days_range", "range [d]"),
           ("remodeling_index_mm3_per_cm2", "remodeling [mm³/cm²]")]


def _png(fig) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def _figures(candidates) -> list[tuple[str, str]]:
    """(title, base64 PNG) for each simulated candidate: cross-section, then healing curves."""
    from ..report import healing_figure, treatment_figure
    from ..simulate import Scenario, simulate

    out, results = [], []
    for c in candidates:
        if c.get("scenario") is None:
            continue
        sc = Scenario.from_dict(dict(c["scenario"], name=c["modality"]))
        r = simulate(sc)
        results.append(r)
        out.append((f"{c['modality']}: cross-section", _png(treatment_figure(r))))
    if results:
        out.append(("healing of the candidates", _png(healing_figure(results))))
    return out


def render(plan: dict) -> str:
    e = html.escape
    rec = plan["recommended"]
    rows = []
    for c in plan["candidates"]:
        p = c["predicted"] or {}
        mark = "★ " if rec and c["modality"] == rec["modality"] else ""
        cells = "".join(f"<td>{e(str(p.get(k, '-')))}</td>" for k, _ in COLUMNS)
        st = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in c["settings"].items())
        rows.append(f"<tr><td>{mark}{e(c['modality'])}{'' if c['simulated'] else ' (literature)'}"
                    f"</td><td>{e(st)}</td><td>{c['sessions']}</td>{cells}"
                    f"<td>{e('; '.join(c['problems']) or 'meets all constraints')}</td></tr>")
    head = "".join(f"<th>{e(t)}</th>" for _, t in COLUMNS)
    figs = "".join(f"<figure><img src='data:image/png;base64,{b}'/><figcaption>{e(t)}"
                   f"</figcaption></figure>" for t, b in _figures(plan["candidates"]))
    sources = sorted({s for c in plan["candidates"] for s in c["sources"]}
                     | {b["source"] for b in plan["blocked"]})
    pat = plan["patient"]
    return f"""<!doctype html><html><head><meta charset="utf-8">
<title>dermalase plan: {e(pat['name'])}</title>
<style>body{{font-family:sans-serif;max-width:1200px;margin:auto}}table{{border-collapse:collapse}}
td,th{{border:1px solid #bbb;padding:4px;font-size:13px}}img{{max-width:100%}}
.warn{{color:#8b1e1e}}</style></head><body>
<h1>Treatment plan: {e(pat['name'])}</h1>
<p>dermalase {e(__version__)}. Phototype {pat['patient']['phototype']}; concern:
{e(str(plan['concern']))}; accepts {pat['preferences']['max_downtime_days']:g} days of downtime
and {pat['preferences']['max_sessions']} session(s). Target: {e(str(plan['target']))}.</p>
<h2>Recommendation</h2>
{'<p><b>' + e(rec['modality']) + '</b> ' + e(str(rec['settings'])) + ', ' + str(rec['sessions'])
 + ' session(s)</p><ul>' + ''.join('<li>' + e(r) + '</li>' for r in rec['reasons'])
 + '</ul><p>Required steps:</p><ul>' + ''.join('<li>' + e(s) + '</li>' for s in rec['steps'])
 + '</ul>' if rec else '<p class="warn">No candidate meets every constraint.</p>'}
<h2>Candidates side by side</h2>
<table><tr><th>modality</th><th>settings</th><th>sessions</th>{head}<th>constraints</th></tr>
{''.join(rows)}</table>
<h2>Blocked</h2><ul>{''.join(f"<li>{e(b['modality'])}: {e(b['reason'])} ({e(b['source'])})</li>"
                               for b in plan['blocked']) or '<li>none</li>'}</ul>
<h2>Warnings</h2><ul class="warn">{''.join(f'<li>{e(w)}</li>' for w in plan['warnings'])
                                   or '<li>none</li>'}</ul>
<h2>Figures</h2>{figs or '<p>no simulated candidate</p>'}
<h2>Sources</h2><ol>{''.join(f'<li>{e(s)}</li>' for s in sources)}</ol>
<p>Predictions come from the dermalase simulator (docs/validation.md lists its known gaps);
rules from data/planner_rules.toml. A clinician must confirm every recommendation.</p>
</body></html>"""
