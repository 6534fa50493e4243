"""The plan a clinician can trust (issue 12): one test per defect, each a patient whose expected
outcome comes from the sourced evidence (dermalase.planner.cases names the row), plus the
property that a missing history answer never adds a recommendation."""

import json
import math
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dermalase import InputError
from dermalase.planner import Patient, plan
from dermalase.planner import rules as R
from dermalase.planner.cases import ABLATIVE, CASES, CLEAN, failures, patient_dict


def run(d):
    return plan(Patient.from_dict(d))


# --- the evidence cases (also the planner table of docs/validation.md) ----------------------
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case_follows_the_evidence(case):
    out = run(case.patient)
    rec = out["recommended"]
    if case.recommended_in:
        assert rec is not None, out["deferral"]
        assert rec["modality"] in case.recommended_in
    else:
        assert rec is None
    assert not (rec and rec["modality"] in case.never)
    assert case.blocked <= {b["modality"] for b in out["blocked"]}
    for p in out["plans"]:  # nothing conditional or infeasible is ever recommended
        r = p["recommended"]
        assert r is None or (not r["conditional_on"] and not r["problems"])
    json.dumps(out, allow_nan=False)
    assert not failures(case, out), failures(case, out)  # the evidence's numbers (checks)


# --- 1. unknown history withholds the recommendation -----------------------------------------
def test_no_history_recommends_nothing_and_asks_for_answers():
    d = patient_dict(phototype=3)
    del d["history"]
    out = run(d)
    assert out["recommended"] is None
    top = next(c for c in out["candidates"] if c["modality"] == out["top_ranked"])
    # phototype III ranks full-field Er:YAG before CO2 (issue 29, envelope row
    # phototype-3-erbium-first); either is a full-field option the history decides
    assert top["modality"] == "full-field-er:yag"
    for key in ("isotretinoin_months_ago", "pregnant", "active_infection", "keloids",
                "photosensitizing_drugs"):
        assert key in top["conditional_on"]
        assert key in {a["key"] for a in out["needed_answers"]}
    assert "history incomplete" in out["warnings"][0]


def test_unknown_isotretinoin_conditions_only_what_it_could_block():
    """Waldman 2017: isotretinoin decides full field (block) and ablative fractional (warn);
    non-ablative needs no delay, so it stays unconditional on it."""
    out = run(patient_dict(2, (("wrinkles", 2, "cheek"),), sessions=4, isotretinoin_never=None))
    by = {c["modality"]: c for c in out["candidates"]}
    assert "isotretinoin_months_ago" in by["fractional-co2"]["conditional_on"]
    assert "isotretinoin_months_ago" not in \
        by["non-ablative-fractional-er:glass"]["conditional_on"]


HISTORY_KEYS = list(CLEAN) + ["isotretinoin_months_ago"]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=st.sampled_from([c for c in CASES if "history" in c.patient]),
       data=st.data())
def test_removing_a_history_answer_never_adds_a_recommendation(case, data):
    full = run(case.patient)
    answered = [k for k in case.patient["history"]]
    key = data.draw(st.sampled_from(answered))
    fewer = json.loads(json.dumps(case.patient))
    del fewer["history"][key]
    less = run(fewer)
    for a, b in zip(full["plans"], less["plans"], strict=True):
        if b["recommended"] is not None:
            assert a["recommended"] is not None
            assert b["recommended"]["modality"] == a["recommended"]["modality"]
            assert b["recommended"]["modality"] not in {x["modality"] for x in a["blocked"]}


# --- 2. published downtime decides, the model is shown beside it ------------------------------
def test_five_days_do_not_fit_full_field_co2():
    """Newman 2000 / clinical-evidence 7.1: full-field CO2 crusting 7.7 d, social downtime
    10-14 d; deep full-field erbium 7-14 d; fractional CO2 5-14 d. Since issue 29 the typical
    downtime decides and the range is shown; five days fit variable-pulse Er:YAG on the upper
    lip (W7: crusting 3.4 d, ~4-5 d), never full-field CO2."""
    out = run(patient_dict(downtime=5))
    assert out["recommended"]["modality"] == "full-field-er:yag-dual"
    by = {c["modality"]: c for c in out["candidates"]}
    assert by["full-field-co2"]["downtime_days"] == [10, 14]
    assert by["full-field-co2"]["erythema_days"][0] >= 30  # months of erythema (Nanni 1998)
    assert by["fractional-co2"]["downtime_days"] == [5, 14]
    re = by["full-field-co2"]["reepithelialization"]
    assert re["published_days"] == [7.7, 7.7]
    assert "does not yet reproduce" in re["note"]
    assert any("up to 14 d" in p for p in by["full-field-co2"]["problems"])


