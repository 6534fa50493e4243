"""Full face by cosmetic unit (issue 33): the units and their envelope, the full-face plans of the
planner table against the evidence, the one session that joins face units, the face map, and
the documents a patient takes home (reading level, no tags or code names, the risks of this
patient only, the calendar), and ``dermalase plan --documents``.

Expectations come from the evidence rows named in ``dermalase.planner.cases.FACE_CASES`` and in
``data/consent.toml`` (the papers' figures), never from the planner's output.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from importlib import resources

import pytest

from dermalase.planner import Patient, plan
from dermalase.planner import envelope as E
from dermalase.planner import face as F
from dermalase.planner.cases import CLEAN, FACE_CASES, face_failures, patient_dict
from dermalase.planner.fullface import family
from dermalase.planner.words import leaks
from dermalase.report import documents as D
from dermalase.report import readability as R
from dermalase.report.facemap import face_map_svg, face_map_text

from .test_envelope import ENV, FULL_FIELD, MARGIN, RULES, check_patient, rows_for

UNITS = tomllib.loads(resources.files("dermalase.data").joinpath("face_units.toml")
                      .read_text(encoding="utf-8"))
#: the units issue 33 names
ISSUE_UNITS = ("forehead", "glabella", "periorbital-upper", "periorbital-lower", "nose", "cheek",
               "upper-lip", "chin", "jawline", "neck-transition")
FIRST = dt.date(2027, 1, 11)
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def plans() -> dict[str, dict]:
    """The plans of the planner table's full-face patients (shared by the tests below)."""
    return {c.name: plan(Patient.from_dict(c.patient)) for c in FACE_CASES}


def _by(plans: dict, word: str) -> dict:
    return next(v for k, v in plans.items() if word in k)


# --- the units as data and their envelope -----------------------------------------------------
def test_every_unit_of_the_issue_is_an_envelope_area_with_a_sourced_skin():
    names = [u["name"] for u in UNITS["unit"]]
    assert tuple(names) == ISSUE_UNITS == F.unit_names()
    assert UNITS["version"] == F.version()
    for u in UNITS["unit"]:
        a = ENV["area"][u["name"]]
        assert a["skin"] and a["dermis_um"] > 0 and a["dermis_source"]
        assert u["group"] in F.GROUPS and u["label"] and u["patient"]
        x0, y0, x1, y1 = UNITS["viewbox"]
        assert all(x0 <= x <= x1 and y0 <= y <= y1 for x, y in u["outline"])
    # the eyelid units carry the eye flag, the band its own, the jawline its keloid flag
    assert ENV["area"]["periorbital-upper"]["eyes"] and ENV["area"]["periorbital-lower"]["eyes"]
    assert ENV["area"]["neck-transition"]["feather"]
    assert ENV["area"]["jawline"]["keloid_prone"]
    # E4 (Pirakitikulr 2020 Table 2): glabella dermis 325 um, eyelid 215 um
    assert ENV["area"]["glabella"]["dermis_um"] == 325
    assert ENV["area"]["periorbital-lower"]["dermis_um"] == 215
    assert abs(sum(F.shares().values()) - 1) < 1e-12


@pytest.mark.parametrize("unit", ISSUE_UNITS)
def test_the_envelope_property_holds_on_every_unit(unit):
    """check_patient (test_envelope.py: each search's bounds against each applying row, read
    here independently) over every phototype, a spread of concerns and the history variants,
    on each unit."""
    concerns = [("wrinkles", 3), ("fine-lines", 2), ("sun-damage", 3), ("acne-scars", 3),
                ("uneven-tone", 2), ("sun-damage", 1)]
    histories = [dict(CLEAN), dict(CLEAN, keloids=True), dict(CLEAN, ectropion=True),
                 {k: v for k, v in CLEAN.items() if k != "keloids"}]
    n = 0
    for phototype in range(1, 7):
        for kind, sev in concerns:
            for h in histories:
                n += check_patient(unit, phototype, kind, sev, h, 14, 3)
    assert n > 0


