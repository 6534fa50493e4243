"""The clinical envelope (issue 29): every search of every generated patient lies inside it, the
numbers change where it says they must, and the four dangerous patterns of the issue cannot
recur, shown on patients other than the issue's.

The envelope's rows are read here from data/envelope.toml with this file's own selector
matching (not the planner's), and each bound a search is given is checked against each row that
applies, one by one: a composition that drops a row, or applies one where it should not, fails.
Bounds-level checks need no simulation (thousands of patients in the default run; the whole grid
in ``make envelope-grid``); the plans' own recommendations are checked on a sample of real plans.
"""

from __future__ import annotations

import itertools
import math
import random
import subprocess
import sys
import tomllib
from importlib import resources

import pytest

from dermalase.planner import Patient, plan
from dermalase.planner import envelope as E
from dermalase.planner import rules as R
from dermalase.planner.cases import ABLATIVE, CASES, CLEAN, FULL_FIELD, patient_dict
from dermalase.planner.words import leaks

P = __import__("importlib").import_module("dermalase.planner.plan")  # the module, not plan()

ENV = tomllib.loads(resources.files("dermalase.data").joinpath("envelope.toml")
                    .read_text(encoding="utf-8"))
RULES = tomllib.loads(resources.files("dermalase.data").joinpath("planner_rules.toml")
                      .read_text(encoding="utf-8"))
MARGIN = RULES["policy"]["harm_margin"]
SITES = {r["site"]: r for r in __import__("csv").DictReader(
    resources.files("dermalase.data").joinpath("sites.csv").read_text().splitlines())}
GROUPS = {"full-field": FULL_FIELD, "ablative-fractional": {"fractional-co2",
                                                            "fractional-er:yag"},
          "ablative": ABLATIVE, "non-ablative": {"non-ablative-fractional-er:glass",
                                                 "non-ablative-fractional-tm:fiber"}}
ALL = set().union(*GROUPS.values())
GROUPS["all"] = ALL

#: history variants of the grid: clean, each envelope history item, unknown answers
HISTORIES = {
    "clean": dict(CLEAN),
    "keloids": dict(CLEAN, keloids=True),
    "vitiligo-stable": dict(CLEAN, vitiligo=True, vitiligo_stable=True),
    "vitiligo-unstable": dict(CLEAN, vitiligo=True, vitiligo_stable=False),
    "ectropion": dict(CLEAN, ectropion=True),
    "no-ectropion-answer": {k: v for k, v in CLEAN.items() if k != "ectropion"},
    "no-keloid-answer": {k: v for k, v in CLEAN.items() if k != "keloids"},
    "melasma-no": dict(CLEAN, melasma=False),
    # review 29b: the history items whose rules now act on the numbers
    "radiation": dict(CLEAN, prior_radiation=True),
    "photosensitizing": dict(CLEAN, photosensitizing_drugs=True),
}
CONCERNS = sorted({(c["kind"], s) for c in RULES["concern"]
                   for s in range(c["severity"][0], c["severity"][1] + 1)})
DOWNTIMES = (2, 5, 14)
SESSIONS = (1, 3, 6)


def _mods(names) -> set[str]:
    out: set[str] = set()
    for n in names:
        out |= set(GROUPS.get(n, {n}))
    return out


def rows_for(area: str, phototype: int, history: dict, modality: str) -> list[dict]:
    """This test's own reading of which rows apply (answered history only)."""
    a = ENV["area"][area]
    out = []
    for row in ENV["row"]:
        if "areas" in row and area not in row["areas"]:
            continue
        if area in row.get("except_areas", []):
            continue
        if "regions" in row and a["region"] not in row["regions"]:
            continue
        if "area_flag" in row and not a.get(row["area_flag"]):
            continue
        if "phototypes" in row and not row["phototypes"][0] <= phototype <= row["phototypes"][1]:
            continue
        if "modalities" in row and modality not in _mods(row["modalities"]):
            continue
        if "if_history" in row and history.get(row["if_history"]) is not True:
            continue
        if "history" in row:
            key, _, want = row["history"].partition("=")
            if history.get(key) is not (want != "false"):
                continue
        out.append(row)
    return out


def device_top(modality: str) -> dict:
    return E.device_limits(modality) or {}


def skin_depth_limit(area: str, modality: str) -> float:
    sk = SITES[ENV["area"][area]["skin"]]
    epi = float(sk["stratum_corneum_um"]) + float(sk["epidermis_um"])
    dermis = float(ENV["area"][area]["dermis_um"])
    f = ENV["policy"]["full_field_dermis_fraction" if modality in FULL_FIELD
                      else "fractional_dermis_fraction"]
    return (1 - MARGIN) * (epi + f * dermis)


def check_patient(area, phototype, kind, severity, history, downtime, sessions) -> int:
    """Every search and every literature setting of one patient against every applying row;
    returns the number of candidate modalities checked."""
    d = patient_dict(phototype, ((kind, severity, area),), downtime=downtime, sessions=sessions,
                     history=history)
    pat = Patient.from_dict(d)
    concern = pat.concerns[0]
    rule, considered = P.considered(pat, concern)
    n = 0
    for m, v in considered:
        rows = rows_for(area, phototype, pat.history, m)
        blocks = [r for r in rows if r["action"] == "block"]
        if blocks:
            assert v.blocked, (area, phototype, kind, m, [r["id"] for r in blocks])
            continue
        if v.blocked:
            continue
        n += 1
        limits = [r for r in rows if r["action"] == "limit"]
        dev = device_top(m)
        assert dev, f"{m}: a candidate without a binding device"
        st = RULES["settings"][m]
        if st.get("literature_only"):
            check_published(m, st, rule, concern, pat, v, limits, dev, area)
            continue
        inp = P.search_inputs(m, rule, concern, pat, v)
        bd = inp.bounds
        # energy: the device's range, then each row's factor and fluence range
        assert bd.energy_device[1] <= dev["energy"][1] + 1e-9 if "energy" in dev else True
        assert bd.energy[1] <= bd.energy_device[1] + 1e-9
        unit = "fluence_J_cm2" if m in FULL_FIELD else "pulse_energy_mJ"
        c_top = st.get("clinical_" + unit, st[unit])[1]
        for r in limits:
            if "energy_factor" in r:
                assert bd.energy[1] <= c_top * r["energy_factor"][1] + 1e-9, (m, r["id"])
                if r["energy_factor"][1] < 1:  # a lowering is a hard ceiling (review A2)
                    assert bd.energy_device[1] <= c_top * r["energy_factor"][1] + 1e-9, \
                        (m, r["id"], bd.energy_device)
                    assert bd.ceiling
            if "fluence_J_cm2" in r:
                assert bd.energy_device[1] <= r["fluence_J_cm2"][1] + 1e-9
            if "energy_max_mJ" in r and m not in FULL_FIELD:
                assert bd.energy_device[1] <= r["energy_max_mJ"] + 1e-9
            if "passes_max" in r:
                assert bd.passes_max is not None and bd.passes_max <= r["passes_max"]
            if "injured_surface_max" in r:
                assert bd.injured_surface_max <= r["injured_surface_max"] + 1e-9
            if "harm_injured_surface" in r:
                assert bd.injured_surface_max <= r["harm_injured_surface"] * (1 - MARGIN) + 1e-9
            if "harm_depth_um" in r:
                assert inp.hi <= r["harm_depth_um"] * (1 - MARGIN) + 1e-9
        if "passes" in dev:
            assert bd.passes_max is not None and bd.passes_max <= dev["passes"][1]
        if "injured_surface" in dev:
            assert bd.injured_surface_max <= dev["injured_surface"][1] + 1e-9
        if "depth_um" in dev:
            assert inp.hi <= dev["depth_um"][1] + 1e-9
        assert inp.hi <= skin_depth_limit(area, m) + 1e-6, (area, m, inp.hi)
        assert 0 < inp.lo < inp.hi
        if inp.aim is not None and bd.injured_surface_max is not None:
            assert inp.aim <= bd.injured_surface_max + 1e-12
    return n