def test_a_deferral_for_downtime_says_what_downtime_would_open_an_option():
    """Review B4/C6: the deferral's downtime advice, restored on patients with no option that
    fits (widespread keratoses of the forehead and mild laxity of the jawline, accepting 3
    days): it names the typical downtime and the published upper end of the options the
    downtime alone rules out (full-field CO2 10 days, up to 14; fractional CO2 6 days, up to
    14: clinical-evidence 7.1)."""
    for concern, label, typ in ((("actinic-keratoses", 4, "forehead"), "full-field CO2", 10),
                                (("laxity", 2, "jawline"), "ablative fractional CO2", 6)):
        out = run(patient_dict(1, (concern,), downtime=3, sessions=3))
        assert out["recommended"] is None
        todo = out["deferral"]["what_to_do"]
        assert any(t.startswith(f"accept about {typ} days") and "up to 14 days" in t
                   and label in t for t in todo), todo


# --- 3. pigment disorders --------------------------------------------------------------------
def test_uneven_tone_in_phototype_iv_goes_non_ablative_and_ablation_is_cautioned():
    # creams tried first (E51: a laser when topical bleaching is ineffective; review B6)
    out = run(patient_dict(4, (("uneven-tone", 2, "cheek"),), downtime=7, sessions=4,
                           melasma_topical_tried=True))
    assert out["recommended"]["modality"] == "non-ablative-fractional-tm:fiber"
    for c in out["candidates"]:
        if c["modality"] in ABLATIVE:
            assert any("melasma" in w for w in c["warnings"])


def test_melasma_excludes_ablation():
    out = run(patient_dict(4, (("melasma", 2, "cheek"),), downtime=7, sessions=4,
                           melasma_topical_tried=True))
    assert out["recommended"]["modality"] == "non-ablative-fractional-tm:fiber"
    reasons = {b["modality"]: b["reason"] for b in out["blocked"]}
    assert set(reasons) >= ABLATIVE and "melasma" in reasons["fractional-co2"]
    assert any("relapse" in w for w in out["recommended"]["warnings"])


# --- 4. every concern is shown ---------------------------------------------------------------
def test_every_concern_in_json_terminal_and_report(tmp_path):
    from dermalase.planner.html import render

    d = patient_dict(2, (("wrinkles", 3, "perioral"), ("acne-scars", 3, "cheek", "rolling")),
                     sessions=3)
    out = run(d)
    assert [p["concern"]["kind"] for p in out["plans"]] == ["wrinkles", "acne-scars"]
    assert out["combined"]["steps"]
    html = render(out, figures=False)
    assert html.count("class='concern'") == 2 and "rolling" in html
    f = tmp_path / "p.toml"
    f.write_text(_toml(d), encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "dermalase.cli", "plan", str(f)],
                       capture_output=True, text=True, timeout=600,
                       env=_env(), check=False)
    assert r.returncode == 0, r.stderr
    assert "concern 1: wrinkles" in r.stdout and "concern 2: acne-scars" in r.stdout
    assert "…" not in r.stdout.split("candidates")[1].split("\n")[4]  # modality not cut


def _toml(d: dict) -> str:
    lines = [f"[patient]\nphototype = {d['patient']['phototype']}"]
    for c in d["concerns"]:
        lines.append("[[concerns]]\n" + "\n".join(
            f"{k} = {json.dumps(v)}" for k, v in c.items()))
    lines.append("[preferences]\n" + "\n".join(
        f"{k} = {json.dumps(v)}" for k, v in d["preferences"].items()))
    lines.append("[history]\n" + "\n".join(
        f"{k} = {json.dumps(v)}" for k, v in d.get("history", {}).items()))
    return "\n".join(lines) + "\n"


def _env():
    import os

    return dict(os.environ, COLUMNS="160")


# --- 5./6. settings follow the patient, caps follow the measured quantity ---------------------
def test_settings_depend_on_phototype_and_site_and_stay_in_clinical_ranges():
    scars = (("acne-scars", 3, "cheek", "boxcar"),)
    ii = run(patient_dict(2, scars, sessions=3))["recommended"]
    iv = run(patient_dict(4, scars, sessions=3))["recommended"]
    assert ii["modality"] == iv["modality"] == "fractional-co2"
    e_ii = float(ii["settings"]["pulse_energy"].split()[0])
    assert 10 <= e_ii <= 20  # Yuan 2014: 10-20 mJ
    # Yuan 2014 / Chan 2007: <= 10 % in III-IV, and a smaller density than type II
    assert iv["predicted"]["surface_injury_fraction"] <= 0.10 + 1e-9
    assert iv["predicted"]["surface_injury_fraction"] < ii["predicted"]["surface_injury_fraction"]
    assert iv["interval_weeks"][0] >= ii["interval_weeks"][0] + 2  # section 5: +2-4 weeks
    neck = run(patient_dict(2, (("wrinkles", 2, "neck"),), sessions=3))["recommended"]
    cheek = run(patient_dict(2, (("wrinkles", 2, "cheek"),), sessions=3))["recommended"]
    assert neck["modality"] == cheek["modality"] == "fractional-co2"
    assert float(neck["settings"]["pulse_energy"].split()[0]) < \
        float(cheek["settings"]["pulse_energy"].split()[0])