def test_thin_units_allow_less_depth_and_the_band_binds():
    """Depth limits follow each unit's own dermis (E4), and the feathering row binds the band:
    one pass, half the density, the energy top lowered (E94, E96, E99; policy)."""
    def limit(area: str, modality: str) -> float:
        return E.depth_limit_um(area, modality)[0]

    for m in ("full-field-co2", "fractional-co2"):
        assert limit("glabella", m) < limit("forehead", m)
        assert limit("periorbital-lower", m) < limit("cheek", m)
    h = dict(CLEAN)
    st = RULES["settings"]["fractional-co2"]
    band = E.bounds("neck-transition", 2, h, "fractional-co2", st)
    neck = E.bounds("neck", 2, h, "fractional-co2", st)
    assert band.passes_max == 1 and band.injured_surface_factor == 0.5
    assert band.energy[1] < neck.energy[1]
    rows = {r["id"] for r in rows_for("neck-transition", 2, h, "full-field-co2")}
    assert "off-face-no-full-field" in rows  # the neck never takes full field


# --- full-face plans against the evidence (the planner table) -------------------------------
@pytest.mark.parametrize("case", FACE_CASES, ids=[c.name for c in FACE_CASES])
def test_full_face_case_follows_the_evidence(case, plans):
    assert face_failures(case, plans[case.name]) == []


def test_face_failures_can_fail(plans):
    """The checks are not vacuous: the phototype II plan has full field, which the phototype IV
    expectation forbids; a plan without a session fails every case."""
    ii = _by(plans, "Glogau III), phototype II")
    assert face_failures(FACE_CASES[2], ii)
    assert face_failures(FACE_CASES[1], dict(ii, session=None))


def test_every_unit_of_every_candidate_lies_inside_its_own_envelope(plans):
    """The composed plans keep each unit's numbers inside the rows that apply to that unit (this
    test's own reading of data/envelope.toml), and the feathered edges only lower them."""
    checked = 0
    for out in plans.values():
        pt = out["patient"]["patient"]["phototype"]
        hist = out["patient"]["history"]
        entries = [u for p in out["plans"] for c in p["candidates"] for u in c.get("units") or []]
        entries += out["session"]["units"]
        for u in entries:
            if not u["modality"]:
                continue
            rows = rows_for(u["unit"], pt, hist, u["modality"])
            assert not [r for r in rows if r["action"] == "block"], (u["unit"], u["modality"])
            st = u["settings"]
            for r in (r for r in rows if r["action"] == "limit"):
                if "passes_max" in r and u["passes"] is not None:
                    assert u["passes"] <= r["passes_max"], (u["unit"], r["id"])
                if "fluence_J_cm2" in r and "fluence" in st:
                    assert float(st["fluence"].split()[0]) <= r["fluence_J_cm2"][1] + 1e-9
                if "injured_surface_max" in r and u["surface_injury_fraction"] is not None \
                        and u["modality"] not in FULL_FIELD:
                    assert u["surface_injury_fraction"] <= r["injured_surface_max"] + 1e-9
                if "harm_depth_um" in r and u["injury_depth_um"] is not None:
                    assert u["injury_depth_um"] <= r["harm_depth_um"] * (1 - MARGIN) + 1e-6
            checked += 1
        for edge in out["session"]["feathering"]:
            unit = next(u for u in out["session"]["units"] if u["unit"] == edge["unit"])
            for k, v in edge["settings"].items():
                own = unit["settings"].get(k)
                assert own is not None and float(str(v).split()[0].split("-")[-1]) <= \
                    float(str(own).split()[0].split("-")[-1]) + 1e-9, (edge, own)
    assert checked > 30


def test_one_session_joins_the_units_and_heals_as_its_longest_unit(plans):
    out = _by(plans, "perioral (upper lip)")
    ses = out["session"]
    assert set(ses["treated_units"]) == {"upper-lip", "periorbital-lower"}
    recs = [p["recommended"] for p in out["plans"]]
    assert ses["downtime_typical_days"] == max(r["downtime_typical_days"] for r in recs)
    assert ses["downtime_days"][1] == max(r["downtime_days"][1] for r in recs)
    assert set(ses["risks"]) == {x for r in recs for x in r["risks"]}  # the session's risks
    face = _by(plans, "Glogau III), phototype II")
    rec = face["plans"][0]["recommended"]
    assert rec["units"] and {u["unit"] for u in rec["units"]} == set(ISSUE_UNITS)
    assert rec["downtime_typical_days"] == max(u["downtime_typical_days"] for u in rec["units"]
                                               if u["downtime_typical_days"] is not None)
    # the JSON keeps its contract: plans, recommendations, the first concern at the top level
    assert face["recommended"]["label"] == rec["label"] and face["recommendations"]


