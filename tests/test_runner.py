"""The report runner and the ``p2c render|batch|params`` command.

Kernel starts are slow, so the whole file renders a handful of tiny fixture notebooks: one
``p2c render`` run of five (one fails on purpose, one kills its own kernel, one states its
headline numbers), one ``p2c batch`` of two into the same output root, one run where every
report fails (it is ``latest`` all the same: the run ``--resume latest`` renders again), and
one report executed directly with a value the runner would have refused.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from html_resources import external_resources
from runner_helpers import (
    FIXTURES,
    TCP_WARNING,
    assert_manifest_matches_folders,
    manifest,
    runs,
)
from runner_helpers import p2c as _p2c

from p2c_analysis import cli, countries, execution, paths, planning, report, runner
from p2c_analysis.params import ParameterError

TABLE = FIXTURES / "table.ipynb"
FAILING = FIXTURES / "failing.ipynb"
EMPTY = FIXTURES / "empty.ipynb"
CRASH = FIXTURES / "crash.ipynb"
HEADLINE = FIXTURES / "headline.ipynb"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- rendered runs (module-scoped: each costs kernel starts) ---------------------------------
@pytest.fixture(scope="module")
def out_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("reports")


@pytest.fixture(scope="module")
def render_run(out_root):
    """``p2c render table failing empty crash headline -p year 2023``: three succeed,
    ``failing`` fails in a cell, ``crash`` kills its kernel."""
    done = _p2c("render", str(TABLE), str(FAILING), str(EMPTY), str(CRASH), str(HEADLINE),
                "-p", "year", "2023", "--out", str(out_root), "--workers", "2")
    (run_dir,) = runs(out_root)
    return done, run_dir, manifest(run_dir)


@pytest.fixture(scope="module")
def batch_run(render_run, out_root):
    """``p2c batch table --over label=../../escape,fine`` into the same root, after render_run."""
    done = _p2c("batch", str(TABLE), "--over", "label=../../escape,fine",
                "--out", str(out_root), "--workers", "2", "--no-progress")
    run_dir = runs(out_root)[-1]
    return done, run_dir


@pytest.fixture(scope="module")
def all_failed_run(batch_run, out_root):
    """``p2c render failing`` into the same root, after batch_run: nothing renders."""
    done = _p2c("render", str(FAILING), "--out", str(out_root), "--no-progress")
    return done, runs(out_root)[-1]


def test_failing_report_does_not_stop_the_others(render_run):
    done, run_dir, manifest = render_run
    assert done.returncode == 1
    status = {r["name"]: r["status"] for r in manifest["reports"]}
    assert status == {"table": "ok", "failing": "failed", "empty": "ok", "crash": "failed",
                      "headline": "ok"}
    # the summary lists the failure with its cell, the line that raised, and the error
    line = next(ln for ln in done.stdout.splitlines() if "FAILED failing" in ln)
    # cells: markdown 0, parameters 1, injected parameters 2, `numerator = 1` 3, division 4
    assert "cell 4 (In [4]) line 3 `ratio = numerator / divisor" in line
    assert "%matplotlib" not in line
    assert "ZeroDivisionError: division by zero" in line
    assert "3 of 5 reports rendered" in done.stdout
    assert f"front page: {run_dir / 'index.html'}" in done.stdout


def test_a_dead_kernel_fails_only_its_report(render_run):
    _, run_dir, manifest = render_run
    entry = next(r for r in manifest["reports"] if r["name"] == "crash")
    assert entry["status"] == "failed"
    assert "DeadKernelError" in entry["error"] or "died" in entry["error"].lower()
    assert (run_dir / "crash.FAILED").is_dir()
    assert_manifest_matches_folders(run_dir)


def test_terminal_is_clean(render_run, batch_run):
    for done in (render_run[0], batch_run[0]):
        assert TCP_WARNING not in done.stderr
        assert "Traceback" not in done.stderr
        assert "WARNING" not in done.stderr
    for log in render_run[1].glob("logs/*.log"):
        assert TCP_WARNING not in log.read_text()  # prevented (CurveZMQ), not just hidden
        assert "Ctrl-C will not work" not in log.read_text()


def test_failed_report_folder_keeps_notebook_with_error_banner(render_run):
    _, run_dir, manifest = render_run
    names = {p.name for p in run_dir.iterdir()}
    assert names == {"table", "empty", "headline", "failing.FAILED", "crash.FAILED", "logs",
                     "manifest.json", "index.html", ".lock"}
    nb = nbformat.read(run_dir / "failing.FAILED" / "failing.ipynb", as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "An Exception was encountered at" in text
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert [e.ename for e in errors] == ["ZeroDivisionError"]
    assert not list((run_dir / "failing.FAILED").glob("*.html"))
    entry = next(r for r in manifest["reports"] if r["name"] == "failing")
    assert entry["failed_cell"]["index"] == 4
    assert entry["failed_cell"]["source_first_line"] == "%matplotlib inline"
    assert entry["failed_cell"]["line"] == 3
    assert entry["failed_cell"]["source_line"].startswith("ratio = numerator / divisor")
    assert entry["error"] == "ZeroDivisionError: division by zero"
    assert entry["folder"] == "failing.FAILED"


def test_manifest_content(render_run):
    _, run_dir, m = render_run
    assert m["run_id"] == run_dir.name
    assert re.fullmatch(r"\d{8}T\d{6}Z-[0-9a-f]{6}", m["run_id"])
    assert m["versions"]["python"] == ".".join(map(str, sys.version_info[:3]))
    for dist in ("pandas", "papermill", "p2c-analysis"):
        assert m["versions"][dist] == version(dist)
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=paths.ROOT, capture_output=True,
                          text=True)
    assert m["git_commit"] == (head.stdout.strip() if head.returncode == 0 else "unknown")
    assert m["git_changes"] == runner.git_changes()  # what differed from that commit
    assert m["kernels"] == "warm" and m["state"] == "finished"
    by_name = {r["name"]: r for r in m["reports"]}
    # -p year 2023 reached the two notebooks that declare `year`, as an int; not `failing`
    assert by_name["table"]["parameters"] == {"year": 2023}
    assert by_name["empty"]["parameters"] == {"year": 2023}
    assert by_name["failing"]["parameters"] == {}
    # ...and the values each report ran with, defaults read from the parameters cells
    assert by_name["table"]["effective_parameters"] == {
        "year": 2023, "label": "demo", "include_global": True
    }
    assert by_name["failing"]["effective_parameters"] == {"divisor": 0}
    # data files read, from the report's data_files.json: the fixture tracks the public pledges
    assert by_name["table"]["data_files"] == {
        "data/pledges/public_pledges.csv": _sha256(paths.PUBLIC_PLEDGES)
    }
    assert m["data_files"] == by_name["table"]["data_files"]
    assert by_name["failing"]["data_files"] is None
    assert "failed before writing data_files.json" in by_name["failing"]["data_files_note"]
    for r in m["reports"]:
        start = dt.datetime.fromisoformat(r["started"])
        end = dt.datetime.fromisoformat(r["finished"])
        assert start.utcoffset() == dt.timedelta(0) and start <= end
        assert r["notebook_sha256"] == _sha256(paths.ROOT / r["notebook"])
        assert r["kernel"]["mode"] == "warm", r["kernel"]
        assert {"notebook", "cells", "kernel"} <= set(r["seconds"])
        assert isinstance(r["used_cache"], bool)
    assert {"html", "write"} <= set(by_name["table"]["seconds"])
    assert m["summary"] == {"reports": 5, "ok": 3, "failed": 2}
    assert_manifest_matches_folders(run_dir)
    assert not (run_dir / ".kernels").exists()  # connection files go with their kernels


def test_report_folder_holds_notebook_html_and_tables(render_run):
    _, run_dir, _ = render_run
    folder = run_dir / "table"
    assert {p.name for p in folder.iterdir()} == {
        "table.ipynb", "table.html", "table.csv", "data_files.json"
    }
    rows = (folder / "table.csv").read_text().splitlines()
    assert rows == ["label,year,n", "demo,2023,1", "demo,2023,2", "demo,2023,3"]


def test_html_is_self_contained_and_hides_code(render_run):
    _, run_dir, _ = render_run
    html = (run_dir / "table" / "table.html").read_text()
    assert external_resources(html) == []
    # belt and braces, independent of the parser: no tag loads anything from http(s)
    loads = r"""<(script|link|img|iframe)\b[^>]*\b(src|href)\s*=\s*["']?(https?:)?//"""
    assert not re.search(loads, html, re.IGNORECASE)
    assert "cdnjs" not in html and "unpkg" not in html
    assert "HIDDEN_CODE_MARKER" not in html and "paths.track" not in html  # code hidden
    assert "rows written: 3" in html  # outputs kept
    assert re.search(r'<img[^>]+src="data:image/png;base64,', html)  # figure embedded
    assert len(re.findall(r'<img[^>]+src="data:image/png;base64,', html)) == 1  # ...once
    assert re.search(r'<img alt="[^"]+"', html)  # nbconvert's accessibility touches kept
    assert 'tabindex="0"' in html
    assert "In&nbsp;[" not in html  # no prompts (the CSS mentions "Out[]" in a comment)
    assert not re.search(r'class="[^"]*jp-(Input|Output)Prompt', html)
    assert not re.search(r'class="[^"]*jp-(CodeMirrorEditor|InputArea-editor)', html)


def test_external_resources_finds_loads_not_links():
    html = """<html><head><script src="https://cdn.example/x.js"></script>
    <link rel="stylesheet" href="//fonts.example/f.css"><style>
    @font-face { src: url('https://fonts.example/f.woff2'); } .a { background: url(data:x) }
    </style></head><body><a href="https://itu.int">source</a>
    <img src="data:image/png;base64,AAAA"><img src="local.png"></body></html>"""
    assert external_resources(html) == [
        "https://cdn.example/x.js", "//fonts.example/f.css", "https://fonts.example/f.woff2"
    ]


def test_latest_is_the_newest_run_for_reviewers_and_resume_alike(render_run, batch_run,
                                                                   all_failed_run, out_root):
    """After a run whose every report failed, ``reports/latest`` still showed the run before it
    while ``--resume latest`` resumed the failed one, and the summary ended on a failure, not on
    the command that renders it again. ``latest`` is now the newest run for both; its front
    page says that nothing was rendered; the summary's last line is the exact command."""
    import shlex

    first, second = render_run[1], batch_run[1]
    done, failed_run = all_failed_run
    assert first.name < second.name < failed_run.name  # run ids sort in time order
    assert done.returncode == 1 and "0 of 1 reports rendered" in done.stdout
    latest = out_root / "latest"
    assert latest.is_symlink() and latest.resolve() == failed_run.resolve()
    assert runner.resolve_run(out_root, "latest") == failed_run
    page = (failed_run / "index.html").read_text()
    assert re.search(r'<p class="banner">&#9888; Nothing was rendered: its one report failed '
                     r"\(the card below says where\).*--resume " + failed_run.name + "</code>. ",
                     page)
    # ...and links the last results: the newest earlier run that rendered a report
    assert manifest(second)["reports"][0]["status"] == "ok"
    assert (f'The newest earlier run with rendered reports is <a href="../{second.name}/'
            f'index.html">{second.name}</a>.</p>') in page
    last = done.stdout.strip().splitlines()[-1]
    prefix = f"render the 1 failed report again into run {failed_run.name} with: "
    assert last.startswith(prefix), done.stdout
    command = shlex.split(last.removeprefix(prefix))
    assert command == ["p2c", "render", str(FAILING), "--out", str(out_root), "--no-progress",
                       "--resume", failed_run.name]
    again = _p2c(*command[1:])  # as the user would type it: into the same run, nothing new
    assert again.returncode == 1 and f"into {failed_run}" in again.stdout, again.stderr
    assert runs(out_root)[-1] == failed_run and len(manifest(failed_run)["resumed"]) == 1
    assert latest.resolve() == failed_run.resolve()


def test_batch_names_are_sanitised_and_stay_inside_out(batch_run, out_root, tmp_path_factory):
    done, run_dir = batch_run
    assert done.returncode == 0, done.stderr
    assert {p.name for p in run_dir.iterdir()} == {
        "table-escape", "table-fine", "logs", "manifest.json", "index.html", ".lock"
    }
    # nothing escaped the output root: its parent holds only what pytest made
    assert sorted(p.name for p in out_root.iterdir()) == sorted(
        [render_run_dir.name for render_run_dir in runs(out_root)] + ["latest"]
    )
    assert not (out_root.parent / "escape").exists()
    assert not (out_root.parent.parent / "escape").exists()
    m = manifest(run_dir)
    assert [r["parameters"] for r in m["reports"]] == [
        {"label": "../../escape"}, {"label": "fine"}
    ]


def test_parameter_error_in_notebook_is_one_line(tmp_path):
    # bypass the runner's own check to see what a notebook shows for a bad value
    spec = planning.ReportSpec("bad-year", TABLE.resolve(), {"year": 1990})
    entry = execution.execute_report(spec, tmp_path)
    assert entry["status"] == "failed"
    line = "ParameterError: parameter 'year': 1990 is outside the data (2000-2024)"
    assert entry["error"] == line
    nb = nbformat.read(tmp_path / "bad-year.FAILED" / "table.ipynb", as_version=4)
    (err,) = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert err.traceback == [line]
    assert not (tmp_path / "bad-year").exists()


def test_parameters_json_names_the_folder_the_report_is_published_in(tmp_path):
    """Not the ``.partial`` folder it ran in, which is renamed when it is published."""
    given = tmp_path / "export.csv"
    given.write_text("pledge_id,title\n1,a\n")
    spec = planning.ReportSpec("in", (FIXTURES / "inputs.ipynb").resolve(),
                               {"pledges": str(given)})
    (tmp_path / "run").mkdir()
    entry = execution.execute_report(spec, tmp_path / "run")
    assert entry["status"] == "ok", entry["error"]
    recorded = json.loads((tmp_path / "run" / "in" / "parameters.json").read_text())
    assert recorded == {"pledges": str(given), "output_dir": str(tmp_path / "run" / "in")}
    # a failed report's folder is <name>.FAILED; a folder without the file is left alone
    partial = tmp_path / "x.partial"
    partial.mkdir()
    (partial / "parameters.json").write_text(json.dumps({"year": 2024, "output_dir": "p"}))
    execution._record_published_folder(partial, tmp_path / "x.FAILED")
    assert json.loads((partial / "parameters.json").read_text()) == {
        "year": 2024, "output_dir": str(tmp_path.resolve() / "x.FAILED")}
    execution._record_published_folder(tmp_path / "run", tmp_path / "y")
    assert not (tmp_path / "run" / "parameters.json").exists()

# --- checks before anything runs (no kernel) --------------------------------------------------
def _cli_error(capsys, *args: str) -> str:
    code = cli.main(list(args))
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    return err


def test_bad_year_stops_before_launching(capsys, tmp_path):
    err = _cli_error(capsys, "render", str(EMPTY), "-p", "year", "1990", "--out", str(tmp_path))
    assert err == "p2c: error: parameter 'year': 1990 is outside the data (2000-2024)\n"
    assert list(tmp_path.iterdir()) == []


def test_unknown_country_in_batch_stops_everything(capsys, tmp_path):
    err = _cli_error(capsys, "batch", str(EMPTY), "--over", "country=Kenya,Narnia",
                     "--out", str(tmp_path))
    assert "parameter 'country': 'Narnia' is not a known country" in err
    assert list(tmp_path.iterdir()) == []


def test_unknown_allocation(capsys, tmp_path):
    err = _cli_error(capsys, "render", str(EMPTY), "-p", "allocation", "uniform",
                     "--out", str(tmp_path))
    assert "parameter 'allocation': 'uniform' is not one of equal, population, offline" in err


def test_undeclared_parameter_is_named(capsys, tmp_path):
    err = _cli_error(capsys, "render", str(EMPTY), "-p", "colour", "red", "--out", str(tmp_path))
    assert "'colour' is not a parameter of empty (given 'red'; it declares: " in err
    declares = "declares: year, country, allocation, label"
    with pytest.raises(ParameterError, match=f"'colour'.*{declares}"):
        planning.prepare_parameters(EMPTY, {"colour": "red"})


def test_output_dir_is_the_runners(capsys, tmp_path):
    err = _cli_error(capsys, "render", str(EMPTY), "-p", "output_dir", "/etc",
                     "--out", str(tmp_path))
    assert "parameter 'output_dir'" in err and "set by the runner" in err


def test_usage_errors_are_one_line(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("P2C_SNAPSHOT_STORE", str(tmp_path))  # whatever is (wrongly) stored
    assert "--over expects NAME=VALUES" in _cli_error(capsys, "batch", str(EMPTY), "--over", "x")
    assert "no report notebook 'nope'" in _cli_error(capsys, "render", "nope")
    assert "--workers must be at least 1" in _cli_error(capsys, "render", "--workers", "0")
    for bad in ("0", "-1", "nan", "inf"):  # inf: no limit is no --timeout, not infinity
        assert "--timeout must be a positive number of seconds" in _cli_error(
            capsys, "render", str(EMPTY), "--timeout", bad)
    assert "unrecognized arguments" in _cli_error(capsys, "params", str(EMPTY), "--bogus")
    assert "--timeout must be at most" in _cli_error(capsys, "render", str(EMPTY),
                                                     "--timeout", "1e308")
    for flag in ("--out", "--resume", "--scheduler"):  # "" used to mean: here, new, local
        assert f"{flag} must not be empty" in _cli_error(capsys, "render", str(EMPTY), flag, " ")
    # "" read the current folder ("'.': is a directory"), or fell back to a default or nothing
    pledges = str(Path(__file__).parent / "fixtures" / "pledges" / "platform_export.csv")
    for command, flag in ((["check-pledges", ""], "FILE"),
                          (["check-pledges", pledges, "--mapping", ""], "--mapping"),
                          (["check-pledges", pledges, "--quarantine", " "], "--quarantine"),
                          (["render", str(EMPTY), "-f", ""], "--parameters-file"),
                          (["snapshot", "list", "--store", ""], "--store"),
                          (["snapshot", "add", "--public-record", "--as-of", ""], "--as-of")):
        assert _cli_error(capsys, *command) == f"p2c: error: {flag} must not be empty\n"


def test_nothing_is_written_inside_the_package_s_own_folders(capsys, tmp_path, monkeypatch):
    """``check-pledges --out data/raw/<file>`` overwrote a raw data file; ``render --out
    data`` (or a symbolic link to it, or notebooks/) put runs among the bundled data and the
    notebooks; ``snapshot add --store data/raw`` wrote its index there. Each is refused in one
    line before anything is written; the default snapshot store (data/snapshots/) is not."""
    from p2c_analysis import snapshots

    data, notebooks = tmp_path / "data", tmp_path / "notebooks"
    (data / "raw").mkdir(parents=True)
    notebooks.mkdir()
    raw = data / "raw" / "codes.csv"
    raw.write_text("iso3\nKEN\n")
    link = tmp_path / "link"
    link.symlink_to(data)
    monkeypatch.setattr(paths, "DATA", data)
    monkeypatch.setattr(paths, "NOTEBOOKS", notebooks)
    pledges = str(Path(__file__).parent / "fixtures" / "pledges" / "platform_export.csv")
    for command, option in (
            (["render", str(EMPTY), "--out", str(data)], "--out"),
            (["batch", str(EMPTY), "--over", "year=2020", "--out", str(link / "runs")], "--out"),
            (["render", str(EMPTY), "--out", str(notebooks / "runs")], "--out"),
            (["render", str(EMPTY), "--resume", str(data / "run")], "--resume"),
            (["check-pledges", pledges, "--out", str(raw)], "--out"),
            (["check-pledges", pledges, "--quarantine", str(data / "q.csv")], "--quarantine"),
            (["snapshot", "add", "--public-record", "--as-of", "2025-06-01", "--store",
              str(data / "raw")], "--store")):
        err = _cli_error(capsys, *command)
        assert f"{option} " in err and "which p2c never writes" in err, err
    assert raw.read_text() == "iso3\nKEN\n"
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == [
        "data", "data/raw", "data/raw/codes.csv", "link", "notebooks"]
    monkeypatch.undo()  # the package's own folders again
    default = snapshots.DEFAULT_STORE
    planning.check_outside_package(default / "x", "--store", allowed=(default,))
    with pytest.raises(planning.UsageError, match="inside the bundled data"):
        planning.check_outside_package(default.parent / "raw" / "x.csv", "--out")
    planning.check_outside_package(tmp_path / "runs", "--out")


def test_a_list_of_countries_in_a_parameter_file_is_one_line_naming_it(capsys, tmp_path):
    """``country: [KEN, NGA]`` in a -f file stopped with "unexpected ValueError: The truth
    value of an array ... is ambiguous" (the note on ambiguous country names read the list)."""
    yml = tmp_path / "p.yaml"
    yml.write_text("country: [KEN, NGA]\n")
    for command in (["render", str(EMPTY)], ["batch", str(EMPTY), "--over", "year=2020"]):
        err = _cli_error(capsys, *command, "-f", str(yml), "--out", str(tmp_path / "runs"))
        assert err.startswith("p2c: error: parameter 'country': ") and "is a list" in err
    assert not (tmp_path / "runs").exists()


def test_a_name_too_long_for_the_system_is_one_short_line_naming_the_option(capsys, tmp_path):
    """--out, --resume, -f, --store or a notebook named longer than the system takes ended in
    "p2c: error: <the whole name, thousands of characters>: File name too long" (or the
    snapshot command's "[Errno 36] ..."), without the option; now the option, the start of the
    name and its length."""
    long = str(tmp_path / ("a" * 300) / "b")
    for command, start in (
            (["render", str(EMPTY), "--out", long], "p2c: error: --out "),
            (["render", str(EMPTY), "--resume", long], "p2c: error: --resume "),
            (["render", str(EMPTY), "-f", long], "p2c: error: parameter file "),
            (["params", long], "p2c: error: notebook "),
            (["check-pledges", str(EMPTY), "--quarantine", long], "p2c: error: --quarantine "),
            (["snapshot", "list", "--store", long], "p2c snapshot: error: ")):
        err = _cli_error(capsys, *command)
        assert err.startswith(start) and f"({len(long):,} characters)" in err, err
        assert len(err) < 300
    assert sorted(tmp_path.iterdir()) == []


def test_a_refused_command_says_only_why_not_how_it_read_the_values(capsys, tmp_path):
    """``-p country Korea -p year 1990`` printed the note on how 'Korea' is read, then the
    error: two lines for a command that runs nothing. The notes are said when the run goes
    ahead; a refusal is its one line."""
    for command in (["render", str(EMPTY), "-p", "country", "Korea"],
                    ["batch", str(EMPTY), "--over", "country=Africa,Korea"]):
        err = _cli_error(capsys, *command, "-p", "year", "1990", "--out", str(tmp_path))
        assert err == "p2c: error: parameter 'year': 1990 is outside the data (2000-2024)\n"
    assert list(tmp_path.iterdir()) == []


def test_an_out_folder_through_links_in_a_loop_is_one_line_naming_the_option(capsys,
                                                                              tmp_path):
    """``--out loop/sub`` where ``loop`` is a link to itself stopped with "unexpected
    RuntimeError: Symlink loop from ..." (Python 3.11's resolve)."""
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    for command, option in ((["render", str(EMPTY), "--out", str(loop / "sub")], "--out"),
                            (["render", str(EMPTY), "--resume", str(loop / "run")], "--resume"),
                            (["snapshot", "add", "--public-record", "--as-of", "2025-01-01",
                              "--store", str(loop)], "--store")):
        err = _cli_error(capsys, *command)
        assert f"{option} {loop}" in err and "cannot be used" in err, err
    assert [p.name for p in tmp_path.iterdir()] == ["loop"]


def test_a_bad_snapshot_as_of_is_named_as_the_option_it_is(capsys, tmp_path):
    """``p2c snapshot add --as-of 2026-02-30`` said "parameter '--as-of': ...", an option
    called a parameter; now "--as-of '2026-02-30' is not a valid date (...)"."""
    for as_of, problem in (("2026-02-30", "is not a valid date"),
                           ("1999-12-31", "is outside the dates an analysis covers")):
        err = _cli_error(capsys, "snapshot", "add", "--public-record", "--as-of", as_of,
                         "--store", str(tmp_path))
        assert err.startswith(f"p2c snapshot: error: --as-of {as_of!r} {problem} ("), err
    assert list(tmp_path.iterdir()) == []


def test_parameters_file_and_p_override(tmp_path):
    yml = tmp_path / "p.yaml"
    yml.write_text("year: 2019\nlabel: from-file\nallocation: population\n")
    args = cli.build_parser().parse_args(
        ["render", str(EMPTY), "-f", str(yml), "-p", "year", "2021"]
    )
    given = cli._given_parameters(args)
    (spec,) = planning.plan_render([EMPTY], given)
    assert spec.parameters == {"year": 2021, "label": "from-file", "allocation": "population"}


def test_batch_over_group_is_its_members_in_the_reports_year():
    """A group is its members in the year the reports name groups in (1 July of ``year``), no
    longer today's: a 2020 profile of a country that has left since says it is an LDC."""
    specs = planning.plan_batch(EMPTY, "country", "LDC", {"year": "2020"})
    ldc = countries.members("LDC", as_of=2020)
    assert [s.name for s in specs] == [f"empty-{iso}" for iso in ldc]
    assert all(s.parameters == {"year": 2020, "country": iso} for s, iso in zip(specs, ldc,
                                                                                strict=True))


def test_batch_over_several_groups_and_countries_is_their_union_once_each():
    specs = planning.plan_batch(EMPTY, "country", "LLDC, SIDS,KEN,Afghanistan", None)
    lldc, sids = countries.members("LLDC"), countries.members("SIDS")
    expected = list(dict.fromkeys([*lldc, *sids, "KEN", "AFG"]))  # AFG is an LLDC: once
    assert [s.parameters["country"] for s in specs] == expected
    assert len(expected) < len(lldc) + len(sids) + 2
    with pytest.raises(ParameterError, match="'Atlantis' is not a known country"):
        planning.plan_batch(EMPTY, "country", "LDC,Atlantis", None)


def test_batch_values_are_normalised_and_deduplicated():
    specs = planning.plan_batch(EMPTY, "country", "Kenya, KEN ,Ghana", None)
    assert [s.name for s in specs] == ["empty-KEN", "empty-GHA"]
    with pytest.raises(planning.UsageError, match="both"):
        planning.plan_batch(EMPTY, "country", "KEN", {"country": "GHA"})


def test_an_empty_as_of_given_is_left_to_the_run_s_day():
    """``-p as_of ""`` was fixed at the planning day as a given parameter: a resume on a
    later day then refused the same command ("has other parameters")."""
    (spec,) = planning.plan_batch("country_profile", "country", "KEN", {"as_of": ""})
    assert spec.parameters == {"country": "KEN"}
    (spec,) = planning.plan_render(["country_profile"], {"as_of": " ", "year": "2023"})
    assert spec.parameters == {"year": 2023}
    (spec,) = planning.plan_render(["country_profile"], {"as_of": "2024-06-30"})
    assert spec.parameters == {"as_of": "2024-06-30"}


def test_batch_over_several_parameters_is_every_combination_once():
    specs = planning.plan_grid(EMPTY, [("country", "Kenya,KEN,Ghana"),
                                       ("allocation", "equal,population")], {"year": "2020"})
    assert [s.name for s in specs] == ["empty-KEN-equal", "empty-KEN-population",
                                       "empty-GHA-equal", "empty-GHA-population"]
    assert specs[1].parameters == {"year": 2020, "country": "KEN", "allocation": "population"}
    # a parameter's colliding labels get their hashes as in a one-parameter batch
    one = planning.plan_batch(EMPTY, "label", "a b,a-b", None)
    grid = planning.plan_grid(EMPTY, [("label", "a b,a-b"), ("country", "GHA")], None)
    assert [s.name for s in grid] == [f"{s.name}-GHA" for s in one]
    assert len({s.name for s in grid}) == 2
    with pytest.raises(planning.UsageError, match="country= is given twice"):
        planning.plan_grid(EMPTY, [("country", "KEN"), ("country", "GHA")], None)
    with pytest.raises(planning.UsageError, match="both"):
        planning.plan_grid(EMPTY, [("country", "KEN"), ("year", "2020")], {"year": "2021"})
    with pytest.raises(ParameterError, match="allocation"):  # any bad value stops the plan
        planning.plan_grid(EMPTY, [("country", "KEN,GHA"), ("allocation", "equal,fair")], None)


def test_batch_with_two_over_options_renders_every_combination(tmp_path):
    """``--over`` twice used to keep only the last one: 2 reports instead of 4, and no word."""
    done = _p2c("batch", str(TABLE), "--over", "label=a,b", "--over", "year=2020,2023",
                "--out", str(tmp_path), "--workers", "2", "--no-progress")
    assert done.returncode == 0, done.stderr
    (run_dir,) = runs(tmp_path)
    reports = manifest(run_dir)["reports"]
    assert {r["name"]: (r["status"], r["parameters"]) for r in reports} == {
        f"table-{label}-{year}": ("ok", {"label": label, "year": year})
        for label in "ab" for year in (2020, 2023)}


def test_params_command_lists_types_defaults_help(capsys):
    assert cli.main(["params", str(TABLE)]) == 0
    out = capsys.readouterr().out
    assert re.search(r"year\s+int\s+default 2024\s+# analysis year", out)
    assert re.search(r"include_global\s+bool\s+default True", out)
    assert "output_dir" in out and "set by the runner" in out


# --- names, folders, atomicity ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [("../../etc/passwd", "etc-passwd"), ("Côte d'Ivoire", "Cote-d-Ivoire"), ("KEN", "KEN"),
     ("a/../b", "a-.-b"), (".hidden", "hidden"), ("x" * 200, "x" * 80)],
)
def test_safe_name(text, expected):
    name = planning.safe_name(text)
    assert name == expected
    assert "/" not in name and ".." not in name and not name.startswith(".")