def test_neck_plan_keeps_a_margin_below_avram():
    """Avram et al. 2009: neck scars at ~630 um with 30 % and ~859 um with 25 %."""
    rec = run(patient_dict(2, (("wrinkles", 2, "neck"),), sessions=3))["recommended"]
    margin = R.rules()["policy"]["harm_margin"]
    assert rec["predicted"]["injury_depth_um"] <= 630 * (1 - margin)
    assert rec["predicted"]["surface_injury_fraction"] <= 0.25 * (1 - margin)


def test_superficial_erbium_peel_uses_the_published_fluence():
    """Pozner MicroLaserPeel: 12.5-17.5 J/cm^2, one pass; the model's deeper erbium depth is
    said next to it rather than driving the fluence below the clinical range."""
    rec = run(patient_dict(2, (("fine-lines", 2, "periorbital"),), downtime=4))["recommended"]
    assert rec["modality"] == "full-field-er:yag"
    assert 12.5 <= float(rec["settings"]["fluence"].split()[0]) <= 17.5
    assert rec["settings"]["passes"] == 1
    assert any("published setting" in n for n in rec["notes"])


# --- 7. a complete plan ----------------------------------------------------------------------
def test_complete_plan_for_icepick_scars_in_phototype_iv():
    out = run(patient_dict(4, (("acne-scars", 4, "cheek", "icepick"),), sessions=3))
    rec = out["recommended"]
    assert rec["modality"] == "fractional-co2"
    assert rec["sessions"] >= 1 and rec["interval_weeks"]
    assert "Tierney" in rec["improvement"] or "Yuan" in rec["improvement"]
    steps = " ".join(rec["steps"])
    for must in ("test spot", "hydroquinone", "antiviral", "anaesthesia", "photoprotection",
                 "wound care"):
        assert must in steps
    assert any("%" in r for r in rec["risks"])
    assert any("hyperpigmentation" in r for r in rec["risks"])
    assert any("TCA CROSS" in a for a in rec["adjuncts"])
    # patient words (issue 29): the concern and modality as a patient reads them
    assert out["summary"].startswith("For acne scars") and "fractional CO2" in out["summary"]


def test_antiviral_only_for_ablative_facial_treatment():
    face = R.verdicts(Patient.from_dict(patient_dict()), Patient.from_dict(
        patient_dict()).concerns[0])
    neck_p = Patient.from_dict(patient_dict(2, (("wrinkles", 2, "neck"),)))
    neck = R.verdicts(neck_p, neck_p.concerns[0])
    assert any("antiviral" in s for s, _ in face["fractional-co2"].steps)
    assert not any("antiviral" in s for s, _ in face["non-ablative-fractional-er:glass"].steps)
    assert not any("antiviral" in s for s, _ in neck["fractional-co2"].steps)


# --- 8. deferrals that help ------------------------------------------------------------------
@pytest.mark.parametrize(("change", "must"), [
    ({"active_infection": True}, "healed"), ({"recent_tan": True}, "2 weeks"),
    ({"pregnant": True}, "pregnancy")])
def test_blocked_plans_say_what_to_do(change, must):
    out = run(patient_dict(**change))
    assert out["recommended"] is None
    d = out["deferral"]
    assert any(must in t for t in d["what_to_do"])
    text = json.dumps(out)
    assert "candidates' problems" not in text


def test_grade_1_scars_name_the_non_laser_route():
    out = run(patient_dict(2, (("acne-scars", 1, "cheek"),)))
    assert out["recommended"] is None and not out["candidates"]
    assert any("vascular" in r for r in out["deferral"]["non_laser"])


# --- minor: what the clinician reads ---------------------------------------------------------
def test_report_reads_cleanly():
    from dermalase.planner.html import render

    html = render(run(patient_dict(3, (("acne-scars", 3, "cheek", "boxcar"),), sessions=3)),
                  figures=False)
    assert "{'" not in html and "[1]" not in html
    assert " um " not in html and " um)" not in html
    import re

    assert not re.search(r"<h[1-4][^>]*>\s*</h[1-4]>", html)  # no empty headings
    assert re.search(r"<h3>[^<]*</h3>\s*<h3>", html) is None
    assert "%" in html.split("candidates")[1]  # injured surface as a percentage


# --- NaN and contradictions in the history (issue 17 item) -----------------------------------
@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, -1, 601, True])
def test_non_finite_or_out_of_range_history_is_an_input_error(value):
    with pytest.raises(InputError, match="history.isotretinoin_months_ago"):
        Patient.from_dict(patient_dict(isotretinoin_never=None, isotretinoin_months_ago=value))


