"""Command line, parameters, run folders and exports: bugs found by staff regenerating reports
(review stop 17): each test failed before its fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from p2c_analysis import cli, paths, snapshots

PUBLIC = str(paths.PUBLIC_PLEDGES)


def _snapshot(*args: str) -> int:
    return cli.main(["snapshot", *args])


# --- the snapshot store: a reader writes nothing ------------------------------------------------

def test_snapshot_list_writes_nothing_in_a_folder_that_is_no_store(tmp_path, capsys):
    """``p2c snapshot list --store FOLDER`` on a folder of someone else's files (``data/raw``
    named by mistake) is refused and leaves the folder as it was: it had created ``.lock``
    there (``data/raw/.lock`` in the bundled data)."""
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine", encoding="utf-8")
    assert _snapshot("list", "--store", str(folder)) == 2
    assert "Traceback" not in capsys.readouterr().err
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt"]


def test_store_given_as_a_snapshot_folder_leaves_the_store_usable(tmp_path, capsys):
    """``--store`` naming one snapshot's own folder (``store/<id>``, a slip when copying a
    path) is refused by list, show and add alike, and the real store still works after it: the
    refused command had left ``store/<id>/.lock``, a foreign file in the snapshot, and every
    later list, show or add of the store failed on it."""
    store = tmp_path / "store"
    sid = snapshots.add_file(PUBLIC, as_of="2026-01-15", store=store).entry["id"]
    inner = store / sid
    before = sorted(p.name for p in inner.iterdir())
    for args in (("list",), ("show", sid), ("add", PUBLIC, "--as-of", "2026-02-01")):
        assert _snapshot(*args, "--store", str(inner)) == 2, args
        assert sorted(p.name for p in inner.iterdir()) == before, args
    capsys.readouterr()
    assert _snapshot("list", "--store", str(store)) == 0
    assert sid in capsys.readouterr().out
    assert len(snapshots.load_snapshot(sid, store).pledges) == 37


def test_a_store_without_a_lock_file_is_read(tmp_path):
    """A reader takes the shared lock when the store has its lock file, and reads a store
    without one (copied without its hidden files) as it is, creating none."""
    store = tmp_path / "store"
    sid = snapshots.add_file(PUBLIC, as_of="2026-01-15", store=store).entry["id"]
    (store / snapshots.LOCK_NAME).unlink()
    assert list(snapshots.list_snapshots(store)["id"]) == [sid]
    assert not (store / snapshots.LOCK_NAME).exists()


@pytest.mark.parametrize("name", ["data/raw", "notebooks"])
def test_snapshot_list_never_writes_a_package_folder(name: str, capsys):
    """The package's own folders are never written, also by a command that only reads."""
    folder = paths.ROOT / name
    before = sorted(p.name for p in folder.iterdir())
    assert _snapshot("list", "--store", str(folder)) == 2
    capsys.readouterr()
    assert sorted(p.name for p in Path(folder).iterdir()) == before


def test_a_folder_that_is_no_store_is_named_so(tmp_path, capsys):
    """A folder named as a store that holds no index is said to be no store, never told to
    have its files moved "out of the store" (``--store data/raw`` advised moving the bundled
    ITU workbook out of it); a snapshot's own folder names the store to give instead."""
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine", encoding="utf-8")
    assert _snapshot("list", "--store", str(folder)) == 2
    err = capsys.readouterr().err
    assert "not a snapshot store" in err and "notes.txt" in err
    assert "move it out" not in err
    store = tmp_path / "store"
    sid = snapshots.add_file(PUBLIC, as_of="2026-01-15", store=store).entry["id"]
    capsys.readouterr()
    assert _snapshot("show", sid, "--store", str(store / sid)) == 2
    err = capsys.readouterr().err
    assert f"is snapshot {sid} of the store {store.resolve()}" in err
    assert f"--store {store.resolve()}" in err and "move it out" not in err
    assert len(err.strip().splitlines()) == 1


# --- synthetic data is said to be synthetic -------------------------------------------------------

