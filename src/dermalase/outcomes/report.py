"""Prediction beside observation: per measure, the observed against the predicted value of every
treatment with an outcome, the coverage of the prediction intervals, the bias by modality and
by area, the number of cases, and the cases far outside their interval, listed for review.

An item is one treatment: ``{"id", "modality", "area", "predicted": {measure: {"value",
"interval"}}, "observed": {measure: days}}``, with the prediction as it was stored when the
treatment was recorded (its fingerprint and calibration beside it), never recomputed.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from .cases import MEASURES

#: a case is listed for review when it lies outside its interval by more than this many
#: half-widths of the interval (policy: twice as far from the prediction as the interval
#: reaches)
FAR = 1.0


def _pairs(items: Sequence[dict], measure: str) -> list[dict]:
    out = []
    for it in items:
        p = (it.get("predicted") or {}).get(measure)
        o = (it.get("observed") or {}).get(measure)
        if p is None or o is None or p.get("value") is None:
            continue
        lo, hi = p["interval"]
        half = max((hi - lo) / 2.0, 1e-9)
        beyond = max(lo - o, o - hi, 0.0) / half
        out.append({"id": it["id"], "modality": it["modality"], "area": it["area"],
                    "predicted": float(p["value"]), "low": float(lo), "high": float(hi),
                    "observed": float(o), "inside": lo <= o <= hi, "beyond": beyond})
    return out


def _stats(rows: list[dict]) -> dict[str, Any]:
    n = len(rows)
    if n == 0:
        return {"n": 0, "coverage": None, "bias_days": None, "mean_abs_error_days": None}
    err = [r["observed"] - r["predicted"] for r in rows]
    return {"n": n, "coverage": sum(r["inside"] for r in rows) / n,
            "bias_days": sum(err) / n, "mean_abs_error_days": sum(abs(e) for e in err) / n}


def build(items: Sequence[dict]) -> dict[str, Any]:
    """The report's numbers (JSON-able)."""
    out: dict[str, Any] = {"cases": len(items), "measures": {}, "review": []}
    for key, what, unit in MEASURES:
        rows = _pairs(items, key)
        by_mod, by_area = defaultdict(list), defaultdict(list)
        for r in rows:
            by_mod[r["modality"]].append(r)
            by_area[r["area"]].append(r)
        out["measures"][key] = {
            "what": what, "unit": unit, **_stats(rows),
            "by_modality": {m: _stats(v) for m, v in sorted(by_mod.items())},
            "by_area": {a: _stats(v) for a, v in sorted(by_area.items())}, "points": rows}
        out["review"] += [{"measure": what, **r} for r in rows if r["beyond"] > FAR]
    out["review"].sort(key=lambda r: -r["beyond"])
    return out


def figure(report: dict[str, Any]) -> bytes:
    """The calibration plot: observed against predicted per measure, each prediction with its
    interval, the line of perfect agreement; PNG."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    keys = [k for k, _, _ in MEASURES]
    fig = Figure(figsize=(4.2 * len(keys), 4.0), dpi=100, layout="constrained")
    for i, key in enumerate(keys):
        ax = fig.add_subplot(1, len(keys), i + 1)
        m = report["measures"][key]
        pts = m["points"]
        if pts:
            x = [p["predicted"] for p in pts]
            y = [p["observed"] for p in pts]
            err = [[p["predicted"] - p["low"] for p in pts], [p["high"] - p["predicted"]
                                                              for p in pts]]
            colors = ["#1f5fa6" if p["inside"] else "#b3261e" for p in pts]
            ax.errorbar(x, y, xerr=err, fmt="none", ecolor="#9aa5b1", elinewidth=0.8)
            ax.scatter(x, y, c=colors, s=14, zorder=3)
            top = max(max(x), max(y), max(p["high"] for p in pts)) * 1.08
            ax.plot([0, top], [0, top], color="#444", lw=0.8, ls="--")
            ax.set_xlim(0, top)
            ax.set_ylim(0, top)
            cov = m["coverage"]
            ax.set_title(f"{m['what']}\n{m['n']} cases, {cov:.0%} inside", fontsize=9)
        else:
            ax.set_title(f"{m['what']}\nno cases yet", fontsize=9)
            ax.set_xticks([])
            ax.set_yticks([])
        ax.set_xlabel("predicted (d)")
        ax.set_ylabel("observed (d)")
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def text(report: dict[str, Any]) -> str:
    """The report as lines for a terminal."""
    lines = [f"{report['cases']} treatment(s) with an outcome"]
    for m in report["measures"].values():
        if not m["n"]:
            lines.append(f"{m['what']}: no cases")
            continue
        lines.append(f"{m['what']}: {m['n']} cases, {m['coverage']:.0%} inside the "
                     f"prediction interval, bias {m['bias_days']:+.1f} d, mean absolute "
                     f"error {m['mean_abs_error_days']:.1f} d")
        for group in ("by_modality", "by_area"):
            for k, s in m[group].items():
                lines.append(f"    {k}: {s['n']} cases, {s['coverage']:.0%} inside, bias "
                             f"{s['bias_days']:+.1f} d")
    if report["review"]:
        lines.append("far outside their interval (for review):")
        for r in report["review"]:
            lines.append(f"    treatment {r['id']}: {r['measure']} observed {r['observed']:g} d,"
                         f" predicted {r['predicted']:g} d ({r['low']:g}-{r['high']:g})")
    return "\n".join(lines)
