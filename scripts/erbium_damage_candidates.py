"""Residual thermal damage under erbium pulses (issue 31, must-show "a multi-pass erbium
full-field case leaves 20-50 um of thermal damage"): what each candidate mechanism the model
can express through its public inputs gives, with the rows it must keep. A study, not a
validation case: nothing here is fitted, and the model is not changed by it
(docs/design.md, "Residual damage under erbium pulses: the candidates quantified").

- (a) the normal-spiking temporal structure: a free-running Er:YAG pulse is "a 250 us long
  envelope containing about twenty 1 us long pulses" (Walsh JT, Deutsch TF, "Comparison of
  tissue ablation using TEA CO2 and Er:YAG lasers", CLEO 1987, abstract), and "each micropulse
  in the normal-spiking-mode pulse train was capable of ablating and rapidly ejecting tissue"
  (Walsh JT, Deutsch TF, Appl Phys B 1991;52:217-224, abstract). Written here as a stack of
  N spikes of 1 us, N / 250 us apart, each carrying 1/N of the fluence;
- (d) incomplete ejection: more water left in the ejected tissue
  (``ejection_residual_water``; the calibrated value is 0.1);
- the ejection delay (1 us in the model; order of magnitude, Vogel & Venugopalan 2003).

Run: ``.venv/bin/python scripts/erbium_damage_candidates.py`` (about 10 s).
"""

from __future__ import annotations

import time
from typing import Any

from dermalase.simulate import simulate
from dermalase.simulate.scenario import Scenario

ENVELOPE_S = 250e-6  # Walsh & Deutsch, CLEO 1987: the normal-mode envelope


def scenario(fluence: float, tau: str, *, site: str = "forearm", passes: int = 1,
             interval: str = "2 s", stack: int | None = None, rate: str | None = None,
             **constants: float) -> dict[str, Any]:
    """Summary of one full-field Er:YAG run (4 mm spot, phototype II)."""
    delivery: dict[str, Any] = {"mode": "full-field", "spot_diameter": "4 mm",
                                "fluence": f"{fluence:.6g} J/cm^2", "passes": passes,
                                "pass_interval": interval}
    if stack is not None:
        delivery.update(stack=stack, repetition_rate=rate)
    sc = Scenario.from_dict({"skin": {"site": site, "phototype": 2},
                             "laser": {"source": "er:yag", "pulse_duration": tau},
                             "delivery": delivery})
    if constants:
        sc = sc.replace(constants=sc.constants.replace(**constants))
    return dict(simulate(sc).summary)


def spikes(fluence: float, n: int, **kw: Any) -> dict[str, Any]:
    """One free-running pulse of ``fluence`` as ``n`` spikes of 1 us over the envelope."""
    return scenario(fluence / n, "1 us", stack=n, rate=f"{n / ENVELOPE_S:.6g} Hz", **kw)


def rows() -> list[tuple[str, dict[str, Any]]]:
    out = [
        ("smooth 90 ns, 10 J/cm^2 (er-yag-qswitch-damage: 5-10 um)",
         scenario(10, "90 ns")),
        ("smooth 200 us, 10 J/cm^2 (er-yag-spiking-damage: 10-50 um)",
         scenario(10, "200 us")),
    ]
    for f in (5.0, 10.0, 20.0):
        for n in (5, 10, 20):
            out.append((f"(a) {f:g} J/cm^2 as {n} spikes of 1 us", spikes(f, n)))
    out += [
        ("smooth 250 us, cheek, 12.5 J/cm^2 x 2 at 10 Hz x 3 passes (er-yag-multipass-damage)",
         scenario(12.5, "250 us", site="cheek", passes=3, stack=2, rate="10 Hz")),
    ]
    for n in (10, 20):
        out.append((f"(a) cheek, 12.5 J/cm^2 as {n} spikes, 1 pulse",
                    spikes(12.5, n, site="cheek")))
        for interval in ("0.1 s", "2 s"):
            out.append((f"(a) cheek, 12.5 J/cm^2 as {n} spikes, 6 pulses {interval} apart",
                        spikes(12.5, n, site="cheek", passes=6, interval=interval)))
    for f in (0.5, 1.0):
        out.append((f"single 1 us spike, cheek, {f:g} J/cm^2", scenario(f, "1 us", site="cheek")))
    for floor in (0.4, 0.6, 1.0):  # the fitted bleaching floor (0.25) sets the 1 us threshold
        out.append((f"(a) 10 J/cm^2 as 20 spikes, water_absorption_floor {floor:g}",
                    spikes(10.0, 20, water_absorption_floor=floor)))
    for f_res in (0.1, 0.3, 0.5):
        out.append((f"(d) ejection_residual_water {f_res:g}, 10 J/cm^2, 250 us",
                    scenario(10, "250 us", ejection_residual_water=f_res)))
    for delay in (1e-6, 5e-6):
        out.append((f"ejection_delay {delay * 1e6:g} us, 10 J/cm^2, 200 us",
                    scenario(10, "200 us", ejection_delay=delay)))
    return out


def main() -> None:
    t0 = time.perf_counter()
    print("| case | ablation [um] | coagulation [um] | collagen [um] | retained [J/m^2] |")
    print("| --- | --- | --- | --- | --- |")
    for label, s in rows():
        kept = s["energy_balance_J_m2"]["retained_in_tissue"]
        print(f"| {label} | {s['ablation_depth_um']:.1f} | {s['coagulation_depth_um']:.1f} | "
              f"{s['collagen_denaturation_depth_um']:.1f} | {kept:.0f} |")
    print(f"\n{time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