def check_published(m, st, rule, concern, pat, v, limits, dev, area) -> None:
    """A published (literature-only) candidate's numbers against every applying row, the
    binding device and the area's skin: energy under each row's lowered top (the published
    top times the row's factor; a row of the area itself is already in settings published for
    that area), under an absolute energy cap; coverage under each cap; the dual-mode dials
    (ablation, coagulation, passes) likewise. No numbers: never recommendable (review A6)."""
    c = P._literature_candidate(m, st, rule, concern, pat, v)
    b = c.bounds
    lit = P._literature_row(m, concern, pat, rule["kind"]) or {}
    own = "areas" in lit or "regions" in lit  # published for this area
    if "pulse_energy_mJ" in b:
        top = b["pulse_energy_mJ"][1]
        assert top <= dev["energy"][1] + 1e-9
        for r in limits:
            if "energy_factor" in r and not (own and set(r) & {
                    "areas", "except_areas", "regions", "area_flag"}):
                assert top <= lit["pulse_energy_mJ"][1] * r["energy_factor"][1] + 1e-9
            if "energy_max_mJ" in r:
                assert top <= r["energy_max_mJ"] + 1e-9, (m, r["id"], top)
    if "ablation_um" in b:
        top, passes = b["ablation_um"][1], b["passes"]
        rate = 4.0  # the Contour's dial rule (data/devices.toml), µm per J/cm^2
        assert dev["energy"][0] * rate - 1e-9 <= top <= dev["energy"][1] * rate + 1e-9
        assert b["coagulation_um"][1] <= dev["coagulation_um"][1] + 1e-9
        for r in limits:
            if "energy_factor" in r:
                assert top <= lit["ablation_um"][1] * r["energy_factor"][1] + 1e-9, r["id"]
            if "passes_max" in r:
                assert passes <= r["passes_max"]
        injury = top * passes + b["coagulation_um"][1]
        assert injury <= skin_depth_limit(area, m) + 1e-6
    cov = b.get("coverage", [0, b.get("coverage_upper_bound", 0)])[1]
    for r in limits:
        if "injured_surface_max" in r:
            assert cov <= r["injured_surface_max"] + 1e-9, (m, r["id"], cov)
    assert P._has_numbers(c.settings), (m, c.settings)  # every published option has numbers


def grid():
    return itertools.product(sorted(ENV["area"]), range(1, 7), CONCERNS, sorted(HISTORIES),
                             DOWNTIMES, SESSIONS)


def grid_size() -> int:
    return (len(ENV["area"]) * 6 * len(CONCERNS) * len(HISTORIES) * len(DOWNTIMES)
            * len(SESSIONS))


# --- the envelope as data -------------------------------------------------------------------
def test_every_row_has_a_source_and_every_area_a_skin():
    env = E.envelope()
    assert env["version"]
    for row in env["row"]:
        assert row["source"] and row["reason"] and row["evidence"] in E.EVIDENCE
    for a in env["area"].values():
        assert a["skin"] in SITES and a["dermis_um"] > 0 and a["dermis_source"]
    # issue 29's areas: the jowl, jawline and submental sites; the keloid-prone ones
    assert {"jowl", "jawline", "submental"} <= set(env["area"])
    prone = {n for n, a in env["area"].items() if a.get("keloid_prone")}
    # E29-E32: the neck (and the submental skin, the neck's) too (review A1)
    assert {"chest", "shoulder", "upper-back", "earlobe", "jawline", "neck", "submental"} <= prone


def test_each_modality_is_bound_by_a_catalogue_device():
    for m in R.MODALITIES:
        assert E.device_limits(m), m
    # UltraPulse: 500 mJ over its 3 mm spot is 7.07 J/cm^2 (Fitzpatrick 1999: ~7 J/cm^2)
    top = E.device_limits("full-field-co2")["energy"][1]
    assert top == pytest.approx(0.5 / (math.pi * 0.3 ** 2 / 4), rel=1e-9)


def test_no_device_no_recommendation(monkeypatch):
    """A modality whose binding device is removed from the envelope is blocked for everyone."""
    env = dict(E.envelope())
    env["device"] = {k: v for k, v in env["device"].items() if k != "fractional-co2"}
    monkeypatch.setattr(E, "envelope", lambda: env)
    E.device_limits.cache_clear()
    try:
        pat = Patient.from_dict(patient_dict(2, (("acne-scars", 3, "cheek", "boxcar"),)))
        v = R.verdicts(pat, pat.concerns[0])
        assert any(b[3] == "no-device" for b in v["fractional-co2"].blocked)
        assert not v["fractional-er:yag"].blocked
    finally:
        E.device_limits.cache_clear()


def test_depth_limits_follow_the_areas_own_skin_and_avram_checks_them():
    """Full field: epidermis + half the dermis (tissue-response.md section 5), a margin below:
    thinner skin, shallower limit. The neck's limit so derived lies below Avram 2009's scarring
    depth (630 µm), an independent datum; the fractional whole-dermis rule does not, so
    Avram's own row binds there (tested in the grid)."""
    lim = {a: E.depth_limit_um(a, "full-field-co2")[0] for a in ENV["area"]}
    assert lim["periorbital"] < lim["cheek"] < lim["perioral"]
    assert lim["neck"] < 630
    assert E.depth_limit_um("neck", "fractional-co2")[0] > 630 * (1 - MARGIN)
    # the eyelid: the thinnest published dermis (E4, 215 µm) gives about Cohen's 130 µm (E2)
    assert 100 <= lim["periorbital"] <= 135


# --- the property over the input space -------------------------------------------------------
def test_every_search_of_thousands_of_generated_patients_lies_inside_the_envelope():
    """A seeded sample of the whole grid (area x phototype x concern x severity x history x
    downtime x sessions): every candidate's search bounds and every literature setting against
    every applying row, the area's skin and the binding device."""
    rnd = random.Random(29)
    combos = list(grid())
    sample = rnd.sample(combos, 3000)
    checked = sum(check_patient(c[0], c[1], c[2][0], c[2][1], HISTORIES[c[3]], c[4], c[5])
                  for c in sample)
    assert checked > 3000


@pytest.mark.slow
def test_every_search_of_the_whole_grid_lies_inside_the_envelope():
    n = sum(check_patient(c[0], c[1], c[2][0], c[2][1], HISTORIES[c[3]], c[4], c[5])
            for c in grid())
    assert n > grid_size() // 2


def _rec(d):
    return plan(Patient.from_dict(d))["recommended"]


#: real patients beyond the planner table (none of them a reviewer's file), each one an envelope
#: row that lowers a number the search or the published settings use
PROBES = {
    "wrinkles-cheek-III": patient_dict(3, (("wrinkles", 3, "cheek"),), downtime=14),
    "wrinkles-jawline-II": patient_dict(2, (("wrinkles", 3, "jawline"),), downtime=14),
    "dual-mode-perioral-I": patient_dict(1, (("wrinkles", 3, "perioral"),), downtime=5),
    "sun-damage-eyelid-III": patient_dict(3, (("sun-damage", 3, "periorbital"),), downtime=3,
                                          sessions=6),
    "acne-upper-back-III": patient_dict(3, (("acne-scars", 3, "upper-back", "boxcar"),),
                                        downtime=14, sessions=2),
}
SLOW_PROBES = {
    "keloid-perioral-III": patient_dict(3, (("wrinkles", 3, "perioral"),), downtime=14,
                                        sessions=3, keloids=True),
    "vitiligo-stable-cheek-II": patient_dict(2, (("acne-scars", 3, "cheek", "rolling"),),
                                             downtime=14, sessions=3, vitiligo=True,
                                             vitiligo_stable=True),
    "fractional-chest-I": patient_dict(1, (("wrinkles", 2, "chest"),), downtime=14,
                                       sessions=3),
}


