"""Figures: the treated cross-section (layers, ablated volume, coagulation zone, isotherms of
peak temperature) and, for fractional treatments, a top view of the pattern."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

LAYER_COLOURS = ("#e9d8a6", "#f4c7a1", "#f1a7a1", "#e07a7a", "#fff1b8")


def _save(fig, path, field: str = "figure"):
    if path is not None:
        from ..io.files import atomic_write, figure_format

        fmt = figure_format(field, path)  # the format the name ends with
        with atomic_write(path, field) as tmp:
            fig.savefig(tmp, dpi=130, format=fmt)
        plt.close(fig)
    return fig


def png_bytes(fig, dpi: int = 90) -> bytes:
    """``fig`` as PNG bytes (for pages and reports), closed afterwards."""
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    plt.close(fig)
    return buf.getvalue()


def _title(result) -> str:
    sc, s = result.scenario, result.summary
    d = sc.delivery
    if sc.fractional and not sc.source.ablative:
        return (f"{sc.source.name} non-ablative fractional {d.pulse_energy * 1e3:g} mJ x "
                f"{d.stack}, {d.microbeam_diameter * 1e6:g} µm beam, {sc.skin.site}: zone "
                f"{s['injury_depth_um']:.0f} µm deep, {s.get('zone_max_width_um', 0):.0f} µm "
                "wide (Monte Carlo deposition)")
    if sc.fractional:
        return (f"{sc.source.name} fractional {d.pulse_energy * 1e3:g} mJ x {d.stack}, "
                f"{d.microbeam_diameter * 1e6:g} µm beam, {sc.skin.site}: channel "
                f"{s['ablation_depth_um']:.0f} µm deep, {s['channel_diameter_um']:.0f} µm wide, "
                f"collar {s['coagulation_collar_um']:.0f} µm")
    return (f"{sc.source.name} {d.fluence / 1e4:g} J/cm², {d.pulse_duration * 1e6:g} µs,"
            f" {d.passes} pass(es), {sc.skin.site}: ablation {s['ablation_depth_um']:.1f} µm,"
            f" coagulation {s['coagulation_depth_um']:.1f} µm")


def treatment_figure(result, path=None):
    """The figure for a result: the cross-section, plus the pattern's top view if fractional."""
    if not result.scenario.fractional:
        return cross_section_figure(result, path)
    fig, (a, b) = plt.subplots(1, 2, figsize=(13, 5.2), width_ratios=[1.3, 1])
    cross_section_figure(result, ax=a)
    pattern_figure(result, ax=b)
    fig.tight_layout()
    return _save(fig, path)


def pattern_figure(result, path=None, *, window_um: float | None = None, ax=None):
    """Top view of a fractional pattern: ablated channels, coagulated rims, spared skin, over a
    window of the treated square (default: about 12 zone spacings, or the whole square)."""
    from matplotlib.collections import PatchCollection
    from matplotlib.patches import Circle, Patch

    ds, s = result.dataset, result.summary
    x, y = ds["zone_x"].values, ds["zone_y"].values
    side = float(ds.attrs["pattern_side_um"])
    spacing = s["zone_spacing_um"] or side
    win = min(side, window_um or 6.0 * spacing)
    x0 = y0 = 0.5 * (side - win)
    own = ax is None
    if own:
        fig, ax = plt.subplots(figsize=(5.5, 5.2))
    else:
        fig = ax.figure
    ax.set_facecolor(LAYER_COLOURS[1])
    sel = (x > x0 - spacing) & (x < x0 + win + spacing) & (y > y0 - spacing) & \
        (y < y0 + win + spacing)
    rz = float(ds.attrs["mtz_diameter_um"]) / 2
    rc = float(ds.attrs["channel_diameter_um"]) / 2
    centres = list(zip(x[sel], y[sel], strict=True))
    ax.add_collection(PatchCollection([Circle(c, rz) for c in centres],
                                      facecolor="#3b1f5c", alpha=0.75, lw=0))
    ax.add_collection(PatchCollection([Circle(c, rc) for c in centres],
                                      facecolor="white", edgecolor="k", lw=0.3))
    ax.set_xlim(x0, x0 + win)
    ax.set_ylim(y0, y0 + win)
    ax.set_aspect("equal")
    ax.set_xlabel("position on the skin, across (µm)")
    ax.set_ylabel("position on the skin, along (µm)")
    merge = "zones MERGE" if s.get("zones_merge") else f"bridges {s['bridge_width_um']:.0f} µm"
    ax.set_title(f"pattern: {s['zone_density_per_cm2']:.0f} zones/cm², injured surface "
                 f"{100 * s['surface_injury_fraction']:.1f} %, {merge}; bulk rise "
                 f"{s['bulk_temperature_rise_K']:.1f} K", fontsize=9)
    ax.legend(handles=[Patch(facecolor="white", edgecolor="k", label="ablated channel"),
                       Patch(color="#3b1f5c", alpha=0.75, label="coagulated rim (Ω ≥ 1)"),
                       Patch(color=LAYER_COLOURS[1], label="spared skin")],
              loc="upper right", fontsize=7, framealpha=0.9)
    return _save(fig, path) if own else fig


