"""Pooling across clinics: a de-identified export of the outcomes, its data dictionary, and the
import of such exports into a pooled calibration (on the Dask engine when large).

**What leaves the clinic.** One row per treatment with an outcome: no name, birth date, record
number, clinician or free text; no date at all (visits are days since the treatment); a case
label drawn at random for each export, so rows cannot be linked to the clinic's records or
between exports. The quasi-identifiers (age band, sex, phototype, area, modality) are coarsened
where a combination is rare: rows whose combination has fewer than :data:`K_ANONYMITY` rows are
generalised step by step (area to region, 10-year to 20-year age band, phototype to I-II /
III-IV / V-VI, age to adult, sex withheld) and, if still rare, every quasi-identifier of the
row is withheld ("*"); k = 5 is a policy (the value commonly used for health data; El Emam &
Dankar, J Am Med Inform Assoc 2008;15:627-637).

**Formats.** CSV (UTF-8, a header row) and Parquet (pyarrow; the data dictionary in the file's
metadata); the dictionary also as its own CSV (:func:`dictionary_rows`).

**Import.** :func:`read` checks a file's columns against the dictionary and gives
:class:`~dermalase.outcomes.cases.Case` objects; :func:`pooled` calibrates from several files.
The conjugate calibration needs only sums over cases (:mod:`dermalase.outcomes.calibrate`), so
a large import (more than :data:`DASK_ROWS` rows) is reduced on the Dask engine
(:func:`dermalase.sweep.engine.run_tasks`: a LocalCluster or the cluster at ``scheduler``), one
task per Parquet row group or CSV file; the held-out check then runs on a seeded sample.
"""

from __future__ import annotations

import csv
import io
import json
import math
import secrets
from collections import Counter
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from ..errors import InputError
from .cases import Case

K_ANONYMITY = 5
DASK_ROWS = 100_000
#: the check of a Dask-reduced import runs on at most this many rows (seeded sample)
CHECK_SAMPLE = 20_000
QUASI = ("age_band", "sex", "phototype", "area", "modality")
ROMAN = ("I", "II", "III", "IV", "V", "VI")

#: the data dictionary: column, type, unit, meaning
DICTIONARY: list[tuple[str, str, str, str]] = [
    ("case", "text", "", "random label drawn for this export (links to nothing)"),
    ("clinic", "text", "", "the exporting clinic's label, as it chose it (may be empty)"),
    ("synthetic", "bool", "", "true for generated test cases, never real patients"),
    ("age_band", "text", "years", "age at treatment: 18-29, 30-39, ..., 70+ (coarsened to "
     "18-39, 40-59, 60+ or 'adult' where rare; '*' withheld; 'unknown')"),
    ("sex", "text", "", "female, male, intersex, not recorded ('*' withheld where rare)"),
    ("phototype", "text", "", "Fitzpatrick I-VI (I-II, III-IV, V-VI where rare; '*')"),
    ("area", "text", "", "treated area that healed last (its region where rare; '*')"),
    ("region", "text", "", "face, neck, trunk or limb"),
    ("modality", "text", "", "planner modality of the device delivered"),
    ("device", "text", "", "catalogue device"),
    ("device_settings", "json", "", "the device's settings as written on it"),
    ("passes", "int", "", "passes recorded"),
    ("anaesthesia", "text", "", "none, topical, local infiltration, nerve block, sedation"),
    ("care_antiviral", "bool", "", "antiviral prophylaxis given"),
    ("care_test_spot", "bool", "", "test spot first"),
    ("care_priming", "bool", "", "skin priming given"),
    ("ablation_depth_um", "float", "um", "model: ablation depth of the delivered settings"),
    ("coagulation_depth_um", "float", "um", "model: coagulated layer below the floor"),
    ("injury_depth_um", "float", "um", "model: ablation + coagulation"),
    ("coagulum_um", "float", "um", "healing feature: dermal coagulum to clear"),
    ("cover_distance_mm", "float", "mm", "healing feature: distance the epithelium travels"),
    ("lag_days", "float", "d", "healing feature: lag before the front moves"),
    ("published_downtime_days", "float", "d", "published typical social downtime"),
    ("published_erythema_days", "float", "d", "published typical erythema"),
    ("predicted_reepithelialization_days", "float", "d", "prediction as stored"),
    ("predicted_reepithelialization_low", "float", "d", "its interval, low"),
    ("predicted_reepithelialization_high", "float", "d", "its interval, high"),
    ("observed_reepithelialization_days", "float", "d", "day healed (days since treatment)"),
    ("observed_erythema_days", "float", "d", "day the erythema ended"),
    ("observed_downtime_days", "float", "d", "day back to work and social life"),
    ("improvement_scale", "text", "", "scale of the improvement grade"),
    ("improvement_grade", "int", "", "improvement on that scale"),
    ("patient_rating", "int", "", "patient's own rating, 1 (none) to 5 (excellent)"),
    ("last_visit_day", "int", "d", "last follow-up, days since treatment"),
    ("model_fingerprint", "text", "", "model (code, data and calibration) of the prediction"),
    ("calibration", "text", "", "calibration the prediction was made under"),
]


