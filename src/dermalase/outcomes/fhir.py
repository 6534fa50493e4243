"""A patient's plans, treatments and follow-ups as FHIR R4 resources, so that an electronic
health record can import them, and read back (the round trip).

Validated by ``fhir.resources`` (its R4B models: R4B is R4 with the medication and
evidence resources revised; Patient, Condition, CarePlan, Device, Procedure, Observation and
Consent are the same as R4). One ``Bundle`` of type ``collection``:

- ``Patient`` (name, birth date, the record number as an identifier, administrative gender);
- a ``Condition`` per concern (what, where, the severity on its scale);
- a ``CarePlan`` per plan (the recommendation per concern with its settings; the dermalase
  version, model fingerprint and calibration in its note);
- per treatment a ``Device`` (the catalogue device, its settings as written and the resolved
  physics as properties) and a ``Procedure`` (date, clinician, area, modality, the device,
  based on the care plan);
- an ``Observation`` per outcome of each follow-up (day healed, end of erythema, social
  downtime, each complication with its severity, improvement grade, patient's rating), part
  of the procedure;
- a ``Consent`` where the treatment record says consent was signed.

Codes: no verified LOINC or SNOMED CT code was found for these laser-resurfacing outcomes, so
they are coded in the project's own system (:data:`SYSTEM`) with their display text; units of
time are UCUM days. The consent uses HL7's consent scope and category code systems.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

SYSTEM = "https://dermalase.example/fhir/CodeSystem/outcome"
SETTING_SYSTEM = "https://dermalase.example/fhir/CodeSystem/device-setting"
RECORD_NUMBER = "https://dermalase.example/fhir/NamingSystem/record-number"
UCUM = "http://unitsofmeasure.org"
GENDER = {"female": "female", "male": "male", "intersex": "other", "not recorded": "unknown"}
OUTCOMES = {"day_healed": ("reepithelialization-day", "Re-epithelialization (day healed)"),
            "erythema_end_day": ("erythema-end-day", "End of erythema"),
            "social_downtime_days": ("social-downtime", "Social downtime")}


def _ref(urls: dict, key: str) -> dict[str, str]:
    return {"reference": urls[key]}


def _entry(resource: dict, url: str) -> dict:
    return {"fullUrl": url, "resource": resource}


def _quantity(text: str) -> dict | None:
    from ..errors import InputError
    from ..units import split_quantity

    try:
        q = split_quantity("setting", text)
    except InputError:
        return None
    if q is None:
        return None
    return {"value": q[0], "unit": q[1] or "1"}


def _device(t: dict, url: str) -> dict:
    props = []
    for k, v in sorted(t["settings"].items()):
        q = _quantity(str(v))
        p: dict[str, Any] = {"type": {"coding": [{"system": SETTING_SYSTEM, "code": k}],
                                      "text": k}}
        if q is not None:
            p["valueQuantity"] = [q]
        else:
            p["valueCode"] = [{"text": str(v)}]
        props.append(p)
    for area in t.get("physics") or []:
        for sec in ("laser", "delivery"):
            for k, v in sorted((area["scenario"].get(sec) or {}).items()):
                if isinstance(v, int | float) and not isinstance(v, bool):
                    props.append({"type": {"coding": [{"system": SETTING_SYSTEM,
                                                        "code": f"physics.{sec}.{k}"}],
                                           "text": f"physics ({area['area']}): {sec}.{k} (SI)"},
                                  "valueQuantity": [{"value": v, "unit": "SI"}]})
    return {"resourceType": "Device", "id": url.rsplit(":", 1)[1][:64],
            "deviceName": [{"name": t["device"], "type": "model-name"}],
            "property": props}


def bundle(patient: dict, plans: list[dict], treatments: list[dict],
           visits: dict[int, list[dict]]) -> dict:
    """The FHIR Bundle (a dict) of one patient, validated; see the module doc."""
    from fhir.resources.R4B.bundle import Bundle

    urls: dict[str, str] = {}

    def url(key: str) -> str:
        urls[key] = urls.get(key) or f"urn:uuid:{uuid.uuid4()}"
        return urls[key]

    entries = [_entry(_patient(patient), url("patient"))]
    concerns = (patient.get("data") or {}).get("concerns") or []
    for i, c in enumerate(concerns):
        entries.append(_entry(_condition(c, urls, url), url(f"condition{i}")))
    for x in plans:
        entries.append(_entry(_careplan(x, urls, len(concerns)), url(f"plan{x['id']}")))
    for t in treatments:
        dev_url = url(f"device{t['id']}")
        entries.append(_entry(_device(t, dev_url), dev_url))
        entries.append(_entry(_procedure(t, urls), url(f"procedure{t['id']}")))
        if t.get("consent_signed_on"):
            entries.append(_entry(_consent(t, urls), url(f"consent{t['id']}")))
        for v in visits.get(t["id"], []):
            for obs in _observations(v, t, urls):
                entries.append(_entry(obs, f"urn:uuid:{uuid.uuid4()}"))
    b = {"resourceType": "Bundle", "type": "collection", "entry": entries}
    return json.loads(Bundle.model_validate(b).model_dump_json())


def _patient(p: dict) -> dict:
    out: dict[str, Any] = {"resourceType": "Patient", "name": [{"text": p["name"]}]}
    if p.get("record_number"):
        out["identifier"] = [{"system": RECORD_NUMBER, "value": p["record_number"]}]
    if p.get("date_of_birth"):
        out["birthDate"] = p["date_of_birth"]
    if p.get("sex"):
        out["gender"] = GENDER.get(p["sex"], "unknown")
    return out


def _condition(c: dict, urls: dict, url) -> dict:
    return {"resourceType": "Condition",
            "clinicalStatus": {"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                "code": "active"}]},
            "code": {"coding": [{"system": SYSTEM, "code": f"concern-{c['kind']}"}],
                     "text": c["kind"]},
            "bodySite": [{"text": c["site"]}],
            "severity": {"coding": [{"system": SYSTEM, "code": f"severity-{c['severity']}"}],
                         "text": str(c["severity"])},
            "subject": _ref(urls, "patient")}


def _careplan(x: dict, urls: dict, n_concerns: int) -> dict:
    plan = x["plan"]
    activity = []
    for p in plan.get("plans") or [plan]:
        rec = p.get("recommended")
        if not rec:
            continue
        settings = ", ".join(f"{k} {v}" for k, v in (rec.get("settings") or {}).items())
        activity.append({"detail": {"status": "not-started",
                                    "code": {"coding": [{"system": SYSTEM,
                                                         "code": rec["modality"]}],
                                             "text": rec.get("label") or rec["modality"]},
                                    "description": settings or rec["modality"]}})
    cal = plan.get("calibration") or {}
    note = (f"dermalase {x.get('version', plan.get('version'))}; model "
            f"{x.get('fingerprint', '')}; calibration {cal.get('name', 'published')} "
            f"v{cal.get('version', 0)} ({cal.get('fingerprint', 'published')})")
    return {"resourceType": "CarePlan", "status": "active", "intent": "plan",
            "subject": _ref(urls, "patient"), "created": x["created_at"],
            "description": "; ".join(str(p.get("summary", ""))[:500]
                                     for p in plan.get("plans") or [plan]) or "plan",
            "addresses": [_ref(urls, f"condition{i}") for i in range(n_concerns)],
            "activity": activity, "note": [{"text": note}],
            "identifier": [{"system": SYSTEM + "/plan", "value": str(x["id"])}]}


def _procedure(t: dict, urls: dict) -> dict:
    out: dict[str, Any] = {
        "resourceType": "Procedure", "status": "completed", "subject": _ref(urls, "patient"),
        "identifier": [{"system": SYSTEM + "/treatment", "value": str(t["id"])}],
        "code": {"coding": [{"system": SYSTEM, "code": t["modality"]}], "text": t["modality"]},
        "performedDateTime": t["treated_on"],
        "performer": [{"actor": {"display": t["clinician"]}}],
        "bodySite": [{"text": a} for a in t["areas"]],
        "focalDevice": [{"action": {"text": "used"},
                         "manipulated": _ref(urls, f"device{t['id']}")}],
        "usedReference": [_ref(urls, f"device{t['id']}")]}
    if t.get("plan_id") is not None and f"plan{t['plan_id']}" in urls:
        out["basedOn"] = [_ref(urls, f"plan{t['plan_id']}")]
    if t.get("notes"):
        out["note"] = [{"text": t["notes"]}]
    extra = [f"passes {t['passes']}" if t.get("passes") else "",
             f"anaesthesia {t.get('anaesthesia', 'none')}",
             "care: " + (", ".join(k for k, v in (t.get("care") or {}).items() if v) or "none")]
    out["usedCode"] = [{"text": e} for e in extra if e]
    return out


def _consent(t: dict, urls: dict) -> dict:
    return {"resourceType": "Consent", "status": "active",
            "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/"
                                  "consentscope", "code": "treatment"}]},
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/"
                                      "consentcategorycodes", "code": "med"}]}],
            "patient": _ref(urls, "patient"), "dateTime": t["consent_signed_on"],
            "policyRule": {"text": "signed consent to laser resurfacing, as filed by the "
                           "clinic"},
            "sourceReference": _ref(urls, f"procedure{t['id']}")}


def _obs(code: str, display: str, v: dict, t: dict, urls: dict, **value) -> dict:
    return {"resourceType": "Observation", "status": "final",
            "code": {"coding": [{"system": SYSTEM, "code": code, "display": display}],
                     "text": display},
            "subject": _ref(urls, "patient"), "effectiveDateTime": v["seen_on"],
            "partOf": [_ref(urls, f"procedure{t['id']}")],
            "identifier": [{"system": SYSTEM + "/follow-up", "value": str(v["id"])}], **value}


def _observations(v: dict, t: dict, urls: dict) -> list[dict]:
    out = []
    for key, (code, display) in OUTCOMES.items():
        if v.get(key) is not None:
            out.append(_obs(code, display, v, t, urls, valueQuantity={
                "value": v[key], "unit": "d", "system": UCUM, "code": "d"}))
    for c in v.get("complications") or []:
        out.append(_obs("complication", "Complication", v, t, urls,
                        valueCodeableConcept={"text": c["kind"]},
                        component=[{"code": {"text": "severity"},
                                    "valueString": c["severity"]}]))
    if v.get("improvement_grade") is not None:
        out.append(_obs(f"improvement-{v['improvement_scale']}", "Improvement grade", v, t,
                        urls, valueInteger=v["improvement_grade"]))
    if v.get("patient_rating") is not None:
        out.append(_obs("patient-rating", "Patient's rating (1-5)", v, t, urls,
                        valueInteger=v["patient_rating"]))
    return out


def read_back(text: str) -> dict[str, Any]:
    """A bundle's JSON read back (validated again) into the values it was made from: the
    patient, the concerns, the plans' recommendations, the treatments and the follow-ups."""
    from fhir.resources.R4B.bundle import Bundle

    b = json.loads(Bundle.model_validate_json(text).model_dump_json())
    by_url = {e["fullUrl"]: e["resource"] for e in b.get("entry", [])}
    kinds: dict[str, list[tuple[str, dict]]] = {}
    for u, r in by_url.items():
        kinds.setdefault(r["resourceType"], []).append((u, r))
    pat = kinds["Patient"][0][1]
    out: dict[str, Any] = {
        "patient": {"name": pat["name"][0]["text"], "date_of_birth": pat.get("birthDate"),
                    "record_number": (pat.get("identifier") or [{}])[0].get("value")},
        "concerns": [{"kind": r["code"]["text"], "site": r["bodySite"][0]["text"],
                      "severity": int(r["severity"]["text"])}
                     for _, r in kinds.get("Condition", [])],
        "plans": [[a["detail"]["code"]["coding"][0]["code"] for a in r.get("activity", [])]
                  for _, r in kinds.get("CarePlan", [])],
        "treatments": [], "consents": len(kinds.get("Consent", []))}
    proc_of = {}
    for u, r in kinds.get("Procedure", []):
        dev = by_url[r["focalDevice"][0]["manipulated"]["reference"]]
        settings = {p["type"]["text"]: _value_text(p) for p in dev.get("property", [])
                    if not p["type"]["coding"][0]["code"].startswith("physics.")}
        tr = {"id": int(r["identifier"][0]["value"]), "treated_on": r["performedDateTime"],
              "clinician": r["performer"][0]["actor"]["display"],
              "device": dev["deviceName"][0]["name"], "settings": settings,
              "modality": r["code"]["text"], "areas": [s["text"] for s in r["bodySite"]],
              "follow_ups": {}}
        proc_of[u] = tr
        out["treatments"].append(tr)
    for _, r in kinds.get("Observation", []):
        tr = proc_of[r["partOf"][0]["reference"]]
        fid = int(r["identifier"][0]["value"])
        visit = tr["follow_ups"].setdefault(fid, {"seen_on": r["effectiveDateTime"],
                                                 "complications": []})
        code = r["code"]["coding"][0]["code"]
        key = {c: k for k, (c, _) in OUTCOMES.items()}.get(code)
        if key:
            visit[key] = r["valueQuantity"]["value"]
        elif code == "complication":
            visit["complications"].append({"kind": r["valueCodeableConcept"]["text"],
                                           "severity": r["component"][0]["valueString"]})
        elif code.startswith("improvement-"):
            visit["improvement_scale"] = code.removeprefix("improvement-")
            visit["improvement_grade"] = r["valueInteger"]
        elif code == "patient-rating":
            visit["patient_rating"] = r["valueInteger"]
    return out


def _value_text(p: dict) -> str:
    if p.get("valueQuantity"):
        q = p["valueQuantity"][0]
        v = q["value"]
        num = f"{v:g}" if isinstance(v, float) else str(v)
        return num if q.get("unit") in (None, "1") else f"{num} {q['unit']}"
    return p["valueCode"][0]["text"]