def _top(text) -> float:
    return float(str(text).split()[0].split("-")[-1])


def check_recommendation(d: dict, p: dict, c: dict) -> None:
    """One real recommendation's chosen numbers against the clinical top each applying row
    describes (the published clinical range's top times the row's energy factor, an absolute
    cap, a pass and a surface cap), its binding device's reading, and the area's skin; the
    published (not simulated) ones too, whose numbers must exist (no numbers, no ★)."""
    rec = p["recommended"]
    m = rec["modality"]
    pat = Patient.from_dict(d)
    rows = rows_for(c["site"], pat.phototype, pat.history, m)
    assert not [r for r in rows if r["action"] == "block"]
    limits = [r for r in rows if r["action"] == "limit"]
    dev = device_top(m)
    binding = next(x for x in rec["devices"] if x["device"] == dev["device"])
    assert binding["within_range"], binding
    st, st_rule = rec["settings"], RULES["settings"][m]
    assert "spot_diameter" not in st  # the devices' own spots read the fluence (review B3)
    if not rec["simulated"]:
        assert P._has_numbers(st), st
        lit = P._literature_row(m, pat.concerns[0], pat, p["rule_kind"]) or {}
        own = "areas" in lit or "regions" in lit
        for r in limits:
            area_row = bool(set(r) & {"areas", "except_areas", "regions", "area_flag"})
            if "pulse_energy" in st:
                if "energy_factor" in r and not (own and area_row):
                    assert _top(st["pulse_energy"]) <= \
                        lit["pulse_energy_mJ"][1] * r["energy_factor"][1] + 0.5, r["id"]
                if "energy_max_mJ" in r:
                    assert _top(st["pulse_energy"]) <= r["energy_max_mJ"], r["id"]
            if "ablation" in st:
                if "energy_factor" in r:
                    assert _top(st["ablation"]) <= \
                        lit["ablation_um"][1] * r["energy_factor"][1] + 0.5, r["id"]
                if "passes_max" in r:
                    assert int(st["passes"]) <= r["passes_max"]
            cov = rec["predicted"].get("surface_injury_fraction")
            if cov is None:
                cov = rec["envelope"]["bounds"].get("coverage_upper_bound")
            if "injured_surface_max" in r and cov is not None:
                assert cov <= r["injured_surface_max"] + 1e-9, r["id"]
        return
    if m in FULL_FIELD:
        x, unit, n = float(st["fluence"].split()[0]), "fluence_J_cm2", st["passes"]
    else:
        x, unit, n = float(st["pulse_energy"].split()[0]), "pulse_energy_mJ", st["stack"]
    c_top = st_rule.get("clinical_" + unit, st_rule[unit])[1]
    if "energy" in dev:  # the ProFractional is set by depth: its reading is checked above
        assert x <= dev["energy"][1] + 0.05
    for r in limits:
        if "energy_factor" in r and r["energy_factor"][1] < 1:
            assert x <= c_top * r["energy_factor"][1] + 0.05, (r["id"], x, c_top)
        if "fluence_J_cm2" in r and m in FULL_FIELD:
            assert x <= r["fluence_J_cm2"][1] + 0.05, r["id"]
        if "energy_max_mJ" in r and m not in FULL_FIELD:
            assert x <= r["energy_max_mJ"] + 0.05, r["id"]
        if "passes_max" in r:
            assert n <= r["passes_max"], r["id"]
        if "injured_surface_max" in r:
            assert rec["predicted"]["surface_injury_fraction"] <= r["injured_surface_max"] + 1e-9
    if not any("published setting" in note for note in rec["notes"]):  # model gap: the dial
        assert rec["predicted"]["injury_depth_um"] <= skin_depth_limit(c["site"], m) + 1


def _check_plan(d: dict) -> int:
    out = plan(Patient.from_dict(d))
    n = 0
    for p, c in zip(out["plans"], d["concerns"], strict=True):
        if p["recommended"] is None:
            continue
        pat = Patient.from_dict(d)
        p["rule_kind"] = R.concern_rule(pat.concerns[0], pat)["kind"]
        check_recommendation(d, p, c)
        n += 1
    return n


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_every_recommendation_of_the_planner_table_lies_inside_the_envelope(case):
    """The real plans of the planner table's patients (their searches are shared with
    test_safety in a session): each recommendation's chosen numbers, simulated or published,
    against the clinical top of each applying row, the area's skin and its binding device."""
    _check_plan(case.patient)


@pytest.mark.parametrize("name", sorted(PROBES))
def test_the_chosen_settings_of_other_patients_lie_inside_the_envelope(name):
    """Review C2/C3 on patients the table lacks: a lowered phototype (III), an area's passes
    (jawline), dual-mode's dials (perioral), the eyelid's non-ablative energy, the trunk's
    energy (upper back). Each must be recommended, so that its numbers are checked."""
    assert _check_plan(PROBES[name]) == 1


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SLOW_PROBES))
def test_the_chosen_settings_of_more_patients_lie_inside_the_envelope(name):
    assert _check_plan(SLOW_PROBES[name]) == 1


def _extreme_readings(m: str, inp) -> list[dict]:
    """The binding device's reading of the deepest setting the search could write (its top
    energy, most passes or pulses, the injured-surface cap, the target's depth): no
    simulation, the device rules read the scenario and these predictions."""
    from dermalase.devices.terms import device_terms
    from dermalase.simulate import Scenario

    st = RULES["settings"][m]
    b = inp.bounds
    if m in FULL_FIELD:
        n = max(p for p in st["passes"] if b.passes_max is None or p <= b.passes_max)
        sc = Scenario.from_dict({"skin": {"site": inp.skin}, "laser": {
            "source": st["source"], "pulse_duration": st["pulse_duration"]},
            "delivery": {"fluence": f"{round(b.energy_device[1], 3)} J/cm^2", "passes": n,
                         "spot_diameter": "4 mm"}})
        settings = {"fluence": f"{b.energy_device[1]:.1f} J/cm^2", "passes": n}
        pred = {"injury_depth_um": inp.hi}
    else:
        n = max(k for k in st["stack"] if b.passes_max is None or k <= b.passes_max)
        cov = min(b.injured_surface_max or 0.3, 0.3)
        sc = Scenario.from_dict({"skin": {"site": inp.skin}, "laser": {
            "source": st["source"], "pulse_duration": st["pulse_duration"]},
            "delivery": {"mode": "fractional", "microbeam_diameter": st["microbeam_diameter"],
                         "pulse_energy": f"{round(b.energy_device[1], 3)} mJ", "stack": n,
                         "coverage": cov}})
        settings = {"pulse_energy": f"{b.energy_device[1]:.1f} mJ", "stack": n}
        pred = {"ablation_depth_um": inp.hi, "injury_depth_um": inp.hi,
                "surface_injury_fraction": b.injured_surface_max or cov}
    return device_terms(m, sc, pred, settings)