def test_contradictory_history_is_an_input_error():
    with pytest.raises(InputError, match="isotretinoin_never"):
        Patient.from_dict(patient_dict(isotretinoin_months_ago=2))


def test_nan_history_from_the_cli_is_exit_2(tmp_path):
    f = tmp_path / "nan.toml"
    f.write_text(_toml(patient_dict(isotretinoin_never=None)).replace(
        "[history]", "[history]\nisotretinoin_months_ago = nan"), encoding="utf-8")
    for extra in ([], ["--json"]):
        r = subprocess.run([sys.executable, "-m", "dermalase.cli", "plan", str(f), *extra],
                           capture_output=True, text=True, timeout=120, check=False)
        assert r.returncode == 2 and r.stdout == ""
        assert r.stderr.count("\n") == 1 and "history.isotretinoin_months_ago" in r.stderr


def test_a_rule_that_cannot_decide_blocks():
    rule = next(r for r in R.rules()["history"] if r["id"] == "isotretinoin-full-field")
    assert R._history_applies(rule, {"isotretinoin_months_ago": math.nan})


def test_control_characters_are_stripped_from_the_name():
    d = patient_dict()
    d["name"] = "evil\x1b[2Jname\x07"
    assert Patient.from_dict(d).name == "evil[2Jname"


# --- values at a published threshold ------------------------------------------------------
ISO_RULE = next(r for r in R.rules()["history"] if r["id"] == "isotretinoin-full-field")
ISO_MONTHS = float(ISO_RULE["value"])  # Waldman et al. 2017: about 6 months


@pytest.mark.parametrize("months", [0.0, ISO_MONTHS / 2, math.nextafter(ISO_MONTHS, 0.0)])
def test_isotretinoin_inside_the_published_window_never_allows_full_field(months):
    """Deep perioral wrinkles recommend full-field CO2 with a clean history; any time inside
    the published window, down to the last representable instant before it ends, blocks it:
    a value at the threshold is never read as past it."""
    out = run(patient_dict(isotretinoin_never=None, isotretinoin_months_ago=months,
                           sessions=3))
    blocked = {b["modality"] for b in out["blocked"]}
    assert {"full-field-co2", "full-field-er:yag"} <= blocked
    rec = out["recommended"]
    assert rec is None or not rec["modality"].startswith("full-field")
    assert all(not c["modality"].startswith("full-field") for c in out["candidates"])


def test_the_published_window_ends_where_the_source_says():
    """At the end of the window (6 months, Waldman 2017: 'reconsidered 6 months after the last
    dose') full field is allowed again, as it is with a clean history."""
    clean = run(patient_dict())["recommended"]["modality"]
    at_end = run(patient_dict(isotretinoin_never=None, isotretinoin_months_ago=ISO_MONTHS))
    assert clean == "full-field-co2"
    assert at_end["recommended"]["modality"] == clean


@pytest.mark.parametrize("value", [math.nan, math.inf, None])
def test_no_recommendation_rests_on_a_missing_or_non_finite_isotretinoin_answer(value):
    """Unknown is conditional (no recommendation of what it could block); non-finite is an
    input error before any rule sees it."""
    d = patient_dict(isotretinoin_never=None, isotretinoin_months_ago=value)
    if value is None:
        out = run(d)
        assert out["recommended"] is None or not out["recommended"]["modality"].startswith(
            ("full-field", "fractional"))
        assert "isotretinoin_months_ago" in {a["key"] for a in out["needed_answers"]}
    else:
        with pytest.raises(InputError):
            Patient.from_dict(d)


def test_an_edited_cache_cannot_carry_the_neck_plan_past_the_published_harm_depth(
        tmp_path, monkeypatch):
    """Every stored simulation of a neck plan is edited to claim half its depth (what would let
    a deeper setting pass the cap below Avram 2009's 630 um). The plan must not trust them: it
    simulates again, recommends what it recommended before, stays inside the margin, and says
    which entries it discarded."""
    from dermalase.simulate import store

    monkeypatch.setenv("DERMALASE_CACHE", str(tmp_path / "store"))
    monkeypatch.setattr(store, "_MEMORY", {})
    neck = patient_dict(2, (("wrinkles", 2, "neck"),), sessions=3)
    before = run(neck)
    entries = sorted((tmp_path / "store").glob("*.json"))
    assert entries
    edited = []
    for path in entries:
        entry = json.loads(path.read_text())
        # a probe's value, or the summary inside a kept search
        value = entry["value"].get("summary") or entry["value"]
        for k in ("injury_depth_um", "channel_depth_um", "ablation_depth_um"):
            if k in value:
                value[k] *= 0.5  # a hand edit: the digest no longer matches
                edited.append(path)
        path.write_text(json.dumps(entry))
    assert edited
    monkeypatch.setattr(store, "_MEMORY", {})
    after = run(neck)
    rec = after["recommended"]
    assert rec["settings"] == before["recommended"]["settings"]
    margin = R.rules()["policy"]["harm_margin"]
    assert rec["predicted"]["injury_depth_um"] <= 630 * (1 - margin)
    for path in set(edited):  # the same searches read every edited entry, and each is named
        assert any(path.name in w and "simulated again" in w for w in after["warnings"])