def test_snapshot_show_says_a_synthetic_snapshot_is_synthetic(tmp_path, capsys):
    """``p2c snapshot show`` of a snapshot of a synthetic pledge file says so before its counts
    and USD totals (it printed "total USD ... USD 1.28 bn" with no word of it); a snapshot of
    the public record does not."""
    from p2c_analysis import export, synthetic

    file = tmp_path / "synthetic.csv"
    export.write_csv(synthetic.make_pledges(12, seed=3), file)
    store = tmp_path / "store"
    fake = snapshots.add_file(file, as_of="2026-12-01", store=store).entry["id"]
    real = snapshots.add_public_record("2026-03-31", store=store).entry["id"]
    capsys.readouterr()
    assert _snapshot("show", fake, "--store", str(store)) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1].strip() == cli.SYNTHETIC_SNAPSHOT
    assert _snapshot("show", real, "--store", str(store)) == 0
    assert "SYNTHETIC" not in capsys.readouterr().out


def test_a_synthetic_snapshot_whose_rows_are_all_set_aside_is_synthetic(tmp_path):
    """The mark follows the file's rows, as for a report: every row set aside (here a bad
    value) still makes the snapshot synthetic."""
    import pandas as pd

    from p2c_analysis import export, synthetic

    df = synthetic.make_pledges(3, seed=3).assign(estimated_value_usd=pd.NA,
                                                  value_as_stated="USD 1½ million")
    file = tmp_path / "synthetic.csv"
    export.write_csv(df, file)
    sid = snapshots.add_file(file, as_of="2026-12-01", store=tmp_path / "s").entry["id"]
    snap = snapshots.load_snapshot(sid, tmp_path / "s")
    assert snap.pledges.empty and len(snap.quarantine) == 3
    assert snapshots.rests_on_synthetic(snap)


# --- a reader that has gone -------------------------------------------------------------------

def test_snapshot_show_into_a_closed_pipe_ends_quietly(tmp_path):
    """``p2c snapshot show ID | head -1``: the reader has gone; the command ends with exit code
    0 and nothing on stderr, as ``check-pledges`` and ``params`` do. It said "p2c snapshot:
    error: Broken pipe" with exit code 2."""
    import os
    import subprocess
    import sys

    store = tmp_path / "store"
    sid = snapshots.add_public_record("2026-03-31", store=store).entry["id"]
    read_end, write_end = os.pipe()
    os.close(read_end)  # nobody reads what the command prints
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "p2c_analysis.cli", "snapshot", "show", sid, "--store",
             str(store)], stdout=write_end, stderr=subprocess.PIPE, text=True, cwd=paths.ROOT,
            timeout=120)
    finally:
        os.close(write_end)
    assert proc.stderr == ""
    assert proc.returncode == 0


# --- -p NAME VALUE ------------------------------------------------------------------------------

@pytest.mark.parametrize(("argv", "form"), [
    (["render", "country_profile", "-p", "country=Kenya"], "-p country Kenya"),
    (["render", "-p", "country=Kenya", "country_profile"], "-p country Kenya"),
    (["batch", "country_profile", "--over", "country=KEN", "-p", "year=2020", "--out", "x"],
     "-p year 2020"),
])
def test_p_name_equals_value_says_how_p_is_written(argv, form, capsys):
    """``-p country=Kenya``, written as ``--over`` takes its values, is refused in one line
    that gives the command's form (``-p country Kenya``); it said "expected 2 arguments", or
    took the notebook's name for the value ("'country=Kenya' is not a parameter ... (given
    'country_profile')")."""
    assert cli.main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert form in err, err
    assert "expected 2 arguments" not in err and "is not a parameter" not in err


def test_a_value_holding_an_equals_sign_is_still_a_value(tmp_path, capsys):
    """Only the NAME after ``-p`` is checked: a value may hold ``=`` (here a country that is
    none, refused as such)."""
    assert cli.main(["render", "country_profile", "-p", "country", "Kenya=1", "--out",
                     str(tmp_path)]) == 2
    assert "parameter 'country': 'Kenya=1' is not a known country" in capsys.readouterr().err