@pytest.mark.parametrize("text", ["..", ".", "/", "   ", "漢字"])
def test_safe_name_refuses_nothing_left(text):
    with pytest.raises(planning.UsageError):
        planning.safe_name(text)


@pytest.mark.parametrize("name", ["..", "../x", "a/b", "/abs"])
def test_folder_names_cannot_leave_the_run(tmp_path, name):
    with pytest.raises(planning.UsageError):
        execution.inside(tmp_path, name)


def test_interrupted_report_leaves_only_a_partial_folder(tmp_path, monkeypatch):
    import papermill

    def interrupted(input_path, output_path, **kwargs):
        Path(output_path).write_text("{}")  # half-way: a notebook file exists
        raise KeyboardInterrupt

    monkeypatch.setattr(papermill, "execute_notebook", interrupted)
    spec = planning.ReportSpec("empty", EMPTY.resolve(), {})
    with pytest.raises(KeyboardInterrupt):
        execution.execute_report(spec, tmp_path)
    assert (tmp_path / "empty.partial" / "empty.ipynb").exists()
    assert not (tmp_path / "empty").exists()
    # its entry names the folder (null before: a worker whose runner was killed outright has
    # the last word on its report, and nothing reconciled the entry with the folder)
    (entry,) = manifest(tmp_path)["reports"]
    assert (entry["status"], entry["folder"]) == ("interrupted", "empty.partial")


