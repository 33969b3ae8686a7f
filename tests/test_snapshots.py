"""The snapshot store (p2c_analysis.snapshots) and ``p2c snapshot``: idempotent adds, immutable
files, concurrent adds, a corrupt or foreign store, exit codes."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from p2c_analysis import fields, paths, pledges, record, snapshots

PUBLIC = str(paths.PUBLIC_PLEDGES)


class _Result:
    def __init__(self, returncode: int, stdout: str, stderr: str) -> None:
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


@pytest.fixture
def p2c(capsys, monkeypatch):
    """``p2c snapshot ...`` in this process (``cli.main``), with the output captured."""
    from p2c_analysis import cli

    def run(*args: str, env: dict | None = None) -> _Result:
        for k, v in (env or {}).items():
            monkeypatch.setenv(k, v)
        capsys.readouterr()
        code = cli.main(["snapshot", *args])
        out = capsys.readouterr()
        return _Result(code, out.out, out.err)
    return run


def _subprocess(*args: str) -> subprocess.CompletedProcess:
    """The real command line, in a fresh process."""
    return subprocess.run([sys.executable, "-m", "p2c_analysis.cli", "snapshot", *args],
                          capture_output=True, text=True, cwd=paths.ROOT, timeout=300)


def _one_line_error(proc, *needles: str) -> None:
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    for n in needles:
        assert n in lines[0], lines[0]


# --- adding ---------------------------------------------------------------------------------------

def test_add_twice_is_a_no_op_and_files_are_not_rewritten(tmp_path):
    first = snapshots.add_file(PUBLIC, as_of="2026-01-15", label="first", store=tmp_path)
    assert first.added and first.entry["rows_valid"] == 38
    assert first.entry["pledges"] == 37  # one is announced on 2026-05-15, after the date
    files = [tmp_path / f["path"] for f in first.entry["files"].values()]
    stamps = {p: (p.stat().st_ino, p.stat().st_mtime_ns, paths.sha256(p)) for p in files}
    index_before = (tmp_path / "index.json").read_bytes()
    again = snapshots.add_file(PUBLIC, as_of="2026-01-15", label="second", store=tmp_path)
    assert not again.added
    assert "already stored" in again.message and first.entry["id"] in again.message
    assert again.entry["label"] == "first"  # the stored snapshot is not touched
    assert (tmp_path / "index.json").read_bytes() == index_before
    assert {p: (p.stat().st_ino, p.stat().st_mtime_ns, paths.sha256(p)) for p in files} == stamps
    for p in files:  # read-only on disk
        assert not os.access(p, os.W_OK) or os.geteuid() == 0
        assert p.stat().st_mode & 0o222 == 0
    # another date is another snapshot
    other = snapshots.add_file(PUBLIC, as_of="2026-02-15", store=tmp_path)
    assert other.added and other.entry["id"] != first.entry["id"]
    assert len(snapshots.list_snapshots(tmp_path)) == 2


def test_round_trip_keeps_the_canonical_table(tmp_path):
    rec = record.public_record("2026-03-31")
    res = snapshots.add_public_record("2026-03-31", store=tmp_path)
    e = res.entry
    assert (e["rows_read"], e["rows_valid"], e["rows_quarantined"]) == (
        rec.n_read, rec.n_valid, rec.n_quarantined)
    assert e["pledges"] == len(rec.pledges) and e["kind"] == "public record"
    snap = snapshots.load_snapshot(e["id"], tmp_path)
    got = snap.pledges
    assert list(got.columns) == [*fields.CANONICAL_COLUMNS, *snapshots.EXTRA_COLUMNS]
    fields.schema().validate(got[list(fields.CANONICAL_COLUMNS)])
    pd.testing.assert_frame_equal(got, rec.pledges)
    assert len(snap.quarantine) == rec.n_quarantined
    schema = pq.read_schema(tmp_path / e["files"]["pledges"]["path"])
    assert pa.types.is_list(schema.field("focus_areas").type)
    assert schema.field("sdgs").type == pa.list_(pa.int64())


def test_store_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(snapshots.STORE_ENV, str(tmp_path / "env_store"))
    assert snapshots.store_path() == tmp_path / "env_store"
    assert snapshots.store_path(tmp_path / "explicit") == tmp_path / "explicit"
    monkeypatch.delenv(snapshots.STORE_ENV)
    assert snapshots.store_path() == snapshots.DEFAULT_STORE


def test_concurrent_adds_leave_a_valid_index_with_all(tmp_path):
    code = ("import sys; from p2c_analysis import snapshots; "
            "r = snapshots.add_file(sys.argv[1], as_of=sys.argv[2], store=sys.argv[3]); "
            "print(r.entry['id'], r.added)")
    dates = ["2026-01-01", "2026-01-03", "2026-01-03"]  # the last two: the same snapshot
    procs = [subprocess.Popen([sys.executable, "-c", code, PUBLIC, d, str(tmp_path)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              cwd=paths.ROOT) for d in dates]
    outs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), [o[1] for o in outs]
    index = json.loads((tmp_path / "index.json").read_text(encoding="utf-8"))
    assert sorted(e["as_of"] for e in index["snapshots"]) == dates[:2]
    same = [o[0].split() for o in outs[1:]]
    assert same[0][0] == same[1][0]  # one id
    assert sorted(x[1] for x in same) == ["False", "True"]  # added once, once a no-op
    listed = snapshots.list_snapshots(tmp_path)
    assert len(listed) == 2
    for sid in listed["id"]:  # 38 valid, of which one announced on 2026-05-15
        assert len(snapshots.load_snapshot(sid, tmp_path).pledges) == 37
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(snapshots.TMP_PREFIX)]


# --- a bad store ----------------------------------------------------------------------------------

def test_corrupt_index(tmp_path, p2c):
    (tmp_path / "index.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(snapshots.SnapshotError, match=r"index\.json: corrupt snapshot index"):
        snapshots.list_snapshots(tmp_path)
    _one_line_error(p2c("list", "--store", str(tmp_path)), "p2c snapshot: error:",
                    "corrupt snapshot index")
    (tmp_path / "index.json").write_text('{"format": "something else"}', encoding="utf-8")
    _one_line_error(p2c("add", PUBLIC, "--store", str(tmp_path)), "not a p2c snapshot index")


def test_foreign_file_in_the_store(tmp_path, p2c):
    snapshots.add_file(PUBLIC, as_of="2026-01-15", store=tmp_path)
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(snapshots.SnapshotError, match="notes.txt: not part of the snapshot"):
        snapshots.list_snapshots(tmp_path)
    _one_line_error(p2c("list", "--store", str(tmp_path)), "notes.txt", "foreign")


def test_changed_or_foreign_snapshot_file(tmp_path, p2c):
    res = snapshots.add_file(PUBLIC, as_of="2026-01-15", store=tmp_path)
    sid = res.entry["id"]
    target = tmp_path / res.entry["files"]["pledges"]["path"]
    os.chmod(target, 0o644)
    pq.write_table(pa.table({"x": [1, 2]}), target)  # someone else's Parquet file
    with pytest.raises(snapshots.SnapshotError, match="contents changed"):
        snapshots.load_snapshot(sid, tmp_path)
    _one_line_error(p2c("show", sid, "--store", str(tmp_path)), "contents changed")


def test_missing_id_and_bad_input_exit_2(tmp_path, p2c):
    snapshots.add_file(PUBLIC, as_of="2026-01-15", store=tmp_path)
    _one_line_error(p2c("show", "2026-01-15-00000000", "--store", str(tmp_path)),
                    "no snapshot '2026-01-15-00000000'")
    _one_line_error(p2c("add", "--store", str(tmp_path)), "FILE or --public-record")
    _one_line_error(p2c("add", "--public-record", "--store", str(tmp_path)), "--as-of")
    _one_line_error(p2c("add", str(tmp_path / "nope.csv"), "--store", str(tmp_path)),
                    "nope.csv: no such file")
    _one_line_error(p2c("add", PUBLIC, "--as-of", "2026-02-30", "--store", str(tmp_path)),
                    "--as-of")
    not_a_folder = tmp_path / "file_store"
    not_a_folder.write_text("x", encoding="utf-8")
    _one_line_error(p2c("list", "--store", str(not_a_folder)), "not a folder")


def test_cli_add_list_show(tmp_path, p2c):
    store = tmp_path / "s"
    first = p2c("add", "--public-record", "--as-of", "2025-03-01", "--label", "before MWC",
                 env={snapshots.STORE_ENV: str(store)})
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("added 2025-03-01-")
    again = p2c("add", "--public-record", "--as-of", "2025-03-01",
                 env={snapshots.STORE_ENV: str(store)})
    assert again.returncode == 0 and "already stored" in again.stdout
    sid = first.stdout.split()[1]
    listed = p2c("list", "--store", str(store))
    assert listed.returncode == 0 and sid in listed.stdout and "before MWC" in listed.stdout
    shown = p2c("show", sid, "--store", str(store))
    assert shown.returncode == 0, shown.stderr
    assert "by focus area" in shown.stdout and "by status" in shown.stdout
    assert "in progress" in shown.stdout
    assert "nan" not in shown.stdout  # a status no pledge of which states a value shows "-"
    completed = next(ln for ln in shown.stdout.splitlines() if ln.strip().startswith("completed"))
    assert completed.split()[-1] == "-"
    empty = p2c("list", "--store", str(tmp_path / "none"))
    assert empty.returncode == 0 and "no snapshots" in empty.stdout


def test_real_command_line(tmp_path):
    """Exit code and a one-line error from a fresh process (no traceback anywhere)."""
    (tmp_path / "index.json").write_text("[]", encoding="utf-8")
    _one_line_error(_subprocess("show", "2026-01-15-00000000", "--store", str(tmp_path)),
                    "p2c snapshot: error:", "not a p2c snapshot index")


# --- naming a pledge table ------------------------------------------------------------------------

def test_resolve(tmp_path):
    res = snapshots.add_file(PUBLIC, as_of="2026-01-15", label="jan", store=tmp_path)
    by_id = snapshots.resolve(res.entry["id"], store=tmp_path)
    assert by_id.kind == "snapshot" and str(by_id.as_of) == "2026-01-15"
    assert "jan" in by_id.label and len(by_id.pledges) == 37  # one announced on 2026-05-15
    assert by_id.after_as_of["announced_date"].tolist() == [pd.Timestamp("2026-05-15")]
    by_date = snapshots.resolve("2025-03-01")
    assert by_date.kind == "public record" and len(by_date.pledges) == 34
    by_file = snapshots.resolve(PUBLIC, as_of="2025-06-30")
    assert by_file.kind == "file" and str(by_file.as_of) == "2025-06-30"
    with pytest.raises(snapshots.SnapshotError, match="not a date"):
        snapshots.resolve("last tuesday", store=tmp_path)
    with pytest.raises(snapshots.SnapshotError, match="no snapshot"):
        snapshots.resolve("2026-01-15-ffffffff", store=tmp_path)


def test_comparison_sources_defaults_and_files(tmp_path):
    prev, cur = snapshots.comparison_sources(as_of="2026-03-31")
    assert (prev.kind, cur.kind) == ("public record", "public record")
    assert (str(prev.as_of), str(cur.as_of)) == ("2025-03-31", "2026-03-31")
    assert len(cur.pledges) == 43
    # an empty previous reaches back twelve months from the current side, not from as_of
    prev, cur = snapshots.comparison_sources("", "2025-03-01", as_of="2026-12-02")
    assert (str(prev.as_of), str(cur.as_of)) == ("2024-03-01", "2025-03-01")
    # a pledge file has no date of its own: it is dated as_of, on either side
    prev, cur = snapshots.comparison_sources(PUBLIC, "2026-03-31", as_of="2026-06-30")
    assert prev.kind == "file" and str(prev.as_of) == "2026-06-30" and len(prev.pledges) == 38
    assert snapshots.months_before("2024-03-31") == snapshots.months_before("2024-03-31", 12)
    assert str(snapshots.months_before("2024-03-31", 1)) == "2024-02-29"
    assert str(snapshots.months_before("2025-02-28")) == "2024-02-28"


def test_read_parquet_rejects_a_foreign_table(tmp_path):
    p = tmp_path / "x.parquet"
    pq.write_table(pa.table({"pledge_id": ["a"]}), p)
    with pytest.raises(ValueError, match="x.parquet: not a pledge table"):
        snapshots.read_pledges_parquet(p)
    Path(tmp_path / "y.parquet").write_text("not parquet", encoding="utf-8")
    with pytest.raises(ValueError, match="y.parquet: not a readable Parquet file"):
        snapshots.read_pledges_parquet(tmp_path / "y.parquet")


def test_a_snapshot_of_no_pledges_reads_back(tmp_path):
    """The public record before its first pledge has 0 pledges: stored, and read back (the
    list columns of an empty table used to fail on their offsets)."""
    res = snapshots.add_public_record("2000-01-01", store=tmp_path)
    assert res.entry["pledges"] == 0
    got = snapshots.load_snapshot(res.entry["id"], tmp_path).pledges
    assert len(got) == 0
    assert list(got.columns) == [*fields.CANONICAL_COLUMNS, *snapshots.EXTRA_COLUMNS]


def test_a_loaded_snapshot_is_listed_among_the_files_read(tmp_path):
    added = snapshots.add_file(PUBLIC, as_of="2026-01-15", store=tmp_path)
    paths._FILES_READ.clear()
    snapshots.load_snapshot(added.entry["id"], store=tmp_path)
    read = paths.files_read()
    stored = [k for k in read if k.endswith(".parquet")]
    assert len(stored) == 4 and all(str(tmp_path) in k for k in stored)  # and the two apart
    for k in stored:
        assert read[k] == paths.sha256(k)


def test_a_snapshot_of_the_public_record_is_known_as_the_public_record(tmp_path):
    """A report must say that the public record is a small subset of the platform, also when
    it reads the record through a snapshot."""
    pub = snapshots.add_public_record("2026-03-31", store=tmp_path)
    own = snapshots.add_file(PUBLIC, as_of="2026-01-15", store=tmp_path)
    assert snapshots.resolve(pub.entry["id"], store=tmp_path).public
    assert not snapshots.resolve(own.entry["id"], store=tmp_path).public
    assert snapshots.resolve("2026-03-31").public
    assert not snapshots.resolve(PUBLIC, as_of="2026-01-15").public


def test_snapshot_dates_are_checked_like_analysis_dates(tmp_path, p2c):
    with pytest.raises(snapshots.SnapshotError, match="outside the dates an analysis covers"):
        snapshots.add_public_record("3000-01-01", store=tmp_path)
    for as_of, problem in (("3000-01-01", "outside the dates an analysis covers"),
                           ("1999-12-31", "outside the dates an analysis covers"),
                           ("2026", "is not a date (use YYYY-MM-DD)")):
        done = p2c("add", "--public-record", "--as-of", as_of, "--store", str(tmp_path / "store"))
        assert done.returncode == 2 and problem in done.stderr, done.stderr
    assert not (tmp_path / "store" / "index.json").exists()
    # an empty previous side reaches back at most to the first day an analysis covers
    prev, cur = snapshots.comparison_sources(as_of="2000-03-01")
    assert prev.as_of == dt.date(2000, 1, 1) and cur.as_of == dt.date(2000, 3, 1)


def test_a_status_without_a_report_date_is_no_report(tmp_path):
    """pledge_changes counted a file's undated statuses as reports made on the analysis date
    (75% compliance where implementation_progress said 0% for the same file and date)."""
    from p2c_analysis import changes, pledges, progress

    f = tmp_path / "s.csv"
    f.write_text("title,pledger,status,last_report_date\nA,X,announced,\nB,Y,in progress,\n"
                 "C,Z,in progress,2021-01-01\n", encoding="utf-8")
    side = snapshots.resolve(str(f), as_of="2024-06-30")
    assert side.pledges["last_report_date"].isna().tolist() == [True, True, False]
    assert side.pledges["status"].astype(str).tolist() == ["announced", "in progress",
                                                          "in progress"]
    direct = progress.reporting_compliance(pledges.load_pledges(f).valid, as_of="2024-06-30")
    cmp = changes.compare(side.pledges, side.pledges, side.as_of, side.as_of)
    after = cmp.tables()["compliance_change"].iloc[-1]
    assert int(after["reported_recently"]) == int(direct["reported_recently"].iloc[0]) == 0


# --- as of its date -------------------------------------------------------------------------------

FIXTURES = Path(__file__).parent / "fixtures"
DATED_2023 = FIXTURES / "pledges" / "export_2023.csv"  # Early, Same year, Later, July, No date
OLD_ID = "2023-06-30-ee969e1b"  # DATED_2023 as of 2023-06-30, in the store of snapshots_v1


def test_a_snapshot_of_a_file_holds_the_pledges_announced_by_its_date(tmp_path, p2c):
    """A snapshot "as of" 2023-06-30 held pledges announced in 2024: compared with a later
    one, they could not show as new. They are stored apart, counted, and nothing is lost."""
    res = snapshots.add_file(DATED_2023, as_of="2023-06-30", store=tmp_path)
    e = res.entry
    assert (e["rows_valid"], e["pledges"]) == (5, 3)
    assert res.message.endswith("; 2 valid pledges announced after 2023-06-30 kept apart "
                                "(after_as_of.parquet)")
    assert set(e["files"]) == {"pledges", "quarantine", "after_as_of", "statuses_after_as_of"}
    snap = snapshots.load_snapshot(e["id"], tmp_path)
    # a year 2023 may include 30 June and stays; a month 2023-07 begins after it
    assert snap.pledges["title"].tolist() == ["Early", "Same year", "No date"]
    assert snap.after_as_of["title"].tolist() == ["Later", "July"]
    assert list(snap.after_as_of.columns) == list(snap.pledges.columns)
    counts = snapshots.describe(snap)["counts"].set_index("item")["value"]
    assert (counts["pledges stored"], counts["announced after as of (apart)"]) == (3, 2)
    shown = p2c("show", e["id"], "--store", str(tmp_path))
    assert "announced after as of (apart): 2" in shown.stdout, shown.stdout
    # one left out reads in the singular; none left out, nothing said
    one = snapshots.add_file(DATED_2023, as_of="2024-01-31", store=tmp_path)
    assert one.message.endswith("; 1 valid pledge announced after 2024-01-31 kept apart "
                                "(after_as_of.parquet)")
    none = snapshots.add_file(DATED_2023, as_of="2024-02-01", store=tmp_path)
    assert none.message.endswith("0 set aside") and none.entry["pledges"] == 5
    assert snapshots.load_snapshot(none.entry["id"], tmp_path).after_as_of.empty
    # the public record has its own rule: no such table
    pub = snapshots.add_public_record("2025-03-01", store=tmp_path)
    assert "after_as_of" not in pub.entry["files"]
    assert snapshots.load_snapshot(pub.entry["id"], tmp_path).after_as_of is None


def test_a_snapshot_stored_before_the_rule_reads_as_of_its_date(tmp_path):
    """A store written by the previous version (no after_as_of.parquet: every valid pledge in
    pledges.parquet) stays readable, untouched, and its pledges are as of its date."""
    import shutil

    store = tmp_path / "store"
    shutil.copytree(FIXTURES / "snapshots_v1", store)
    before = {p.name: paths.sha256(p) for p in (store / OLD_ID).iterdir()}
    assert len(snapshots.list_snapshots(store)) == 1
    for backend in snapshots.BACKENDS:
        snap = snapshots.load_snapshot(OLD_ID, store, backend=backend)
        assert snap.entry["pledges"] == 5  # as stored
        assert snap.pledges["title"].tolist() == ["Early", "Same year", "No date"]
        assert snap.after_as_of["title"].tolist() == ["Later", "July"]
    side = snapshots.resolve(OLD_ID, store=store)
    assert len(side.pledges) == 3 and len(side.after_as_of) == 2
    assert {p.name: paths.sha256(p) for p in (store / OLD_ID).iterdir()} == before
    # adding the same file and date again is the same snapshot: a no-op, read the same way
    again = snapshots.add_file(DATED_2023, as_of="2023-06-30", store=store)
    assert not again.added and again.entry["id"] == OLD_ID


def test_a_pledge_file_named_as_a_side_is_cut_at_its_date(tmp_path):
    side = snapshots.resolve(str(DATED_2023), as_of="2023-06-30")
    assert side.kind == "file"
    assert side.pledges["title"].tolist() == ["Early", "Same year", "No date"]
    assert side.after_as_of["title"].tolist() == ["Later", "July"]
    assert snapshots.resolve(str(DATED_2023), as_of="2024-02-01").after_as_of.empty
    assert snapshots.resolve("2025-03-01").after_as_of is None  # the public record


def test_a_pledge_announced_after_both_dates_is_not_new_between_them(tmp_path):
    """A comparison of 2023 against 2024 counted a pledge announced in 2025 as new, as each
    side was taken whole."""
    from p2c_analysis import changes

    f = tmp_path / "export.csv"
    f.write_text("title,pledger,announced_date\nOld,A,2022-05-01\nIn window,B,2024-03-01\n"
                 "Next year,C,2025-02-01\nNo date,D,\n", encoding="utf-8")
    old = snapshots.add_file(f, as_of="2023-06-30", store=tmp_path / "s").entry["id"]
    new = snapshots.add_file(f, as_of="2024-06-30", store=tmp_path / "s").entry["id"]
    prev, cur = snapshots.comparison_sources(old, new, store=tmp_path / "s")
    assert prev.after_as_of["title"].tolist() == ["In window", "Next year"]
    assert cur.after_as_of["title"].tolist() == ["Next year"]
    cmp = changes.compare(prev.pledges, cur.pledges, prev.as_of, cur.as_of)
    change = dict(zip(cmp.changes["title"], cmp.changes["change"], strict=True))
    assert change == {"Old": "unchanged", "In window": "new", "No date": "unchanged"}


# --- a file's own statuses, as of its date ------------------------------------------------------

_BEFORE = ("pledge_id,title,pledger,announced_date,status,last_report_date\n"
           "P1,Towers,A,2023-05-10,in progress,2025-05-01\n"
           "P2,Schools,B,2023-05-10,announced,\n"
           "P3,Links,C,2023-05-10,,\n")
_AFTER = ("pledge_id,title,pledger,announced_date,status,last_report_date\n"
          "P1,Towers,A,2023-05-10,completed,2026-03-01\n"
          "P2,Schools,B,2023-05-10,in progress,2025-09-01\n"
          "P3,Links,C,2023-05-10,completed,2026-02-01\n")


def test_a_snapshot_of_a_file_holds_the_statuses_known_on_its_date(tmp_path, p2c):
    """A snapshot as of 2025-12-31 kept statuses reported in 2026, so a comparison counted
    'in progress -> completed' between June and December 2025. Those statuses are not known on
    its date: the pledges are stored as not yet reported, their rows as the file states them
    apart (statuses_after_as_of.parquet), and the comparison counts no move dated later."""
    from p2c_analysis import changes

    a = tmp_path / "a.csv"
    b = tmp_path / "b.csv"
    a.write_text(_BEFORE, encoding="utf-8")
    b.write_text(_AFTER, encoding="utf-8")
    store = tmp_path / "s"
    old = snapshots.add_file(a, as_of="2025-06-30", store=store)
    new = snapshots.add_file(b, as_of="2025-12-31", store=store)
    assert old.message.endswith("0 set aside") and old.entry["statuses_after_as_of"] == 0
    assert new.message.endswith(
        "; 2 self-reported statuses dated after 2025-12-31 left aside (status unknown on that "
        "day; statuses_after_as_of.parquet)")
    assert set(new.entry["files"]) == {"pledges", "quarantine", "after_as_of",
                                       "statuses_after_as_of"}
    for backend in snapshots.BACKENDS:
        snap = snapshots.load_snapshot(new.entry["id"], store, backend=backend)
        assert snap.pledges["status"].astype(str).tolist() == ["unknown", "in progress",
                                                               "unknown"]
        assert snap.pledges["last_report_date"].isna().tolist() == [True, False, True]
        assert snap.pledges["status_source"].isna().tolist() == [True, False, True]
        assert snap.statuses_after_as_of["status"].astype(str).tolist() == ["completed"] * 2
        assert list(snap.statuses_after_as_of.columns) == list(snap.pledges.columns)
    counts = snapshots.describe(snap)["counts"].set_index("item")["value"]
    assert counts["self-reported statuses after as of (apart)"] == 2
    prev, cur = snapshots.comparison_sources(old.entry["id"], new.entry["id"], store=store)
    cmp = changes.compare(prev.pledges, cur.pledges, prev.as_of, cur.as_of)
    moves = cmp.tables()["status_transitions"]
    pairs = set(zip(moves["status_before"].astype(str), moves["status_after"].astype(str),
                    strict=True))
    assert ("in progress", "completed") not in pairs and ("unknown", "completed") not in pairs
    assert ("announced", "in progress") in pairs  # reported in September 2025: in the window
    # one left aside reads in the singular; a file named directly is cut the same way
    one = snapshots.add_file(b, as_of="2026-02-15", store=store)
    assert one.message.endswith("; 1 self-reported status dated after 2026-02-15 left aside "
                                "(status unknown on that day; statuses_after_as_of.parquet)")
    side = snapshots.resolve(str(b), as_of="2025-12-31")
    assert side.pledges["status"].astype(str).tolist() == ["unknown", "in progress", "unknown"]
    assert side.statuses_after_as_of["pledge_id"].tolist() == ["P1", "P3"]
    assert snapshots.resolve(str(b), as_of="2026-03-01").statuses_after_as_of.empty
    assert snapshots.resolve("2025-03-01").statuses_after_as_of is None  # the public record


def test_a_snapshot_stored_before_the_status_rule_is_cut_as_it_is_read(tmp_path):
    """A snapshot written by the previous version (its statuses uncut, no
    statuses_after_as_of.parquet) reads as of its date, its files untouched."""
    b = tmp_path / "b.csv"
    b.write_text(_AFTER, encoding="utf-8")
    store = tmp_path / "s"
    res = pledges.load_pledges(b)
    when = dt.date(2025, 12, 31)
    kept, later = snapshots.split_after_as_of(snapshots._stored_table(res, when), when)
    entry = snapshots._entry(snapshots.KIND_FILE, when, None, b.name, paths.sha256(b), None,
                             None, res.n_read, len(res.valid), len(res.quarantine), len(kept),
                             "source")
    snapshots._add(store, entry, kept, res.quarantine, after_as_of=later)  # as it was written
    sid = entry["id"]
    before = {p.name: paths.sha256(p) for p in (store / sid).iterdir()}
    assert "statuses_after_as_of" not in entry["files"]
    for backend in snapshots.BACKENDS:
        snap = snapshots.load_snapshot(sid, store, backend=backend)
        assert snap.pledges["status"].astype(str).tolist() == ["unknown", "in progress",
                                                               "unknown"]
        assert snap.statuses_after_as_of["pledge_id"].astype(str).tolist() == ["P1", "P3"]
    assert {p.name: paths.sha256(p) for p in (store / sid).iterdir()} == before
    again = snapshots.add_file(b, as_of=when, store=store)
    assert not again.added and again.entry["id"] == sid


def test_add_says_its_counts_in_the_singular_for_one(tmp_path):
    """``p2c snapshot add`` of a one-pledge record said "1 pledges stored" (and "1 valid
    pledge(s) not yet known"); ``p2c snapshot list`` "1 snapshot(s)"."""
    one = snapshots.add_public_record("2022-03-01", store=tmp_path)
    assert one.entry["pledges"] == 1, one.message
    assert ": 1 pledge stored; of " in one.message and "pledges stored" not in one.message
    assert "(s)" not in one.message
    later = one.entry["rows_valid"] - one.entry["pledges"]
    assert f"; {later} valid pledges not yet known on 2022-03-01" in one.message
    done = subprocess.run([sys.executable, "-m", "p2c_analysis.cli", "snapshot", "list",
                           "--store", str(tmp_path)], capture_output=True, text=True)
    assert done.stdout.startswith(f"1 snapshot in {tmp_path}"), done.stdout + done.stderr


@pytest.mark.parametrize("where", ["other store", "absolute", "another snapshot"])
def test_an_index_naming_a_file_outside_its_snapshot_is_corrupt(tmp_path, where):
    """An index entry's files were read wherever its paths led (``root / path``): edited to
    name another store's table (``../``), an absolute path or another snapshot's folder, with
    that file's SHA-256, the snapshot loaded someone else's pledges, and a report's
    data_files.json listed a file outside the store as what it read. A snapshot's files are
    now ``<id>/<name>`` or the index is corrupt, one line naming it."""
    store, other = tmp_path / "store", tmp_path / "other"
    mine = snapshots.add_file(PUBLIC, as_of="2026-01-15", store=store).entry
    theirs = snapshots.add_file(PUBLIC, as_of="2023-01-15", store=other).entry
    if where == "another snapshot":
        theirs = snapshots.add_file(PUBLIC, as_of="2023-01-15", store=store).entry
    foreign = (other if where != "another snapshot" else store) / theirs["files"]["pledges"]["path"]
    assert len(snapshots.load_snapshot(theirs["id"], foreign.parents[1]).pledges) != \
        len(snapshots.load_snapshot(mine["id"], store).pledges)  # a table of other pledges
    path = {"other store": f"../other/{theirs['files']['pledges']['path']}",
            "absolute": str(foreign), "another snapshot": theirs["files"]["pledges"]["path"]}
    index = json.loads((store / "index.json").read_text(encoding="utf-8"))
    entry = next(e for e in index["snapshots"] if e["id"] == mine["id"])
    entry["files"]["pledges"] = {"path": path[where], "sha256": paths.sha256(foreign)}
    (store / "index.json").write_text(json.dumps(index), encoding="utf-8")
    with pytest.raises(snapshots.SnapshotError, match=r"index\.json: corrupt snapshot index "
                       r"\(entry \d names the file .*pledges\.parquet"):
        snapshots.load_snapshot(mine["id"], store)


def test_a_snapshot_records_the_checksum_of_the_bytes_it_loaded(tmp_path, monkeypatch):
    """``add_file`` loaded the file, then hashed it again from disk: a file written in between
    was stored with the checksum of bytes it never read. The file (and the mapping) is read
    once; what is loaded and what is hashed are the same bytes."""
    import hashlib

    src = tmp_path / "export.csv"
    original = Path(PUBLIC).read_bytes()
    src.write_bytes(original)
    mapping = tmp_path / "m.toml"
    mapping.write_text("", encoding="utf-8")
    loaded = snapshots.load_pledges

    def load_then_changed(*args, **kwargs):  # another process writes both files meanwhile
        result = loaded(*args, **kwargs)
        src.write_bytes(original.replace(b"\n", b"\r\n"))
        mapping.write_text("# changed\n", encoding="utf-8")
        return result

    monkeypatch.setattr(snapshots, "load_pledges", load_then_changed)
    entry = snapshots.add_file(src, mapping=mapping, as_of="2026-01-15", store=tmp_path / "s").entry
    assert entry["source_sha256"] == hashlib.sha256(original).hexdigest()
    assert entry["mapping_sha256"] == hashlib.sha256(b"").hexdigest()
    assert entry["source_file"] == "export.csv" and entry["mapping_file"] == "m.toml"
    # the private copy is no data file the process read, and an error names the file given
    assert not any("p2c-snapshot-" in name for name in paths.files_read())
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(pledges.PledgeFileError) as err:
        snapshots.add_file(bad, as_of="2026-01-15", store=tmp_path / "s")
    assert str(err.value).startswith(f"{bad}: no pledge columns"), str(err.value)