@pytest.mark.parametrize("area", sorted(ENV["area"]))
def test_no_setting_the_search_could_write_is_outside_its_device(area):
    """Dangerous pattern 4 (a ★ outside the device's range) on every area, phototype and device:
    the deepest setting each search's bounds allow reads within the binding device's published
    range (UltraPulse <= 500 mJ over 3 mm; ProFractional <= 22 % and <= 1,000 µm; Fraxel
    re:pair <= 40 mJ)."""
    n = 0
    for pt, (kind, sev), hist in itertools.product(range(1, 7), (
            ("wrinkles", 3), ("acne-scars", 3), ("sun-damage", 4), ("laxity", 2)),
            ("clean", "keloids")):
        pat = Patient.from_dict(patient_dict(pt, ((kind, sev, area),),
                                             history=HISTORIES[hist]))
        rule, cons = P.considered(pat, pat.concerns[0])
        for m, v in cons:
            if v.blocked or RULES["settings"][m].get("literature_only"):
                continue
            inp = P.search_inputs(m, rule, pat.concerns[0], pat, v)
            dev = device_top(m)
            reading = next(x for x in _extreme_readings(m, inp)
                           if x["device"] == dev["device"])
            assert reading["within_range"], (area, pt, kind, m, reading)
            n += 1
    assert n > 0


# --- settings differ where the envelope says they must ---------------------------------------
def _limit_ids(area, phototype, history, m):
    return {r["id"] for r in rows_for(area, phototype, history, m) if r["action"] == "limit"}


def _same_limits(rid: str, others: set[str]) -> bool:
    """Whether row ``rid`` sets the very limits another applying row sets (two rows with the
    same amounts, e.g. the jawline's and phototype III's full field: their bounds agree)."""
    keys = ("energy_factor", "fluence_J_cm2", "passes_max", "injured_surface_max",
            "injured_surface_factor")
    rows = {r["id"]: r for r in ENV["row"]}
    mine = {k: rows[rid][k] for k in keys if k in rows[rid]}
    return any(mine == {k: rows[o][k] for k in keys if k in rows[o]} for o in others)


def test_bounds_differ_wherever_the_envelope_rows_differ():
    """For every area, modality and pair of phototypes (or pair of areas) whose limit rows
    differ, the search bounds differ: a test that fails if they are equal."""
    seen = 0
    for area in ENV["area"]:
        for kind, sev in (("wrinkles", 3), ("acne-scars", 3), ("sun-damage", 4)):
            plans = {}
            for pt in range(1, 7):
                pat = Patient.from_dict(patient_dict(pt, ((kind, sev, area),)))
                rule, cons = P.considered(pat, pat.concerns[0])
                plans[pt] = {m: P.search_inputs(m, rule, pat.concerns[0], pat, v)
                             for m, v in cons if not v.blocked
                             and not RULES["settings"][m].get("literature_only")}
            for p1, p2 in itertools.combinations(range(1, 7), 2):
                for m in set(plans[p1]) & set(plans[p2]):
                    r1, r2 = (_limit_ids(area, p, CLEAN, m) for p in (p1, p2))
                    bound_rows = {r["id"] for r in ENV["row"] if set(r) & {
                        "energy_factor", "fluence_J_cm2", "passes_max", "injured_surface_max",
                        "injured_surface_factor"}}
                    differ = (r1 ^ r2) & bound_rows
                    if differ and not all(_same_limits(x, r1 & r2) for x in differ):
                        seen += 1
                        a, b = plans[p1][m], plans[p2][m]
                        assert a.bounds.key() != b.bounds.key() or a.aim != b.aim, \
                            (area, kind, m, p1, p2)
    assert seen > 50


def test_phototype_iii_full_field_settings_differ_from_phototype_ii():
    """Dangerous pattern 2 on other patients: deep forehead wrinkles and widespread actinic
    keratoses of the cheek (not the issue's perioral case). Phototype III's full-field bounds
    have at most 2 passes and a fifth less fluence at the top (policy), erbium ranks before
    CO2, and the priming step is there; a real plan of the forehead differs from phototype
    II's."""
    for concern in (("wrinkles", 3, "forehead"), ("actinic-keratoses", 4, "cheek")):
        ii, iii = (Patient.from_dict(patient_dict(pt, (concern,), downtime=14))
                   for pt in (2, 3))
        (r2, c2), (r3, c3) = (P.considered(p, p.concerns[0]) for p in (ii, iii))
        v2, v3 = dict(c2), dict(c3)
        for m in ("full-field-co2", "full-field-er:yag"):
            a = P.search_inputs(m, r2, ii.concerns[0], ii, v2[m]).bounds
            b = P.search_inputs(m, r3, iii.concerns[0], iii, v3[m]).bounds
            assert b.passes_max <= 2 < a.passes_max
            assert b.energy[1] <= 0.8 * a.energy[1] + 1e-9
            assert any("priming" in s[0] for s in v3[m].steps)
            assert not any("priming" in s[0] for s in v2[m].steps)
        assert v3["full-field-er:yag"].bounds.first and not v3["full-field-co2"].bounds.first
    # real plans, the same modality compared (review C1): full-field Er:YAG for phototypes II
    # and III, both simulated; III's chosen fluence is under its lowered clinical top (the
    # policy's fifth off 17.5 J/cm^2) and its passes at most 2, so the settings differ
    two, three = (plan(Patient.from_dict(patient_dict(pt, (("wrinkles", 3, "forehead"),),
                                                      downtime=14))) for pt in (2, 3))
    er2, er3 = ({c["modality"]: c for c in out["candidates"]}["full-field-er:yag"]
                for out in (two, three))
    assert not er2["problems"] and not er3["problems"]
    f2, f3 = (float(c["settings"]["fluence"].split()[0]) for c in (er2, er3))
    assert f3 <= 0.8 * 17.5 + 0.05 and er3["settings"]["passes"] <= 2
    assert (f2, er2["settings"]["passes"]) != (f3, er3["settings"]["passes"])
    assert three["recommended"]["modality"] == "full-field-er:yag"  # erbium first in III
    assert any("priming" in s for s in three["recommended"]["steps"])


def test_eyelid_is_not_treated_like_the_cheek():
    """Dangerous pattern 1 on other patients (phototypes II and III, 21 days, fine lines too):
    the eyelid's bounds are shallower and have fewer passes than the cheek's, CO2 stays at
    one pass of at most 6 J/cm^2 (Harris 1999), every option carries the metal eye shields,
    and the expected result quoted is the eyelid's, not the upper lip's."""
    for pt, (kind, sev) in itertools.product((2, 3), (("wrinkles", 3), ("fine-lines", 2))):
        eye = Patient.from_dict(patient_dict(pt, ((kind, sev, "periorbital"),), downtime=21))
        cheek = Patient.from_dict(patient_dict(pt, ((kind, sev, "cheek"),), downtime=21))
        re, ve = P.considered(eye, eye.concerns[0])
        rc, vc = P.considered(cheek, cheek.concerns[0])
        for (m, v1), (_, v2) in zip(ve, vc, strict=True):
            assert any("eye shields" in s[0] for s in v1.steps) or v1.blocked
            if v1.blocked or v2.blocked or RULES["settings"][m].get("literature_only"):
                continue
            a = P.search_inputs(m, re, eye.concerns[0], eye, v1)
            b = P.search_inputs(m, rc, cheek.concerns[0], cheek, v2)
            assert a.hi <= b.hi and a.hi <= skin_depth_limit("periorbital", m) + 1e-6
            assert a.hi < b.hi or a.bounds.key() != b.bounds.key()  # never the cheek's
            if m in FULL_FIELD:
                assert a.bounds.passes_max == 1 and a.hi <= 135
            if m == "full-field-co2":
                assert a.bounds.energy_device[1] <= 6.0
        if kind == "wrinkles":  # the eyelid's own expected result (E1, E5)
            for m in ("full-field-co2", "full-field-er:yag"):
                assert "upper lip" not in re["improvement_by_area"]["periorbital"][m]


