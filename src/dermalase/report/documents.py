"""Documents for the patient and the clinician (issue 33), from a plan's JSON:

- ``plan``: what will be done where, how many sessions and how far apart, what to expect, and
  the face map;
- ``consent``: the procedure, the alternatives (non-laser ones too), the risks that apply to
  this patient (their treatments, their phototype, their units: ``data/consent.toml``) with
  their published frequencies, and signature lines;
- ``care``: before and after care, day by day around each session;
- ``clinician``: one page to have in the room: units, device settings in the device's terms,
  passes, care steps, with the sources;
- ``sessions.ics``: the calendar of sessions and of the care days before them (RFC 5545,
  written with ``icalendar``);
- ``face-map.svg``.

Each document is rendered from a Jinja2 template of ``report/templates`` to HTML, and the PDF
is WeasyPrint's rendering of the same HTML: the same text in both. The patient's documents carry
no citation tags, file keys or code names (:func:`dermalase.planner.words.leaks` finds none)
and are held to a reading level (:mod:`dermalase.report.readability`).
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import re
from pathlib import Path
from typing import Any

from .. import data
from ..planner.words import days_text, patient_text
from .facemap import face_map_svg, unit_settings
from .readability import score

#: what a patient calls each concern
PLAIN_KIND = {"wrinkles": "wrinkles", "fine-lines": "fine lines", "acne-scars": "acne scars",
              "sun-damage": "sun damage", "actinic-keratoses": "rough, scaly sun spots",
              "age-spots": "age spots", "lentigines": "flat brown spots",
              "melasma": "brown patches (melasma)", "uneven-tone": "uneven skin colour",
              "texture": "rough skin", "pores": "large pores", "laxity": "loose skin"}
#: what each kind of treatment does, in a patient's words
PLAIN_HOW = {
    "full-field": "The laser removes the thin top layer of skin over the whole area. New skin "
                  "then grows back from below. The skin is raw for a few days and needs care "
                  "at home.",
    "ablative-fractional": "The laser makes many tiny holes in the skin. The skin between the "
                           "holes is left alone, and it helps the skin heal fast.",
    "non-ablative": "The laser heats tiny spots deep in the skin, but the surface stays "
                    "closed. Most people are back to normal within a day or two.",
}
PLAIN_LABEL = {"full-field-co2": "a full-surface CO2 laser",
               "full-field-er:yag": "a full-surface erbium laser",
               "full-field-er:yag-dual": "a full-surface erbium laser with a second, heating "
                                         "mode",
               "fractional-co2": "a fractional CO2 laser",
               "fractional-er:yag": "a fractional erbium laser",
               "non-ablative-fractional-er:glass": "a gentle fractional laser that does not "
                                                   "break the skin",
               "non-ablative-fractional-tm:fiber": "a gentle fractional laser for the top layer "
                                                   "of skin"}
DOCUMENTS = ("plan", "consent", "care", "clinician")
#: the patient's documents (held to the reading level and to no leaks)
PATIENT_DOCUMENTS = ("plan", "consent", "care")


def _family(modality: str) -> str:
    from ..planner.fullface import family

    return family(modality)


@functools.cache
def _env():
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("dermalase.report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]), trim_blocks=True,
        lstrip_blocks=True, undefined=jinja2.StrictUndefined)


def _care_data() -> dict:
    return data.toml("planner_rules")["care"]


def treatments(plan: dict) -> list[dict]:
    """Each concern with its recommendation, and the units it treats (a unit entry of the
    session, or the concern's own site)."""
    out = []
    ses = plan.get("session") or {}
    for i, p in enumerate(plan["plans"]):
        rec = p["recommended"]
        if rec is None:
            continue
        units = [u for u in ses.get("units", []) if u.get("concern", {}).get("index") == i]
        out.append({"index": i, "concern": p["concern"], "rec": rec, "units": units,
                    "non_laser": p.get("non_laser_patient", [])})
    return out


def schedule(plan: dict, first: dt.date) -> list[dict]:
    """The sessions by date: each concern's sessions at the lower end of its interval from the
    first session; concerns on the same day share the visit."""
    days: dict[dt.date, list[str]] = {}
    for t in treatments(plan):
        rec = t["rec"]
        iv = rec.get("interval_weeks") or [0, 0]
        for k in range(rec["sessions"]):
            day = first + dt.timedelta(weeks=k * float(iv[0]))
            days.setdefault(day, []).append(_concern_words(t["concern"]) +
                                            (f" (session {k + 1} of {rec['sessions']})"
                                             if rec["sessions"] > 1 else ""))
    return [{"date": d, "what": w} for d, w in sorted(days.items())]


def _concern_words(c: dict) -> str:
    from ..planner import face

    site = c["site"]
    if site == face.FULL_FACE:
        where = "the whole face"
    elif face.is_unit(site):
        where = "the " + face.unit(site)["patient"]
    else:
        where = "the " + site.replace("-", " ")
    return f"{PLAIN_KIND.get(c['kind'], c['kind'].replace('-', ' '))} on {where}"


def _unit_line(u: dict) -> str:
    from ..planner import face

    where = face.unit(u["unit"])["patient"]
    what = PLAIN_LABEL[u["modality"]]
    if u.get("feathering_band"):
        return (f"{_upper(where)}: {what}, set lighter to blend the edge so that no line "
                "shows.")
    n = u.get("passes")
    extra = "" if n is None or _family(u["modality"]) != "full-field" else \
        (", with one gentle pass" if n == 1 else f", with {n} passes")
    return f"{_upper(where)}: {what}{extra}."


def _rec_units(t: dict) -> list[str]:
    if t["units"]:
        return [_unit_line(u) for u in t["units"]]
    return [f"{_upper(PLAIN_LABEL[t['rec']['modality']])}."]


def _expect(rec: dict) -> list[str]:
    out = []
    typ, dtr = rec.get("downtime_typical_days"), rec.get("downtime_days")
    if typ is not None and dtr:
        out.append(f"Expect about {typ:g} days before you feel ready to be seen. It may take "
                   f"up to {dtr[1]:g} days.")
    ery = rec.get("erythema_days")
    if ery:
        out.append(f"Your skin will be red or pink for about {days_text(ery)}.")
    res = rec.get("expected_result") or "no reliable figure"
    if res == "no reliable figure" or res.lower().startswith(("no ", "not ")):
        out.append("We have no reliable figure for how much it will help.")
    else:
        out.append(f"What the studies found: {_sentence(res)}")
    if rec.get("reduced_course"):
        out.append("You chose fewer sessions than the studies used, so expect less change.")
    return out


#: clinical words in published outcomes, as a patient says them
PLAIN_WORDS = (("blinded improvement", "improvement judged by doctors who did not know the "
                "treatment"), ("dyschromia", "uneven colour"), ("rhytides", "wrinkles"),
               ("photodamage", "sun damage"), ("erythema", "redness"), ("PIH", "dark patches"),
               ("MASI", "melasma score"), ("lentigines", "flat brown spots"),
               ("periorbital", "around the eyes"), ("perioral", "around the mouth"),
               (r"for Glogau IV \('only wrinkles'\)", "for very deep wrinkles all over the face"),
               ("defer", "wait"), ("re-plan", "plan again"))


def _sentence(text: str) -> str:
    text = patient_text(text).strip().rstrip(".")
    for word, plain in PLAIN_WORDS:
        end = r"\b" if word[-1].isalnum() else ""
        text = re.sub(rf"\b{word}{end}", plain, text, flags=re.I)
    return text[:1].upper() + text[1:] + "."


def _upper(text: str) -> str:
    return text[:1].upper() + text[1:]


def _timeline(plan: dict) -> list[dict]:
    """Care around each session, day by day (day 0: the session), from the plan's care steps
    and the care data (antiviral, retinoids, make-up, sun protection)."""
    care = _care_data()
    ts = treatments(plan)
    if not ts:
        return []
    steps = " ".join(s for t in ts for s in t["rec"]["steps"])
    mods = [u["modality"] for t in ts for u in t["units"]] or [t["rec"]["modality"] for t in ts]
    ablative = any(_family(m) != "non-ablative" for m in mods)
    rows: list[tuple[int, str]] = []
    rows.append((-14, "Start strict sun care: stay out of strong sun, wear a hat and use a "
                      "high sunscreen every day. Do not tan."))
    if "hydroquinone" in steps:
        rows.append((-14, "Your clinician may give you a cream that stops dark patches. Use it "
                          "as told."))
    if "stop topical retinoids" in steps:
        rows.append((-7, "Stop retinoid creams (such as tretinoin) and face scrubs."))
    if "antiviral" in steps:
        rows.append((-1, "Start the antiviral tablets your clinician gave you, to stop cold "
                         "sores. Take them twice a day for 10 to 14 days."))
    rows.append((0, "Treatment day. Come with a clean face and no make-up."))
    if "eye shield" in steps:
        rows.append((0, "Metal shields will cover your eyes while the laser works near them."))
    heal = max((t["rec"].get("downtime_typical_days") or 0 for t in ts), default=0)
    if ablative:
        rows.append((1, "Clean the skin gently with water and keep it moist with the ointment "
                        "you were given. Do not pick at crusts."))
        rows.append((2, "Keep up the same care. Some swelling, oozing and crusts are normal."))
        rows.append((int(round(heal)), "By about this day new skin has grown. Ask your "
                                       "clinician before you go back to your usual creams."))
    else:
        rows.append((1, "Use a gentle cleanser and moisturiser. Your skin may look bronze and "
                        "flake for about a week."))
    mk = max(int(care["makeup_days"][m]) for m in mods)
    rows.append((mk, "From today you may wear make-up again, once the skin has healed."))
    sun = care["sun_protection_months"]["ablative" if ablative else "non-ablative"]
    rows.append((mk + 1, f"Keep up strict sun care every day for {sun} "
                         f"month{'s' if sun > 1 else ''} after the last session."))
    rows.append((mk + 1, "Call the clinic at once if you see spreading redness, pus, fever, "
                         "blisters or a sore that does not heal."))
    return [{"day": d, "text": t} for d, t in sorted(rows, key=lambda r: r[0])]


def lead_days(plan: dict) -> int:
    """Days of care before a session (the care timeline's first day before day 0): a first
    session this far from today leaves time for every step before it; 0 when nothing is
    planned."""
    return max((-r["day"] for r in _timeline(plan)), default=0)


@functools.cache
def _consent_rows() -> tuple:
    return tuple(data.toml("consent")["risk"])


def consent_risks(plan: dict) -> list[dict]:
    """The risks that apply to this patient: a treatment in the plan, their phototype, and
    (``area_flag``) a treated unit with that flag; each with its published frequency."""
    from ..planner import envelope, face

    phototype = plan["patient"]["patient"]["phototype"]
    history = plan["patient"].get("history") or {}
    treated: list[tuple[str, set[str]]] = []  # (modality, the flags of the unit it treats)
    for t in treatments(plan):
        units = t["units"] or [{"unit": u, "modality": t["rec"]["modality"]}
                               for u in (face.units_of(t["concern"]["site"])
                                         or (t["concern"]["site"],))]
        for u in units:
            a = envelope.area(u["unit"]) if u["unit"] in envelope.areas() else {}
            treated.append((u["modality"], {k for k, v in a.items() if v is True}))
    out = []
    for r in _consent_rows():
        if "phototypes" in r and not r["phototypes"][0] <= phototype <= r["phototypes"][1]:
            continue
        # a reassuring figure measured on patients without these answers (review 29b, B8)
        if any(history.get(k) is not False for k in r.get("not_if_history", ())):
            continue
        if any(m in r["modalities"] and ("area_flag" not in r or r["area_flag"] in flags)
               for m, flags in treated):
            out.append(dict(r))
    return out


def alternatives(plan: dict) -> list[str]:
    """Other ways to treat the same concerns: the plan's other candidates, the concerns'
    non-laser routes (those that suit this patient), a milder peel, and no treatment."""
    out: list[str] = []
    for t in treatments(plan):
        p = plan["plans"][t["index"]]
        for c in p["candidates"]:
            if c["label"] != t["rec"]["label"] and c["modality"] in PLAIN_LABEL:
                alt = _upper(PLAIN_LABEL[c['modality']]) + (
                    " on the whole face" if c.get("units") and not c.get("blend") else
                    ", mixed with a lighter laser elsewhere" if c.get("blend") else "") + "."
                if alt not in out:
                    out.append(alt)
        for n in t["non_laser"]:
            alt = _sentence(n)
            if alt not in out:
                out.append(alt)
    out.append("A chemical peel, a milder way to renew the top layer of skin.")
    out.append("No treatment. You can choose to do nothing, or to wait.")
    return out


def context(plan: dict, first: dt.date) -> dict[str, Any]:
    """What the templates show, from the plan's JSON."""
    ts = treatments(plan)
    deferred = []
    for p in plan["plans"]:
        if p["recommended"] is None:
            d = p.get("deferral") or {}
            acts = list(d.get("patient_actions", [])) + [
                patient_text(t) for t in d.get("what_to_do", []) if "?" not in t]
            deferred.append({"what": _concern_words(p["concern"]),
                             "actions": [_sentence(a) for a in dict.fromkeys(acts)],
                             "other": [_sentence(a) for a in
                                       d.get("non_laser_patient", d.get("non_laser", []))]})
    sched = schedule(plan, first)
    families = sorted({_family(u["modality"]) for t in ts for u in t["units"]}
                      | {_family(t["rec"]["modality"]) for t in ts if not t["units"]})
    ses = plan.get("session") or {}
    return {"name": plan["patient"]["name"], "phototype": plan["patient"]["patient"]["phototype"],
            "treatments": [{"what": _concern_words(t["concern"]), "units": _rec_units(t),
                            "sessions": t["rec"]["sessions"],
                            "interval": t["rec"].get("interval_weeks"),
                            "expect": _expect(t["rec"])} for t in ts],
            "deferred": deferred, "schedule": sched, "first": first,
            "how": [PLAIN_HOW[f] for f in families],
            "alternatives": alternatives(plan), "risks": consent_risks(plan),
            "timeline": _timeline(plan), "face_map": face_map_svg(plan, "doc-facemap")
            if ses else "",
            "session": ses, "plan": plan, "raw": ts,
            "steps": list(dict.fromkeys(s for t in ts for s in t["rec"]["steps"])),
            "envelope_version": plan.get("envelope", {}).get("version", ""),
            "face_units_version": plan.get("face_units", {}).get("version", ""),
            "version": plan.get("version", ""), "settings_text": _settings_text,
            "unit_settings": unit_settings,
            "device_text": _device_text}


def _settings_text(st: dict) -> str:
    return ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in st.items())