def test_point_latest_replaces_and_falls_back(tmp_path, monkeypatch):
    for run in ("20260101T000000Z-aaaaaa", "20260102T000000Z-bbbbbb"):
        (tmp_path / run).mkdir()
        assert runner.point_latest(tmp_path, run) == tmp_path / "latest"
    assert os.readlink(tmp_path / "latest") == "20260102T000000Z-bbbbbb"

    def no_symlinks(*a, **k):
        raise OSError("symlinks not supported")

    monkeypatch.setattr(os, "symlink", no_symlinks)
    assert runner.point_latest(tmp_path, "20260103T000000Z-cccccc") == tmp_path / "LATEST"
    assert (tmp_path / "LATEST").read_text() == "20260103T000000Z-cccccc\n"


def _full_disk(monkeypatch) -> None:
    """A full disk for file data: a write fails with ENOSPC after its file was opened (and, for
    ``Path.write_text``, truncated), as on a disk with no free block."""
    import errno
    import pathlib

    def no_space(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    def truncate_then_fail(self, *a, **k):
        open(self, "w").close()
        no_space()

    monkeypatch.setattr(os, "write", no_space)
    monkeypatch.setattr(pathlib.Path, "write_text", truncate_then_fail)


def test_latest_file_survives_a_full_disk(tmp_path, monkeypatch):
    """``LATEST`` (where symlinks fail) was written in place: on a full disk it was left empty,
    and every later run took it for a file of the user's and never moved it again."""
    import errno

    old, new = "20260101T000000Z-aaaaaa", "20260102T000000Z-bbbbbb"
    (tmp_path / "LATEST").write_text(old + "\n")

    def unsupported(*a, **k):
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "symlink", unsupported)
    _full_disk(monkeypatch)
    with pytest.raises(OSError, match="No space left on device"):
        runner.point_latest(tmp_path, new)
    assert (tmp_path / "LATEST").read_text() == old + "\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["LATEST"]  # no temporary file left
    note = runner.move_latest(tmp_path, new)
    assert note == (f"p2c: warning: {tmp_path / 'latest'} was not moved to run {new} "
                    f"({tmp_path / 'LATEST'}: No space left on device); it still points to "
                    f"run {old}")
    monkeypatch.undo()  # space again: the pointer moves (an empty LATEST left by an old p2c too)
    (tmp_path / "LATEST").write_text("")
    monkeypatch.setattr(os, "symlink", unsupported)
    assert runner.point_latest(tmp_path, new) == tmp_path / "LATEST"
    assert (tmp_path / "LATEST").read_text() == new + "\n"


def test_latest_link_survives_a_full_disk_and_the_run_says_so_last(tmp_path, monkeypatch):
    """A link that cannot be made on a full disk fell back to writing ``LATEST``, whose failure
    ended a run whose reports were all rendered with an error; now the old link stays and the
    summary's last line says the pointer was not moved, and why."""
    import errno

    old = "20260101T000000Z-aaaaaa"
    (tmp_path / old).mkdir()
    runner.point_latest(tmp_path, old)

    def no_space(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "symlink", no_space)
    spec = planning.ReportSpec("empty", EMPTY.resolve(), {})
    result = runner.render([spec], out=tmp_path, workers=1, progress=False, cold=True)
    assert [r["status"] for r in result.reports] == ["ok"]
    assert os.readlink(tmp_path / "latest") == old
    assert not (tmp_path / "LATEST").exists()
    last = cli.summary(result).splitlines()[-1]
    assert last == (f"p2c: warning: {tmp_path / 'latest'} was not moved to run "
                    f"{result.run_id} ({tmp_path / 'latest'}: No space left on device); it "
                    f"still points to run {old}")


def test_run_ids_sort_by_time_and_git_outside_a_repo(tmp_path):
    a = runner.new_run_id(dt.datetime(2026, 1, 9, 23, 59, 59, tzinfo=dt.UTC))
    b = runner.new_run_id(dt.datetime(2026, 1, 10, 0, 0, 0, tzinfo=dt.UTC))
    assert a.startswith("20260109T235959Z-") and a < b
    assert runner.git_commit(tmp_path) == "unknown"