def cross_section_figure(result, path=None, *, max_depth_um: float | None = None, ax=None):
    """Draw the treated cross-section and return the matplotlib Figure (saved if ``path``).

    In 1-D the column is drawn across the spot (the spot is much wider than the injury).
    """
    ds = result.dataset
    s = result.summary
    z = ds["z"].values
    layer = ds["layer"].values
    names = ds["layer"].attrs["flag_meanings"].split()
    scale = 1.3 if result.scenario.fractional else 2.5
    depth_lim = max_depth_um or max(150.0, scale * s["injury_depth_um"])
    if ds.sizes["r"] == 1:
        half = max(depth_lim, 200.0)
        x = np.linspace(-half, half, 201)
        spot = result.scenario.delivery.spot_diameter * 1e6 / 2
        inside = np.abs(x) <= min(spot, 0.7 * half)
        floor = np.where(inside, float(ds["surface_depth"].values[0]), 0.0)
        tmax = np.repeat(ds["peak_temperature"].values[0][None, :], len(x), 0)
        om = np.repeat(ds["damage_necrosis"].values[0][None, :], len(x), 0)
        tmax = np.where(inside[:, None], tmax, np.nan)
        om = np.where(inside[:, None], om, 0.0)
    else:
        r = ds["r"].values
        x = np.concatenate([-r[::-1], r])
        floor = np.concatenate([ds["surface_depth"].values[::-1], ds["surface_depth"].values])
        tmax = np.concatenate([ds["peak_temperature"].values[::-1], ds["peak_temperature"].values])
        om = np.concatenate([ds["damage_necrosis"].values[::-1], ds["damage_necrosis"].values])
    X, Z = np.meshgrid(x, z, indexing="ij")
    ablated = Z < floor[:, None]
    own = ax is None
    if own:
        fig, ax = plt.subplots(figsize=(8, 5))
    else:
        fig = ax.figure
    # layers
    edges = [0.0]
    for k in range(len(names)):
        sel = z[layer == k]
        if sel.size:
            ax.axhspan(edges[-1], sel.max(), color=LAYER_COLOURS[k % 5], alpha=0.6, lw=0)
            if edges[-1] < depth_lim:
                ax.text(x[0], (edges[-1] + min(sel.max(), depth_lim)) / 2,
                        "  " + names[k].replace("_", " "), va="center", ha="left", fontsize=8)
            edges.append(sel.max())
    coag = np.where(~ablated & (om >= 1.0), 1.0, np.nan)
    ax.contourf(X, Z, coag, levels=[0.5, 1.5], colors=["#3b1f5c"], alpha=0.75)
    ax.contourf(X, Z, np.where(ablated, 1.0, np.nan), levels=[0.5, 1.5], colors=["white"])
    levels = [45, 60, 70, 100]
    cs = ax.contour(X, Z, np.where(ablated, np.nan, tmax), levels=levels, colors="k",
                    linewidths=0.7, linestyles="--")
    ax.clabel(cs, fmt="%d °C", fontsize=7)
    ax.set_ylim(depth_lim, 0)
    half = x[-1]
    if result.scenario.fractional:  # the zone, not the whole (wide) domain
        half = min(half, max(3.0 * s.get("zone_max_width_um") or 0.0,
                             2.0 * (s.get("mtz_diameter_um") or 0.0), 200.0))
    ax.set_xlim(-half, half)
    ax.set_xlabel("lateral position (µm)" if ds.sizes["r"] > 1 else
                  "lateral position (µm; 1-D model, spot edge drawn schematically)")
    ax.set_ylabel("depth below the skin surface (µm)")
    ax.set_title(_title(result), fontsize=9)
    from matplotlib.patches import Patch

    ax.legend(handles=[Patch(color="white", ec="k", label="ablated"),
                       Patch(color="#3b1f5c", alpha=0.75, label="coagulated (Ω ≥ 1)"),
                       plt.Line2D([], [], color="k", ls="--", lw=0.7,
                                  label="peak-temperature isotherms")],
              loc="lower right", fontsize=8)
    if not own:
        return fig
    fig.tight_layout()
    return _save(fig, path)


