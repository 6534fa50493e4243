"""Follow-up visits: what was seen after a treatment, and the photographs taken.

A visit is dated; it records the day the skin was healed (re-epithelialized), the day the
erythema ended, the day the patient was back to work and social life, complications from a
fixed list with their severity, the improvement on the scale the plan used (or a 4-point
improvement scale) and the patient's own rating, with free notes. Days are counted from the
treatment and cannot lie after the visit that reports them.

Photographs (:func:`clean_photo`): JPEG or PNG only, at most :data:`MAX_PHOTO_BYTES`, decoded
by Pillow and written again from their pixels alone, so no metadata (EXIF with its GPS position
and camera serial, XMP, IPTC, comments, text chunks) survives; the orientation EXIF gave is
applied to the pixels first. The file is kept outside the database under the SHA-256 of the
cleaned bytes (:func:`store_photo`).
"""

from __future__ import annotations

import hashlib
import io
import math
import os
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ..errors import InputError
from .records import MAX_NOTE, _date, _whole, text

COMPLICATIONS = ("post-inflammatory hyperpigmentation", "hypopigmentation", "infection",
                 "herpes reactivation", "milia", "acne flare", "prolonged erythema",
                 "hypertrophic scar", "ectropion")
SEVERITIES = ("mild", "moderate", "severe")
#: improvement scales: the planner's severity scales (graded after treatment as before) and a
#: 4-point quartile improvement scale as laser studies report it (1 = 0-25 %, 2 = 26-50 %,
#: 3 = 51-75 %, 4 = 76-100 % improvement)
SCALES = {"fitzpatrick-wrinkle": ("Fitzpatrick wrinkle class", 1, 9),
          "goodman-baron": ("Goodman & Baron qualitative grade", 1, 4),
          "glogau": ("Glogau photoaging type", 1, 4),
          "improvement-4": ("4-point improvement (1: 0-25 %, 2: 26-50 %, 3: 51-75 %, "
                            "4: 76-100 %)", 1, 4)}
#: the patient's own rating of the result: 1 (no improvement) to 5 (excellent)
RATING = (1, 5)
#: the longest day counted from the treatment that a visit may report (2 years)
MAX_DAY = 730
MAX_PHOTO_BYTES = 8 * 1024 * 1024
#: largest photograph in pixels (a 50-megapixel camera): beyond it Pillow's own
#: decompression-bomb guard would be the only limit
MAX_PIXELS = 50_000_000
PHOTO_TYPES = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png")}


@dataclass(frozen=True)
class FollowUp:
    seen_on: date
    day_healed: float | None = None
    erythema_end_day: float | None = None
    social_downtime_days: float | None = None
    complications: list[dict[str, str]] = field(default_factory=list)
    improvement_scale: str | None = None
    improvement_grade: int | None = None
    patient_rating: int | None = None
    notes: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["seen_on"] = self.seen_on.isoformat()
        return d

    def observed(self) -> dict[str, float | None]:
        """The measures compared with the prediction."""
        return {"reepithelialization_days": self.day_healed,
                "erythema_days": self.erythema_end_day,
                "downtime_days": self.social_downtime_days}


def _day(fld: str, v: Any, visit_day: int) -> float | None:
    if v is None or (isinstance(v, str) and not v.strip()):
        return None
    try:
        x = float(v)
    except (TypeError, ValueError):
        raise InputError(fld, v, f"a number of days from 0 to {MAX_DAY}") from None
    if isinstance(v, bool) or not math.isfinite(x) or not 0 <= x <= MAX_DAY:
        raise InputError(fld, v, f"a number of days from 0 to {MAX_DAY}")
    if x > visit_day:
        raise InputError(fld, v, f"a day up to this visit's (day {visit_day} after the "
                         "treatment): a later day cannot be seen yet")
    return x