def _complication_columns() -> list[tuple[str, str, str, str]]:
    from .followups import COMPLICATIONS

    return [(f"complication_{c.replace(' ', '_').replace('-', '_')}", "text", "",
             f"{c}: mild, moderate or severe (empty: none recorded)") for c in COMPLICATIONS]


def dictionary() -> list[tuple[str, str, str, str]]:
    return DICTIONARY + _complication_columns()


def columns() -> list[str]:
    return [c[0] for c in dictionary()]


def dictionary_rows() -> list[dict[str, str]]:
    return [{"column": c, "type": t, "unit": u, "meaning": m} for c, t, u, m in dictionary()]


def _age_band(born: date | None, on: date) -> str:
    if born is None:
        return "unknown"
    age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    if age < 18:
        return "under 18"
    if age >= 70:
        return "70+"
    lo = 18 if age < 30 else age // 10 * 10
    return f"{lo}-{29 if lo == 18 else lo + 9}"


def row_of(t, patient: dict, born: date | None, sex: str | None, prediction: dict,
           visits: Sequence) -> dict[str, Any]:
    """The export row of one treatment (identifiers dropped here; coarsening in
    :func:`deidentify`)."""
    from ..planner.envelope import area as area_row
    from .followups import latest

    meas = prediction["measures"]
    heal = meas.get("reepithelialization_days") or {}
    sim = prediction.get("simulated") or {}
    feat = prediction.get("features") or dict.fromkeys(
        ("coagulum_um", "cover_distance_mm", "lag_days"))
    obs = latest(list(visits))
    last = max(visits, key=lambda v: v.seen_on) if visits else None
    from .calibrate import published_typical

    row: dict[str, Any] = {
        "case": "", "clinic": "", "synthetic": False,
        "age_band": _age_band(born, t.treated_on), "sex": sex or "not recorded",
        "phototype": ROMAN[int(patient["patient"]["phototype"]) - 1],
        "area": prediction["area"], "region": area_row(prediction["area"])["region"],
        "modality": t.modality, "device": t.device,
        "device_settings": json.dumps(t.settings, sort_keys=True, ensure_ascii=False),
        "passes": t.passes, "anaesthesia": t.anaesthesia,
        **{f"care_{k}": bool(t.care.get(k)) for k in ("antiviral", "test_spot", "priming")},
        **{k: sim.get(k) for k in ("ablation_depth_um", "coagulation_depth_um",
                                   "injury_depth_um")},
        "coagulum_um": feat["coagulum_um"], "cover_distance_mm": feat["cover_distance_mm"],
        "lag_days": feat["lag_days"],
        "published_downtime_days": published_typical(t.modality, "downtime",
                                                     sim.get("injury_depth_um")),
        "published_erythema_days": published_typical(t.modality, "erythema",
                                                     sim.get("injury_depth_um")),
        "predicted_reepithelialization_days": heal.get("value"),
        "predicted_reepithelialization_low": (heal.get("interval") or [None, None])[0],
        "predicted_reepithelialization_high": (heal.get("interval") or [None, None])[1],
        "observed_reepithelialization_days": obs.get("reepithelialization_days"),
        "observed_erythema_days": obs.get("erythema_days"),
        "observed_downtime_days": obs.get("downtime_days"),
        "improvement_scale": last.improvement_scale if last else None,
        "improvement_grade": last.improvement_grade if last else None,
        "patient_rating": last.patient_rating if last else None,
        "last_visit_day": (last.seen_on - t.treated_on).days if last else None,
        "model_fingerprint": prediction.get("fingerprint"),
        "calibration": (prediction.get("calibration") or {}).get("fingerprint", "")}
    for col, *_ in _complication_columns():
        row[col] = ""
    for v in visits:
        for c in v.complications:
            col = "complication_" + c["kind"].replace(" ", "_").replace("-", "_")
            row[col] = _worse(row[col], c["severity"])
    return row