# --- device readings (issue 14) are information, never a decision ------------------------------
def _decisions(out):
    return [(p["recommended"] or {}).get("modality") for p in out["plans"]], \
        [sorted((c["modality"], tuple(c["conditional_on"]), tuple(c["problems"]))
                for c in p["candidates"]) for p in out["plans"]]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_device_readings_never_change_the_recommendation(case, monkeypatch):
    """The settings read in device terms are added after the rules: with every device
    reading replaced by one that claims to be within every range, the recommendation, the
    conditions and the problems of every candidate are the same, and nothing conditional,
    infeasible or blocked becomes the recommendation."""
    plan_module = sys.modules["dermalase.planner.plan"]  # the module, not the function

    real = run(case.patient)
    monkeypatch.setattr(plan_module, "device_terms", lambda *a: [
        {"device": "any", "model": "any", "settings": {"x": "1"}, "notes": [],
         "within_range": True}])
    stubbed = run(case.patient)
    assert _decisions(stubbed) == _decisions(real)
    for p in real["plans"]:
        r = p["recommended"]
        assert r is None or (not r["conditional_on"] and not r["problems"])
        assert r is None or r["modality"] not in {b["modality"] for b in p["blocked"]}


def test_without_history_no_device_reading_is_a_recommendation():
    d = patient_dict(phototype=3)
    del d["history"]
    out = run(d)
    assert out["recommended"] is None and all(p["recommended"] is None for p in out["plans"])
    assert any(c["devices"] for c in out["candidates"])  # readings shown, conditionally


def test_neck_device_readings_keep_the_plans_energy_below_avram():
    """The neck's fractional CO2 energy stays below Avram 2009's scarring settings (20-30 mJ)
    in every device's terms too: the reading carries the plan's energy, never another."""
    out = run(patient_dict(2, (("wrinkles", 2, "neck"),), sessions=3))
    read = 0
    for c in out["candidates"]:
        if c["modality"] != "fractional-co2":
            continue
        energy = float(c["settings"]["pulse_energy"].split()[0])
        assert energy < 20.0
        simulated = float(c["scenario"]["delivery"]["pulse_energy"].split()[0]) * 1e3  # J
        assert simulated < 20.0
        for dv in c["devices"]:
            if "energy" in dv["settings"]:
                reading = float(dv["settings"]["energy"].split()[0])
                # the energy the plan simulated, to the reading's four figures; the plan
                # prints it to 0.1 mJ
                assert reading == pytest.approx(simulated, rel=1e-3)
                assert reading == pytest.approx(energy, abs=0.05)
                read += 1
    assert read >= 1, "the neck plan has no fractional CO2 reading to check"


# --- the engines of issues 16 and 18 change nothing a clinician reads ---------------------------
@pytest.mark.parametrize("engine", [{"threads": 2}, {"threads": 1, "uncertainty": 2}])
def test_threads_intervals_and_kept_searches_never_lift_a_condition_or_a_harm_cap(engine):
    """A missing isotretinoin answer keeps every option it could rule out conditional, and the
    neck plan stays below Avram 2009's 630 um with the rules' margin, whether the searches ran
    on threads, carry model intervals, or are read back whole from the store (second call)."""
    missing = Patient.from_dict(patient_dict(isotretinoin_never=None))
    neck = Patient.from_dict(patient_dict(2, (("wrinkles", 2, "neck"),), sessions=3))
    margin = R.rules()["policy"]["harm_margin"]
    for _ in range(2):  # computed, then from the store
        out = plan(missing, **engine)
        rec = out["recommended"]
        assert rec is None or not rec["modality"].startswith(("full-field", "fractional"))
        assert "isotretinoin_months_ago" in {a["key"] for a in out["needed_answers"]}
        rec = plan(neck, **engine)["recommended"]
        assert rec is not None and rec["predicted"]["injury_depth_um"] <= 630 * (1 - margin)
        if rec.get("predicted_interval"):
            assert rec["predicted_interval"]["intervals"]["injury_depth_um"]["p50"] > 0


