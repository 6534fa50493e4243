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
            c = P._literature_candidate(m, st, rule, concern, pat, v)
            b = c.bounds
            if "pulse_energy_mJ" in b:
                top = b["pulse_energy_mJ"][1]
                assert top <= dev["energy"][1] + 1e-9
                lit = P._literature_row(m, concern, pat, rule["kind"])
                own = "areas" in lit or "regions" in lit  # published for this area
                for r in limits:
                    if own and set(r) & {"areas", "except_areas", "regions", "area_flag"}:
                        continue
                    if "energy_factor" in r:
                        assert top <= lit["pulse_energy_mJ"][1] * r["energy_factor"][1] + 1e-9
            cov = b.get("coverage", [0, b.get("coverage_upper_bound", 0)])[1]
            for r in limits:
                if "injured_surface_max" in r:
                    assert cov <= r["injured_surface_max"] + 1e-9, (m, r["id"], cov)
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
                assert bd.energy_device[1] <= st[unit][1] * r["energy_factor"][1] + 1e-9
            if "fluence_J_cm2" in r:
                assert bd.energy_device[1] <= r["fluence_J_cm2"][1] + 1e-9
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
    assert {"chest", "shoulder", "upper-back", "earlobe", "jawline"} <= prone


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


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_every_recommendation_of_the_planner_table_lies_inside_the_envelope(case):
    """The real plans of the planner table's patients (their searches are shared with
    test_safety in a session): each recommendation's own numbers against each applying row,
    the area's skin, and its reading on the binding device."""
    d = case.patient
    out = plan(Patient.from_dict(d))
    for p, c in zip(out["plans"], d["concerns"], strict=True):
        rec = p["recommended"]
        if rec is None:
            continue
        m = rec["modality"]
        rows = rows_for(c["site"], d["patient"]["phototype"], d.get("history", {}), m)
        assert not [r for r in rows if r["action"] == "block"]
        dev = device_top(m)
        if not rec["simulated"]:
            continue
        binding = next(x for x in rec["devices"] if x["device"] == dev["device"])
        assert binding["within_range"], binding
        st = rec["settings"]
        if m in FULL_FIELD:
            f = float(st["fluence"].split()[0])
            assert f <= dev["energy"][1] + 0.05
            for r in rows:
                if "fluence_J_cm2" in r:
                    assert f <= r["fluence_J_cm2"][1] + 0.05
                if "passes_max" in r:
                    assert st["passes"] <= r["passes_max"]
        else:
            sif = rec["predicted"]["surface_injury_fraction"]
            for r in rows:
                if "injured_surface_max" in r:
                    assert sif <= r["injured_surface_max"] + 1e-9
                if "passes_max" in r:
                    assert st["stack"] <= r["passes_max"]
        if not any("published setting" in n for n in rec["notes"]):  # model gap: the dial
            assert rec["predicted"]["injury_depth_um"] <= skin_depth_limit(c["site"], m) + 1


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
                    if (r1 ^ r2) & bound_rows:
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
    two = _rec(patient_dict(2, (("wrinkles", 3, "forehead"),), downtime=14))
    three = _rec(patient_dict(3, (("wrinkles", 3, "forehead"),), downtime=14))
    assert two is not None and three is not None
    assert (two["modality"], two["settings"]) != (three["modality"], three["settings"])
    if three["modality"] in FULL_FIELD:
        assert three["settings"]["passes"] <= 2
    assert any("priming" in s for s in three["steps"])


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
    assert v["full-field-co2"].blocked  # E33
    k, c = v["fractional-er:yag"].bounds, w["fractional-er:yag"].bounds
    assert k.energy[1] < c.energy[1] and k.passes_max == 1
    assert k.injured_surface_max <= 0.11 < 0.22


@pytest.mark.parametrize("d", [
    patient_dict(1, (("actinic-keratoses", 4, "forehead"),), downtime=14),
    patient_dict(2, (("wrinkles", 3, "cheek"),), downtime=14),
    patient_dict(2, (("sun-damage", 4, "cheek"),), downtime=14)],
    ids=["ak-forehead-I", "wrinkles-cheek-II", "sun-damage-cheek-II"])
def test_no_star_outside_the_device_range(d):
    """Dangerous pattern 4 on other patients and every device: each candidate's reading on its
    binding device is within the device's range (UltraPulse <= 500 mJ, ProFractional <= 22 %
    and <= 1,000 µm, Fraxel re:pair <= 40 mJ)."""
    out = plan(Patient.from_dict(d))
    for c in out["candidates"]:
        if not c["simulated"] or c["problems"]:
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
            assert r["expected_result"] == "no reliable figure" or any(
                ch.isdigit() for ch in r["expected_result"])
    assert len(out["recommendations"]) == len(out["plans"])
    assert "first_concern_only" in out and out["envelope"]["version"] == E.version()


def test_risks_are_those_of_the_patients_phototype():
    ii = _rec(patient_dict(2, (("acne-scars", 3, "cheek", "boxcar"),), sessions=3))
    iv = _rec(patient_dict(4, (("acne-scars", 3, "cheek", "boxcar"),), sessions=3))
    assert not any("phototypes IV-V" in r for r in ii["risks"])
    assert any("phototypes IV-V" in r for r in iv["risks"])


def test_pregnancy_advice_has_no_hydroquinone_or_retinoids():
    out = plan(Patient.from_dict(patient_dict(4, (("uneven-tone", 2, "cheek"),),
                                              pregnant=True)))
    assert out["recommended"] is None
    text = " ".join(out["deferral"]["non_laser_patient"]).lower()
    assert "azelaic" in text and "iron-oxide" in text
    assert "not recommended" in text  # hydroquinone only named as what to avoid
    assert "hydroquinone (" not in " ".join(out["deferral"]["non_laser"]).lower()


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
        assert unstable[m].blocked and not stable[m].blocked
        assert "vitiligo_stable" not in none[m].conditional
    assert not unstable["non-ablative-fractional-er:glass"].blocked
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
                if r1 != r2 or (deeper < 800 and abs(skin_depth_limit(a1, m)
                                                     - skin_depth_limit(a2, m)) > 1):
                    seen += 1
                    assert (x.bounds.key(), x.hi, x.aim) != (y.bounds.key(), y.hi, y.aim), \
                        (a1, a2, m, pt)
    assert seen > 20