# --- exports -----------------------------------------------------------------------------------

def test_xlsx_shows_a_date_as_a_day_as_the_csv_does(tmp_path):
    """A date (a date-time at midnight: a pledge announced "2022" is 2022-01-01) is shown as
    its day in an XLSX, as the CSV writes it ("2022-01-01"); openpyxl's default format showed
    "2022-01-01 00:00:00", a time no one stated. A time of day keeps its time."""
    import datetime as dt

    import openpyxl
    import pandas as pd

    from p2c_analysis import export

    df = pd.DataFrame({"announced": pd.to_datetime(["2022-01-01", None]),
                       "at": pd.to_datetime(["2026-01-01 10:30", "2026-01-02 00:00"])})
    export.write_xlsx(df, tmp_path / "t.xlsx")
    csv = export.write_csv(df.iloc[:1, :1], tmp_path / "t.csv").read_text(encoding="utf-8")
    assert csv.splitlines()[1] == "2022-01-01"
    ws = openpyxl.load_workbook(tmp_path / "t.xlsx").active
    assert ws["A2"].value == dt.datetime(2022, 1, 1)
    assert ws["A2"].number_format == "yyyy-mm-dd"
    assert ws["B2"].value == dt.datetime(2026, 1, 1, 10, 30)
    assert "h" in ws["B2"].number_format  # the time is shown
    assert ws["B3"].number_format == "yyyy-mm-dd"


def test_check_pledges_refuses_a_named_pipe_as_output(tmp_path, capsys):
    """``check-pledges --out FIFO`` (or ``--quarantine``) is refused in one line before
    anything is read or written: it printed its summary, then waited for ever to open the pipe
    for writing (no process reads it). ``/dev/null`` is still written to."""
    import os

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    for option in ("--out", "--quarantine"):
        assert cli.main(["check-pledges", PUBLIC, option, str(fifo)]) == 2
        captured = capsys.readouterr()
        assert captured.err.strip().splitlines() == [
            f"p2c check-pledges: error: {fifo}: is a named pipe, not a file (writing would "
            "wait for a reader, for ever without one): name a regular file"]
        assert "rows read" not in captured.out
    assert cli.main(["check-pledges", PUBLIC, "--out", os.devnull]) == 0


# --- naming a report ---------------------------------------------------------------------------

def test_a_report_named_by_its_file_name_says_what_to_give(tmp_path, monkeypatch, capsys):
    """``p2c render country_profile.ipynb`` (the file's name, typed where it is not: the file
    is notebooks/country_profile.ipynb) is refused naming the report's name to give, not only
    "does not exist"; a file name that is no report's stays as it was."""
    monkeypatch.chdir(tmp_path)
    assert cli.main(["params", "country_profile.ipynb"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == ("p2c: error: notebook 'country_profile.ipynb' does not exist here; the report "
                   f"notebook of that name is {paths.NOTEBOOKS / 'country_profile.ipynb'}: "
                   "give the report's name, country_profile")
    assert cli.main(["params", "no_such_report.ipynb"]) == 2
    assert capsys.readouterr().err.strip() == \
        "p2c: error: notebook 'no_such_report.ipynb' does not exist"


def test_snapshot_show_total_with_no_value_stated_is_a_dash(tmp_path, capsys):
    """A snapshot where no pledge states a value (the public record before any pledge) shows
    its total as ``-``, as its rows by focus area and status do; it said "USD 0" beside
    "pledges with a value: 0"."""
    store = tmp_path / "store"
    sid = snapshots.add_public_record("2021-01-01", store=store).entry["id"]
    counts = snapshots.describe(snapshots.load_snapshot(sid, store))["counts"]
    total = counts.loc[counts["item"].eq("total USD (stated values)"), "value"]
    assert total.isna().all() and len(total) == 1
    capsys.readouterr()
    assert _snapshot("show", sid, "--store", str(store)) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if "total USD" in x)
    assert line.split(":", 1)[1].strip() == "-"