def test_a_command_line_plan_without_a_report_keeps_every_condition_and_harm_cap(tmp_path):
    """`dermalase plan --json` without `--report` no longer keeps the chosen settings' fields
    on disk (issue 18). In a cold store, a missing isotretinoin answer still keeps every option
    it could rule out from the recommendation, the neck plan stays below Avram 2009's 630 um
    with the rules' margin and is the plan `plan()` makes, and no field file is written."""
    import os

    cache = tmp_path / "cache"
    env = dict(os.environ, DERMALASE_CACHE=str(cache))
    outs = {}
    for name, f in _cli_patients(tmp_path).items():
        r = subprocess.run([sys.executable, "-m", "dermalase.cli", "plan", str(f), "--json"],
                           capture_output=True, text=True, timeout=600, env=env, check=False)
        assert r.returncode == 0, r.stderr
        outs[name] = json.loads(r.stdout)
    _assert_conditions_and_cap(outs)
    assert not list(cache.rglob("*.nc"))


#: the neck patient of the command-line safety tests (Avram 2009's 630 um cap applies)
CLI_NECK = patient_dict(2, (("wrinkles", 2, "neck"),), sessions=3)


def _cli_patients(tmp_path) -> dict:
    """The two patients of the command-line safety tests, written as TOML files: isotretinoin
    unanswered ("missing") and a neck plan ("neck")."""
    files = {}
    for name, d in (("missing", patient_dict(isotretinoin_never=None)), ("neck", CLI_NECK)):
        f = tmp_path / f"{name}.toml"
        f.write_text(_toml(d), encoding="utf-8")
        files[name] = f
    return files


def _assert_conditions_and_cap(outs: dict) -> None:
    """A missing isotretinoin answer keeps every option it could rule out from the
    recommendation and is asked for; the neck plan stays below Avram 2009's 630 um with the
    rules' margin and is the plan the serial `plan()` makes."""
    margin = R.rules()["policy"]["harm_margin"]
    rec = outs["missing"]["recommended"]
    assert rec is None or not rec["modality"].startswith(("full-field", "fractional"))
    assert "isotretinoin_months_ago" in {a["key"] for a in outs["missing"]["needed_answers"]}
    rec = outs["neck"]["recommended"]
    assert rec is not None and rec["predicted"]["injury_depth_um"] <= 630 * (1 - margin)
    serial = run(CLI_NECK)["recommended"]
    assert (rec["modality"], rec["settings"]) == (serial["modality"], serial["settings"])


FORKED_CLI = """
import sys
import dermalase.physics.numerics as n
import dermalase.planner.parallel as par
n.free_cores = lambda *a, **k: 2.0  # a loaded test machine may count fewer: fork anyway
forked = par._forked
def counted(*a):
    done = forked(*a)
    sys.stderr.write("FORKED:%d:%d\\n" % (done["here"], done["forked"]))
    return done
par._forked = counted
sys.argv = ["dermalase", "plan", sys.argv[1], "--json"]
from dermalase.cli import main
main()
"""


def test_a_forked_command_line_plan_keeps_every_condition_and_harm_cap(tmp_path):
    """The command line's cold plan runs its searches in two processes (issue 31, speed): with
    the searches split between them, a missing isotretinoin answer still keeps every option it
    could rule out from the recommendation, and the neck plan stays below Avram 2009's 630 um
    with the rules' margin and is the plan the serial `plan()` makes."""
    import os

    outs = {}
    for name, f in _cli_patients(tmp_path).items():
        env = dict(os.environ, DERMALASE_CACHE=str(tmp_path / f"cache-{name}"))
        r = subprocess.run([sys.executable, "-c", FORKED_CLI, str(f)], capture_output=True,
                           text=True, timeout=600, env=env, check=False)
        assert r.returncode == 0, r.stderr
        here, there = map(int, r.stderr.split("FORKED:", 1)[1].split()[0].split(":"))
        assert here >= 1 and there >= 1  # both processes searched
        outs[name] = json.loads(r.stdout)
    _assert_conditions_and_cap(outs)


# --- review 29b: every history rule acts on the numbers or the options ------------------------
#: Yuan et al., Dermatol Surg 2014 (clinical-evidence.md section 5): 10 mJ / 10 % fractional CO2
#: had the efficacy of 20 mJ / 20 % with fewer adverse effects: the low arm is the setting the
#: envelope allows to skin that heals poorly (prior radiation, keloid formers)
YUAN_LOW_MJ, YUAN_LOW_COVERAGE = 10.0, 0.10
#: Davin Lim (E34): "stick with 11 %" coverage for keloid-prone patients; the photosensitivity
#: row follows it (policy)
E34_COVERAGE = 0.11


def _energy_mj(c):
    return float(str(c["settings"]["pulse_energy"]).split()[0])


def _fractional(out, modality="fractional-co2"):
    return next(c for c in out["candidates"] if c["modality"] == modality)