def test_out_that_is_a_file_is_one_line_error(tmp_path):
    f = tmp_path / "not_a_folder"
    f.write_text("x")
    proc = subprocess.run(
        [sys.executable, "-m", "p2c_analysis.cli", "render", "--out", str(f)],
        capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "not a folder" in lines[0], proc.stderr
    assert f.read_text() == "x"


# --- issue 8: one line for files that are not notebooks, distinct folders for distinct values --
@pytest.mark.parametrize("content", [b"country,year\nKEN,2024\n", b"\x89PNG\r\n\x1a\n\x00\xff",
                                     b'{"not": "a notebook"}', b"", b'{"cells": [], '])
def test_a_file_that_is_not_a_notebook_is_one_line(capsys, tmp_path, content):
    secret = tmp_path / "data.ipynb"
    secret.write_bytes(content)
    for command in (["params", str(secret)], ["render", str(secret), "--out", str(tmp_path)]):
        err = _cli_error(capsys, *command)
        assert str(secret) in err and "is not a Jupyter notebook" in err
        assert "KEN" not in err and "PNG" not in err and "not a notebook" not in err
    other = tmp_path / "table.csv"
    other.write_bytes(content)
    assert "is not a Jupyter notebook" in _cli_error(capsys, "params", str(other))
    assert "is a folder" in _cli_error(capsys, "params", str(tmp_path))
    assert "'/dev/null' is not a regular file" in _cli_error(capsys, "params", "/dev/null")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.ipynb", "table.csv"]


def test_a_report_name_is_a_notebook_of_notebooks_and_nothing_else(capsys, tmp_path,
                                                                    monkeypatch):
    """A report name is looked up in notebooks/ as ``<name>.ipynb``: ``../elsewhere/x``
    rendered ``notebooks/../elsewhere/x.ipynb``, a notebook outside notebooks/ the user never
    gave by path; ``""`` said "notebook '' is a folder"; ``" name"`` (spaces a shell quote
    left) was no report."""
    shelf, other = tmp_path / "notebooks", tmp_path / "elsewhere"
    shelf.mkdir()
    other.mkdir()
    shutil.copy(EMPTY, shelf / "mine.ipynb")
    shutil.copy(EMPTY, other / "hidden.ipynb")
    monkeypatch.setattr(paths, "NOTEBOOKS", shelf)
    monkeypatch.chdir(tmp_path / "elsewhere")  # "../elsewhere/hidden" exists nowhere from here
    for ref in ("../elsewhere/hidden", "sub/mine"):
        assert f"notebook {ref!r} does not exist" in _cli_error(capsys, "params", ref)
    assert "notebook name is empty" in _cli_error(capsys, "params", " ")
    deep = "x/" * 1000 + "y"  # under the system's limit on a path, long on a terminal
    assert len(_cli_error(capsys, "params", deep)) < 400
    monkeypatch.setattr(paths, "DATA", tmp_path / "data")
    assert len(_cli_error(capsys, "render", str(EMPTY), "--out", str(paths.DATA / deep))) < 400
    assert not paths.DATA.exists()
    assert planning.resolve_notebook(" mine ") == (shelf / "mine.ipynb").resolve()
    assert planning.resolve_notebook(str(other / "hidden.ipynb")) == other / "hidden.ipynb"


def test_params_prints_a_notebook_s_own_text_without_its_escape_sequences(capsys, tmp_path):
    """``p2c params`` printed a notebook's name, defaults and comments as they are: an escape
    sequence in them (colours, a window title) reached the terminal. Now shown as visible
    escapes, one line per parameter."""
    esc = "\x1b]0;title\x07"
    cell = nbformat.v4.new_code_cell(f'x = "{esc}red"  # help {esc}\ny: int = 1',
                                     metadata={"tags": ["parameters"]})
    for name, cells in ((f"odd{esc}.ipynb", [cell]), (f"none{esc}.ipynb", [])):
        nbformat.write(nbformat.v4.new_notebook(cells=cells), tmp_path / name)
        assert cli.main(["params", str(tmp_path / name)]) == 0
        out = capsys.readouterr().out
        assert "\x1b" not in out and "\x07" not in out and "\\x1b]0;title\\x07" in out
        assert len(out.splitlines()) == (3 if cells else 1)


def test_params_of_a_notebook_without_parameters_cell(capsys, tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    path = tmp_path / "plain.ipynb"
    nbformat.write(nb, path)
    assert cli.main(["params", str(path)]) == 0
    assert "no parameters" in capsys.readouterr().out


def test_batch_values_whose_folder_names_collide_all_render(tmp_path):
    files = []
    for sub in ("a", "b"):
        (tmp_path / sub).mkdir()
    for rel in ("a/x y.csv", "a/x-y.csv", "b/x y.csv"):
        f = tmp_path / rel
        f.write_bytes(paths.PUBLIC_PLEDGES.read_bytes())  # a real pledge file (it is checked)
        files.append(str(f))
    nb = tmp_path / "pl.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        'pledges: str = ""  # pledge file\noutput_dir: str = ""  # set by the runner',
        metadata={"tags": ["parameters"]})]), nb)
    specs = planning.plan_batch(nb, "pledges", ",".join(files + files[:1]), None)
    assert len(specs) == 3  # the repeated value is rendered once, the others all are
    names = [s.name for s in specs]
    assert len({n.lower() for n in names}) == 3
    assert [s.parameters["pledges"] for s in specs] == files
    # labels that collide only by case are distinct folders too (macOS, Windows)
    specs = planning.plan_batch(EMPTY, "label", "Kenya,kenya,KENYA", None)
    assert len({s.name.lower() for s in specs}) == 3
    # long values that agree on their first 70 characters
    specs = planning.plan_batch(EMPTY, "label", ",".join(["z" * 90 + "1", "z" * 90 + "2"]), None)
    assert len({s.name for s in specs}) == 2


def test_unique_names_never_reuse_a_taken_name():
    specs = [planning.ReportSpec(n, EMPTY, {}) for n in ("t", "t", "t-2")]
    assert [s.name for s in planning._unique_names(specs)] == ["t", "t-3", "t-2"]


# --- the failing line --------------------------------------------------------------------------
def test_failing_line_is_the_line_that_raised():
    source = "%matplotlib inline\nimport pandas as pd\n\nx = compute(1)\ny = 2"
    tb = ["\x1b[0;31m---------------------------------------------------------------------------"
          "\x1b[0m", "\x1b[0;31mValueError\x1b[0m    Traceback (most recent call last)",
          "Cell \x1b[0;32mIn[7], line 4\x1b[0m\n\x1b[1;32m----> 4\x1b[0m x \x1b[38;5;241m=\x1b[39m "
          "compute(1)\n", "File \x1b[0;32m/pkg/mod.py:12\x1b[0m, in \x1b[0;36mcompute\x1b[0;34m"
          "(n)\x1b[0m\n\x1b[1;32m---> 12\x1b[0m \x1b[38;5;28;01mraise\x1b[39;00m ValueError(n)"]
    assert execution.failing_line(source, tb) == {"line": 4, "source_line": "x = compute(1)"}
    # no IPython frame (a one-line ParameterError): the first line of code, not a comment
    assert execution.failing_line("# check\nparams.validate(x)", ["ParameterError: x"]) == {
        "line": 2, "source_line": "params.validate(x)"}


# --- the front page ----------------------------------------------------------------------------
def test_front_page_of_a_run(render_run):
    _, run_dir, _ = render_run
    html = (run_dir / "index.html").read_text(encoding="utf-8")
    assert external_resources(html) == []
    assert not re.search(r"<script\b", html, re.I)  # no script at all, escaped text only
    assert "&lt;script&gt;alert(&#x27;t&#x27;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "<img" not in html
    assert "1 &lt; 2 &amp; 3 &gt; 2" in html  # headline values from summary.json
    assert "WDI 13 July 2026 &amp; ITU &lt;Nov 2024&gt;" in html  # data vintage
    assert "Synthetic data" in html  # a report said is_synthetic
    assert html.count('<article class="card') == 5
    assert '<a href="table/table.html">' in html and '<a href="headline/headline.html">' in html
    # failed reports: the line that raised and the error, a link to the executed notebook
    assert "line 3 `ratio = numerator / divisor" in html and "ZeroDivisionError" in html
    assert 'href="failing.FAILED/failing.ipynb"' in html
    assert "@media print" in html and "break-inside: avoid" in html
    # reports without summary.json: title from the notebook's own heading, parameters shown
    assert ">Fixture report</a>" in html and "year = 2023" in html


def test_front_page_escapes_everything(tmp_path):
    from p2c_analysis import frontpage

    evil = '"><script>x()</script>'
    m = {"run_id": evil, "started": evil, "git_commit": evil, "p2c_analysis_version": evil,
         "reports": [{"name": "r", "notebook": f"{evil}.ipynb", "status": "failed",
                      "error": evil, "failed_cell": {"index": 1, "line": 2, "source_line": evil},
                      "parameters": {evil: evil}, "summary": {"title": evil, "headline": [
                          {"label": evil, "value": evil}], "data_vintage": evil}}]}
    html = frontpage.render_index(tmp_path, m)
    assert "<script>" not in html and "&lt;script&gt;x()&lt;/script&gt;" in html
    assert '"><script' not in html and "&quot;&gt;&lt;script&gt;" in html


def test_a_card_title_has_one_colon():
    """"The connectivity gap: who is offline: Data for 2024" read as two colons."""
    from p2c_analysis import frontpage

    def entry(title):
        return {"name": "r", "title": title, "summary": {"title": "Data for 2024"}}

    assert frontpage._title(entry("The connectivity gap: who is offline")) == \
        "The connectivity gap: who is offline — Data for 2024"
    assert frontpage._title(entry("Country profile")) == "Country profile: Data for 2024"
    assert frontpage._title({"name": "r", "title": "Implementation progress"}) == \
        "Implementation progress"


def test_a_running_run_rewrites_its_front_page_at_most_every_few_seconds(tmp_path, monkeypatch):
    """The front page is written whole from the whole manifest: once per report would cost the
    square of the batch. While the run runs it is rewritten when older than FRONT_PAGE_EVERY
    seconds (the run's start and end always write it)."""
    from p2c_analysis import runner

    writes: list[float] = []
    clock = [100.0]

    class Clock:
        @staticmethod
        def monotonic() -> float:
            return clock[0]

    class Bar:
        def update(self, n: int) -> None:
            pass

        def write(self, *args: object, **kw: object) -> None:
            pass

    monkeypatch.setattr(runner, "time", Clock)
    monkeypatch.setattr(runner, "FRONT_PAGE_EVERY", 2.0)
    monkeypatch.setattr(runner.frontpage, "write_index", lambda *a, **k: writes.append(clock[0]))
    front = 100.0  # written at the run's start
    for step in (0.5, 0.5, 0.5, 0.6, 0.1, 1.0, 2.5):
        clock[0] += step
        front = runner._after_report(tmp_path, {"name": "a", "status": "ok"}, Bar(), [], front)
    assert writes == pytest.approx([102.1, 105.7])  # 2.1 s after the start, then 3.6 s later
    assert front == pytest.approx(105.7)