def test_a_blend_is_ranked_like_the_others(plans):
    """The blended plan (E92) is a candidate with the full-face plans of one modality; a plan of
    one modality comes first when both rank equal (the whole face alike eases colour
    mismatch, E97)."""
    cands = _by(plans, "Glogau III), phototype II")["plans"][0]["candidates"]
    kinds = [bool(c.get("blend")) for c in cands]
    assert any(kinds) and not all(kinds)
    blend = next(c for c in cands if c.get("blend"))
    assert blend["blend"]["source"] and "E92" in blend["blend"]["source"]
    mouth = {u["unit"]: u["modality"] for u in blend["units"]}
    assert family(mouth["upper-lip"]) == "full-field"
    assert family(mouth["cheek"]) == "ablative-fractional"


def test_a_concern_may_name_a_unit_or_the_full_face():
    for site in (*ISSUE_UNITS, "full-face"):
        Patient.from_dict(patient_dict(2, (("wrinkles", 3, site),)))
    p = Patient.from_dict(patient_dict(2, (("wrinkles", 3, "full-face"),), ectropion=None))
    assert "ectropion" in p.missing_history()  # the full face includes the eyelids


@pytest.mark.parametrize("missing", ["ectropion", "keloids"])
def test_an_unanswered_question_on_one_unit_withholds_the_full_face_plan(missing):
    """What is unknown never counts as safe, unit by unit: without the lid-laxity answer the
    eyelid units' full field is conditional, so no full-face plan that uses it is recommended
    and the question is asked; without the keloid answer, the jawline (keloid-prone) decides
    the same way. Removing an answer never adds a recommendation."""
    full = plan(Patient.from_dict(FACE_CASES[1].patient))
    d = dict(FACE_CASES[1].patient)
    d["history"] = {k: v for k, v in d["history"].items() if k != missing}
    out = plan(Patient.from_dict(d))
    assert missing in [a["key"] for a in out["needed_answers"]]
    assert full["plans"][0]["recommended"] is not None
    top = out["plans"][0]["candidates"][0]
    assert missing in top["conditional_on"]  # the unit's unknown reaches the whole plan
    rec = out["plans"][0]["recommended"]
    assert rec is None or not any(missing in u["conditional_on"] for u in rec["units"])


# --- the face map ------------------------------------------------------------------------------
def test_face_map_svg_draws_every_unit_with_a_legend_and_nothing_external(plans):
    out = _by(plans, "Glogau III), phototype II")
    svg = face_map_svg(out)
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    units = {g.get("data-unit"): g for g in root.iter(f"{SVG}g") if g.get("data-unit")}
    assert set(units) == set(ISSUE_UNITS)
    rec = {u["unit"]: u for u in out["plans"][0]["recommended"]["units"]}
    for name, g in units.items():
        assert g.get("data-modality") == rec[name]["modality"]
        assert g.findall(f"{SVG}polygon")
    # two polygons for a unit on both sides of the face
    assert len(units["cheek"].findall(f"{SVG}polygon")) == 2
    legend = [t.text or "" for t in root.iter(f"{SVG}text") if t.get("data-legend")]
    text = " ".join(legend)
    for name in ISSUE_UNITS:
        assert F.unit(name)["label"].split(" (")[0] in text
    assert "full-field CO2" in text and "feathering band" in text
    # self-contained: no script, no style, no link, no external reference
    for el in root.iter():
        assert not el.tag.endswith(("script", "style", "image", "a", "foreignObject"))
        assert "style" not in el.attrib
        for k, v in el.attrib.items():
            assert "href" not in k
            assert "url(" not in v or re.fullmatch(r"url\(#[\w-]+\)", v), (k, v)
    # colours: full field red family deeper than the eyelids' one pass
    fills = {n: g.find(f"{SVG}polygon").get("fill") for n, g in units.items()}
    style = UNITS["style"]
    assert fills["upper-lip"] in style["full-field"]
    assert fills["neck-transition"] in style["ablative-fractional"]
    assert style["full-field"].index(fills["periorbital-lower"]) < \
        style["full-field"].index(fills["upper-lip"])
    assert len(face_map_text(out)) >= len(ISSUE_UNITS)


def test_face_map_of_a_plan_without_face_units():
    out = {"patient": {"name": "x"}, "session": None}
    root = ET.fromstring(face_map_svg(out))
    assert all(g.get("data-modality") == "none" for g in root.iter(f"{SVG}g")
               if g.get("data-unit"))
    assert face_map_text(out) == ["face map: no unit of the face is treated in this plan"]


