"""Cross-section figure: layers, ablated volume, coagulation zone, isotherms of peak temperature."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

LAYER_COLOURS = ("#e9d8a6", "#f4c7a1", "#f1a7a1", "#e07a7a", "#fff1b8")


def cross_section_figure(result, path=None, *, max_depth_um: float | None = None):
    """Draw the treated cross-section and return the matplotlib Figure (saved if ``path``).

    In 1-D the column is drawn across the spot (the spot is much wider than the injury).
    """
    ds = result.dataset
    s = result.summary
    z = ds["z"].values
    layer = ds["layer"].values
    names = ds["layer"].attrs["flag_meanings"].split()
    depth_lim = max_depth_um or max(150.0, 2.5 * s["injury_depth_um"])
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
    fig, ax = plt.subplots(figsize=(8, 5))
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
    ax.set_xlim(x[0], x[-1])
    ax.set_xlabel("lateral position (µm)" if ds.sizes["r"] > 1 else
                  "lateral position (µm; 1-D model, spot edge drawn schematically)")
    ax.set_ylabel("depth (µm)")
    sc = result.scenario
    ax.set_title(
        f"{sc.source.name} {sc.delivery.fluence / 1e4:g} J/cm², "
        f"{sc.delivery.pulse_duration * 1e6:g} µs,"
        f" {sc.delivery.passes} pass(es), {sc.skin.site}: ablation {s['ablation_depth_um']:.1f} µm,"
        f" coagulation {s['coagulation_depth_um']:.1f} µm", fontsize=9)
    from matplotlib.patches import Patch

    ax.legend(handles=[Patch(color="white", ec="k", label="ablated"),
                       Patch(color="#3b1f5c", alpha=0.75, label="coagulated (Ω ≥ 1)"),
                       plt.Line2D([], [], color="k", ls="--", lw=0.7,
                                  label="peak-temperature isotherms")],
              loc="lower right", fontsize=8)
    fig.tight_layout()
    if path is not None:
        from ..io.files import atomic_write

        with atomic_write(path) as tmp:
            fig.savefig(tmp, dpi=130, format="png")
        plt.close(fig)
    return fig