# --- the manifest ------------------------------------------------------------------------------
def test_manifest_write_failure_leaves_no_temporary_file(tmp_path, monkeypatch):
    import errno

    from p2c_analysis import manifest as M

    M.update(tmp_path, lambda m: m.update(reports=[{"name": "a", "status": "pending"}]))
    before = (tmp_path / "manifest.json").read_text()

    def full(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(M.ManifestError, match="manifest.json: No space left on device"):
        M.set_entry(tmp_path, {"name": "a", "status": "ok"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["manifest.json"]
    assert (tmp_path / "manifest.json").read_text() == before
    # publishing a report folder fails whole: the folder stays .partial
    (tmp_path / "a.partial").mkdir()
    with pytest.raises(M.ManifestError):
        M.publish(tmp_path, tmp_path / "a.partial", tmp_path / "a", {"name": "a", "status": "ok"})
    assert (tmp_path / "a.partial").is_dir() and not (tmp_path / "a").exists()


def test_manifest_is_compact_while_running_and_indented_once_ended(tmp_path):
    """Every report rewrites the whole manifest: while the run is running it is written as
    compact JSON (one line), once ended indented; the content is the same either way."""
    from p2c_analysis import manifest as M

    entry = {"name": "a", "status": "running", "parameters": {"country": "Côte d'Ivoire"}}
    M.update(tmp_path, lambda m: m.update(state="running", reports=[entry]))
    running = (tmp_path / "manifest.json").read_text(encoding="utf-8")
    assert running.count("\n") == 1 and "Côte d'Ivoire" in running
    assert M.read(tmp_path)["reports"] == [entry]
    M.update(tmp_path, lambda m: m.update(state="finished"))
    ended = (tmp_path / "manifest.json").read_text(encoding="utf-8")
    assert '\n  "reports": [\n' in ended
    assert json.loads(ended) == {**json.loads(running), "state": "finished"}


def _plain_manifest_text(run_dir):
    """What the manifest's file must hold: ``json.dumps`` of what it says (compact while
    running, indented once ended), whatever a process remembered of it."""
    data = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    indent = None if data.get("state") == "running" else 2
    return json.dumps(data, indent=indent, ensure_ascii=False) + "\n"


def test_manifest_writes_reuse_what_this_process_wrote_and_write_the_same_bytes(tmp_path,
                                                                             monkeypatch):
    """A process that wrote the manifest last neither parses it nor encodes its other entries
    again; the bytes are those of a plain ``json.dumps``, entries the caller changes afterwards
    are written as they were passed, and a file another process wrote is read again."""
    from p2c_analysis import manifest as M

    names = [f"r{i}" for i in range(30)]
    M.update(tmp_path, lambda m: m.update(
        state="running", run_id="x", reports=[{"name": n, "status": "pending"} for n in names]))
    parses = []
    real_read = M.read
    monkeypatch.setattr(M, "read", lambda d: parses.append(d) or real_read(d))
    encoded = []
    real_dumps = M._dumps
    monkeypatch.setattr(M, "_dumps", lambda v, indent=None: encoded.append(v) or
                        real_dumps(v, indent))
    seconds = {"cells": 1.0}
    entry = {"name": "r3", "status": "running", "seconds": seconds,
             "parameters": {"country": "Côte d'Ivoire", "path": Path("/x/é.csv")}}
    M.set_entry(tmp_path, entry)
    assert parses == []  # the file is still what this process wrote
    # of the 30 entries, only the changed one was encoded (the rest is the header)
    assert [v["name"] for v in encoded if isinstance(v, dict) and "name" in v] == ["r3"]
    assert (tmp_path / "manifest.json").read_text(encoding="utf-8") == \
        _plain_manifest_text(tmp_path)
    seconds["html"] = 2.0  # the caller's dict changes after the write: nothing follows it
    (tmp_path / "r3.partial").mkdir()
    M.publish(tmp_path, tmp_path / "r3.partial", tmp_path / "r3", {"name": "r3", "status": "ok"})
    m = real_read(tmp_path)
    assert m["reports"][3] == {"name": "r3", "status": "ok", "seconds": {"cells": 1.0},
                               "parameters": {"country": "Côte d'Ivoire",
                                              "path": "/x/é.csv"}}
    assert m["summary"] == {"reports": 30, "ok": 1, "failed": 0} and parses == []
    assert (tmp_path / "manifest.json").read_text(encoding="utf-8") == \
        _plain_manifest_text(tmp_path)
    # another process writes: this one reads the file again and keeps its change
    other = real_read(tmp_path)
    other["reports"][7] = {"name": "r7", "status": "failed", "error": "boom"}
    (tmp_path / "manifest.json").write_text(json.dumps(other), encoding="utf-8")
    M.set_entry(tmp_path, {"name": "r8", "status": "running"})
    assert parses == [tmp_path]
    m = real_read(tmp_path)
    assert [e["status"] for e in m["reports"][3:9]] == \
        ["ok", "pending", "pending", "pending", "failed", "running"]
    assert m["summary"] == {"reports": 30, "ok": 1, "failed": 1}
    assert (tmp_path / "manifest.json").read_text(encoding="utf-8") == \
        _plain_manifest_text(tmp_path)
    # a failed write forgets what it remembered: the next one reads the file again
    monkeypatch.setattr(os, "fsync", lambda fd: (_ for _ in ()).throw(OSError(28, "full")))
    with pytest.raises(M.ManifestError):
        M.set_entry(tmp_path, {"name": "r9", "status": "running"})
    monkeypatch.undo()
    parses_before = len(parses)
    monkeypatch.setattr(M, "read", lambda d: parses.append(d) or real_read(d))
    M.set_entry(tmp_path, {"name": "r9", "status": "running"})
    assert len(parses) == parses_before + 1
    assert real_read(tmp_path)["reports"][9]["status"] == "running"
    # the run ends: indented, the same content
    M.update(tmp_path, lambda m: m.update(state="finished"))
    assert (tmp_path / "manifest.json").read_text(encoding="utf-8") == \
        _plain_manifest_text(tmp_path)


def test_a_header_value_spelling_the_reports_slot_is_written_plainly(tmp_path):
    from p2c_analysis import manifest as M

    slot = M._REPORTS_SLOT
    M.update(tmp_path, lambda m: m.update(state="running", note=slot,
                                          reports=[{"name": "a", "status": "pending"}]))
    M.set_entry(tmp_path, {"name": "a", "status": "running", "error": slot})
    m = M.read(tmp_path)
    assert m["note"] == slot and m["reports"] == [{"name": "a", "status": "running",
                                                   "error": slot}]
    assert (tmp_path / "manifest.json").read_text(encoding="utf-8") == \
        _plain_manifest_text(tmp_path)


def test_reconcile_repairs_entries_from_folders(tmp_path):
    from p2c_analysis import manifest as M

    M.update(tmp_path, lambda m: m.update(reports=[
        {"name": "done", "status": "running"}, {"name": "gone", "status": "ok", "folder": "gone"},
        {"name": "bad", "status": "pending"}]))
    (tmp_path / "done").mkdir()
    (tmp_path / "bad.FAILED").mkdir()
    assert sorted(M.reconcile(tmp_path)) == ["bad", "done", "gone"]
    assert_manifest_matches_folders(tmp_path)


def test_read_only_output_folder_is_one_line(capsys, tmp_path, monkeypatch):
    import errno

    real_mkdir = Path.mkdir

    def read_only(self, *args, **kwargs):
        if self.parent == tmp_path:  # the run folder cannot be made: a read-only file system
            raise OSError(errno.EROFS, "Read-only file system", str(self))
        return real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", read_only)
    code = cli.main(["render", str(EMPTY), "--out", str(tmp_path), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1, err
    assert err.startswith(f"p2c: error: cannot write {tmp_path}/") and "Read-only" in err
    assert list(tmp_path.iterdir()) == []


def test_summary_lines_are_safe_for_a_terminal(tmp_path):
    evil = "bad \x1b[31mred\x1b[0m \x1b]0;title\x07 \x9b2J end"
    entry = {"name": "r", "status": "failed", "error": f"ValueError: {evil}", "folder": None,
             "failed_cell": {"index": 1, "execution_count": 1, "line": 1, "source_line": evil}}
    text = cli.summary(runner.RunResult("run", tmp_path, [entry]))
    assert "\x1b" not in text and "\x07" not in text and "\x9b" not in text
    assert "bad red" in text and "end" in text


def test_notebook_title_is_its_first_heading(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("Intro without heading\n## Not level one"),
        nbformat.v4.new_markdown_cell("text\n# The pledge landscape\nmore"),
    ])
    path = tmp_path / "some_report.ipynb"
    nbformat.write(nb, path)
    assert planning.notebook_title(path) == "The pledge landscape"
    (tmp_path / "plain.ipynb").write_text("{}")
    assert planning.notebook_title(tmp_path / "plain.ipynb") == "Plain"
    assert planning.notebook_title(paths.NOTEBOOKS / "pledge_changes.ipynb") == (
        "What changed between two reports")


def test_a_cell_time_limit_goes_to_nbclient_in_whole_seconds():
    # nbclient's timeout is an integer trait: 0.3 used to fail every report with a TraitError
    assert [execution.whole_seconds(s) for s in (0.3, 1.0, 2.5, 60.0)] == [1, 1, 3, 60]
    assert execution.whole_seconds(None) is None
    assert all(type(execution.whole_seconds(s)) is int for s in (0.3, 60.0))


AS_OF = FIXTURES / "as_of.ipynb"


def test_an_empty_as_of_is_the_run_s_day_even_when_resumed_another_day(tmp_path):
    """Every report of a run is judged at the day the run started, a resumed one too: each
    kernel used to take its own today, so a run resumed the next day mixed two dates."""
    today = dt.datetime.now(dt.UTC).date().isoformat()
    done = _p2c("render", str(AS_OF), "-p", "fail_on", today, "--out", str(tmp_path))
    assert done.returncode != 0  # the report fails on the run's day (as planned)
    (run_dir,) = runs(tmp_path)
    m = manifest(run_dir)
    (entry,) = m["reports"]
    assert m["run_day"] == today and entry["status"] == "failed"
    assert "as_of" not in entry["parameters"] and entry["effective_parameters"]["as_of"] == today
    # the run started on another day: its resumed report is judged at that day, not today
    m["run_day"] = "2025-06-30"
    (run_dir / "manifest.json").write_text(json.dumps(m))
    done = _p2c("render", str(AS_OF), "-p", "fail_on", today, "--out", str(tmp_path),
                "--resume", run_dir.name)
    assert done.returncode == 0, done.stderr
    m = manifest(run_dir)
    (entry,) = m["reports"]
    assert entry["status"] == "ok" and m["run_day"] == "2025-06-30"
    assert (run_dir / "as_of" / "as_of.txt").read_text() == "2025-06-30"
    assert entry["effective_parameters"]["as_of"] == "2025-06-30"
    assert "as_of" not in entry["parameters"]
    # a given date is the report's own; an empty one given is today, as before
    done = _p2c("render", str(AS_OF), "-p", "as_of", "2024-05-01", "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    newest = runs(tmp_path)[-1]
    assert (newest / "as_of" / "as_of.txt").read_text() == "2024-05-01"
    assert manifest(newest)["reports"][0]["parameters"]["as_of"] == "2024-05-01"


def test_run_day_of_a_run_without_one_is_the_day_it_started(tmp_path):
    (tmp_path / "manifest.json").write_text(json.dumps({"started": "2025-02-03T10:00:00Z"}))
    assert runner._run_day(tmp_path) == "2025-02-03"
    (tmp_path / "manifest.json").write_text(json.dumps({"run_day": "2025-02-04",
                                                        "started": "2025-02-03T10:00:00Z"}))
    assert runner._run_day(tmp_path) == "2025-02-04"
    spec = planning.ReportSpec("a", AS_OF, {})
    eff = planning.effective_parameters(AS_OF, {})
    assert runner._fill_run_day(spec, eff, "2025-02-04").kernel_parameters() == \
        {"as_of": "2025-02-04"}
    given = planning.ReportSpec("a", AS_OF, {"as_of": "2024-01-01"})
    assert runner._fill_run_day(given, eff, "2025-02-04").filled == {}


def test_resume_by_path_stays_in_that_run_s_output_folder(tmp_path):
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    run_dir = out / "20250101T000000Z-abcdef"
    run_dir.mkdir(parents=True)
    (run_dir / "manifest.json").write_text(json.dumps({"run_id": run_dir.name, "reports": [
        {"name": "as_of", "parameters": {}, "status": "pending", "folder": None}]}))
    assert runner.resolve_run(out, run_dir.name) == run_dir.resolve()
    assert runner.resolve_run(out, str(run_dir)) == run_dir.resolve()
    with pytest.raises(planning.UsageError, match=r"not in the output folder .*give --out"):
        runner.resolve_run(elsewhere, str(run_dir))
    # through the command: a path with another --out is refused in one line, before writing
    done = _p2c("render", str(AS_OF), "--out", str(elsewhere), "--resume", str(run_dir))
    assert done.returncode == 2 and "not in the output folder" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and not elsewhere.exists()
    # without --out, the run's own output folder is used (and its latest link points there)
    done = _p2c("render", str(AS_OF), "--resume", str(run_dir))
    assert done.returncode == 0, done.stderr
    assert (run_dir / "as_of" / "as_of.txt").is_file()
    assert (out / "latest").resolve() == run_dir.resolve()


def test_a_notebook_named_twice_is_rendered_once():
    specs = planning.plan_render(["country_profile", "country_profile",
                                  str(paths.NOTEBOOKS / "country_profile.ipynb")], {})
    assert [s.name for s in specs] == ["country_profile"]
    specs = planning.plan_render([str(TABLE), str(EMPTY), str(TABLE)], {})
    assert [s.name for s in specs] == ["table", "empty"]


def test_over_values_may_hold_commas():
    """``--over country=...`` used to split ``Congo, Dem. Rep.`` into two unknown names."""
    assert planning.expand_values("country", "Congo, Dem. Rep.,KEN,Korea, Rep.,Congo") == \
        ["Congo, Dem. Rep.", "KEN", "Korea, Rep.", "Congo"]
    assert planning.expand_values("country", '"Congo, Dem. Rep.", KEN') == \
        ["Congo, Dem. Rep.", "KEN"]
    assert planning.expand_values("label", 'a,"b, c",d') == ["a", "b, c", "d"]
    ldc = planning.expand_values("country", "LDC")
    assert planning.expand_values("country", "LDC,Korea, Rep.") == [*ldc, "Korea, Rep."]
    names = [s.name for s in planning.plan_batch("country_profile", "country",
                                                 "Congo, Dem. Rep.,Korea, Rep.", {})]
    assert names == ["country_profile-COD", "country_profile-KOR"]
    with pytest.raises(ParameterError, match="'Dem. Rep'"):
        planning.plan_batch("country_profile", "country", "Dem. Rep,KEN", {})


def test_a_run_records_the_uncommitted_changes_of_its_checkout(tmp_path):
    def git(*args):
        subprocess.run(["git", "-c", "user.email=t@t", "-c", "user.name=t", *args], cwd=tmp_path,
                       check=True, capture_output=True)

    assert runner.git_changes(tmp_path) is None  # not a checkout
    git("init", "-q")
    (tmp_path / "p2c_analysis").mkdir()
    (tmp_path / "p2c_analysis" / "a.py").write_text("a")
    (tmp_path / "p2c_analysis" / "b.py").write_text("b")
    git("add", ".")
    git("commit", "-qm", "start")
    assert runner.git_changes(tmp_path) == []
    (tmp_path / "p2c_analysis" / "a.py").write_text("changed")
    (tmp_path / "p2c_analysis" / "new file.py").write_text("new")
    (tmp_path / "elsewhere.txt").write_text("not a source")
    git("mv", "p2c_analysis/b.py", "p2c_analysis/c.py")
    assert runner.git_changes(tmp_path) == ["p2c_analysis/a.py", "p2c_analysis/c.py",
                                            "p2c_analysis/new file.py"]
    # git status refreshes a stale index and takes .git/index.lock to write it: a run must
    # write nothing outside its output folder (a file touched but not changed is stale)
    git("add", ".")
    git("commit", "-qm", "more")
    index = tmp_path / ".git" / "index"
    before = index.stat().st_mtime_ns
    (tmp_path / "p2c_analysis" / "a.py").write_text("changed")
    os.utime(tmp_path / "p2c_analysis" / "a.py", ns=(before + 10**9, before + 10**9))
    assert runner.git_changes(tmp_path) == []
    assert index.stat().st_mtime_ns == before
    from p2c_analysis import frontpage

    assert frontpage._changes_text(["a", "b"]) == " with 2 uncommitted changes"
    assert frontpage._changes_text([]) == frontpage._changes_text(None) == ""


def test_a_notebook_without_a_language_runs_and_one_in_another_language_is_refused(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 6 * 7\nprint(x)")]
    plain = tmp_path / "plain.ipynb"
    nbformat.write(nb, plain)  # no kernelspec, no language_info: papermill used to fail on it
    done = _p2c("render", str(plain), "--out", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    nb.metadata["kernelspec"] = {"name": "ir", "display_name": "R", "language": "R"}
    other = tmp_path / "other.ipynb"
    nbformat.write(nb, other)
    with pytest.raises(planning.UsageError, match=r"is a notebook in 'r'; reports run in Python"):
        planning.resolve_notebook(other)


def test_resume_latest_is_the_newest_run_even_when_interrupted(tmp_path):
    """``out/latest`` moved only at the end of a run (a run killed outright still never gets
    it), and ``--resume latest`` rendered the new batch into the last finished run instead."""
    older, newer = "20260101T000000Z-aaaaaa", "20260102T000000Z-bbbbbb"
    for rid, state in ((older, "finished"), (newer, "interrupted")):
        (tmp_path / rid).mkdir()
        (tmp_path / rid / "manifest.json").write_text(json.dumps({"run_id": rid,
                                                                  "state": state}))
    runner.point_latest(tmp_path, older)
    assert runner.resolve_run(tmp_path, "latest") == tmp_path / newer
    assert runner.resolve_run(tmp_path, older) == (tmp_path / older).resolve()
    # a manifest that is not JSON is named in one line
    (tmp_path / newer / "manifest.json").write_text('{"run_id": ')
    with pytest.raises(planning.UsageError, match=r"manifest.json: not a valid run manifest"):
        runner.resolve_run(tmp_path, "latest")
    done = _p2c("render", str(AS_OF), "--out", str(tmp_path), "--resume", "latest")
    assert done.returncode == 2 and "not a valid run manifest" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_a_resumed_run_keeps_the_command_that_made_it(tmp_path):
    first = _p2c("render", str(AS_OF), "-p", "fail_on", "2026-12-03", "-p", "as_of",
                 "2026-12-03", "--out", str(tmp_path))
    (run_dir,) = runs(tmp_path)
    made = manifest(run_dir)["command"]
    assert made[:2] == ["p2c", "render"] and first.returncode != 0
    # the interrupted or failed report's partial folder, if any, is named by its entry
    (run_dir / "as_of.partial").mkdir()
    m = manifest(run_dir)
    m["reports"][0].update(status="interrupted", folder=None)
    shutil.rmtree(run_dir / "as_of.FAILED", ignore_errors=True)
    (run_dir / "manifest.json").write_text(json.dumps(m))
    from p2c_analysis import manifest as M

    assert M.reconcile(run_dir) == ["as_of"]
    assert manifest(run_dir)["reports"][0]["folder"] == "as_of.partial"
    shutil.rmtree(run_dir / "as_of.partial")
    done = _p2c("render", str(AS_OF), "-p", "fail_on", "2026-12-03", "-p", "as_of",
                "2026-12-04", "--out", str(tmp_path), "--resume", "latest")
    assert done.returncode == 2 and "has other parameters" in done.stderr  # as before
    done = _p2c("render", str(AS_OF), "-p", "fail_on", "2026-12-03", "-p", "as_of",
                "2026-12-03", "--out", str(tmp_path), "--resume", "latest", "--workers", "1")
    m = manifest(run_dir)
    assert m["command"] == made and "--resume" in m["resumed"][-1]["command"]


def test_parameters_without_annotations_take_the_type_of_their_default(tmp_path):
    """``flag = False`` with no annotation: papermill says its type is None, and ``-p flag no``
    reached the notebook as the (true) text "no"."""
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x = 1\nflag = False\nitems = [1, 2]\nr = 0.5\nnone = None")
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell]
    path = tmp_path / "untyped.ipynb"
    nbformat.write(nb, path)
    types = {k: v["inferred_type_name"] for k, v in planning.declared_parameters(path).items()}
    assert types == {"x": "int", "flag": "bool", "items": "list", "r": "float", "none": "None"}
    (spec,) = planning.plan_render([str(path)], {"x": "5", "flag": "no", "items": "[3]",
                                                 "r": "2"})
    assert spec.parameters == {"x": 5, "flag": False, "items": [3], "r": 2.0}
    with pytest.raises(ParameterError, match="'x': 'five' is not a whole number"):
        planning.plan_render([str(path)], {"x": "five"})


def test_the_summary_points_only_to_folders_that_exist(tmp_path):
    """A failed report's line names the folder left of it (``.FAILED``), and none when there
    is none (a report lost with its Dask worker: its files never came back)."""
    from p2c_analysis import cli

    (tmp_path / "kept.FAILED").mkdir()
    result = runner.RunResult("run", tmp_path, [
        {"name": "kept", "status": "failed", "folder": "kept.FAILED", "error": "boom"},
        {"name": "lost", "status": "failed", "folder": None,
         "error": "the worker rendering it died; render it again with --resume"},
    ])
    lines = cli.summary(result).splitlines()
    assert lines[0] == f"0 of 2 reports rendered into {tmp_path}"
    assert lines[1] == "  FAILED kept: boom  -> kept.FAILED/"
    assert lines[2] == ("  FAILED lost: the worker rendering it died; render it again with "
                        "--resume")


# --- QA of the runner: reserved names, resuming another plan, symlinks, damaged manifests ------
def _hand_made_run(out: Path, specs, **header) -> Path:
    """A run folder as an interrupted run leaves it: every planned report ``pending``."""
    run_dir = out / "20260101T000000Z-aaaaaa"
    (run_dir / "logs").mkdir(parents=True)
    entries = [{"name": s.name, "notebook": str(s.notebook), "parameters": s.parameters,
                "status": "pending", "folder": None} for s in specs]
    (run_dir / "manifest.json").write_text(json.dumps({
        "run_id": run_dir.name, "state": "interrupted", "reports": entries, **header}))
    return run_dir


def test_report_names_ending_like_the_runner_s_working_folders_get_a_suffix(tmp_path):
    """``b.FAILED`` is where report ``b`` goes when it fails, ``a.partial`` where ``a``
    renders: a report named so shared a folder with another (or aborted the run)."""
    specs = [planning.ReportSpec(n, EMPTY, {})
             for n in ("b", "b.FAILED", "a.partial", "C.Partial", "d.failed", "logs", "e")]
    assert [s.name for s in planning._unique_names(specs)] == [
        "b", "b.FAILED-2", "a.partial-2", "C.Partial-2", "d.failed-2", "logs-2", "e"]
    assert [s.name for s in planning.plan_batch(EMPTY, "label", "a,a.partial", None)] == [
        "empty-a", "empty-a.partial-2"]
    # through the command: two notebooks b and b.FAILED, each in its own folder
    for name in ("b", "b.FAILED"):
        shutil.copy(EMPTY, tmp_path / f"{name}.ipynb")
    done = _p2c("render", str(tmp_path / "b.ipynb"), str(tmp_path / "b.FAILED.ipynb"),
                "--out", str(tmp_path / "out"), "--workers", "2", "--no-progress")
    assert done.returncode == 0, done.stderr
    (run_dir,) = runs(tmp_path / "out")
    m = assert_manifest_matches_folders(run_dir)
    assert {e["name"]: e["status"] for e in m["reports"]} == {"b": "ok", "b.FAILED-2": "ok"}
    assert (run_dir / "b.FAILED-2" / "b.FAILED.ipynb").is_file()


def test_resume_refuses_reports_the_run_was_not_planned_with(capsys, tmp_path):
    """``--resume`` rendered any reports into any run: another notebook's batch into a
    ``render`` run, and the same grid with its ``--over`` reordered all over again."""
    grid = planning.plan_grid(EMPTY, [("label", "a,b"), ("year", "2020,2021")], None)
    run_dir = _hand_made_run(tmp_path, grid)
    before = {p.name: p.read_bytes() if p.is_file() else None for p in run_dir.iterdir()}
    common = ("--out", str(tmp_path), "--resume", "latest", "--cold", "--no-progress")
    err = _cli_error(capsys, "batch", str(EMPTY), "--over", "year=2020,2021",
                     "--over", "label=a,b", *common)
    assert err.startswith(f"p2c: error: --resume: report empty-2020-a is not in run "
                          f"{run_dir.name}")
    assert "without --resume" in err
    err = _cli_error(capsys, "batch", str(EMPTY), "--over", "label=KEN,NGA", *common)
    assert f"report empty-KEN is not in run {run_dir.name}" in err
    err = _cli_error(capsys, "render", str(TABLE), *common)
    assert f"report table is not in run {run_dir.name}" in err
    # nothing was written: not the manifest, not a folder
    assert {p.name: p.read_bytes() if p.is_file() else None for p in run_dir.iterdir()} == before
    # the reports it was planned with, or some of them, are what it may be resumed with
    specs = [s for s in grid if s.name == "empty-b-2021"]
    assert runner._check_resumable(run_dir, specs) is None


@pytest.mark.parametrize("entry", ["logs", ".kernels", "manifest.json", "index.html", "empty",
                                   "empty.partial", "empty.FAILED", "logs/empty.log"])
def test_resume_refuses_a_run_folder_holding_a_symlink(tmp_path, entry):
    """A symlink in a resumed run folder had files written through it, outside ``--out``."""
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o755)
    spec = planning.ReportSpec("empty", EMPTY.resolve(), {})
    run_dir = _hand_made_run(out, [spec])
    link = run_dir / entry
    if entry == "manifest.json":
        (elsewhere / "manifest.json").write_bytes(link.read_bytes())
        link.unlink()
        target = elsewhere / "manifest.json"
    elif entry == "logs":
        link.rmdir()
        target = elsewhere
    else:
        target = elsewhere
    link.symlink_to(target)
    inside_before = sorted(p.name for p in elsewhere.iterdir())
    with pytest.raises(planning.UsageError) as caught:
        runner.render([spec], out=out, resume="latest", cold=True, progress=False)
    message = str(caught.value)
    assert "\n" not in message and entry in message and "symbolic link" in message
    assert sorted(p.name for p in elsewhere.iterdir()) == inside_before
    assert elsewhere.stat().st_mode & 0o777 == 0o755


def test_front_page_of_an_interrupted_run_says_interrupted(tmp_path):
    from p2c_analysis import frontpage

    m = {"run_id": "r", "state": "interrupted", "started": "2026-01-01T00:00:00+00:00",
         "finished": "2026-01-01T00:01:00+00:00", "reports": []}
    meta = re.search(r'<p class="meta">(.*?)</p>', frontpage.render_index(tmp_path, m)).group(1)
    assert meta.startswith("Run r · interrupted · 0 of 0 rendered")
    assert "finished" not in meta and "ended 2026-01-01T00:01:00+00:00" in meta
    m["state"] = "finished"
    meta = re.search(r'<p class="meta">(.*?)</p>', frontpage.render_index(tmp_path, m)).group(1)
    assert meta.startswith("Run r · finished · ") and "finished 2026-01-01T00:01:00" in meta
    del m["finished"], m["state"]
    assert "Run r · in progress · " in frontpage.render_index(tmp_path, m)
    # a summary edited into something else is no summary (it was an AttributeError)
    for summary in ("x", {"headline": "abc"}, {"headline": ["x", {"label": "L", "value": 1}]}):
        m["reports"] = [{"name": "a", "status": "ok", "summary": summary}]
        assert '<article class="card ok" id="a">' in frontpage.render_index(tmp_path, m)
    assert "<dt>L</dt><dd>1</dd>" in frontpage.render_index(tmp_path, m)


def test_front_page_of_an_unfinished_run_says_how_to_finish_it(tmp_path):
    """An interrupted run's front page (what ``latest/index.html`` shows) said only
    "interrupted" in its header: not that reports are missing, which, nor how to finish it."""
    from p2c_analysis import frontpage

    m = {"run_id": "r1", "state": "interrupted",
         "command": ["p2c", "batch", "x y", "--resume", "old", "--resume=older", "--over", "a=1"],
         "reports": [{"name": "a", "status": "ok"}, {"name": "f", "status": "failed"},
                     {"name": "b", "status": "interrupted"}, {"name": "c", "status": "pending"}]}
    page = frontpage.render_index(tmp_path, m)
    assert "<title>Reports — run r1 (incomplete)</title>" in page
    assert re.search(r'<p class="banner">(.*?)</p>', page).group(1) == (
        "&#9888; Incomplete run: it was interrupted with 1 of 4 reports rendered and 1 failed; "
        "not rendered: b, c. Finish it (the rendered reports are kept) with "
        "<code>p2c batch &#x27;x y&#x27; --over a=1 --resume r1</code>")
    m["reports"] += [{"name": f"n{i}", "status": "interrupted"} for i in range(12)]
    assert "n7 and 4 more. Finish it" in frontpage.render_index(tmp_path, m)
    # while it runs (or after a kill -9, which nothing can write down): the same command
    m["state"] = "running"
    page = frontpage.render_index(tmp_path, m)
    assert "Incomplete" not in page and "(incomplete)" not in page
    assert re.search(r'<p class="progress">In progress: 1 of 16 reports rendered so far; .*'
                     r"If no p2c is rendering this run any more \(it was killed\), finish it "
                     r"with <code>p2c batch .* --resume r1</code></p>", page)
    m.update(state="finished", command=None)
    page = frontpage.render_index(tmp_path, m)
    assert 'class="banner"' not in page and 'class="progress"' not in page
    assert frontpage.resume_command(m, "r1") == ("the p2c render or p2c batch command that "
                                                 "made it, with --resume r1")


@pytest.mark.parametrize("content", [{"reports": "x"}, {"reports": [{"name": "empty"}, 5]},
                                     {"reports": {"name": "empty"}},
                                     {"reports": [{"name": ["empty"]}]},
                                     {"reports": [{"name": "empty", "folder": 5,
                                                   "status": "failed"}]},
                                     {"reports": [], "resumed": 5}])
def test_a_damaged_manifest_is_one_line_on_resume(capsys, tmp_path, content):
    spec = planning.ReportSpec("empty", EMPTY.resolve(), {})
    run_dir = _hand_made_run(tmp_path, [spec])
    (run_dir / "manifest.json").write_text(json.dumps(content))
    err = _cli_error(capsys, "render", str(EMPTY), "--out", str(tmp_path), "--resume", "latest",
                     "--cold", "--no-progress")
    assert err.startswith(f"p2c: error: --resume: {run_dir / 'manifest.json'}: not a valid run "
                          "manifest (")
    assert json.loads((run_dir / "manifest.json").read_text()) == content


def test_values_and_notebook_names_without_ascii_letters_get_a_hashed_label(tmp_path):
    """``--over label=日本,中国`` stopped the whole batch: no folder name could be made."""
    def label(value):
        ident = json.dumps(value, sort_keys=True, default=str)
        return f"label-{hashlib.sha256(ident.encode()).hexdigest()[:8]}"

    specs = planning.plan_batch(EMPTY, "label", "日本,中国,日本1,KEN", None)
    assert [s.name for s in specs] == [f"empty-{label('日本')}", f"empty-{label('中国')}",
                                       "empty-1", "empty-KEN"]  # names made today unchanged
    assert [s.parameters["label"] for s in specs] == ["日本", "中国", "日本1", "KEN"]
    grid = planning.plan_grid(EMPTY, [("year", "2020"), ("label", "日本")], None)
    assert [s.name for s in grid] == [f"empty-2020-{label('日本')}"]
    nb = tmp_path / "日本.ipynb"
    shutil.copy(EMPTY, nb)
    stem = f"notebook-{hashlib.sha256('日本'.encode()).hexdigest()[:8]}"
    assert [s.name for s in planning.plan_render([str(nb), str(EMPTY)], {})] == [stem, "empty"]
    assert [s.name for s in planning.plan_batch(nb, "label", "KEN", None)] == [f"{stem}-KEN"]


def test_over_refuses_a_double_quote_left_open():
    """``--over allocation=equal,"population`` rendered both variants, and ``--over
    'country="Congo, Dem. Rep.,KEN'`` looked for one country of that whole name: a quote left
    open read on to the end without a word. It is refused; quotes that close still read."""
    for text in ('equal,"population', '"Congo, Dem. Rep.,KEN', 'a,"b"",c'):
        with pytest.raises(runner.UsageError, match="^--over label=: a double quote is not "
                                                    "closed"):
            planning.expand_values("label", text)
    assert planning.expand_values("label", '"a, b" ,c,d"e') == ["a, b", "c", 'd"e']


def test_over_refuses_an_empty_value_unless_written_quoted():
    """``--over as_of=,2024-01-01`` rendered one report: the empty value was dropped without
    a word. A stray comma is refused, naming the value; ``""`` is an empty value on purpose
    (for ``as_of``: the run day)."""
    for text, where in ((",2024-01-01", "value 1 of 2"), ("KEN,,UGA", "value 2 of 3"),
                        ("KEN, ", "value 2 of 2")):
        with pytest.raises(runner.UsageError, match=f"^--over as_of=: {where} is empty"):
            planning.expand_values("as_of", text)
    assert planning.expand_values("as_of", '"", 2024-01-01') == ["", "2024-01-01"]
    assert planning.expand_values("label", 'a,"",b') == ["a", "", "b"]
    specs = planning.plan_batch("country_profile", "as_of", '"",2024-01-01', {"country": "KEN"})
    assert [s.name for s in specs] == ["country_profile-default", "country_profile-2024-01-01"]
    assert "as_of" not in specs[0].parameters  # left to the run's day
    assert specs[1].parameters["as_of"] == "2024-01-01"


def test_a_run_still_rendering_is_not_resumed_by_another_p2c(capsys, tmp_path):
    """A second ``--resume`` of a run still rendering deleted the first one's ``.partial``
    folder and rendered the report again: the first then failed it and said 2 of 2 rendered.
    The rendering process holds the run's lock; another is refused before changing anything."""
    specs = planning.plan_batch(EMPTY, "label", "a,b", None)
    run_dir = _hand_made_run(tmp_path, specs)
    (run_dir / "empty-a.partial").mkdir()
    held = runner._lock_run(run_dir)  # as the process rendering it holds it
    try:
        err = _cli_error(capsys, "batch", str(EMPTY), "--over", "label=a,b", "--out",
                         str(tmp_path), "--resume", "latest", "--cold", "--no-progress")
        assert err == (f"p2c: error: --resume: run {run_dir.name} is still running in another "
                       "p2c; wait for it to end (or stop it) and resume it then\n")
        assert (run_dir / "empty-a.partial").is_dir()  # its work in progress is untouched
    finally:
        os.close(held)
    assert cli.main(["batch", str(EMPTY), "--over", "label=a,b", "--out", str(tmp_path),
                     "--resume", "latest", "--cold", "--no-progress"]) == 0
    assert_manifest_matches_folders(run_dir)


def test_resume_refuses_another_notebook_of_the_same_name(capsys, tmp_path):
    """A notebook elsewhere with the same file name (so the same report names) was rendered
    into the run beside the reports of the first one."""
    specs = planning.plan_batch(EMPTY, "label", "a,b", None)
    run_dir = _hand_made_run(tmp_path, specs)
    other = tmp_path / "elsewhere" / "empty.ipynb"
    other.parent.mkdir()
    shutil.copy(EMPTY, other)
    err = _cli_error(capsys, "batch", str(other), "--over", "label=a,b", "--out",
                     str(tmp_path), "--resume", "latest", "--cold", "--no-progress")
    assert f"report empty-a in run {run_dir.name} was planned with the notebook" in err


def test_a_resume_keeps_the_run_s_own_record_and_its_unfinished_state(tmp_path):
    """A resume rewrote the run's versions, commit, kernels and workers with its own (the
    reports kept were made with the first), and a resume of some reports only marked the run
    finished while others were still pending."""
    specs = planning.plan_batch(EMPTY, "label", "a,b", None)
    run_dir = _hand_made_run(tmp_path, specs, kernels="warm", workers=2,
                             git_commit="abc123", versions={"pandas": "0.0"})
    done = _p2c("batch", str(EMPTY), "--over", "label=a", "--out", str(tmp_path), "--resume",
                "latest", "--cold", "--workers", "1", "--no-progress")
    assert done.returncode == 0, done.stderr
    m = manifest(run_dir)
    assert (m["kernels"], m["workers"], m["git_commit"], m["versions"]) == (
        "warm", 2, "abc123", {"pandas": "0.0"})
    last = m["resumed"][-1]
    assert last["kernels"] == "cold" and last["workers"] == 1 and "pandas" in last["versions"]
    assert m["state"] == "interrupted"  # empty-b is still pending
    done = _p2c("batch", str(EMPTY), "--over", "label=a,b", "--out", str(tmp_path),
                "--resume", "latest", "--cold", "--no-progress")
    assert done.returncode == 0 and manifest(run_dir)["state"] == "finished"


def test_latest_is_not_put_over_a_file_of_the_user(tmp_path):
    """A ``latest`` file of the user's in ``--out`` was replaced by the link (its content
    gone)."""
    (tmp_path / "latest").write_text("my notes")
    done = _p2c("render", str(EMPTY), "--out", str(tmp_path), "--cold", "--no-progress")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "latest").read_text() == "my notes"
    assert "latest is not a link p2c made; left as it is" in done.stderr


def test_over_country_reads_a_country_before_a_region_of_the_same_name():
    """``--over country=Micronesia`` rendered the 8 economies of the UN subregion, while
    ``-p country Micronesia`` is the Federated States."""
    assert planning.expand_values("country", "Micronesia,KEN") == ["Micronesia", "KEN"]
    assert len(planning.expand_values("country", "LDC")) > 40  # groups are still groups


@pytest.mark.parametrize("name", ["Congo", "Korea", "Micronesia"])
def test_a_country_parameter_that_may_mean_another_economy_is_noted_once(name, capsys):
    """``-p country Congo`` rendered the Republic of the Congo without a word (only
    ``Micronesia`` was noted, and only in ``--over``). Every name of
    ambiguous_country_names.csv gets the loader's one-line note, with ``-p`` and ``--over``;
    a name that says which economy gets none."""
    entry = countries.ambiguous_reading(name)
    line = (f"p2c: note: {name!r} (parameter country) read as {entry.read_as} ({entry.iso3}), "
            f"not {entry.alternative}: if that was meant, {entry.if_meant}\n")
    capsys.readouterr()
    specs = planning.plan_render(["country_profile"], {"country": name})
    assert countries.resolve(specs[0].parameters["country"]) == entry.iso3
    assert capsys.readouterr().err == line
    planning.plan_batch("country_profile", "country", f"{name},KEN", {})
    assert capsys.readouterr().err == line
    planning.plan_render(["country_profile"], {"country": entry.iso3})
    planning.plan_batch("country_profile", "country", "DR Congo,DPR Korea", {})
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("name", sorted(pd.read_csv(countries.AMBIGUOUS_NAMES).name))
def test_a_runner_rendered_report_says_under_its_title_how_a_country_name_was_read(name):
    """``p2c render country_profile -p country Korea`` noted the reading on the terminal, but
    the kernel got ``KOR``, shown as "Republic of Korea", and the profile had no note under
    its title (``Congo`` had one only because COG is shown as "Congo"). The kernel now gets
    the name as written, so every name of ambiguous_country_names.csv is noted in the header
    as in JupyterLab; the same country by code or as written is one report, in a folder
    named by its ISO3 code."""
    entry = countries.ambiguous_reading(name)
    for specs in (planning.plan_render(["country_profile"], {"country": f" {name} "}),
                  planning.plan_batch("country_profile", "country", f"{name},{entry.iso3}", {})):
        (spec,) = specs
        given = spec.kernel_parameters()["country"]
        assert countries.resolve(given) == entry.iso3
        assert report.country_reading(given, entry.iso3) == entry.note(name)
    assert spec.name == f"country_profile-{entry.iso3}"
    (spec,) = planning.plan_render(["country_profile"], {"country": entry.iso3.lower()})
    assert spec.parameters["country"] == entry.iso3  # a code stays the code


def test_over_country_with_a_region_read_one_way_of_several_says_so(capsys):
    """``--over country=Africa`` rendered ITU-D Africa (no Egypt, Sudan or Somalia) without a
    word; it still does, with the loader's note (``region_aliases.csv``: read_as)."""
    capsys.readouterr()
    members = planning.expand_values("country", "Africa")
    assert "NGA" in members and not {"EGY", "SDN"} & set(members)
    assert capsys.readouterr().err == (
        "p2c: note: " + countries.ambiguous_region_reading("Africa").note(
            "Africa", " (--over country)") + "\n")
    planning.expand_values("country", "UN Africa,Pacific Islands")
    assert capsys.readouterr().err == ""


def test_parameters_papermill_does_not_read_are_listed_and_set(tmp_path):
    """``a: int | None = None`` and ``c: typing.Optional[int] = None`` were neither listed by
    ``p2c params`` nor accepted by ``-p`` ("is not a parameter"): papermill's pattern reads no
    annotation with ``|`` or a dot."""
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("import typing\na: int | None = None  # a count\n"
                                     "c: typing.Optional[int] = None\nb: int = 3\n")
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell]
    path = tmp_path / "ann.ipynb"
    nbformat.write(nb, path)
    declared = planning.declared_parameters(path)
    assert list(declared) == ["a", "c", "b"]
    assert declared["a"]["inferred_type_name"] == "int | None"
    assert declared["a"]["help"] == "a count"
    assert planning.prepare_parameters(path, {"a": "5", "c": "None"}) == {"a": 5, "c": None}


def test_a_parameter_given_twice_with_p_is_refused(capsys, tmp_path):
    """``-p name first -p name second`` kept the second without a word (a YAML file with a
    key twice is refused)."""
    err = _cli_error(capsys, "render", str(EMPTY), "-p", "year", "2020", "-p", "year", "2021",
                     "--out", str(tmp_path))
    assert err == "p2c: error: -p year is given twice; give it once\n"


def test_the_injected_parameters_cell_has_the_same_id_in_every_run(render_run, batch_run):
    # papermill gives the cell it injects a random id: the same report rendered twice gave
    # different notebooks and HTML (reproducible runs give the same bytes but for the times)
    notebooks = [render_run[1] / "table" / "table.ipynb",
                 *sorted(batch_run[1].glob("table*/table.ipynb"))]
    assert len(notebooks) == 3
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
        assert [c.id for c in injected] == [execution.INJECTED_CELL_ID], path
        html = path.with_suffix(".html").read_text(encoding="utf-8")
        assert f'id="cell-id={execution.INJECTED_CELL_ID}"' in html


def test_a_fixed_injected_cell_id_leaves_ids_unique() -> None:
    import papermill.parameterize as pz

    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("y = 2", metadata={"tags": []})])
    nb.cells[1].id = execution.INJECTED_CELL_ID  # a notebook's own cell already has it
    nb.metadata["kernelspec"] = {"name": "python3", "language": "python"}
    nb.metadata["papermill"] = {}
    done = pz.parameterize_notebook(nb, {"x": 3})
    execution.fix_injected_cell_id(done)
    ids = [c.id for c in done.cells]
    assert len(set(ids)) == len(ids) and ids.count(execution.INJECTED_CELL_ID) == 1


def _set_entries(run_dir: Path, **changes: dict) -> None:
    """Change the hand-made run's entries (``name=fields``)."""
    m = manifest(run_dir)
    for e in m["reports"]:
        e.update(changes.get(e["name"].replace("-", "_"), {}))
    (run_dir / "manifest.json").write_text(json.dumps(m))


def test_a_resume_after_the_whole_run_was_killed_renders_its_running_report_afresh(capsys,
                                                                                   tmp_path):
    """``kill -9`` of the command and its workers left the report being rendered ``running``,
    its folder null beside its ``.partial`` one: a resume of other reports kept it so, in a run
    then said to be interrupted (its card "running"), and a resume that rendered it again kept
    the note and fields of the attempt before."""
    specs = planning.plan_batch(EMPTY, "label", "a,b,c", None)
    run_dir = _hand_made_run(tmp_path, specs, state="running")
    (run_dir / "empty-a").mkdir()
    (run_dir / "empty-b.partial").mkdir()
    (run_dir / "empty-b.partial" / "empty.ipynb").write_text("{}")
    _set_entries(run_dir, empty_a={"status": "ok", "folder": "empty-a"},
                 empty_b={"status": "running", "folder": None, "worker_pid": 1,
                          "note": "entry recovered from the folder", "storage_error": "x"})
    resume = ["--out", str(tmp_path), "--resume", run_dir.name, "--cold", "--no-progress"]
    assert cli.main(["batch", str(EMPTY), "--over", "label=c", *resume]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == (
        f"  run {run_dir.name} still lacks 1 other report: resume it with all its reports")
    m = assert_manifest_matches_folders(run_dir)
    entries = {e["name"]: e for e in m["reports"]}
    assert (entries["empty-b"]["status"], entries["empty-b"]["folder"]) == (
        "interrupted", "empty-b.partial")
    assert m["state"] == "interrupted"
    assert "not rendered: empty-b. Finish it" in (run_dir / "index.html").read_text()
    # all of it: the report is rendered afresh, and nothing is written outside the run
    before = sorted(p.name for p in tmp_path.iterdir())
    assert cli.main(["batch", str(EMPTY), "--over", "label=a,b,c", *resume]) == 0
    m = assert_manifest_matches_folders(run_dir)
    b = next(e for e in m["reports"] if e["name"] == "empty-b")
    assert (b["status"], b["folder"]) == ("ok", "empty-b") and b["worker_pid"] != 1
    assert "note" not in b and "storage_error" not in b, b
    assert not (run_dir / "empty-b.partial").exists() and m["state"] == "finished"
    front = (run_dir / "index.html").read_text()
    assert "Incomplete" not in front and "In progress" not in front and "3 of 3 rendered" in front
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted({*before, "latest"})


def test_a_second_resume_of_a_finished_run_says_so_in_one_line_and_changes_nothing(capsys,
                                                                                   tmp_path):
    """It said "2 of 2 reports rendered into ... (2 already rendered, kept)" over two lines,
    and wrote the run again: a new ``resumed`` item, a new end time, its front page."""
    specs = planning.plan_batch(EMPTY, "label", "a,b", None)
    run_dir = _hand_made_run(tmp_path, specs, state="finished")
    for s in specs:
        (run_dir / s.name).mkdir()
    _set_entries(run_dir, empty_a={"status": "ok", "folder": "empty-a"},
                 empty_b={"status": "ok", "folder": "empty-b"})
    (run_dir / "index.html").write_text("the front page")
    (run_dir / runner.RUN_LOCK).touch()  # as the run left it

    def state() -> dict:
        return {p: (p.stat().st_mtime_ns, p.read_bytes() if p.is_file() else None)
                for p in tmp_path.rglob("*")}

    before = state()
    resume = ["--out", str(tmp_path), "--resume", "latest", "--cold", "--no-progress"]
    assert cli.main(["batch", str(EMPTY), "--over", "label=a,b", *resume]) == 0
    said = capsys.readouterr()
    assert said.out == (f"nothing to do: run {run_dir.name} is already complete (2 of 2 "
                        f"reports rendered, front page {run_dir / 'index.html'}); nothing was "
                        "changed\n")
    assert said.err == "" and state() == before
    # some reports only, all rendered, while the run lacks others: named, nothing changed
    m = manifest(run_dir)
    m["reports"].append({"name": "empty-c", "notebook": str(EMPTY), "parameters": {"label": "c"},
                         "status": "pending", "folder": None})
    m["state"] = "interrupted"
    (run_dir / "manifest.json").write_text(json.dumps(m))
    before = state()
    assert cli.main(["batch", str(EMPTY), "--over", "label=a", *resume]) == 0
    said = capsys.readouterr()
    assert said.out == (f"nothing to do: the 1 report given is already rendered in run "
                        f"{run_dir.name}; it still lacks 1 other report (resume it with all its "
                        "reports to render them); nothing was changed\n")
    assert state() == before


def test_a_cell_timeout_names_the_cell_that_was_running(tmp_path):
    """The README promises that a failed report names its failing cell; a timeout gave
    ``failed_cell: null`` and a summary line with no cell (nbclient's error names none)."""
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('output_dir = ""')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell("x = 1"),
                nbformat.v4.new_code_cell("# waits\nimport time\ntime.sleep(30)")]
    path = tmp_path / "slow.ipynb"
    nbformat.write(nb, path)
    done = _p2c("render", str(path), "--timeout", "1", "--out", str(tmp_path / "out"))
    assert done.returncode != 0
    (entry,) = manifest(runs(tmp_path / "out")[0])["reports"]
    assert entry["status"] == "failed" and entry["error"].startswith("CellTimeoutError")
    # cell 3: the injected parameters are cell 1
    assert entry["failed_cell"] == {"index": 3, "execution_count": 4,
                                    "source_first_line": "import time", "line": None}
    assert "FAILED slow in cell 3 (In [4]) `import time`: CellTimeoutError" in done.stderr + \
        done.stdout
    assert execution.running_cell(None) is None


def test_a_kernel_that_dies_before_its_first_reply_is_started_once_more():
    """A kernel's ports are chosen free before it binds them; another process took one in
    between ("Address already in use" in the kernel's log) and the report failed with "Kernel
    died before replying to kernel_info", no cell begun. It gets one new kernel; a cell begun,
    another error, or a second death is raised as before."""
    calls = []

    def dies_once() -> str:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError(execution.KERNEL_DIED_AT_START)
        return "nb"

    execution._current.nb_man = None
    assert execution.start_once_more(dies_once) == "nb" and len(calls) == 2

    def always_dies() -> str:
        calls.append(1)
        raise RuntimeError(execution.KERNEL_DIED_AT_START)

    calls.clear()
    with pytest.raises(RuntimeError, match="Kernel died"):
        execution.start_once_more(always_dies)
    assert len(calls) == 2

    def other() -> str:
        calls.append(1)
        raise RuntimeError("something else")

    calls.clear()
    with pytest.raises(RuntimeError, match="something else"):
        execution.start_once_more(other)
    assert len(calls) == 1

    class _Man:  # a cell had begun: the report has run part of its work, it fails as it is
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])

    _Man.nb.cells[0].metadata["papermill"] = {"start_time": "2026-12-04T10:00:00"}
    execution._current.nb_man = _Man()
    calls.clear()
    try:
        with pytest.raises(RuntimeError, match="Kernel died"):
            execution.start_once_more(dies_once)
        assert len(calls) == 1
    finally:
        execution._current.nb_man = None