# --- documents ---------------------------------------------------------------------------------
def test_readability_formulas_on_counted_text():
    """Flesch 1948 and Kincaid 1975 on a text counted by hand: 2 sentences, 9 words of one
    syllable each (wear, a, hat, each, day; keep, the, skin, moist)."""
    text = "Wear a hat each day. Keep the skin moist."
    assert R.counts(text) == (2, 9, 9)
    assert R.reading_ease(text) == pytest.approx(206.835 - 1.015 * 9 / 2 - 84.6 * 9 / 9)
    assert R.grade(text) == pytest.approx(0.39 * 9 / 2 + 11.8 * 9 / 9 - 15.59)
    for word, n in (("redness", 2), ("resurfacing", 4), ("antiviral", 4), ("period", 3),
                    ("nation", 2), ("make", 1), ("table", 2)):
        assert R.syllables(word) == n, word
    hard = ("Postinflammatory hyperpigmentation necessitates comprehensive photoprotective "
            "interventions, particularly following ablative resurfacing modalities.")
    assert not R.score(hard)["meets_target"]


DATE = re.compile(r"\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)\w* \d{2} \w+ \d{4}")


def _patient_pages(out: dict) -> dict[str, str]:
    return D.render_html(out, FIRST)


@pytest.mark.parametrize("word", ["perioral (upper lip)", "Glogau III), phototype II",
                                  "phototype IV"])
def test_patient_documents_read_plainly_and_carry_no_tags_or_code_names(plans, word):
    pages = _patient_pages(_by(plans, word))
    for name in D.PATIENT_DOCUMENTS:
        text = D.visible_text(pages[name])
        sc = R.score(text)
        assert sc["flesch_kincaid_grade"] <= R.TARGET_GRADE, (name, sc)
        assert sc["flesch_reading_ease"] >= R.TARGET_EASE, (name, sc)
        # the schedule's dates are the only year-like numbers a patient may read
        assert leaks(DATE.sub("", text)) == [], (name, leaks(DATE.sub("", text)))
        for code in ("full-field-", "fractional-co2", "er:yag", "envelope", "_"):
            assert code not in text, (name, code)
    assert "Signatures" in pages["consent"] and "Patient: ____" in pages["consent"]


def _consent_risks(phototype: int) -> list[str]:
    out = plan(Patient.from_dict(patient_dict(phototype, (("sun-damage", 3, "full-face"),),
                                              sessions=6)))
    return [r["risk"] + ": " + r["frequency"] for r in D.consent_risks(out)], out


def test_consent_lists_only_the_risks_of_this_patient_phototypes_I_and_V():
    """Phototype I: full field is allowed; the delayed hypopigmentation of very fair skin
    (Bernstein 1997, phototypes I-II) is listed, the darker-skin rows are not. Phototype V:
    full field and ablative fractional are blocked, non-ablative 1,550 nm remains: its PIH
    figures for darker skin (Chan 2007: 7.1-12.4 %; JDD 2013: 4 % of sessions in IV-VI) are
    listed and no full-field or fair-skin risk is."""
    one, out1 = _consent_risks(1)
    five, out5 = _consent_risks(5)
    assert any("months later" in r for r in one)
    assert not any("7 to 12 in 100" in r or "4 in 100 sessions" in r for r in one)
    assert not any("with your skin type" in r and "38 in 100" in r for r in one)
    assert any("7 to 12 in 100" in r for r in five)
    assert any("4 in 100 sessions" in r for r in five)
    assert not any("months later" in r or "37 in 100" in r for r in five)
    mods5 = {u["modality"] for u in out5["session"]["units"]}
    assert mods5 and all(family(m) == "non-ablative" for m in mods5)
    # eyelid risks only where an eyelid unit gets the modality they belong to
    assert any("eyelid" in r for r in one)


