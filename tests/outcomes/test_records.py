"""Treatment records (checked and resolved as [device] scenarios, departures from the plan),
follow-ups and photographs, and the FHIR R4 bundle, without the web application."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta

import pytest

from dermalase.errors import InputError
from dermalase.outcomes import fhir, followups, records

TODAY = date.today()
TREATMENT = {"treated_on": (TODAY - timedelta(days=30)).isoformat(), "clinician": "Dr Bob",
             "device": "lumenis-ultrapulse", "settings": {"energy": "500 mJ"}, "passes": 3,
             "areas": ["perioral"], "anaesthesia": "topical", "care": {"antiviral": "yes"}}
PLAN = {"plans": [{"concern": {"kind": "wrinkles", "severity": 3, "site": "perioral"},
                   "recommended": {"modality": "full-field-co2", "devices": [
                       {"device": "lumenis-ultrapulse",
                        "settings": {"energy": "500 mJ", "passes": "3"}}],
                       "steps": ["antiviral prophylaxis (valacyclovir 500 mg twice daily)"]},
                   "candidates": []}]}


def test_a_treatment_as_planned_has_no_departure_and_a_changed_one_says_how():
    t = records.check(TREATMENT, 2)
    assert t.settings == {"energy": "500 mJ", "passes": 3}
    assert records.departures(t, PLAN) == []
    other = records.check({**TREATMENT, "settings": {"energy": "0.35 J"}, "passes": 2,
                           "areas": ["cheek"], "care": {}}, 2)
    dep = records.departures(other, PLAN)
    assert "energy 0.35 J instead of the planned 500 mJ" in dep
    assert "passes 2 instead of the planned 3" in dep
    assert "areas cheek; the plan's area is perioral" in dep
    assert "antiviral prophylaxis was in the plan's care, not given" in dep


@pytest.mark.parametrize("change,field,allowed", [
    ({"settings": {"energy": "5000 mJ"}}, "treatment.settings.energy", "100-500 mJ"),
    ({"device": "no-such-laser"}, "treatment.device", "one of sciton-contour-trl"),
    ({"areas": ["elbow-pit"]}, "treatment.areas", "one of"),
    ({"treated_on": "2999-01-01"}, "treatment.treated_on", "to today"),
    ({"anaesthesia": "whisky"}, "treatment.anaesthesia", "one of none"),
    ({"passes": 2.5}, "treatment.passes", "whole number")])
def test_bad_fields_are_one_line_naming_the_field(change, field, allowed):
    with pytest.raises(InputError) as exc:
        records.check({**TREATMENT, **change}, 2)
    assert exc.value.field == field and allowed in exc.value.allowed
    assert "\n" not in str(exc.value)


def test_device_settings_resolve_to_the_physics_a_device_scenario_gets():
    from dermalase.devices import scenario_from_dict

    t = records.check(TREATMENT, 2)
    ((area, sc),) = records.resolve_physics(t, 2)
    same = scenario_from_dict({"skin": {"site": "perioral", "phototype": 2},
                               "device": {"name": "lumenis-ultrapulse", "energy": "500 mJ",
                                          "passes": 3}})
    assert area == "perioral" and sc.resolved()["delivery"] == same.resolved()["delivery"]


def _png_with_text() -> bytes:
    from PIL import Image, PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Ada Example, MRN-7")
    info.add_text("GPS", "48.8575 N 2.2945 E")
    buf = io.BytesIO()
    Image.new("RGBA", (10, 8), (10, 20, 30, 255)).save(buf, "PNG", pnginfo=info)
    return buf.getvalue()


def test_photographs_keep_their_pixels_and_lose_their_metadata(tmp_path):
    from PIL import Image

    raw = _png_with_text()
    assert b"MRN-7" in raw
    p = followups.clean_photo(raw)
    assert b"MRN-7" not in p.data and b"48.8575" not in p.data and p.mime == "image/png"
    img = Image.open(io.BytesIO(p.data))
    assert img.size == (10, 8) and img.getpixel((3, 3)) == (10, 20, 30, 255)
    assert not {k for k in img.info if k not in ("dpi",)} - {"dpi"}
    path = followups.store_photo(tmp_path / "photos", p)
    assert path.name == f"{p.sha256}.png" and path.stat().st_mode & 0o777 == 0o600
    assert followups.store_photo(tmp_path / "photos", p) == path  # same content, one file
    with pytest.raises(InputError, match="at most 100 bytes"):
        followups.clean_photo(raw, max_bytes=100)
    gif = io.BytesIO()
    Image.new("RGB", (4, 4)).save(gif, "GIF")
    with pytest.raises(InputError, match="JPEG or PNG"):
        followups.clean_photo(gif.getvalue())


def test_a_follow_up_cannot_report_a_day_after_itself():
    treated = TODAY - timedelta(days=10)
    v = followups.check({"seen_on": TODAY.isoformat(), "day_healed": "7",
                         "complications": [{"kind": "milia", "severity": "moderate"}],
                         "improvement_scale": "improvement-4", "improvement_grade": "3"},
                        treated)
    assert v.day_healed == 7 and v.observed()["reepithelialization_days"] == 7
    with pytest.raises(InputError, match="day 10 after the treatment"):
        followups.check({"seen_on": TODAY.isoformat(), "day_healed": "12"}, treated)
    with pytest.raises(InputError) as exc:
        followups.check({"seen_on": TODAY.isoformat(), "complications": [
            {"kind": "sunburn"}]}, treated)
    assert exc.value.field == "follow_up.complications[0].kind"
    with pytest.raises(InputError) as exc:
        followups.check({"seen_on": TODAY.isoformat(), "improvement_scale": "glogau",
                         "improvement_grade": "7"}, treated)
    assert exc.value.field == "follow_up.improvement_grade"


def test_the_fhir_bundle_validates_and_round_trips():
    t = records.check({**TREATMENT, "consent_signed_on": TREATMENT["treated_on"],
                       "notes": "tolerated well"}, 2)
    v = followups.check({"seen_on": TODAY.isoformat(), "day_healed": "8",
                         "erythema_end_day": "25", "social_downtime_days": "11",
                         "complications": [{"kind": "milia", "severity": "mild"}],
                         "improvement_scale": "fitzpatrick-wrinkle", "improvement_grade": "5",
                         "patient_rating": "4"}, t.treated_on)
    patient = {"name": "Ada Example", "record_number": "MRN-7", "date_of_birth": "1980-05-17",
               "sex": "female", "data": {"concerns": [PLAN["plans"][0]["concern"]]}}
    plan = {"id": 3, "created_at": "2026-11-01T10:00:00+00:00", "plan": {
        **PLAN, "calibration": {"name": "published", "version": 0}}, "version": "0.1.0",
        "fingerprint": "f" * 16}
    tr = {**t.to_dict(), "id": 5, "plan_id": 3, "physics": None}
    b = fhir.bundle(patient, [plan], [tr], {5: [{**v.to_dict(), "id": 9}]})
    kinds = sorted({e["resource"]["resourceType"] for e in b["entry"]})
    assert kinds == ["CarePlan", "Condition", "Consent", "Device", "Observation", "Patient",
                     "Procedure"]
    back = fhir.read_back(json.dumps(b))
    assert back["patient"] == {"name": "Ada Example", "date_of_birth": "1980-05-17",
                               "record_number": "MRN-7"}
    assert back["concerns"] == [PLAN["plans"][0]["concern"]]
    assert back["plans"] == [["full-field-co2"]] and back["consents"] == 1
    (got,) = back["treatments"]
    assert got["settings"] == {"energy": "500 mJ", "passes": "3"}
    assert {k: got[k] for k in ("treated_on", "clinician", "device", "modality", "areas")} == \
        {"treated_on": t.treated_on.isoformat(), "clinician": "Dr Bob",
         "device": "lumenis-ultrapulse", "modality": "full-field-co2", "areas": ["perioral"]}
    assert got["follow_ups"][9] == {"seen_on": TODAY.isoformat(), "day_healed": 8.0,
                                    "erythema_end_day": 25.0, "social_downtime_days": 11.0,
                                    "complications": [{"kind": "milia", "severity": "mild"}],
                                    "improvement_scale": "fitzpatrick-wrinkle",
                                    "improvement_grade": 5, "patient_rating": 4}
    broken = json.loads(json.dumps(b))
    proc = next(e for e in broken["entry"] if e["resource"]["resourceType"] == "Procedure")
    del proc["resource"]["status"]  # required by FHIR R4: the validator must refuse it
    with pytest.raises(Exception, match="status"):
        fhir.read_back(json.dumps(broken))


def test_a_device_the_planner_or_the_simulator_lacks_is_still_recorded():
    from dermalase.outcomes.prediction import case_of, published_only

    pearl = records.check({**TREATMENT, "device": "cutera-pearl", "passes": None,
                           "settings": {"fluence": "2 J/cm^2", "pulse_duration": "300 us"}}, 2)
    assert pearl.modality == "device:cutera-pearl"
    halo = records.check({**TREATMENT, "device": "sciton-halo", "settings": {}}, 2)
    assert records.resolve_physics(halo, 2) == []  # 1,470 nm: not simulated
    pred = published_only(halo.modality, "perioral", "1,470 nm is not a source")
    assert pred["measures"]["reepithelialization_days"] is None
    case = case_of(pred, {"downtime_days": 3.0})
    assert case.cover_distance_mm == float("inf")  # informs recovery, never healing
    with pytest.raises(InputError) as exc:
        records.check({**TREATMENT, "device": "cutera-pearl", "settings": {}}, 2)
    assert exc.value.field.startswith("treatment.settings.")
