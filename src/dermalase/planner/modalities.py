"""The planner's modalities, their groups (as the rule files name them) and their labels."""

from __future__ import annotations

MODALITIES = ("full-field-co2", "full-field-er:yag", "full-field-er:yag-dual", "fractional-co2",
              "fractional-er:yag", "non-ablative-fractional-er:glass",
              "non-ablative-fractional-tm:fiber")
GROUPS = {
    "full-field": ("full-field-co2", "full-field-er:yag", "full-field-er:yag-dual"),
    "ablative-fractional": ("fractional-co2", "fractional-er:yag"),
    "ablative": ("full-field-co2", "full-field-er:yag", "full-field-er:yag-dual",
                 "fractional-co2", "fractional-er:yag"),
    "non-ablative": ("non-ablative-fractional-er:glass", "non-ablative-fractional-tm:fiber"),
    "all": MODALITIES,
}
#: Labels a clinician reads.
LABELS = {"full-field-co2": "full-field CO2 (10,600 nm)",
          "full-field-er:yag": "full-field Er:YAG (2,940 nm)",
          "full-field-er:yag-dual": "full-field dual-mode (variable-pulse) Er:YAG",
          "fractional-co2": "ablative fractional CO2",
          "fractional-er:yag": "ablative fractional Er:YAG",
          "non-ablative-fractional-er:glass": "non-ablative fractional 1,550 nm",
          "non-ablative-fractional-tm:fiber": "non-ablative fractional 1,927 nm (thulium)"}


def expand(names) -> set[str]:
    out: set[str] = set()
    for n in names:
        out |= set(GROUPS.get(n, (n,)))
    return out