def check(d: dict, treated_on: date) -> FollowUp:
    """A follow-up visit from its fields; one :class:`InputError` naming the field."""
    seen = _date("follow_up.seen_on", d.get("seen_on"), after=treated_on)
    if seen is None:
        raise InputError("follow_up.seen_on", "", "the date of the visit (required)")
    visit = (seen - treated_on).days
    comps = []
    for i, c in enumerate(d.get("complications") or []):
        kind, sev = c.get("kind"), c.get("severity") or "mild"
        if kind not in COMPLICATIONS:
            raise InputError(f"follow_up.complications[{i}].kind", kind,
                             "one of " + ", ".join(COMPLICATIONS))
        if sev not in SEVERITIES:
            raise InputError(f"follow_up.complications[{i}].severity", sev,
                             "one of " + ", ".join(SEVERITIES))
        comps.append({"kind": kind, "severity": sev})
    scale = d.get("improvement_scale") or None
    grade = None
    if scale is not None:
        if scale not in SCALES:
            raise InputError("follow_up.improvement_scale", scale, "one of " + ", ".join(SCALES))
        _, lo, hi = SCALES[scale]
        grade = _whole("follow_up.improvement_grade", d.get("improvement_grade"), lo, hi)
    elif d.get("improvement_grade") not in (None, ""):
        raise InputError("follow_up.improvement_scale", "", "the scale of the grade given")
    return FollowUp(seen, _day("follow_up.day_healed", d.get("day_healed"), visit),
                    _day("follow_up.erythema_end_day", d.get("erythema_end_day"), visit),
                    _day("follow_up.social_downtime_days", d.get("social_downtime_days"),
                         visit),
                    comps, scale, grade,
                    _whole("follow_up.patient_rating", d.get("patient_rating"), *RATING),
                    text("follow_up.notes", d.get("notes"), MAX_NOTE))


def latest(visits: list[FollowUp]) -> dict[str, float | None]:
    """Each measure from the latest visit that reports it."""
    out: dict[str, float | None] = {}
    for v in sorted(visits, key=lambda v: v.seen_on):
        for k, x in v.observed().items():
            if x is not None:
                out[k] = x
    return out


# -- photographs ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Photo:
    data: bytes
    sha256: str
    mime: str
    ext: str
    width: int
    height: int


def clean_photo(raw: bytes, max_bytes: int = MAX_PHOTO_BYTES) -> Photo:
    """The photograph as its pixels alone (JPEG or PNG; metadata removed); one
    :class:`InputError` for anything else."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    if not raw:
        raise InputError("photo", "", "a JPEG or PNG file")
    if len(raw) > max_bytes:
        raise InputError("photo", f"{len(raw):,} bytes", f"a file of at most {max_bytes:,} "
                         "bytes")
    try:
        with Image.open(io.BytesIO(raw)) as probe:
            fmt = probe.format
            size = probe.size
            probe.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
            Image.DecompressionBombError):
        raise InputError("photo", "(the file)", "a JPEG or PNG photograph Pillow can read")\
            from None
    if fmt not in PHOTO_TYPES:
        raise InputError("photo", fmt or "unknown", "a JPEG or PNG photograph")
    if size[0] * size[1] > MAX_PIXELS:
        raise InputError("photo", f"{size[0]} x {size[1]} pixels",
                         f"at most {MAX_PIXELS:,} pixels")
    with Image.open(io.BytesIO(raw)) as opened:
        img = ImageOps.exif_transpose(opened)  # the orientation EXIF gave, into the pixels
        mode = "RGB" if fmt == "JPEG" else ("RGBA" if "A" in img.getbands() else "RGB")
        pixels = img.convert(mode)
        clean = Image.new(mode, pixels.size)
        clean.paste(pixels)  # a new image: no info, no EXIF, no ICC, no text chunks
        out = io.BytesIO()
        if fmt == "JPEG":
            clean.save(out, "JPEG", quality=92, optimize=True)
        else:
            clean.save(out, "PNG", optimize=True)
    data = out.getvalue()
    mime, ext = PHOTO_TYPES[fmt]
    return Photo(data, hashlib.sha256(data).hexdigest(), mime, ext, clean.width, clean.height)


def photo_path(root: Path, sha256: str, ext: str) -> Path:
    if len(sha256) != 64 or any(ch not in "0123456789abcdef" for ch in sha256) \
            or ext not in ("jpg", "png"):
        raise InputError("photo", sha256[:16], "a stored photograph's hash")
    return root / sha256[:2] / f"{sha256}.{ext}"


def store_photo(root: Path, photo: Photo) -> Path:
    """Write the cleaned photograph under its hash (0600, folders 0700; written whole, then
    moved into place); the same photograph twice is one file."""
    path = photo_path(root, photo.sha256, photo.ext)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(root, 0o700)
    if path.exists():
        return path
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(photo.data)
    os.replace(tmp, path)
    return path