def test_front_page_of_a_run_that_rendered_nothing_links_the_last_results(tmp_path):
    """A run whose every report failed is ``latest`` (what a reviewer opens first); its page
    links the newest earlier run that rendered a report, skipping runs that rendered none, and
    says so when there is none. It said "all 1 reports"."""
    import json

    from p2c_analysis import frontpage

    def run(run_id: str, *statuses: str) -> Path:
        folder = tmp_path / run_id
        folder.mkdir()
        m = {"run_id": run_id, "state": "finished", "command": ["p2c", "render", "nb.ipynb"],
             "reports": [{"name": f"r{i}", "status": s} for i, s in enumerate(statuses)]}
        (folder / "manifest.json").write_text(json.dumps(m), encoding="utf-8")
        return folder

    def banner(folder: Path) -> str:
        page = frontpage.render_index(folder)
        return re.search(r'<p class="banner">(.*?)</p>', page).group(1)

    first = run("20260101T000000Z-aaaaaa", "failed")
    assert banner(first).endswith("No earlier run in this folder rendered a report.")
    assert "its one report failed (the card below says where)" in banner(first)
    good = run("20260102T000000Z-bbbbbb", "ok", "failed")
    run("20260103T000000Z-cccccc", "failed", "failed")
    later = run("20260105T000000Z-eeeeee", "ok")  # started after: not an earlier run
    (tmp_path / "20260104T000000Z-dddddd").mkdir()  # no manifest: not a run
    current = run("20260104T120000Z-ffffff", "failed", "failed")
    text = banner(current)
    assert "all 2 reports of this run failed (the cards below say where)" in text
    assert text.endswith(f'The newest earlier run with rendered reports is <a href="../'
                         f'{good.name}/index.html">{good.name}</a>.')
    assert later.name not in text
    assert not re.search(r'class="banner"', frontpage.render_index(good))  # it rendered one