def test_prior_radiation_lowers_the_ablative_fractional_settings_and_adds_a_test_spot():
    """Review 29b item 1 (n05): the warning "caution with any ablative treatment" sat beside
    the settings of a patient without radiation. Irradiated skin has fewer adnexa (Pozner,
    clinical-evidence.md section 6): full field blocked, fractional at Yuan 2014's low arm."""
    clean = run(patient_dict(2, (("wrinkles", 3, "perioral"),)))
    out = run(patient_dict(2, (("wrinkles", 3, "perioral"),), prior_radiation=True))
    rec = out["recommended"]
    assert rec is not None and rec["modality"] in ABLATIVE - {"full-field-co2"}
    assert not rec["modality"].startswith("full-field")
    assert _energy_mj(rec) <= YUAN_LOW_MJ + 1e-9
    assert rec["predicted"]["surface_injury_fraction"] <= YUAN_LOW_COVERAGE + 1e-9
    base = _fractional(clean, rec["modality"])
    assert rec["settings"] != base["settings"]
    assert rec["predicted"]["injury_depth_um"] < base["predicted"]["injury_depth_um"]
    assert any(w.startswith("settings changed: prior radiation")
               for w in rec["patient_warnings"])
    assert any("test spot" in s and "radiation" in s for s in rec["steps"])


def test_photosensitivity_blocks_full_field_and_changes_the_fractional_settings():
    """Review 29b item 2 (n07): photosensitizing drugs or a photosensitivity disorder (lupus)
    got the maximal full-field CO2 setting beside "screen carefully"."""
    clean = run(patient_dict(2, (("wrinkles", 3, "perioral"),)))
    out = run(patient_dict(2, (("wrinkles", 3, "perioral"),), photosensitizing_drugs=True))
    assert clean["recommended"]["modality"].startswith("full-field")  # the control
    rec = out["recommended"]
    assert rec is not None and not rec["modality"].startswith("full-field")
    blocked = {(b["modality"], b["rule"]) for b in out["blocked"]}
    assert ("full-field-co2", "photosensitivity-no-full-field") in blocked
    assert rec["predicted"]["surface_injury_fraction"] <= E34_COVERAGE + 1e-9
    assert rec["settings"] != _fractional(clean, rec["modality"])["settings"]
    assert any(w.startswith("settings changed: photosensitizing")
               for w in rec["patient_warnings"])
    assert any("test spot" in s and "photosensitiz" in s for s in rec["steps"])


def test_a_keloid_formers_fractional_channel_is_shallower_than_a_non_keloid_patients():
    """Review 29b item 3 (q41, p12, p13): "conservative" keloid settings (E33, E34, 'lower
    fluence') gave the same ~600 µm channels as a non-keloid patient's."""
    d = {"phototype": 2, "concerns": (("wrinkles", 3, "perioral"),)}
    clean = _fractional(run(patient_dict(**d)))
    out = run(patient_dict(**d, keloids=True))
    rec = out["recommended"]
    assert rec is not None and rec["modality"] == "fractional-co2"
    assert _energy_mj(rec) <= YUAN_LOW_MJ + 1e-9
    assert rec["predicted"]["injury_depth_um"] < clean["predicted"]["injury_depth_um"]
    assert rec["predicted"]["ablation_depth_um"] < clean["predicted"]["ablation_depth_um"]
    assert rec["predicted"]["surface_injury_fraction"] <= E34_COVERAGE + 1e-9


def test_a_row_that_blocks_every_laser_is_not_contradicted_by_laser_advice():
    """Review 29b item 3 (p14: submental, phototype V, keloids): "consider non-ablative
    fractional treatment" stood above "no elective laser treatment of this keloid-prone area"
    (E29-E32)."""
    out = run(patient_dict(5, (("laxity", 2, "submental"),), downtime=7, sessions=3,
                           keloids=True))
    assert out["recommended"] is None
    todo = out["deferral"]["what_to_do"]
    assert any("no elective laser treatment" in t for t in todo)
    assert not any("fractional" in t or "non-ablative" in t for t in todo), todo
    assert "non-ablative fractional" not in out["plans"][0]["summary"]


@pytest.mark.parametrize("concern", [("sun-damage", 3, "neck"), ("wrinkles", 2, "neck"),
                                     ("laxity", 2, "submental")])
def test_keloid_scar_care_is_offered_only_for_a_scar_concern(concern):
    """Review 29b item 4 (p10, q42, q43): keloid-scar care (E35, E36) told to patients with no
    raised scar to treat."""
    out = run(patient_dict(4 if concern[0] == "sun-damage" else 2, (concern,), sessions=6,
                           downtime=14, keloids=True))
    p = out["plans"][0]
    text = " ".join(p["deferral"]["what_to_do"] + p["deferral"]["non_laser"]) + p["summary"]
    for word in ("silicone", "triamcinolone", "5-fluorouracil", "pulsed dye"):
        assert word not in text
    assert any("no elective laser treatment" in t for t in p["deferral"]["what_to_do"])


