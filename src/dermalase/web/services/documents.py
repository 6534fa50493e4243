"""The plan as a PDF to file and to hand over: patient identifiers, clinician, date, the plan
for every concern (settings, sessions, downtime, care steps, the risks that apply), and the
signature and consent lines.

Rendered by WeasyPrint from an HTML template (``templates/plan_pdf.html``) with CSS paged media
(A4, page numbers "page X of Y" in the margin, no page break inside a concern's block). Chosen
over headless Chromium's ``page.pdf()`` because it is a Python library that renders in the
server's own process in ~0.1-0.5 s, with no browser to install, start and watch on the clinic's
machine, and because it implements the print side of CSS (``@page`` margins and counters) that
a document for filing needs; its system dependency (Pango) is one Debian package (libpango),
already present wherever Chromium is.
"""

from __future__ import annotations

from datetime import UTC, datetime

from ..._version import __version__
from ..db import Patient, Plan
from .patients import age
from .plan_json import concern_plans


class PDFUnavailable(Exception):
    """The PDF library cannot run on this machine."""


def plan_pdf(templates, x: Plan, p: Patient, zone, clinician: str) -> bytes:
    """The PDF bytes of plan ``x`` for patient ``p`` (times in ``zone``)."""
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:  # Pango missing: say so instead of failing
        raise PDFUnavailable("the PDF needs WeasyPrint and Pango (Debian: libpango-1.0-0, "
                             f"libpangoft2-1.0-0; 'make browser' installs them): {exc}"[:300])\
            from None

    made = x.created_at if x.created_at.tzinfo else x.created_at.replace(tzinfo=UTC)
    html = templates.get_template("plan_pdf.html").render(
        x=x, p=p, plans=concern_plans(x.plan), age=age(p.date_of_birth),
        made=made.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z"),
        printed=datetime.now(zone).strftime("%Y-%m-%d %H:%M %Z"), version=__version__,
        clinician=p.clinician or clinician, warnings=(x.plan or {}).get("warnings", []))
    return HTML(string=html).write_pdf()