def _worse(a: str, b: str) -> str:
    order = ("", "mild", "moderate", "severe")
    return a if order.index(a) >= order.index(b) else b


# -- coarsening ------------------------------------------------------------------------------
#: 10-year age bands widened to 20-year ones
WIDER_AGE = {"18-29": "18-39", "30-39": "18-39", "40-49": "40-59", "50-59": "40-59",
             "60-69": "60+", "70+": "60+"}


def _wider_age(b: str) -> str:
    return WIDER_AGE.get(b, b)


def _photo_group(p: str) -> str:
    return {"I": "I-II", "II": "I-II", "III": "III-IV", "IV": "III-IV", "V": "V-VI",
            "VI": "V-VI"}.get(p, p)


STEPS = (("area", lambda r: r["region"]), ("age_band", lambda r: _wider_age(r["age_band"])),
         ("phototype", lambda r: _photo_group(r["phototype"])),
         ("age_band", lambda r: "adult" if r["age_band"] not in ("unknown", "*") else
          r["age_band"]),
         ("sex", lambda r: "*"))


def _rare(rows: list[dict], k: int) -> set[int]:
    counts = Counter(tuple(r[q] for q in QUASI) for r in rows)
    return {i for i, r in enumerate(rows) if counts[tuple(r[q] for q in QUASI)] < k}


def deidentify(rows: Sequence[dict], clinic: str = "", k: int = K_ANONYMITY,
               rng: secrets.SystemRandom | None = None) -> list[dict]:
    """The rows as they leave the clinic: random case labels, the clinic's label, and every
    quasi-identifier combination shared by at least ``k`` rows (coarsened, else withheld)."""
    rng = rng or secrets.SystemRandom()
    out = [dict(r) for r in rows]
    rng.shuffle(out)  # the order of the records says nothing either
    for r in out:
        r["case"] = secrets.token_hex(6)
        r["clinic"] = clinic
    for col, widen in STEPS:
        for i in _rare(out, k):
            out[i][col] = widen(out[i])
    for i in _rare(out, k):
        for q in QUASI:
            out[i][q] = "*"
        out[i]["region"] = "*"
    return out


# -- files -----------------------------------------------------------------------------------
def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return f"{v:.6g}" if math.isfinite(v) else ""
    return str(v)


