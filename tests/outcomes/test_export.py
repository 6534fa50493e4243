"""The de-identified export: no identifier leaves (a property test over generated records), rare
combinations are coarsened, and an export imports back into a pooled calibration, here and on
a Dask LocalCluster alike."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dermalase.outcomes import calibrate as C
from dermalase.outcomes import export
from dermalase.outcomes.followups import COMPLICATIONS, FollowUp
from dermalase.outcomes.records import Treatment
from dermalase.testing.cohort import cohort, published_truth

PREDICTION = {"area": "perioral", "modality": "full-field-co2",
              "measures": {"reepithelialization_days": {"value": 10.7, "interval": [7.1, 14.4]}},
              "features": {"coagulum_um": 60.0, "cover_distance_mm": 0.75, "lag_days": 0.5},
              "simulated": {"ablation_depth_um": 84.0, "coagulation_depth_um": 60.0,
                            "injury_depth_um": 144.0},
              "fingerprint": "0123456789abcdef", "calibration": {"fingerprint": "published"}}
AREAS = ("perioral", "cheek", "forehead", "neck", "periorbital")
words = st.text(alphabet=st.characters(whitelist_categories=("Lu", "Ll")), min_size=6,
                max_size=12)


@st.composite
def records(draw):
    """A patient's identifiers, one treatment and its follow-ups, all drawn."""
    name = draw(words) + " " + draw(words)
    mrn = "MRN-" + draw(st.text(alphabet="0123456789ABCDEFGHJK", min_size=6, max_size=9))
    born = draw(st.dates(date(1930, 1, 1), date(2005, 1, 1)))
    treated = draw(st.dates(date(2020, 1, 1), date(2026, 1, 1)))
    clinician = "Dr " + draw(words)
    note = draw(words) + " " + draw(words)
    t = Treatment(treated, clinician, "lumenis-ultrapulse", {"energy": "500 mJ"},
                  "full-field-co2", (draw(st.sampled_from(AREAS)),), 2, "topical",
                  {"antiviral": True}, treated, f"{note} for {name}")
    visits = [FollowUp(treated + timedelta(days=d), day_healed=min(d, 9.0),
                       complications=[{"kind": draw(st.sampled_from(COMPLICATIONS)),
                                       "severity": "mild"}], notes=f"{name} said {note}")
              for d in sorted(draw(st.sets(st.integers(1, 120), min_size=1, max_size=3)))]
    pt = draw(st.integers(1, 6))
    sex = draw(st.sampled_from(("female", "male", "intersex", "not recorded")))
    pred = {**PREDICTION, "area": t.areas[0]}
    row = export.row_of(t, {"patient": {"phototype": pt}}, born, sex, pred, visits)
    ids = [name, mrn, born.isoformat(), treated.isoformat(), clinician, note,
           *(v.seen_on.isoformat() for v in visits)]
    return row, ids


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(records(), min_size=1, max_size=25))
def test_the_export_holds_no_identifier_and_every_combination_is_shared_or_withheld(recs):
    rows = export.deidentify([r for r, _ in recs], clinic="clinic A")
    text = export.csv_text(rows)
    for _, ids in recs:
        for ident in ids:
            assert ident not in text, ident
    back = list(csv.DictReader(io.StringIO(text)))
    assert len(back) == len(recs) and set(back[0]) == set(export.columns())
    combos: dict[tuple, int] = {}
    for r in back:
        key = tuple(r[q] for q in export.QUASI)
        combos[key] = combos.get(key, 0) + 1
    for key, n in combos.items():  # k-anonymity, or every quasi-identifier withheld
        assert n >= export.K_ANONYMITY or set(key) == {"*"}
    assert all(r["last_visit_day"].isdigit() for r in back)  # days since treatment


def test_an_export_imports_back_as_csv_and_parquet(tmp_path):
    cases = cohort(60, published_truth(), seed=8)
    rows = export.rows_of_cases(cases, clinic="SYNTHETIC")
    for name in ("c.csv", "c.parquet"):
        export.write(rows, tmp_path / name)
        back = export.read(tmp_path / name)
        assert [(b.modality, b.site, b.observed, b.published) for b in back] == \
            [(c.modality, c.site, c.observed, c.published) for c in cases]
        assert all(abs(b.coagulum_um - c.coagulum_um) <= 1e-5 * max(c.coagulum_um, 1)
                   for b, c in zip(back, cases, strict=True))
        assert (tmp_path / name).with_suffix(".dictionary.csv").is_file()
    bad = tmp_path / "bad.csv"
    bad.write_text("case,name\nx,Ada\n")
    with pytest.raises(Exception, match="columns of the data dictionary"):
        export.read(bad)


def test_a_pooled_calibration_is_the_same_on_dask_as_here(tmp_path):
    """The sums the conjugate update needs, made on a LocalCluster one row group at a time,
    give the posterior that the cases give here."""
    a = export.rows_of_cases(cohort(80, published_truth(), seed=21))
    b = export.rows_of_cases(cohort(70, published_truth(), seed=22))
    export.write(a, tmp_path / "a.parquet")
    export.write(b, tmp_path / "b.csv")
    files = [tmp_path / "a.parquet", tmp_path / "b.csv"]
    here = export.pooled(files, engine="here")
    dask = export.pooled(files, engine="dask", workers=1)
    assert dask.report["engine"].startswith("Dask")
    for g, r in here.report["groups"].items():
        for k, v in r["parameters"].items():
            w = dask.report["groups"][g]["parameters"][k]
            assert w["posterior_mean"] == pytest.approx(v["posterior_mean"], rel=1e-9, abs=1e-12)
            assert w["posterior_interval"] == pytest.approx(v["posterior_interval"], rel=1e-9)
    assert C.HEALING in here.report["groups"]