def _device_text(devices: list) -> str:
    return "; ".join(f"{d['model']}: {_settings_text(d['settings'])}" for d in devices) or \
        "published settings (no device dial reading)"


def render_html(plan: dict, first: dt.date) -> dict[str, str]:
    """Each document as HTML (name -> text)."""
    ctx = context(plan, first)
    return {name: _env().get_template(f"{name}.html.j2").render(**ctx) for name in DOCUMENTS}


def visible_text(page: str) -> str:
    """The words a reader sees in a document's HTML: no face map (its legend is in clinical
    terms for the clinician), no signature lines, no markup."""
    page = re.sub(r"<svg.*?</svg>", " ", page, flags=re.S)
    page = re.sub(r'<(\w+)[^>]*data-readability="skip".*?</\1>', " ", page, flags=re.S)
    page = re.sub(r"<(style|title)[^>]*>.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r"<li[^>]*>", "\n\n", page)
    page = re.sub(r"</(p|h\d|li|tr|td|th|div)>", ".\n\n", page)
    text = html.unescape(re.sub(r"<[^>]+>", " ", page))
    text = re.sub(r"\.(\s*\.)+", ".", text)
    return re.sub(r"[ \t]+", " ", text).strip()


def reading_levels(pages: dict[str, str]) -> dict[str, dict]:
    return {n: score(visible_text(pages[n])) for n in PATIENT_DOCUMENTS}


def pdf(page: str) -> bytes:
    """The PDF of a document's HTML (WeasyPrint): the same text as the HTML."""
    import logging

    import weasyprint

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    return weasyprint.HTML(string=page).write_pdf()


def calendar(plan: dict, first: dt.date) -> bytes:
    """The sessions, and the care days before each, as an iCalendar file (RFC 5545)."""
    import hashlib
    import json

    import icalendar

    cal = icalendar.Calendar()
    cal.add("prodid", "-//dermalase//treatment plan//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"Laser treatment: {plan['patient']['name']}")
    stamp = dt.datetime.now(dt.UTC).replace(microsecond=0)
    digest = hashlib.sha1(json.dumps(plan["patient"], sort_keys=True).encode()).hexdigest()[:12]
    care = _timeline(plan)
    n = 0

    def event(day: dt.date, summary: str, description: str) -> None:
        nonlocal n
        n += 1
        ev = icalendar.Event()
        ev.add("uid", f"{digest}-{first.isoformat()}-{n}@dermalase")
        ev.add("dtstamp", stamp)
        ev.add("dtstart", day)
        ev.add("dtend", day + dt.timedelta(days=1))
        ev.add("summary", summary)
        ev.add("description", description)
        ev.add("transp", "TRANSPARENT")
        cal.add_component(ev)

    for s in schedule(plan, first):
        event(s["date"], "Laser treatment session", "; ".join(s["what"]))
        for row in care:
            if row["day"] < 0:
                event(s["date"] + dt.timedelta(days=row["day"]), "Before your laser session",
                      row["text"])
    return cal.to_ical()


def render(plan: dict, first: dt.date) -> dict[str, bytes]:
    """Every document, in memory (file name -> bytes): nothing is written until all are made."""
    pages = render_html(plan, first)
    out: dict[str, bytes] = {}
    for name, page in pages.items():
        out[f"{name}.html"] = page.encode("utf-8")
        out[f"{name}.pdf"] = pdf(page)
    out["sessions.ics"] = calendar(plan, first)
    out["face-map.svg"] = face_map_svg(plan).encode("utf-8")
    return out


def check_folder(directory: str | Path, field: str = "--documents") -> Path:
    """Refuse, before any work, a documents folder that cannot be used: a file, a link, a
    folder whose parent is missing, or a document name in it that is not a regular file."""
    from ..io.files import OutputError, check_output_path

    d = Path(directory)
    if d.is_symlink() or (d.exists() and not d.is_dir()):
        raise OutputError(field, str(d), "a folder (it exists and is not one)")
    parent = d.parent if str(d.parent) else Path(".")
    if not d.exists() and not parent.is_dir():
        raise OutputError(field, str(d), "a folder in an existing folder")
    if d.is_dir():
        for name in OUTPUTS:
            check_output_path(field, d / name)
    return d


#: the files the documents folder receives
OUTPUTS = (*(f"{n}.{ext}" for n in DOCUMENTS for ext in ("html", "pdf")), "sessions.ics",
           "face-map.svg")


def write(plan: dict, directory: str | Path, first: dt.date,
          field: str = "--documents") -> list[Path]:
    """Every document into ``directory`` (made if missing), whole or not at all: all are
    rendered in memory (an error there writes nothing), written and synced in a hidden folder
    inside it, then moved into place; a failure before the moves leaves the folder as it was."""
    import os
    import shutil
    import tempfile

    from ..io.files import OutputError

    d = check_folder(directory, field)
    files = render(plan, first)
    assert set(files) == set(OUTPUTS)
    made = not d.exists()
    try:
        d.mkdir(exist_ok=True)
        stage = Path(tempfile.mkdtemp(prefix=".documents-", dir=d))
    except OSError as exc:
        raise OutputError(field, str(d), exc.strerror or str(exc)) from None
    try:
        for name, content in files.items():
            with open(stage / name, "wb") as fh:
                fh.write(content)
                fh.flush()
                os.fsync(fh.fileno())
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(stage / name, 0o666 & ~umask)
        for name in files:
            os.replace(stage / name, d / name)
    except OSError as exc:
        shutil.rmtree(stage, ignore_errors=True)
        if made:
            shutil.rmtree(d, ignore_errors=True)
        raise OutputError(field, str(d), exc.strerror or str(exc)) from None
    shutil.rmtree(stage, ignore_errors=True)
    return [d / n for n in files]