def test_keloid_scar_care_stays_for_a_scar_concern_in_a_keloid_prone_area():
    out = run(patient_dict(2, (("acne-scars", 3, "shoulder", "rolling"),), sessions=5,
                           keloids=True))
    todo = " ".join(out["plans"][0]["deferral"]["what_to_do"])
    assert "silicone" in todo and "triamcinolone" in todo


def test_unstable_vitiligo_defers_the_procedures_that_wound_the_skin_too():
    """Review 29b item 5 (q61): lasers deferred in active vitiligo, but TCA CROSS, punch and
    subcision offered: any injury can start new patches (Koebner; E87-E89, E91)."""
    scars = (("acne-scars", 3, "cheek", "rolling"),)
    out = run(patient_dict(4, scars, downtime=3, sessions=5, vitiligo=True,
                           vitiligo_stable=False))
    p = out["plans"][0]
    text = " ".join(p["deferral"]["non_laser"] + p["deferral"]["non_laser_patient"]) + \
        p["summary"].partition("Other treatments to discuss")[2]
    for word in ("subcision", "TCA CROSS", "punch"):
        assert word not in text
    assert any("procedures that wound the skin" in t for t in p["deferral"]["what_to_do"])
    # without vitiligo the same patient is offered them (the control)
    clean = run(patient_dict(4, scars, downtime=3, sessions=5))["plans"][0]
    routes = clean["non_laser_patient"]
    assert any("subcision" in r for r in routes)


def test_surgery_for_glogau_iv_is_offered_only_for_glogau_iv_of_the_face():
    """Review 29b item 7 (p10, q57): "surgery for Glogau IV ('only wrinkles')" in a neck
    sun-damage (Glogau III) patient's summary; the Glogau scale grades facial photoaging."""
    neck = run(patient_dict(2, (("sun-damage", 3, "neck"),), sessions=6))["plans"][0]
    assert not any("Glogau IV" in r for r in neck["non_laser_patient"])
    assert "only wrinkles" not in neck["summary"]
    face4 = run(patient_dict(2, (("sun-damage", 4, "cheek"),), sessions=6))["plans"][0]
    assert any("Glogau IV" in r and "surgery" in r for r in face4["non_laser_patient"])


def test_a_single_session_course_names_no_interval(tmp_path):
    """Review 29b item 7: "1 session(s), 6-8 weeks apart" in the clinician text."""
    from dermalase.planner.plan import course_text

    assert course_text(1, (6, 8)) == "1 session"
    assert course_text(3, (6, 8)) == "3 sessions, 6-8 weeks apart"
    f = tmp_path / "one.toml"
    f.write_text(_toml(patient_dict(2, (("wrinkles", 3, "perioral"),), keloids=True)),
                 encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "dermalase.cli", "plan", str(f)],
                       capture_output=True, text=True, timeout=300, check=False, env=_env())
    assert r.returncode == 0, r.stderr
    flat = " ".join(r.stdout.split())  # the terminal wraps long lines
    star = flat.split("★ recommended:")[1].split("for this patient")[0]
    assert star.rstrip().endswith("; 1 session"), star
    assert "session(s)" not in flat and "weeks apart" not in star


def test_a_reassurance_measured_on_non_keloid_patients_is_not_shown_to_a_keloid_former():
    """Review 29b, B8: "no scarring or PIH in 108 sessions" (Tierney & Hanke 2011, phototypes
    I-III) was listed for keloid formers, whom such series exclude or do not report: false
    reassurance. It stays for a patient who answered no (the control), in the plan's risks and
    in the consent."""
    from dermalase.report.documents import consent_risks

    d = {"phototype": 2, "concerns": (("wrinkles", 3, "perioral"),)}
    clean = run(patient_dict(**d))
    keloid = run(patient_dict(**d, keloids=True))
    for out, shown in ((clean, True), (keloid, False)):
        frac = next(c for c in out["candidates"] if c["modality"] == "fractional-co2")
        assert any("108 sessions" in r for r in frac["risks"]) is shown
    rec = keloid["recommended"]
    assert rec is not None and rec["modality"] == "fractional-co2"
    whole = plan(Patient.from_dict(patient_dict(**d, keloids=True)))
    assert not any("108" in r["frequency"] for r in consent_risks(whole))


@pytest.mark.parametrize("key", ["prior_radiation", "photosensitizing_drugs", "keloids"])
def test_an_unanswered_history_that_lowers_the_numbers_leaves_no_recommendation(key):
    """Review 29b items 1-3: these answers now lower the ablative settings (or block full
    field). Left unanswered, the unlowered settings must not become the recommendation: every
    ablative candidate is conditional on the answer and the plan asks for it."""
    out = run(patient_dict(2, (("wrinkles", 3, "perioral"),), **{key: None}))
    assert out["recommended"] is None
    ablative = [c for c in out["candidates"] if c["modality"] in ABLATIVE]
    assert ablative and all(key in c["conditional_on"] for c in ablative)
    assert key in {a["key"] for a in out["needed_answers"]}