@pytest.mark.parametrize("area", ["shoulder", "upper-back", "earlobe", "jawline"])
def test_keloid_former_gets_no_ablation_on_other_keloid_prone_areas(area):
    """Dangerous pattern 3 on other keloid-prone areas and phototypes: no laser option, and
    the deferral names the first-line scar care."""
    out = plan(Patient.from_dict(patient_dict(2, (("acne-scars", 3, area, "hypertrophic"),),
                                              sessions=3, keloids=True)))
    assert out["recommended"] is None
    assert ABLATIVE <= {b["modality"] for b in out["blocked"]} | ABLATIVE - {
        c["modality"] for c in out["candidates"]}
    assert not any(c["modality"] in ABLATIVE for c in out["candidates"])
    assert any("corticosteroid" in t for t in out["deferral"]["what_to_do"])


def test_keloid_former_elsewhere_gets_lower_energy_and_density():
    pat = Patient.from_dict(patient_dict(3, (("acne-scars", 3, "cheek", "boxcar"),),
                                         keloids=True))
    clean = Patient.from_dict(patient_dict(3, (("acne-scars", 3, "cheek", "boxcar"),)))
    v, w = R.verdicts(pat, pat.concerns[0]), R.verdicts(clean, clean.concerns[0])
    assert all(v[m].blocked for m in FULL_FIELD)  # E33, E42: no confluent wound (review A2)
    k, c = v["fractional-er:yag"].bounds, w["fractional-er:yag"].bounds
    assert k.energy[1] < c.energy[1] and k.passes_max == 1
    assert k.injured_surface_max <= 0.11 < 0.22


@pytest.mark.parametrize("d", [
    patient_dict(1, (("actinic-keratoses", 4, "forehead"),), downtime=14),
    patient_dict(2, (("wrinkles", 3, "cheek"),), downtime=14),
    patient_dict(2, (("sun-damage", 4, "cheek"),), downtime=14),
    patient_dict(1, (("wrinkles", 3, "perioral"),), downtime=14, sessions=5)],
    ids=["ak-forehead-I", "wrinkles-cheek-II", "sun-damage-cheek-II", "wrinkles-perioral-I"])
def test_no_star_outside_the_device_range(d):
    """Dangerous pattern 4 on other patients and every device: each candidate's reading on its
    binding device is within the device's range (UltraPulse <= 500 mJ, ProFractional <= 22 %
    and <= 1,000 µm, Fraxel re:pair <= 40 mJ)."""
    out = plan(Patient.from_dict(d))
    for c in out["candidates"]:  # published (not simulated) ones too: their numbers are read
        if c["problems"]:
            continue
        dev = device_top(c["modality"])
        reading = next(x for x in c["devices"] if x["device"] == dev["device"])
        assert reading["within_range"], (c["modality"], reading)
        if c["modality"] == "full-field-co2":
            assert float(reading["settings"]["energy"].split()[0]) <= 500.0 + 1


# --- words a patient and a clinician can use ---------------------------------------------------
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_patient_text_has_no_tags_keys_or_code_names(case):
    out = plan(Patient.from_dict(case.patient))
    for p in out["plans"]:
        assert not leaks(p["summary"]), (p["summary"], leaks(p["summary"]))
        assert "135 days" not in p["summary"]
        r = p["recommended"]
        if r:
            assert not leaks(r["expected_result"]), r["expected_result"]
    assert len(out["recommendations"]) == len(out["plans"])
    assert "first_concern_only" in out and out["envelope"]["version"] == E.version()


def test_risks_are_those_of_the_patients_phototype():
    ii = _rec(patient_dict(2, (("acne-scars", 3, "cheek", "boxcar"),), sessions=3))
    iv = _rec(patient_dict(4, (("acne-scars", 3, "cheek", "boxcar"),), sessions=3))
    assert not any("phototypes IV-V" in r for r in ii["risks"])
    assert any("phototypes IV-V" in r for r in iv["risks"])


#: what a pregnant patient's deferral must not propose (review A7, E66: laser, microneedling and
#: peels deferred; E58-E61 hydroquinone and retinoids; topical 5-fluorouracil contraindicated)
NOT_IN_PREGNANCY = ("laser", "microneedling", "ultrasound", "radiofrequency", "peel",
                    "tca", "surgeon", "surgery", "punch", "subcision", "injection",
                    "corticosteroid", "fluorouracil", "imiquimod", "hydroquinone", "retinoid",
                    "tretinoin", "cryosurgery", "photodynamic", "1,927", "1,550")


@pytest.mark.parametrize("concern", [("uneven-tone", 2, "cheek"), ("laxity", 3, "neck"),
                                     ("actinic-keratoses", 2, "forehead"),
                                     ("acne-scars", 3, "shoulder", "hypertrophic"),
                                     ("melasma", 2, "forehead")],
                         ids=["tone", "laxity", "ak", "keloid-scars", "melasma"])
def test_pregnancy_defers_first_and_proposes_no_procedure_or_teratogen(concern):
    """Review A7 on other patients (phototypes III and V, other areas): the deferral leads with
    'defer until after pregnancy'; neither what to do nor the other treatments name a
    procedure, a laser or a drug to avoid; those to avoid are listed apart; the patient's
    summary says so."""
    keloid = concern[0] == "acne-scars"
    out = plan(Patient.from_dict(patient_dict(5 if keloid else 3, (concern,), pregnant=True,
                                              keloids=keloid)))
    d = out["deferral"]
    assert out["recommended"] is None
    assert d["what_to_do"][0].startswith("defer until after pregnancy")
    for text in d["what_to_do"] + d["non_laser"] + d["non_laser_patient"]:
        assert not any(w in text.lower() for w in NOT_IN_PREGNANCY), text
    # what to avoid is the concern's own (E58-E61 for pigment; 5-fluorouracil for keratoses and
    # keloids), and a pigment's care is named once; a laxity gets no pigment advice
    pigment = concern[0] in ("uneven-tone", "melasma")
    ak = concern[0] in ("actinic-keratoses", "acne-scars")
    assert any("hydroquinone" in a for a in d["avoid"]) == (pigment or keloid)
    assert any("fluorouracil" in a for a in d["avoid"]) == ak
    assert sum("sunscreen" in t for t in d["non_laser_patient"]) == (1 if pigment or
                                                                     concern[0].startswith("act")
                                                                     else 0)
    assert out["summary"].split("What to do first: ")[1].startswith("defer until after")
    assert ("Avoid: " in out["summary"]) == bool(d["avoid"])


def test_uneven_tone_asks_melasma_first_and_follows_the_melasma_rule():
    out = plan(Patient.from_dict(patient_dict(3, (("uneven-tone", 2, "forehead"),),
                                              sessions=4, downtime=7)))
    assert "melasma" in {a["key"] for a in out["needed_answers"]}
    assert ABLATIVE <= {b["modality"] for b in out["blocked"]}
    nafl = next(c for c in out["candidates"]
                if c["modality"] == "non-ablative-fractional-er:glass")
    assert float(nafl["settings"]["pulse_energy"].split()[0].split("-")[-1]) <= 12  # E49
    answered = Patient.from_dict(patient_dict(3, (("uneven-tone", 2, "forehead"),),
                                              sessions=4, downtime=7, melasma=False))
    assert "melasma" not in answered.missing_history()
    rule, cons = P.considered(answered, answered.concerns[0])
    assert rule["kind"] == "uneven-tone"
    assert not all(v.blocked for m, v in cons if m in ABLATIVE)


def test_fewer_sessions_is_a_smaller_stated_benefit_not_no_plan():
    out = plan(Patient.from_dict(patient_dict(2, (("acne-scars", 3, "cheek", "rolling"),),
                                              downtime=3, sessions=2)))
    rec = out["recommended"]
    assert rec is not None and rec["sessions"] == 2 and rec["reduced_course"]
    assert "expect less" in rec["improvement"]