def write(rows: Sequence[dict], path: str | Path) -> Path:
    """Write ``rows`` (already de-identified) as CSV or Parquet by the file's suffix, whole or
    not at all; the dictionary beside it (``<name>.dictionary.csv``)."""
    from ..io.files import atomic_write

    path = Path(path)
    cols = columns()
    if path.suffix == ".csv":
        buf = io.StringIO()
        w = csv.DictWriter(buf, cols, lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({c: _cell(r.get(c)) for c in cols})
        data = buf.getvalue().encode("utf-8")
    elif path.suffix == ".parquet":
        data = _parquet_bytes(rows)
    else:
        raise InputError("--out", str(path), "a .csv or .parquet file")
    with atomic_write(path, "--out") as tmp:
        Path(tmp).write_bytes(data)
    dbuf = io.StringIO()
    dw = csv.DictWriter(dbuf, ["column", "type", "unit", "meaning"], lineterminator="\n")
    dw.writeheader()
    dw.writerows(dictionary_rows())
    with atomic_write(path.with_suffix(".dictionary.csv"), "--out") as tmp:
        Path(tmp).write_text(dbuf.getvalue(), encoding="utf-8")
    return path


def csv_text(rows: Sequence[dict]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, columns(), lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({c: _cell(r.get(c)) for c in columns()})
    return buf.getvalue()


def _arrow_type(t: str):
    import pyarrow as pa

    return {"float": pa.float64(), "int": pa.int64(), "bool": pa.bool_()}.get(t, pa.string())


def _parquet_bytes(rows: Sequence[dict]) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    fields = [pa.field(c, _arrow_type(t), metadata={"unit": u, "meaning": m})
              for c, t, u, m in dictionary()]
    schema = pa.schema(fields, metadata={"dermalase": "de-identified outcomes (issue 34)",
                                         "dictionary": json.dumps(dictionary_rows())})
    data = {c: [_typed(r.get(c), t) for r in rows] for c, t, _, _ in dictionary()}
    table = pa.Table.from_pydict(data, schema=schema)
    buf = pa.BufferOutputStream()
    pq.write_table(table, buf, row_group_size=50_000)
    return buf.getvalue().to_pybytes()


def _typed(v: Any, t: str) -> Any:
    if v is None or v == "":
        return None
    if t == "float":
        x = float(v)
        return x if math.isfinite(x) else None
    if t == "int":
        return int(float(v))
    if t == "bool":
        return v if isinstance(v, bool) else str(v).lower() == "true"
    return str(v)


def read_rows(path: str | Path) -> list[dict]:
    """The rows of an export (CSV or Parquet), typed by the dictionary; a file whose columns
    are not the dictionary's is refused (one line naming the column)."""
    path = Path(path)
    if not path.is_file():
        raise InputError("import", str(path), "an export file (.csv or .parquet)")
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        try:
            raw = pq.read_table(path).to_pylist()
        except Exception as exc:  # noqa: BLE001 - pyarrow's errors vary
            raise InputError("import", str(path), f"a Parquet export ({type(exc).__name__})")\
                from None
        names = list(raw[0]) if raw else columns()
    elif path.suffix == ".csv":
        with open(path, encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f)
            names = list(reader.fieldnames or [])
            raw = list(reader)
    else:
        raise InputError("import", str(path), "a .csv or .parquet export")
    types = {c: t for c, t, _, _ in dictionary()}
    missing = [c for c in types if c not in names]
    extra = [c for c in names if c not in types]
    if missing or extra:
        raise InputError("import", str(path), "the columns of the data dictionary ("
                         + (f"missing {missing[0]}" if missing else f"unknown {extra[0]}")
                         + ")")
    return [{c: _typed(r.get(c), types[c]) for c in types} for r in raw]


def case_of_row(r: dict) -> Case:
    """A case from an export row (a treatment the model did not simulate informs the
    recovery factors, not the healing: its cover distance is infinite)."""
    simulated = r["coagulum_um"] is not None and r["cover_distance_mm"] is not None
    return Case(modality=str(r["modality"]), site=str(r["area"]),
                coagulum_um=float(r["coagulum_um"]) if simulated else 0.0,
                cover_distance_mm=float(r["cover_distance_mm"]) if simulated else math.inf,
                lag_days=float(r["lag_days"] or 0.0) if simulated else 0.0,
                observed={"reepithelialization_days": r["observed_reepithelialization_days"],
                          "erythema_days": r["observed_erythema_days"],
                          "downtime_days": r["observed_downtime_days"]},
                published={"downtime": r["published_downtime_days"],
                           "erythema": r["published_erythema_days"]},
                case_id=str(r["case"]), synthetic=bool(r["synthetic"]))


def read(path: str | Path) -> list[Case]:
    return [case_of_row(r) for r in read_rows(path)]


def rows_of_cases(cases: Sequence[Case], clinic: str = "") -> list[dict]:
    """Export rows of cases (a synthetic cohort, or cases read back): what a file holds."""
    out = []
    for c in cases:
        r: dict[str, Any] = dict.fromkeys(columns())
        finite = math.isfinite(c.cover_distance_mm)
        r.update({"case": c.case_id, "clinic": clinic, "synthetic": c.synthetic,
                  "age_band": "unknown", "sex": "not recorded", "phototype": "*",
                  "area": c.site, "region": "*", "modality": c.modality,
                  "coagulum_um": c.coagulum_um if finite else None,
                  "cover_distance_mm": c.cover_distance_mm if finite else None,
                  "lag_days": c.lag_days if finite else None,
                  "published_downtime_days": c.published.get("downtime"),
                  "published_erythema_days": c.published.get("erythema"),
                  "observed_reepithelialization_days": c.value("reepithelialization_days"),
                  "observed_erythema_days": c.value("erythema_days"),
                  "observed_downtime_days": c.value("downtime_days")})
        out.append(r)
    return out


# -- pooled calibration ----------------------------------------------------------------------
def _chunks(paths: Sequence[Path]) -> list[tuple[str, int]]:
    out = []
    for p in paths:
        if p.suffix == ".parquet":
            import pyarrow.parquet as pq

            n = pq.ParquetFile(p).num_row_groups
            out += [(str(p), g) for g in range(n)]
        else:
            out.append((str(p), -1))
    return out


def chunk_stats(item: tuple[str, int]) -> tuple[str, object]:
    """On a Dask worker: the sufficient statistics of one row group (or CSV file), by group,
    and its row count."""
    from . import calibrate as C

    path, group = item
    try:
        if group >= 0:
            import pyarrow.parquet as pq

            types = {c: t for c, t, _, _ in dictionary()}
            rows = [{c: _typed(r.get(c), types[c]) for c in types}
                    for r in pq.ParquetFile(path).read_row_group(group).to_pylist()]
        else:
            rows = read_rows(path)
        cases = [case_of_row(r) for r in rows]
        return "ok", {"stats": sufficient_stats(cases, C), "n": len(cases)}
    except InputError as exc:
        return "error", str(exc)


def sufficient_stats(cases: Sequence[Case], C=None) -> dict[str, list]:
    """XᵀX, Xᵀy, yᵀy and n of every group the cases inform (JSON-able)."""
    if C is None:
        from . import calibrate as C
    out = {}
    for g in C.groups(cases):
        X, y, used = C.design(g, cases)
        if used:
            out[g] = [(X.T @ X).tolist(), (X.T @ y).tolist(), float(y @ y), len(used)]
    return out


def _add(total: dict, part: dict) -> None:
    import numpy as np

    for g, (xtx, xty, yty, n) in part.items():
        if g not in total:
            total[g] = [np.array(xtx), np.array(xty), yty, n]
        else:
            t = total[g]
            t[0] = t[0] + np.array(xtx)
            t[1] = t[1] + np.array(xty)
            t[2] += yty
            t[3] += n


def pooled(paths: Sequence[str | Path], *, name: str = "pooled", version: int = 1,
           workers: int | None = None, scheduler: str | None = None,
           engine: str = "auto", seed: int = 0):
    """A calibration from several clinics' exports. ``engine``: "auto" (Dask above
    :data:`DASK_ROWS` rows), "dask" or "here". Returns the calibration result, with
    ``report["engine"]`` saying where the sums were made."""
    import numpy as np

    from . import calibrate as C

    files = [Path(p) for p in paths]
    rows = sum(_count(p) for p in files)
    use_dask = engine == "dask" or (engine == "auto" and rows > DASK_ROWS)
    if not use_dask:
        cases = [c for p in files for c in read(p)]
        res = C.calibrate(cases, name=name, version=version,
                          provenance=f"{len(cases)} outcomes pooled from {len(files)} file(s)")
        res.report["engine"] = "here"
        return res
    from ..sweep.engine import run_tasks

    total: dict = {}
    errors: list[str] = []

    def arrived(_k: int, status: str, value) -> None:
        if status == "ok":
            _add(total, value["stats"])
        else:
            errors.append(str(value))

    where = run_tasks(chunk_stats, _chunks(files), arrived, workers=workers,
                      scheduler=scheduler)
    if errors:
        raise InputError("import", errors[0][:120], "export files the dictionary describes")
    sample = [c for p in files for c in read(p)] if rows <= CHECK_SAMPLE else \
        _sample([c for p in files for c in read(p)], CHECK_SAMPLE, seed)
    stats = {g: (np.asarray(v[0]), np.asarray(v[1]), float(v[2]), int(v[3]))
             for g, v in total.items()}
    res = C.calibrate(sample, name=name, version=version, stats=stats,
                      provenance=f"{rows} outcomes pooled from {len(files)} file(s) on Dask")
    res.report["engine"] = f"Dask ({where})"
    return res


def _count(p: Path) -> int:
    if p.suffix == ".parquet":
        import pyarrow.parquet as pq

        return pq.ParquetFile(p).metadata.num_rows
    with open(p, encoding="utf-8") as f:
        return max(sum(1 for _ in f) - 1, 0)


def _sample(cases: list[Case], n: int, seed: int) -> list[Case]:
    import numpy as np

    idx = np.random.default_rng(seed).choice(len(cases), n, replace=False)
    return [cases[i] for i in sorted(idx)]
