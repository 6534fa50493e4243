"""The plan as a PDF to file and to hand over: patient identifiers, clinician, date, the plan
for every concern (settings, sessions, downtime, care steps, the risks that apply), and the
signature and consent lines; then the documents of issue 33 as the command line writes them
(:mod:`dermalase.report.documents`: the plan in plain words with the face map, the consent with
its signature lines, the care day by day, the clinician sheet), each with the patient's
identifiers and its own page count in the margin; and the calendar of sessions (``.ics``).
The first session's date is the user's (:func:`first_session`).

Rendered by WeasyPrint from an HTML template (``templates/plan_pdf.html``) with CSS paged media
(A4, page numbers "page X of Y" in the margin, no page break inside a concern's block). Chosen
over headless Chromium's ``page.pdf()`` because it is a Python library that renders in the
server's own process in ~0.1-0.5 s, with no browser to install, start and watch on the clinic's
machine, and because it implements the print side of CSS (``@page`` margins and counters) that
a document for filing needs; its system dependency (Pango) is one Debian package (libpango),
already present wherever Chromium is.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, timedelta

from ..._version import __version__
from ...errors import InputError
from ..db import Patient, Plan
from .patients import age
from .plan_json import concern_plans

#: the form's and the query's name of the first session's date
FIRST_FIELD = "first_session"
#: how far ahead a first session may be set (the application's policy: a plan is checked again
#: before a treatment this far off, and a later date is more likely a typing slip, 2207 for 2027)
FIRST_HORIZON = timedelta(days=730)


class PDFUnavailable(Exception):
    """The PDF library cannot run on this machine."""


def first_session_range(today: date) -> tuple[date, date]:
    """The dates a first session may have: from ``today`` to :data:`FIRST_HORIZON` ahead."""
    return today, today + FIRST_HORIZON


def first_session(text: str | None, today: date) -> date | None:
    """The first session's date typed in the field ``first_session`` (YYYY-MM-DD, within
    :func:`first_session_range`); None when the field is empty (then :func:`default_first`)."""
    if text is None or not text.strip():
        return None
    lo, hi = first_session_range(today)
    allowed = f"a date YYYY-MM-DD from {lo.isoformat()} to {hi.isoformat()}"
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(FIRST_FIELD, text, allowed) from None
    if not lo <= day <= hi:
        raise InputError(FIRST_FIELD, text, allowed)
    return day


def default_first(plan: dict, today: date) -> date:
    """The first session when the user names none: as soon as every step of the care before
    it can still be followed (today plus the care timeline's lead, 14 days where sun care
    starts two weeks before)."""
    from ...report.documents import lead_days

    return today + timedelta(days=lead_days(plan))


def has_sessions(plan: dict) -> bool:
    """Whether the plan recommends a treatment, so that its calendar has a session."""
    from ...report.documents import treatments

    return bool(treatments(plan))


def face_map(plan: dict, id_prefix: str) -> str | None:
    """The face map of a plan that treats a unit of the face (its session), else None: a plan
    of other sites only would draw an untreated face."""
    from ...report.facemap import face_map_svg

    if not (plan.get("session") or {}).get("units"):
        return None
    return face_map_svg(plan, id_prefix=id_prefix)


def calendar(plan: dict, first: date) -> bytes:
    """The sessions, and the care days before each, as an iCalendar file."""
    from ...report.documents import calendar as ics

    return ics(plan, first)


def _footer(p: Patient, x: Plan, title: str) -> str:
    """A user style sheet for a document: the patient's identifiers and the document's own
    page count in the bottom margin (the document's style sheet sets no margin boxes)."""
    def quoted(text: str) -> str:
        return '"' + " ".join(text.split()).replace("\\", "\\\\").replace('"', '\\"') + '"'

    who = p.name + (f" · record {p.record_number}" if p.record_number else "") \
        + f" · plan {x.id}"
    box = 'font-size: 7pt; color: #444; font-family: "DejaVu Sans", sans-serif;'
    return ("@page { @bottom-left { content: " + quoted(who) + "; " + box + " } "
            "@bottom-right { content: " + quoted(title + " · page ") + " counter(page) "
            '" of " counter(pages); ' + box + " } }")


def _title(page: str) -> str:
    """A document's title (its <title>, before the patient's name)."""
    m = re.search(r"<title>(.*?)</title>", page, re.S)
    return html.unescape(m.group(1)).split(": ", 1)[0].strip() if m else "Document"


def plan_pdf(templates, x: Plan, p: Patient, zone, clinician: str,
             first: date | None = None) -> bytes:
    """The PDF bytes of plan ``x`` for patient ``p`` (times in ``zone``), then the patient's
    and the clinician's documents with their sessions from ``first`` (by default
    :func:`default_first`)."""
    try:
        from weasyprint import CSS, HTML
    except (ImportError, OSError) as exc:  # Pango missing: say so instead of failing
        raise PDFUnavailable("the PDF needs WeasyPrint and Pango (Debian: libpango-1.0-0, "
                             f"libpangoft2-1.0-0; 'make browser' installs them): {exc}"[:300])\
            from None
    from ...report.documents import render_html

    plan = x.plan or {}
    today = datetime.now(zone).date()
    first = first or default_first(plan, today)
    pages = render_html(plan, first)
    made = x.created_at if x.created_at.tzinfo else x.created_at.replace(tzinfo=UTC)
    main = templates.get_template("plan_pdf.html").render(
        x=x, p=p, plans=concern_plans(x.plan), age=age(p.date_of_birth),
        made=made.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z"),
        printed=datetime.now(zone).strftime("%Y-%m-%d %H:%M %Z"), version=__version__,
        clinician=p.clinician or clinician, warnings=plan.get("warnings", []),
        documents=[_title(page) for page in pages.values()], first=first)
    docs = [HTML(string=main).render()]
    for page in pages.values():
        docs.append(HTML(string=page).render(
            stylesheets=[CSS(string=_footer(p, x, _title(page)))]))
    return docs[0].copy([pg for d in docs for pg in d.pages]).write_pdf()