def test_terminal_plan_is_readable_at_80_columns(tmp_path):
    import os

    from tests.planner.test_safety import _toml

    f = tmp_path / "p.toml"
    f.write_text(_toml(patient_dict(3, (("wrinkles", 3, "perioral"),))), encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "dermalase.cli", "plan", str(f)],
                       capture_output=True, text=True, timeout=600,
                       env=dict(os.environ, COLUMNS="80"), check=False)
    assert r.returncode == 0, r.stderr
    assert all(len(line) <= 80 for line in r.stdout.splitlines())
    assert "…" not in r.stdout
    assert "for this patient:" in r.stdout  # patient-specific warnings in the ★ box


def test_envelope_command_shows_it(tmp_path):
    import json

    r = subprocess.run([sys.executable, "-m", "dermalase.cli", "envelope", "--json"],
                       capture_output=True, text=True, timeout=120, check=False)
    assert r.returncode == 0, r.stderr
    env = json.loads(r.stdout)
    assert env["version"] == E.version()
    assert {row["id"] for row in env["rows"]} == {row["id"] for row in ENV["row"]}
    assert env["devices"]["full-field-co2"]["ranges"]["energy"][1] == pytest.approx(7.0736,
                                                                                  abs=1e-3)


# --- history items and indications that change the numbers ----------------------------------
def _verdicts(d):
    pat = Patient.from_dict(d)
    return pat, R.verdicts(pat, pat.concerns[0])


def test_vitiligo_asks_whether_stable_and_unstable_vitiligo_blocks_ablation():
    """E87-E90: stability and activity signs decide; unknown is never safe."""
    base = (("wrinkles", 3, "cheek"),)
    _, unknown = _verdicts(patient_dict(2, base, vitiligo=True))
    _, unstable = _verdicts(patient_dict(2, base, vitiligo=True, vitiligo_stable=False))
    _, stable = _verdicts(patient_dict(2, base, vitiligo=True, vitiligo_stable=True))
    _, none = _verdicts(patient_dict(2, base))
    for m in ("full-field-co2", "fractional-co2"):
        assert "vitiligo_stable" in unknown[m].conditional
        assert unstable[m].blocked
        assert "vitiligo_stable" not in none[m].conditional
    # review A5: active vitiligo defers every elective laser; stable vitiligo blocks the
    # confluent wound and bounds the rest (one pass, ~11 %, a fifth off the energy top), with
    # a test spot on a hidden site; the answered question is not asked again
    assert unstable["non-ablative-fractional-er:glass"].blocked
    assert all(stable[m].blocked for m in FULL_FIELD)
    b, c = stable["fractional-co2"].bounds, none["fractional-co2"].bounds
    assert b.passes_max == 1 and b.injured_surface_max <= 0.11
    assert b.energy_device[1] <= 0.8 * c.energy[1] + 1e-9
    assert any("test spot" in x[0] for x in stable["fractional-co2"].steps)
    assert not any("ask whether" in x[0] for x in stable["fractional-co2"].warnings)
    pat = Patient.from_dict(patient_dict(2, base, vitiligo=True))
    assert "vitiligo_stable" in pat.missing_history()
    assert "vitiligo_stable" not in Patient.from_dict(patient_dict(2, base)).missing_history()


def test_lid_laxity_blocks_full_field_on_the_eyelids_and_is_asked_only_there():
    """E9: ectropion is an absolute contraindication to CO2 resurfacing of the eyelids."""
    eye = (("wrinkles", 3, "periorbital"),)
    _, lax = _verdicts(patient_dict(2, eye, ectropion=True))
    _, unknown = _verdicts(patient_dict(2, eye, ectropion=None))
    assert lax["full-field-co2"].blocked and lax["full-field-er:yag"].blocked
    assert not lax["fractional-co2"].blocked and lax["fractional-co2"].warnings
    assert "ectropion" in unknown["full-field-co2"].conditional
    cheek = Patient.from_dict(patient_dict(2, (("wrinkles", 3, "cheek"),), ectropion=None))
    assert "ectropion" not in cheek.missing_history()
    assert not any("ectropion" in v.conditional for v in R.verdicts(
        cheek, cheek.concerns[0]).values())


def _literature(d, m):
    pat, v = _verdicts(d)
    rule, _ = P.considered(pat, pat.concerns[0])
    return P._literature_candidate(m, RULES["settings"][m], rule, pat.concerns[0], pat, v[m])


NAFL = "non-ablative-fractional-er:glass"


def test_1550_nm_energies_follow_the_indication_and_the_phototype_caps_the_density():
    """E49/E50 pigment 6-12 mJ; E54 scars 35-40 mJ; E55 actinic damage 20-70 mJ, kept in the
    Fraxel re:store's 40 mJ; E17 eyelids 17-20 mJ. Coverage: IV at most 23 %, V-VI at most 11 %
    (below IV's); the zone depth is not shown, since no source gives it at these energies."""
    tone = _literature(patient_dict(2, (("uneven-tone", 2, "cheek"),)), NAFL)
    scars = _literature(patient_dict(2, (("acne-scars", 3, "cheek", "rolling"),)), NAFL)
    ak = _literature(patient_dict(2, (("sun-damage", 4, "cheek"),)), NAFL)
    eye = _literature(patient_dict(2, (("wrinkles", 2, "periorbital"),)), NAFL)
    assert tone.bounds["pulse_energy_mJ"] == [6, 12]
    assert scars.bounds["pulse_energy_mJ"] == [35, 40]
    assert ak.bounds["pulse_energy_mJ"] == [20, 40]
    assert eye.bounds["pulse_energy_mJ"] == [17, 20]
    caps = {}
    for pt in (2, 4, 5, 6):
        c = _literature(patient_dict(pt, (("acne-scars", 3, "cheek", "rolling"),)), NAFL)
        caps[pt] = c.bounds["coverage"][1]
        assert c.predicted["injury_depth_um"] is None
    assert caps[2] == pytest.approx(0.35)
    assert caps[4] == pytest.approx(0.23) and caps[5] == caps[6] == pytest.approx(0.11)
    assert caps[5] < caps[4]


def test_bounds_differ_between_areas_wherever_their_rows_or_skin_differ():
    """For every pair of areas and every phototype, a modality whose limit rows or skin depth
    limit differ between the two areas gets different search bounds or targets."""
    bound_keys = {"energy_factor", "fluence_J_cm2", "passes_max", "injured_surface_max",
                  "injured_surface_factor", "harm_depth_um", "harm_injured_surface"}
    seen = 0
    for pt in (2, 3, 4):
        inputs = {}
        for area in ENV["area"]:
            pat = Patient.from_dict(patient_dict(pt, (("wrinkles", 3, area),)))
            rule, cons = P.considered(pat, pat.concerns[0])
            inputs[area] = {m: P.search_inputs(m, rule, pat.concerns[0], pat, v)
                            for m, v in cons if not v.blocked
                            and not RULES["settings"][m].get("literature_only")}
        for a1, a2 in itertools.combinations(ENV["area"], 2):
            for m in set(inputs[a1]) & set(inputs[a2]):
                r1 = {r["id"] for r in rows_for(a1, pt, CLEAN, m) if set(r) & bound_keys}
                r2 = {r["id"] for r in rows_for(a2, pt, CLEAN, m) if set(r) & bound_keys}
                x, y = inputs[a1][m], inputs[a2][m]
                deeper = min(skin_depth_limit(a1, m), skin_depth_limit(a2, m))
                differ = r1 ^ r2
                if differ and all(_same_limits(x, r1 & r2) for x in differ):
                    differ = set()  # the rows that differ repeat a common row's amounts
                if differ or (deeper < 800 and abs(skin_depth_limit(a1, m)
                                                   - skin_depth_limit(a2, m)) > 1):
                    seen += 1
                    assert (x.bounds.key(), x.hi, x.aim) != (y.bounds.key(), y.hi, y.aim), \
                        (a1, a2, m, pt)
    assert seen > 20