def healing_figure(results, path=None, *, n_maps: int = 3):
    """Healing curves (open fraction of the treated surface against days) of each result, and
    surface maps of the first results at a few times (open wound, new epidermis, intact)."""
    from matplotlib.colors import ListedColormap

    results = list(results)
    shown = results[:3]
    fig = plt.figure(figsize=(12, 3.6 * (1 + len(shown))))
    gs = fig.add_gridspec(1 + len(shown), n_maps)
    ax = fig.add_subplot(gs[0, :])
    for res in results:
        ds = res.dataset
        s = res.summary
        days = s["reepithelialization_days"]
        label = f"{res.scenario.name}: closed at {days} d" if days is not None else \
            f"{res.scenario.name}: does not close"
        ax.plot(ds["heal_t"].values, ds["open_wound_fraction"].values, lw=2, label=label)
    ax.set_xlabel("time after treatment (days)")
    ax.set_ylabel("open wound (fraction of treated surface)")
    ax.set_ylim(bottom=0)
    ax.set_xlim(left=0)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title("re-epithelialization (front migration from wound edges and surviving adnexa)",
                 fontsize=9)
    cmap = ListedColormap([LAYER_COLOURS[1], "#f1a7a1", "#8b1e1e"])
    for row, res in enumerate(shown, start=1):
        heal = res.healing
        dist, pixel = heal.sample()
        arr = heal.params.lag + dist / heal.params.c
        d_um = dist.shape[0] * pixel * 1e6
        win = arr.shape[0]
        if res.scenario.fractional and res.summary.get("zone_spacing_um"):
            win = min(win, int(6 * res.summary["zone_spacing_um"] / (pixel * 1e6)))
            d_um = win * pixel * 1e6
        elif not res.scenario.fractional:
            win = min(win, int(5e-3 / pixel))  # a 5 mm window of the wound interior
            d_um = win * pixel * 1e6
        sub = arr[:win, :win]
        t_close = heal.days * 86400.0 if np.isfinite(heal.days) else 30 * 86400.0
        lag = heal.params.lag
        for col, frac in enumerate(np.linspace(0.0, 1.0, n_maps)):
            t = lag + frac * max(t_close - lag, 0.0) if frac > 0 else lag
            img = np.where(np.isnan(sub), 0, np.where(sub <= t, 1, 2))
            a = fig.add_subplot(gs[row, col])
            a.imshow(img, cmap=cmap, vmin=0, vmax=2, extent=(0, d_um, d_um, 0),
                     interpolation="nearest")
            a.set_title(f"{res.scenario.name}: day {t / 86400.0:.1f}", fontsize=8)
            a.set_xlabel("µm", fontsize=7)
            a.tick_params(labelsize=7)
    from matplotlib.patches import Patch

    fig.legend(handles=[Patch(color=LAYER_COLOURS[1], label="intact skin"),
                        Patch(color="#f1a7a1", label="re-epithelialized"),
                        Patch(color="#8b1e1e", label="open wound")],
               loc="lower center", ncol=3, fontsize=8)
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    return _save(fig, path)
