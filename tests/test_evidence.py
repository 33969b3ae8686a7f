"""Dated status events (p2c_analysis.evidence): public evidence matched to pledges, undated
evidence placed at the file's vintage, status as of a date."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from p2c_analysis import evidence, fields, record
from p2c_analysis.vocabulary import STATUSES

HEADER = "pledger,pledge_title,status,evidence,evidence_date,evidence_url\n"


def _pledges(rows: list[dict]) -> pd.DataFrame:
    return fields.coerce_canonical(pd.DataFrame(rows))


def _events(rows: list[tuple]) -> pd.DataFrame:
    """Hand-made events: (pledge_id, status, date, source_kind)."""
    return pd.DataFrame([{
        "pledge_id": pid, "status": st, "date": pd.Timestamp(d), "date_basis": "stated",
        "evidence": None, "url": None, "source_kind": kind, "match_rule": "test",
        "evidence_row": i + 2} for i, (pid, st, d, kind) in enumerate(rows)])


# --- the bundled evidence file ------------------------------------------------------------------

def test_bundled_evidence_rows_and_undated_placement():
    ev = evidence.load_evidence()
    assert len(ev) == 11  # data/pledges/README.md: 11 dated public reports
    undated = ev[ev["date_as_stated"].isna()]
    assert len(undated) == 3  # "3 rows have no visible date"
    assert set(undated["pledger"]) == {"Eutelsat", "Vodafone Group", "Government of Saudi Arabia"}
    assert (undated["date"] == pd.Timestamp("2026-12-01")).all()
    assert (undated["date_basis"] == "undated; known by 2026-12-01").all()
    huawei = ev[(ev["pledger"] == "Huawei") & (ev["status"] == "completed")]
    assert huawei["date"].tolist() == [pd.Timestamp("2026-03-05")]
    assert ev["problem"].isna().all()


def test_every_bundled_evidence_row_matches_one_pledge():
    valid = record.load_record_files()[0]
    m = evidence.match_evidence(valid)
    assert m.unmatched.empty, m.unmatched["reason"].tolist()
    assert len(m.events) == 11
    assert (m.events["source_kind"] == "public evidence").all()
    assert (m.events["match_rule"] == "pledger + title").all()
    huawei_id = valid.loc[valid["title"].str.startswith("Connectivity for about 120"),
                          "pledge_id"].item()
    assert m.events.loc[m.events["pledge_id"] == huawei_id, "status"].astype(str).tolist() == [
        "in progress", "completed"]


# --- matching rules on hand-made files ------------------------------------------------------------

def test_unmatched_rows_are_kept_with_their_reason(tmp_path):
    p = tmp_path / "ev.csv"
    p.write_text(HEADER + "\n".join([
        "Acme,Rural towers,in progress,ok,2024-01-01,https://a",          # matches
        "ACME ,rural  towers.,completed,ok,2024-06-01,https://b",         # matches (normalised)
        "Acme,Something else,completed,x,2024-01-01,https://c",           # title unknown
        "Nobody,Rural towers,completed,x,2024-01-01,https://d",           # pledger unknown
        "Acme,Rural towers,half done,x,2024-01-01,https://e",             # unknown status
        "Twin,Same title,completed,x,2024-01-01,https://f",               # two pledges
        "Acme,Rural towers,completed,x,2024-02-30,https://g",             # impossible date
    ]) + "\n", encoding="utf-8")
    pledges = _pledges([
        {"pledge_id": "P1", "title": "Rural towers", "pledger": "Acme"},
        {"pledge_id": "P2", "title": "Same title", "pledger": "Twin"},
        {"pledge_id": "P3", "title": "Same title", "pledger": "Twin"},
    ])
    m = evidence.match_evidence(pledges, evidence.load_evidence(p))
    assert len(m.events) + len(m.unmatched) == 7
    assert m.events["evidence_row"].tolist() == [2, 3]
    assert (m.events["pledge_id"] == "P1").all()
    reasons = dict(zip(m.unmatched["evidence_row"], m.unmatched["reason"], strict=True))
    assert reasons[4] == "no pledge with this title from this pledger"
    assert reasons[5] == "no pledge from this pledger"
    assert reasons[6].startswith("unreadable: unknown status")
    assert reasons[7].startswith("ambiguous: matches 2 pledges") and "P2, P3" in reasons[7]
    assert reasons[8].startswith("unreadable: impossible date")


def test_missing_column_names_the_file(tmp_path):
    p = tmp_path / "bad_evidence.csv"
    p.write_text("pledger,status\nA,completed\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad_evidence\.csv: missing column"):
        evidence.load_evidence(p)


# --- status as of a date --------------------------------------------------------------------------

def test_status_is_the_latest_event_on_or_before_the_date():
    ev = _events([("A", "announced", "2023-01-10", "public evidence"),
                  ("A", "in progress", "2024-05-01", "public evidence"),
                  ("A", "completed", "2025-03-05", "public evidence")])
    p = _pledges([{"pledge_id": "A", "title": "t", "pledger": "p"},
                  {"pledge_id": "B", "title": "u", "pledger": "q"}])
    early = evidence.apply_events(p, ev, "2023-01-09")
    assert early["status"].astype(str).tolist() == ["unknown", "unknown"]
    assert early["last_report_date"].isna().all() and early["status_source"].isna().all()
    mid = evidence.apply_events(p, ev, "2025-03-04")
    assert str(mid["status"].iloc[0]) == "in progress"
    assert mid["last_report_date"].iloc[0] == pd.Timestamp("2024-05-01")
    on_day = evidence.apply_events(p, ev, dt.date(2025, 3, 5))
    assert str(on_day["status"].iloc[0]) == "completed"
    assert on_day["status_source"].iloc[0] == "public evidence"
    assert str(on_day["status"].iloc[1]) == "unknown"  # B has no event at all
    assert list(on_day["pledge_id"]) == ["A", "B"]  # rows and order unchanged


def test_same_day_events_do_not_depend_on_row_order():
    rows = [("A", "completed", "2024-01-01", "self-reported"),
            ("A", "in progress", "2024-01-01", "public evidence")]
    p = _pledges([{"pledge_id": "A", "title": "t", "pledger": "p"}])
    one = evidence.apply_events(p, _events(rows), "2024-12-31")
    two = evidence.apply_events(p, _events(rows[::-1]), "2024-12-31")
    assert str(one["status"].iloc[0]) == str(two["status"].iloc[0]) == "completed"


def test_undated_evidence_counts_only_from_the_vintage():
    pledges = record.load_record_files()[0]
    m = evidence.match_evidence(pledges)
    eutelsat = pledges.index[pledges["pledger"] == "Eutelsat"].item()
    before = evidence.apply_events(pledges, m.events, "2026-11-30")
    after = evidence.apply_events(pledges, m.events, "2026-12-01")
    assert str(before.loc[eutelsat, "status"]) == "unknown"
    assert str(after.loc[eutelsat, "status"]) == "completed"
    assert after.loc[eutelsat, "status_date_basis"] == "undated; known by 2026-12-01"


def test_self_reported_events_from_an_export():
    p = _pledges([
        {"pledge_id": "A", "title": "t", "pledger": "p", "status": "in progress",
         "last_report_date": "2024-03-01"},
        {"pledge_id": "B", "title": "u", "pledger": "p", "status": "completed"},
        {"pledge_id": "C", "title": "v", "pledger": "p"},
    ])
    ev = evidence.self_reported_events(p, "2025-01-31")
    assert ev["pledge_id"].tolist() == ["A", "B"]  # C states nothing
    assert (ev["source_kind"] == "self-reported").all()
    assert ev["date"].tolist() == [pd.Timestamp("2024-03-01"), pd.Timestamp("2025-01-31")]
    assert ev["date_basis"].tolist() == ["stated", "undated; known by 2025-01-31"]
    applied = evidence.apply_events(p, ev, "2024-12-31")
    # B's undated status is known only from the export's date
    assert applied["status"].astype(str).tolist() == ["in progress", "unknown", "unknown"]


def test_status_sources_count_where_each_status_comes_from():
    p = pd.DataFrame({
        "status": pd.Categorical(["completed", "in progress", "unknown", "in progress"],
                                 categories=list(STATUSES), ordered=True),
        "status_source": ["public evidence", None, None, "public evidence"],
        "estimated_value_usd": [np.nan, 10.0, 5.0, 20.0],
    })
    out = evidence.status_sources(p).astype({"status": str})
    rows = {(s, src): (n, u) for s, src, n, u in out.itertuples(index=False)}
    assert rows[("in progress", "public evidence")] == (1, 20.0)
    assert rows[("in progress", "self-reported")] == (1, 10.0)  # a status in the data itself
    assert rows[("unknown", "no report")] == (1, 5.0)
    n, usd = rows[("completed", "public evidence")]
    assert n == 1 and np.isnan(usd)  # no value stated: not USD 0
    assert out["status"].tolist() == ["in progress", "in progress", "completed", "unknown"]


def test_events_with_pledges_are_cut_at_the_date_and_named():
    rec = record.public_record("2024-01-01")
    shown = evidence.events_with_pledges(rec.events, rec.pledges, "2024-01-01")
    assert (shown["date"] <= pd.Timestamp("2024-01-01")).all()
    assert shown["title"].notna().all() and shown["date"].is_monotonic_decreasing
    huawei = shown[shown["pledger"].eq("Huawei")]
    assert huawei["status"].tolist() == ["in progress"]  # completion (2026-03-05) not yet known


def test_evidence_ids_are_those_known_by_the_date():
    rec = record.public_record("2026-12-02")
    late = evidence.evidence_ids(rec.events, "2023-12-31")
    known = evidence.evidence_ids(rec.events, "2026-12-02")
    assert late < known and len(known) == 9  # nine pledges with public evidence by today
    huawei = rec.pledges.loc[rec.pledges["pledger"].eq("Huawei"), "pledge_id"].iloc[0]
    assert huawei in late  # first progress report, 2023-11-21
    assert evidence.evidence_ids(None) == set()


# --- a pledge file's own statuses, as of a date --------------------------------------------------

def _own_statuses() -> pd.DataFrame:
    """A hand-built export: statuses with report dates before, on and after 2024-06-30, one with
    no report date, one with a report date and no status."""
    return _pledges([
        {"pledge_id": "before", "title": "a", "pledger": "x", "status": "in progress",
         "last_report_date": "2024-01-15"},
        {"pledge_id": "on the day", "title": "b", "pledger": "x", "status": "completed",
         "last_report_date": "2024-06-30"},
        {"pledge_id": "after", "title": "c", "pledger": "x", "status": "completed",
         "last_report_date": "2026-10-01"},
        {"pledge_id": "no date", "title": "d", "pledger": "x", "status": "announced",
         "last_report_date": None},
        {"pledge_id": "report only", "title": "e", "pledger": "x", "status": None,
         "last_report_date": "2025-03-01"},
    ])


def test_a_files_own_status_dated_after_the_date_is_not_known_on_it():
    """A status reported in 2026 was applied to an analysis as of 2024-06-30 (a pledge
    'completed' two years before it was said to be). It is not known then: the pledge's status
    is unknown and it has not reported yet; the row is kept, as the file states it."""
    p = _own_statuses()
    known, later = evidence.split_reported_after(p, "2024-06-30")
    assert known["status"].astype(str).tolist() == ["in progress", "completed", "unknown",
                                                   "announced", "unknown"]
    assert known["last_report_date"].tolist()[:2] == [pd.Timestamp("2024-01-15"),
                                                      pd.Timestamp("2024-06-30")]
    assert known["last_report_date"].iloc[2:].isna().tolist() == [True, True, True]
    assert known["status"].dtype == p["status"].dtype  # still the ordered status Categorical
    assert known.index.equals(p.index) and known["pledge_id"].equals(p["pledge_id"])
    assert later["pledge_id"].tolist() == ["after", "report only"]
    assert later["status"].astype(str).tolist() == ["completed", "unknown"]  # as stated
    assert later["last_report_date"].tolist() == [pd.Timestamp("2026-10-01"),
                                                  pd.Timestamp("2025-03-01")]
    assert p.loc[2, "status"] == "completed"  # the input is not modified
    # after every report: nothing left aside, the table itself
    same, none = evidence.split_reported_after(p, "2026-12-01")
    assert same is p and none.empty and list(none.columns) == list(p.columns)


def test_a_files_statuses_are_cut_as_the_public_record_cuts_its_events():
    """The same rule as dated evidence (status_as_of: the latest event on or before the date),
    for every date around the report dates; a status with no report date stays known."""
    p = _own_statuses()
    dated = p[p["last_report_date"].notna()].reset_index(drop=True)
    events = evidence.self_reported_events(dated, "2026-12-01")
    for day in ("2024-01-14", "2024-01-15", "2024-06-29", "2024-06-30", "2025-12-31",
                "2026-10-01"):
        known, _ = evidence.split_reported_after(dated, day)
        via_events = evidence.apply_events(dated, events, day)
        assert known["status"].astype(str).tolist() == \
            via_events["status"].astype(str).tolist(), day
        assert known["last_report_date"].equals(via_events["last_report_date"]), day
    known, _ = evidence.split_reported_after(p, "2020-01-01")
    assert known.loc[p["pledge_id"].eq("no date"), "status"].tolist() == ["announced"]


def test_cutting_a_stored_table_keeps_its_columns_and_types():
    """A snapshot's table (status source and date basis, Arrow-backed too) is cut without
    changing its dtypes; the cut pledge has no source nor date basis left."""
    p = _own_statuses().assign(status_source=pd.array(["self-reported"] * 5, dtype="string"),
                               status_date_basis=pd.array(["stated"] * 5, dtype="string"))
    arrow = p.astype({"last_report_date": pd.ArrowDtype(pa.timestamp("ns")),
                      "status": pd.ArrowDtype(pa.string()),
                      "status_source": pd.ArrowDtype(pa.string())})
    for table in (p, arrow):
        known, later = evidence.split_reported_after(table, dt.date(2024, 6, 30))
        assert known.dtypes.equals(table.dtypes)
        assert known["status_source"].isna().tolist() == [False, False, True, False, True]
        assert known["status_date_basis"].isna().tolist() == [False, False, True, False, True]
        assert str(known["status"].iloc[2]) == "unknown" and len(later) == 2