# --- the independent review of the envelope (REVIEW-29): each item on other patients ----------
@pytest.mark.parametrize("area,concern", [("neck", ("wrinkles", 2)), ("submental", ("laxity", 1)),
                                          ("neck", ("acne-scars", 3, "hypertrophic"))])
def test_keloid_former_gets_no_laser_wound_on_the_neck(area, concern):
    """Review A1 (E31, E32: the neck is among the commonest keloid sites): on the neck and the
    submental skin a keloid former gets no ablative (or other elective laser) option, in any
    phototype, and the deferral says why."""
    for pt in (1, 3, 5):
        pat = Patient.from_dict(patient_dict(pt, ((concern[0], concern[1], area, *concern[2:]),),
                                             keloids=True))
        v = R.verdicts(pat, pat.concerns[0])
        assert all(any(b[3] == "keloid-prone-area" for b in v[m].blocked) for m in ALL), pt


def test_a_lowered_ceiling_aims_shallower_and_never_goes_above_it():
    """Review A2, the search's mechanism on an analytic depth (depth = 10 µm per energy unit per
    pass, so the answer is known): with a patient's hard ceiling the search stays at or under
    it and, short of the target, takes the deepest setting there and says a smaller benefit is
    expected; without one it leaves the clinical range to reach the target and says that."""
    from dermalase.planner import search as S

    def depth(x, n):
        return 10.0 * x * n

    def finish(x, n):
        return S.Found(None, {"injury_depth_um": depth(x, n)}, depth(x, n) <= 800,
                       {"energy": x, "passes": n})

    low = S.Space((1, 2), (5.0, 16.0), (5.0, 16.0), "mJ", ceiling=True)
    f = S._search(low, depth, finish, 400.0, 800.0)
    assert f.reached and f.reduced_depth
    assert f.settings == {"energy": 16.0, "passes": 2}  # 320 µm: the deepest under 16
    assert any("smaller benefit" in n for n in f.notes)
    free = S.Space((1, 2), (5.0, 16.0), (5.0, 40.0), "mJ")
    g = S._search(free, depth, finish, 400.0, 800.0)
    assert g.reached and not g.reduced_depth and g.settings["energy"] > 16.0
    assert any("above the published clinical range" in n for n in g.notes)
    # inside the ceiling the target is met as before: no reduction
    h = S._search(low, depth, finish, 100.0, 200.0)
    assert h.reached and not h.reduced_depth and h.settings["energy"] <= 16.0


def test_lowered_energy_is_a_hard_ceiling_in_every_search_of_the_grid_sample():
    """Review A2 at the bounds: wherever a row lowers the top (phototype III, keloid, the neck,
    trunk, arms, hands, the jawline, stable vitiligo, the eyelid's caps), the search's widest
    energy equals its lowered clinical top; where none does, the device range stays."""
    rnd = random.Random(33)
    n = 0
    for area, pt, (kind, sev), hist in rnd.sample(list(itertools.product(
            sorted(ENV["area"]), range(1, 7), CONCERNS, sorted(HISTORIES))), 600):
        pat = Patient.from_dict(patient_dict(pt, ((kind, sev, area),), history=HISTORIES[hist]))
        rule, cons = P.considered(pat, pat.concerns[0])
        for m, v in cons:
            if v.blocked or RULES["settings"][m].get("literature_only"):
                continue
            b = v.bounds
            lowered = [r for r in rows_for(area, pt, pat.history, m) if r["action"] == "limit"
                       and ("energy_factor" in r and r["energy_factor"][1] < 1
                            or "energy_max_mJ" in r and m not in FULL_FIELD)]
            assert b.ceiling == bool(lowered) or any(
                "fluence_J_cm2" in r for r in rows_for(area, pt, pat.history, m)), (area, m)
            if lowered:
                assert b.energy_device[1] <= b.energy[1] + 1e-9
                n += 1
    assert n > 100


def test_reduced_depth_states_a_smaller_benefit():
    """A candidate the ceiling keeps short of its target says so in the clinician's and the
    patient's words, and ranks after the options that reach it (review A2)."""
    c = P.Candidate("fractional-co2", {}, 2, None, reduced_depth=True,
                    improvement_base="50 % better (Someone 2011) [STUDY]")
    assert c.expected_result().endswith("expect less")
    assert "50 % better" in c.expected_result() and not leaks(c.expected_result())


def test_off_face_non_ablative_first_outranks_a_full_course():
    """Review A3: the envelope's 'first' (non-ablative first off the face) ranks above a reduced
    course, so fewer accepted sessions never move the chest or the arms to ablation."""
    for area, pt in (("forearm", 2), ("chest", 3), ("shoulder", 1)):
        pat = Patient.from_dict(patient_dict(pt, (("acne-scars", 3, area, "rolling"),),
                                             sessions=1, downtime=14))
        rule, cons = P.considered(pat, pat.concerns[0])
        nafl = P.candidate(NAFL, rule, pat.concerns[0], pat, dict(cons)[NAFL])
        assert nafl.reduced_course
        assert nafl.rank_key[:2] == (False, False)  # feasible, first: before any ablative


@pytest.mark.parametrize("concern", [("sun-damage", 4), ("acne-scars", 3), ("wrinkles", 2),
                                     ("uneven-tone", 2)])
def test_eyelid_non_ablative_energy_and_coverage_are_capped(concern):
    """Review A4 (E17: 17-20 mJ on the eyelids): whatever the concern, the eyelid's non-ablative
    energy stays at or under 20 mJ and its coverage under the cap, for phototypes II and IV;
    the zone depth quoted is the published one at that energy."""
    for pt in (2, 4):
        c = _literature(patient_dict(pt, ((*concern, "periorbital"),), melasma=False), NAFL)
        if "pulse_energy_mJ" in c.bounds:
            assert c.bounds["pulse_energy_mJ"][1] <= 20
            assert any("414 µm at 20 mJ" in n for n in c.notes)
        cov = c.bounds.get("coverage", [0, c.bounds.get("coverage_upper_bound", 0)])[1]
        assert cov <= 0.23 + 1e-9


def test_dual_mode_erbium_has_dial_numbers_and_follows_the_envelope():
    """Review A6: dual-mode Er:YAG is given on the Contour's dials (E2: 80 µm ablation + 50 µm
    coagulation), read within the device's ranges; phototype III lowers the ablation by the
    policy's fifth and ranks it after the other options (E22, E70); text without numbers
    never reads as within a device's range."""
    from dermalase.devices.terms import device_terms

    two = _literature(patient_dict(2, (("wrinkles", 3, "perioral"),), downtime=5),
                      "full-field-er:yag-dual")
    three = _literature(patient_dict(3, (("wrinkles", 3, "perioral"),), downtime=5),
                        "full-field-er:yag-dual")
    assert two.settings["ablation"] == "80 µm" and two.settings["coagulation"] == "50 µm"
    assert two.settings["passes"] == "1"
    assert _top(three.settings["ablation"]) == pytest.approx(0.8 * 80, abs=0.5)
    _, v3 = _verdicts(patient_dict(3, (("wrinkles", 3, "perioral"),), downtime=5))
    assert v3["full-field-er:yag-dual"].bounds.demote
    reading = device_terms("full-field-er:yag-dual", None, two.predicted, two.settings)[0]
    assert reading["within_range"] and reading["settings"]["ablation"] == "80 µm"
    words = device_terms("full-field-er:yag-dual", None, {}, {"technique": "one pass"})[0]
    assert not words["within_range"]
    assert not P._has_numbers({"technique": "one pass", "depths": "set on the device"})