def test_a_run_records_the_versions_of_every_declared_dependency():
    """The manifest recorded pandas, numpy, matplotlib and the notebook machinery, not
    pyarrow, openpyxl, pandera, rapidfuzz or charset-normalizer, which shape the tables too.
    Every dependency the package declares is recorded now; extras (pytest...) are not."""
    versions = runner.environment_versions()
    declared = runner.declared_dependencies()
    assert {"pandas", "pyarrow", "openpyxl", "pandera", "rapidfuzz", "charset-normalizer",
            "pyyaml"} <= set(declared)
    assert "pytest" not in declared and "distributed" not in declared
    for dist in (*declared, "p2c-analysis", "nbclient"):
        assert versions[dist] == version(dist)
    assert runner.declared_dependencies("no-such-distribution") == []


def test_terminal_text_drops_what_would_reorder_or_colour_a_line():
    """A failed report's error line quoted a pledge title with a right-to-left override,
    which reversed the rest of the 'FAILED ...' line in the user's terminal: only control
    characters and colour codes were taken out."""
    from p2c_analysis.execution import first_line, terminal_text

    assert terminal_text("ValueError: '\u202eevil\u202c' ok") == "ValueError: 'evil' ok"
    assert terminal_text("\x1b[31mred\x1b[0m\r\nnext") == "red\nnext"
    assert terminal_text("a\u00a0b\tc\u2066d\u2069") == "a b\tcd"
    assert terminal_text("naïve — 日本 😀") == "naïve — 日本 😀"
    assert first_line("\n  \u200bKeyError: 'x'\n") == "KeyError: 'x'"
