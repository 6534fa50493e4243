"""Patient file (TOML or dict): phototype, concerns with severities, preferences, history.

Follows the contract of shared/design.md. Every key of ``[history]`` is optional, but a missing
key is reported as missing information, never assumed safe.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

from pydantic import Field

from .. import data
from ..errors import InputError
from ..schema import Flag, Integer, Number, OneOf, Spec, Text, parse, printable, read_toml
from .envelope import areas as _areas

#: treatment areas a concern may name (data/envelope.toml: skin presets and more; the cosmetic
#: units of the face are areas too), and the whole face (every unit: data/face_units.toml)
AREAS = (*_areas(), "full-face")

HISTORY_BOOL = ("herpes_simplex", "keloids", "active_infection", "pregnant", "recent_tan",
                "photosensitizing_drugs", "vitiligo", "prior_radiation")
#: answers asked only where they decide something (issue 29): lid laxity for an area around the
#: eyes, the stability of a vitiligo, whether uneven tone in phototypes III-VI is melasma
FOLLOW_UP = ("ectropion", "vitiligo_stable", "melasma", "melasma_topical_tried")
HISTORY_KEYS = ("isotretinoin_months_ago", "isotretinoin_never", *HISTORY_BOOL, *FOLLOW_UP)
SCAR_TYPES = ("rolling", "boxcar", "icepick", "hypertrophic")
#: Upper bound of ``isotretinoin_months_ago`` (50 years): a range check, not a clinical number.
ISOTRETINOIN_MONTHS_MAX = 600


def concern_kinds() -> dict[str, tuple[int, int]]:
    """Concern kind -> (lowest, highest) severity covered by the rule base."""
    out: dict[str, tuple[int, int]] = {}
    for c in data.toml("planner_rules")["concern"]:
        lo, hi = out.get(c["kind"], (99, -99))
        out[c["kind"]] = (min(lo, c["severity"][0]), max(hi, c["severity"][1]))
    return out


#: widest severity scale of any concern kind (each kind's own range is checked after parsing)
_SEVERITY = (min(lo for lo, _ in concern_kinds().values()),
             max(hi for _, hi in concern_kinds().values()))


class PatientInfoSpec(Spec):
    phototype: Annotated[int, Integer(1, 6)] = Field(
        description="Fitzpatrick skin phototype I-VI.",
        json_schema_extra={"x-required": "an integer 1-6 (Fitzpatrick I-VI)"})


class ConcernSpec(Spec):
    kind: Annotated[str, OneOf(tuple(sorted(concern_kinds())))] = Field(
        description="What to treat (the rule base's concern kinds, data/planner_rules.toml).",
        json_schema_extra={"x-required": "one of " + ", ".join(sorted(concern_kinds()))})
    severity: Annotated[int, Integer(*_SEVERITY)] = Field(
        description="Severity on the published scale of the concern (range per kind in "
        "data/planner_rules.toml).",
        json_schema_extra={"x-required": "an integer severity"})
    site: Annotated[str, OneOf(AREAS)] = Field(
        description="Treatment area of the concern (data/envelope.toml: each area's skin "
        "preset and clinical envelope), a cosmetic unit of the face, or full-face (every unit, "
        "data/face_units.toml).",
        json_schema_extra={"x-required": "one of " + ", ".join(AREAS)})
    scar_type: Annotated[str | None, OneOf(SCAR_TYPES)] = Field(
        None, description="Acne scars only: the scar morphology.")


class PreferencesSpec(Spec):
    max_downtime_days: Annotated[float, Number(0.0, 60.0, what="a number of days")] = Field(
        description="Longest social downtime the patient accepts, days.",
        json_schema_extra={"x-required": "a number of days 0-60"})
    max_sessions: Annotated[int, Integer(1, 10)] = Field(
        description="Most sessions the patient accepts.",
        json_schema_extra={"x-required": "an integer 1-10"})


#: a yes/no history answer (absent: not answered, never assumed safe)
Answer = Annotated[bool | None, Flag()]


class HistorySpec(Spec):
    """Every key is optional; a missing key is reported as missing, never assumed safe."""

    # every clinical number is finite and in range before any rule sees it: a NaN would pass
    # "< 0" and fail "< 6", silently lifting the isotretinoin block
    isotretinoin_months_ago: Annotated[float | None, Number(
        0.0, ISOTRETINOIN_MONTHS_MAX,
        what="a finite number of months (omit it and set isotretinoin_never = true if never "
        "taken):")] = Field(None, description="Months since the last isotretinoin dose.")
    isotretinoin_never: Answer = Field(None, description="Never took "
                                                         "isotretinoin.")
    herpes_simplex: Answer = Field(None, description="History of herpes "
                                                    "simplex (cold sores).")
    keloids: Answer = Field(None, description="Keloid or hypertrophic scarring.")
    active_infection: Answer = Field(None, description="Active infection at "
                                                      "the site.")
    pregnant: Answer = Field(None, description="Pregnant.")
    recent_tan: Answer = Field(None, description="Recent tan.")
    photosensitizing_drugs: Answer = Field(None, description="Takes "
                                                            "photosensitizing drugs.")
    vitiligo: Answer = Field(None, description="Vitiligo.")
    prior_radiation: Answer = Field(None, description="Radiation therapy to "
                                                     "the site.")
    ectropion: Answer = Field(None, description="Ectropion or lower-lid laxity (asked for "
                                                "areas around the eyes).")
    vitiligo_stable: Answer = Field(None, description="Vitiligo stable for 12 months (no new "
                                                      "or spreading patches; asked if vitiligo).")
    melasma: Answer = Field(None, description="The uneven tone is melasma (asked for uneven "
                                              "tone in phototypes III-VI).")
    melasma_topical_tried: Answer = Field(None, description="Topical bleaching (hydroquinone "
                                          "or triple cream) and sun protection tried for "
                                          "3 months without enough effect (asked for "
                                          "melasma).")


class PatientSpec(Spec):
    """A patient file as written in TOML."""

    name: Annotated[str, Text()] = Field("patient", description="Name shown in the plan.")
    patient: PatientInfoSpec = Field(description="[patient]", json_schema_extra={
        "x-required": "a [patient] table with phototype, an integer 1-6 (Fitzpatrick I-VI)"})
    concerns: list[ConcernSpec] = Field(description="[[concerns]], at least one",
                                        min_length=1, json_schema_extra={
                                            "x-required": "at least one [[concerns]] table"})
    preferences: PreferencesSpec = Field(description="[preferences]", json_schema_extra={
        "x-required": "a [preferences] table with max_downtime_days (0-60) and "
        "max_sessions (1-10)"})
    history: HistorySpec = Field(HistorySpec(), description="[history]")


@dataclass(frozen=True)
class Concern:
    kind: str
    severity: int
    site: str
    scar_type: str | None = None


@dataclass(frozen=True)
class Patient:
    phototype: int
    concerns: tuple[Concern, ...]
    max_downtime_days: float
    max_sessions: int
    history: dict = field(default_factory=dict)
    name: str = "patient"

    @classmethod
    def from_toml(cls, path) -> Patient:
        path = Path(path)
        d = read_toml("patient file", path)
        d.setdefault("name", path.stem)
        return cls.from_dict(d)

    @classmethod
    def from_dict(cls, d: dict) -> Patient:
        if not isinstance(d, dict):
            raise InputError("patient file", d, "a table with [patient], [[concerns]], "
                             "[preferences] and [history]")
        if isinstance(d.get("concerns"), list) and not d["concerns"]:
            raise InputError("concerns", [], "at least one [[concerns]] table")
        spec = parse(PatientSpec, d)
        return cls.from_spec(spec)

    @classmethod
    def from_spec(cls, spec: PatientSpec) -> Patient:
        kinds = concern_kinds()
        concerns = []
        for i, c in enumerate(spec.concerns):
            lo, hi = kinds[c.kind]
            if not lo <= c.severity <= hi:
                raise InputError(f"concerns[{i}].severity", c.severity,
                                 f"an integer {lo}-{hi} for {c.kind}")
            if c.scar_type is not None and c.kind != "acne-scars":
                raise InputError(f"concerns[{i}].scar_type", c.scar_type,
                                 "for acne-scars only: " + ", ".join(SCAR_TYPES))
            concerns.append(Concern(c.kind, c.severity, c.site, c.scar_type))
        hist = spec.history.model_dump(exclude_unset=True)
        if "vitiligo_stable" in hist and hist.get("vitiligo") is not True:
            raise InputError("history.vitiligo_stable", hist["vitiligo_stable"],
                             "only with vitiligo = true (the history contradicts itself: "
                             f"vitiligo = {hist.get('vitiligo')!r})")
        if hist.get("isotretinoin_never") is True and "isotretinoin_months_ago" in hist:
            raise InputError("history.isotretinoin_never", True,
                             "not together with isotretinoin_months_ago = "
                             f"{hist['isotretinoin_months_ago']!r} (the history contradicts "
                             "itself: give one of the two)")
        return cls(spec.patient.phototype, tuple(concerns),
                   float(spec.preferences.max_downtime_days), int(spec.preferences.max_sessions),
                   hist, printable(spec.name))

    def missing_history(self) -> list[str]:
        """History keys the file does not answer (reported, never assumed safe); a follow-up
        key only where it decides something for this patient."""
        miss = [k for k in HISTORY_BOOL if k not in self.history]
        if "isotretinoin_months_ago" not in self.history and \
                self.history.get("isotretinoin_never") is not True:
            miss.insert(0, "isotretinoin_months_ago")
        return miss + [k for k in self.follow_ups() if k not in self.history]

    def follow_ups(self) -> list[str]:
        """The follow-up questions that apply to this patient."""
        from .envelope import area
        from .face import areas_of

        out = []
        if any(area(a).get("eyes") for c in self.concerns for a in areas_of(c.site)):
            out.append("ectropion")
        if self.history.get("vitiligo") is True:
            out.append("vitiligo_stable")
        if self.phototype >= 3 and any(c.kind == "uneven-tone" for c in self.concerns):
            out.append("melasma")
        if any(c.kind == "melasma" for c in self.concerns) or (
                "melasma" in out and self.history.get("melasma") is not False):
            out.append("melasma_topical_tried")
        return out

    def answered(self, key: str) -> bool:
        """Whether the history answers ``key`` (isotretinoin: months given, or never taken)."""
        if key == "isotretinoin_months_ago":
            return key in self.history or self.history.get("isotretinoin_never") is True
        return key in self.history

    def to_dict(self) -> dict:
        return {"name": self.name, "patient": {"phototype": self.phototype},
                "concerns": [{k: v for k, v in c.__dict__.items() if v is not None}
                             for c in self.concerns],
                "preferences": {"max_downtime_days": self.max_downtime_days,
                                "max_sessions": self.max_sessions},
                "history": dict(self.history)}