#: words of a place in an expected result, and the areas it may be shown for
PLACES = {"upper lip": {"perioral"}, "around the eyes": {"periorbital"},
          "periorbital": {"periorbital"}, "eyelid": {"periorbital"},
          "neck": {"neck", "submental"}, "hands": {"dorsal-hand"}, "chest": {"chest"}}
RISK_WORDS = ("hyperpigmentation", "leukoderma", "scarring", "pigment darkening",
              "darker patches", "complication")


def test_expected_results_are_this_areas_and_concerns_or_no_reliable_figure():
    """Review B1 over every area x concern x severity x modality x phototype: the expected
    result a patient reads names no other area's figure, no risk and no citation (words.leaks,
    now catching PMIDs, DOIs, white papers and author-year pairs)."""
    n = 0
    for area, (kind, sev), pt in itertools.product(sorted(ENV["area"]), CONCERNS, (2, 4, 6)):
        pat = Patient.from_dict(patient_dict(pt, ((kind, sev, area),), melasma=False))
        rule = R.concern_rule(pat.concerns[0], pat)
        for m in rule["modalities"]:
            text = P.Candidate(m, {}, 1, None, improvement_base=P.improvement(
                rule, m, pat.concerns[0], pat)).expected_result()
            n += 1
            assert not leaks(text), (area, kind, m, text)
            assert not any(w in text.lower() for w in RISK_WORDS), text
            if text != "no reliable figure":
                for word, where in PLACES.items():
                    assert word not in text or area in where, (area, kind, m, text)
    assert n > 500
    # the figure measured in phototypes III-IV is not shown to phototype VI (review B1, p18)
    vi = Patient.from_dict(patient_dict(6, (("wrinkles", 3, "cheek"),)))
    rule = R.concern_rule(vi.concerns[0], vi)
    assert P.improvement(rule, NAFL, vi.concerns[0], vi).startswith("no reliable figure")


def test_leaks_catches_citations_of_any_shape():
    """Review C4: a widened leak check (not a list of known authors)."""
    for bad in ("a case (PMID 9648570)", "the Remington & Koch white paper",
                "as Smith 2019 showed", "doi 10.1002/lsm.20379", "MASI fell", "PIH in 4 %",
                "+- melasma", "https://example.org"):
        assert leaks(bad), bad
    assert not leaks("about 50 % better after 3 sessions, with less redness")


def test_single_pass_periorbital_co2_shows_the_eyelid_erythema():
    """Review B2: one periorbital CO2 pass resolved its redness within 4 weeks (E1), not the
    multi-pass 4.5 months; 135 days read as 4.5 months, as the source says."""
    from dermalase.planner.words import days_text

    eye = R.recovery("full-field-co2", 100, "periorbital", 1)
    cheek = R.recovery("full-field-co2", 100, "cheek", 1)
    assert eye["erythema_days"][1] <= 28 and cheek["erythema_days"] == [135, 135]
    assert R.recovery("full-field-co2", 100, "periorbital", 3) == cheek
    assert days_text([135, 135]) == "4.5 months"


def test_herpes_history_adds_the_antiviral_step_whatever_the_laser():
    """Review B5 (Nanni & Alster 1998; Levy 2025): a herpes history puts antiviral prophylaxis
    in the steps of non-ablative options too, and the patient's summary names it."""
    out = plan(Patient.from_dict(patient_dict(5, (("acne-scars", 3, "perioral", "rolling"),),
                                              downtime=3, sessions=5, herpes_simplex=True)))
    rec = out["recommended"]
    assert rec["modality"] == NAFL
    assert any("antiviral" in s for s in rec["steps"])
    assert "antiviral tablets" in out["summary"] and "wound care" not in out["summary"]


def test_melasma_asks_whether_topical_treatment_was_tried_first():
    """Review B6 (E51: a laser is an alternative when topical bleaching is ineffective; E57):
    unanswered, every laser is conditional and the plan asks; 'no' defers to topical care;
    'yes' allows the low-energy non-ablative options."""
    base = (("melasma", 2, "forehead"),)
    _, unknown = _verdicts(patient_dict(3, base))
    _, untried = _verdicts(patient_dict(3, base, melasma_topical_tried=False))
    _, tried = _verdicts(patient_dict(3, base, melasma_topical_tried=True))
    for m in ("non-ablative-fractional-tm:fiber", NAFL):
        assert "melasma_topical_tried" in unknown[m].conditional
        assert any(b[3] == "melasma-topical-first" for b in untried[m].blocked)
        assert not tried[m].blocked
    assert "melasma_topical_tried" in Patient.from_dict(patient_dict(3, base)).missing_history()


def test_settings_changed_only_where_the_numbers_changed():
    """Review B7: settings published for the hands carry the hands' lower energy, so the hands'
    row is not reported as a change; the jawline's full field has at most 2 passes (E99)."""
    pat, v = _verdicts(patient_dict(2, (("sun-damage", 3, "dorsal-hand"),), sessions=6))
    c = P.candidate(NAFL, R.concern_rule(pat.concerns[0], pat), pat.concerns[0], pat, v[NAFL])
    assert not any("back of the hands" in w for w in c.patient_warnings)
    _, j = _verdicts(patient_dict(1, (("wrinkles", 3, "jawline"),)))
    assert j["full-field-co2"].bounds.passes_max == 2
    assert "jawline-blend" in j["full-field-co2"].bounds.changed
    # real plans: phototype III's fifth off the fluence top binds deep forehead wrinkles (the
    # chosen fluence sits at the lowered top) and is said; for fine lines the chosen fluence is
    # the lowest published one, under the lowered top, and no change is claimed
    for kind, sev, binds in (("wrinkles", 3, True), ("fine-lines", 2, False)):
        out = plan(Patient.from_dict(patient_dict(3, ((kind, sev, "forehead"),), downtime=14)))
        er = {c["modality"]: c for c in out["candidates"]}["full-field-er:yag"]
        f = float(er["settings"]["fluence"].split()[0])
        said = any(w.startswith("settings changed") for w in er["patient_warnings"])
        assert said == binds == (f >= 0.8 * 17.5 - 0.05), (kind, f, er["patient_warnings"])


def test_contradictory_vitiligo_answers_are_refused():
    """Review B9: vitiligo_stable without vitiligo = true is refused, naming the field."""
    from dermalase import InputError

    with pytest.raises(InputError, match="vitiligo_stable"):
        Patient.from_dict(patient_dict(2, (("wrinkles", 3, "cheek"),), vitiligo=False,
                                       vitiligo_stable=False))


def test_actinic_keratoses_deferral_keeps_the_biopsy_and_asks_about_field_therapy():
    """Review B10 (E85, E80, E82): a deferred keratosis plan keeps the biopsy step; the laser
    options ask whether field therapy was tried."""
    out = plan(Patient.from_dict(patient_dict(2, (("actinic-keratoses", 2, "cheek"),),
                                              keloids=None)))
    assert out["recommended"] is None
    assert any("biopsy" in t for t in out["deferral"]["what_to_do"])
    pat = Patient.from_dict(patient_dict(1, (("actinic-keratoses", 4, "cheek"),)))
    assert any("field therapy" in s[0] for s in R.concern_rule(pat.concerns[0], pat)["steps"])


def test_one_session_has_no_interval_and_non_ablative_needs_no_wound_care():
    """Review D: a single session prints no interval; a non-ablative plan says skin care."""
    out = plan(Patient.from_dict(patient_dict(5, (("acne-scars", 3, "cheek", "rolling"),),
                                              downtime=3, sessions=1)))
    assert "1 session," not in out["summary"] and "weeks apart" not in out["summary"]
    assert "wound care" not in out["summary"]