def test_a_deferred_plan_asks_for_no_signature_and_says_what_to_do_first():
    """Pregnancy blocks every laser (Levy 2025): the plan says what to do first (wait until
    after pregnancy and breastfeeding, issue 29 review A7) and names no hydroquinone or
    retinoids (E58-E61); there is nothing to consent to, no care timeline and no session in
    the calendar. (Pregnancy-safe creams are named only for the pigment concerns they are
    published for, E62-E64: not for wrinkles.)"""
    import icalendar

    out = plan(Patient.from_dict(patient_dict(2, (("wrinkles", 3, "full-face"),),
                                              pregnant=True)))
    assert out["plans"][0]["recommended"] is None
    pages = D.render_html(out, FIRST)
    text = D.visible_text(pages["plan"])
    assert "after pregnancy" in text.lower() and "plan again" in text.lower()
    assert "hydroquinone" not in text.lower().replace("hydroquinone and retinoids", "")
    assert "Signatures" not in pages["consent"] and "nothing to agree to" in pages["consent"]
    assert "<td class=\"day\">" not in pages["care"]
    cal = icalendar.Calendar.from_ical(D.calendar(out, FIRST))
    assert cal.walk("VEVENT") == []
    for name in D.PATIENT_DOCUMENTS:
        assert leaks(D.visible_text(pages[name])) == []


def test_care_timeline_and_calendar(plans):
    import icalendar

    multi = _by(plans, "phototype IV")
    rec = multi["plans"][0]["recommended"]
    cal = icalendar.Calendar.from_ical(D.calendar(multi, FIRST))
    sessions = sorted(e.decoded("dtstart") for e in cal.walk("VEVENT")
                      if str(e["summary"]) == "Laser treatment session")
    assert len(sessions) == rec["sessions"] > 1
    gaps = {(b - a).days for a, b in zip(sessions, sessions[1:], strict=False)}
    assert gaps == {int(7 * rec["interval_weeks"][0])}
    assert sessions[0] == FIRST
    for ev in cal.walk("VEVENT"):
        assert ev["uid"] and ev["dtstamp"] and ev["dtstart"]
    assert len({str(e["uid"]) for e in cal.walk("VEVENT")}) == len(cal.walk("VEVENT"))
    # the antiviral starts the day before an ablative session (Nanni & Alster; the plan's step)
    rows = D.context(multi, FIRST)["timeline"]
    text = " ".join(r["text"] for r in rows)
    assert any("antiviral" in r["text"] for r in rows if r["day"] == -1)
    assert "make-up" in text
    assert "3 months" in text  # ablative: 3 months of sun care (RealSelf, Emer)
    # two concerns in one visit: one session date with both
    two = _by(plans, "perioral (upper lip)")
    sched = D.schedule(two, FIRST)
    assert len(sched) == 1 and len(sched[0]["what"]) == 2


def test_clinician_sheet_is_one_page_with_the_device_terms(plans):
    import weasyprint

    out = _by(plans, "Glogau III), phototype II")
    page = D.render_html(out, FIRST)["clinician"]
    assert len(weasyprint.HTML(string=page).render().pages) == 1
    assert "Lumenis UltraPulse" in page and "feathering band" in page
    assert "valacyclovir" in page


# --- the command line ------------------------------------------------------------------------
def _cli(*args, **kw):
    return subprocess.run([sys.executable, "-m", "dermalase.cli", *args], capture_output=True,
                          text=True, timeout=300, **kw)


def test_plan_documents_writes_everything_and_refuses_a_bad_folder(tmp_path):
    out = tmp_path / "docs"
    r = _cli("plan", "patient_full_face", "--documents", str(out), "--first-session",
             "2027-01-11")
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted(D.OUTPUTS)
    assert (out / "plan.pdf").read_bytes().startswith(b"%PDF")
    ET.fromstring((out / "face-map.svg").read_text(encoding="utf-8"))
    assert "unit upper lip (perioral)" in r.stdout and "face map" in r.stdout
    assert "reading level" in r.stdout
    # a file where the folder should be: one line, exit 2, nothing written
    f = tmp_path / "file"
    f.write_text("keep")
    r = _cli("plan", "patient_full_face", "--documents", str(f))
    assert r.returncode == 2 and "--documents" in r.stderr and "Traceback" not in r.stderr
    assert f.read_text() == "keep"
    # a document name taken by a folder: refused before any work, the folder untouched
    bad = tmp_path / "bad"
    (bad / "plan.pdf").mkdir(parents=True)
    r = _cli("plan", "patient_full_face", "--documents", str(bad))
    assert r.returncode == 2 and "plan.pdf" in r.stderr
    assert sorted(p.name for p in bad.iterdir()) == ["plan.pdf"]
    r = _cli("plan", "patient_full_face", "--documents", str(tmp_path / "x"),
             "--first-session", "next week")
    assert r.returncode == 2 and "--first-session" in r.stderr
