"""The report runner and the ``p2c render|batch|params`` command.

Kernel starts are slow, so the whole file renders six tiny fixture notebooks in all: one
``p2c render`` run of three (one fails on purpose), one ``p2c batch`` of two into the same output
root, and one report executed directly with a value the runner would have refused.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import nbformat
import pytest
from html_resources import external_resources

from p2c_analysis import cli, countries, execution, paths, planning, runner
from p2c_analysis.params import ParameterError

FIXTURES = Path(__file__).parent / "fixtures" / "notebooks"
TABLE = FIXTURES / "table.ipynb"
FAILING = FIXTURES / "failing.ipynb"
EMPTY = FIXTURES / "empty.ipynb"
TCP_WARNING = "Kernel is running over TCP without encryption"


def _p2c(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the ``p2c`` command as a user would (new process, real terminal streams)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONWARNINGS"}  # no Makefile help
    return subprocess.run(
        [sys.executable, "-m", "p2c_analysis.cli", *args],
        capture_output=True, text=True, cwd=cwd or paths.ROOT, env=env, timeout=300,
    )


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _runs(out: Path) -> list[Path]:
    return sorted(p for p in out.iterdir() if p.is_dir() and not p.is_symlink())


# --- rendered runs (module-scoped: each costs kernel starts) ---------------------------------
@pytest.fixture(scope="module")
def out_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("reports")


@pytest.fixture(scope="module")
def render_run(out_root):
    """``p2c render table failing empty -p year 2023``: two succeed, ``failing`` fails."""
    done = _p2c("render", str(TABLE), str(FAILING), str(EMPTY), "-p", "year", "2023",
                "--out", str(out_root), "--workers", "2")
    (run_dir,) = _runs(out_root)
    manifest = json.loads((run_dir / "manifest.json").read_text())
    return done, run_dir, manifest


@pytest.fixture(scope="module")
def batch_run(render_run, out_root):
    """``p2c batch table --over label=../../escape,fine`` into the same root, after render_run."""
    done = _p2c("batch", str(TABLE), "--over", "label=../../escape,fine",
                "--out", str(out_root), "--workers", "2", "--no-progress")
    run_dir = _runs(out_root)[-1]
    return done, run_dir


def test_failing_report_does_not_stop_the_others(render_run):
    done, run_dir, manifest = render_run
    assert done.returncode == 1
    status = {r["name"]: r["status"] for r in manifest["reports"]}
    assert status == {"table": "ok", "failing": "failed", "empty": "ok"}
    # the summary lists the failure with its cell and error
    line = next(ln for ln in done.stdout.splitlines() if "FAILED failing" in ln)
    # cells: markdown 0, parameters 1, injected parameters 2, `numerator = 1` 3, division 4
    assert "cell 4 (In [4])" in line
    assert "ZeroDivisionError: division by zero" in line
    assert "2 of 3 reports rendered" in done.stdout


def test_terminal_is_clean(render_run, batch_run):
    for done in (render_run[0], batch_run[0]):
        assert TCP_WARNING not in done.stderr
        assert "Traceback" not in done.stderr
        assert "WARNING" not in done.stderr
    for log in render_run[1].glob("logs/*.log"):
        assert TCP_WARNING not in log.read_text()  # prevented (CurveZMQ), not just hidden


def test_failed_report_folder_keeps_notebook_with_error_banner(render_run):
    _, run_dir, manifest = render_run
    names = {p.name for p in run_dir.iterdir()}
    assert names == {"table", "empty", "failing.FAILED", "logs", "manifest.json", "index.html"}
    nb = nbformat.read(run_dir / "failing.FAILED" / "failing.ipynb", as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "An Exception was encountered at" in text
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert [e.ename for e in errors] == ["ZeroDivisionError"]
    assert not list((run_dir / "failing.FAILED").glob("*.html"))
    entry = next(r for r in manifest["reports"] if r["name"] == "failing")
    assert entry["failed_cell"]["index"] == 4
    assert entry["failed_cell"]["source_first_line"].startswith("ratio = numerator / divisor")
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
    assert m["summary"] == {"reports": 3, "ok": 2, "failed": 1}


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


def test_latest_points_to_newest_run(render_run, batch_run, out_root):
    first, second = render_run[1], batch_run[1]
    assert first.name < second.name  # run ids sort in time order
    latest = out_root / "latest"
    assert latest.is_symlink() and latest.resolve() == second.resolve()


def test_batch_names_are_sanitised_and_stay_inside_out(batch_run, out_root, tmp_path_factory):
    done, run_dir = batch_run
    assert done.returncode == 0, done.stderr
    assert {p.name for p in run_dir.iterdir()} == {
        "table-escape", "table-fine", "logs", "manifest.json", "index.html"
    }
    # nothing escaped the output root: its parent holds only what pytest made
    assert sorted(p.name for p in out_root.iterdir()) == sorted(
        [render_run_dir.name for render_run_dir in _runs(out_root)] + ["latest"]
    )
    assert not (out_root.parent / "escape").exists()
    assert not (out_root.parent.parent / "escape").exists()
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert [r["parameters"] for r in manifest["reports"]] == [
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
    assert "parameter 'colour': 'red' is not a parameter of empty" in err
    declares = "declares: year, country, allocation, label"
    with pytest.raises(ParameterError, match=f"'colour'.*{declares}"):
        planning.prepare_parameters(EMPTY, {"colour": "red"})


def test_output_dir_is_the_runners(capsys, tmp_path):
    err = _cli_error(capsys, "render", str(EMPTY), "-p", "output_dir", "/etc",
                     "--out", str(tmp_path))
    assert "parameter 'output_dir'" in err and "set by the runner" in err


def test_usage_errors_are_one_line(capsys):
    assert "--over expects NAME=VALUES" in _cli_error(capsys, "batch", str(EMPTY), "--over", "x")
    assert "no report notebook 'nope'" in _cli_error(capsys, "render", "nope")
    assert "--workers must be at least 1" in _cli_error(capsys, "render", "--workers", "0")
    assert "unrecognized arguments" in _cli_error(capsys, "params", str(EMPTY), "--bogus")


def test_parameters_file_and_p_override(tmp_path):
    yml = tmp_path / "p.yaml"
    yml.write_text("year: 2019\nlabel: from-file\nallocation: population\n")
    args = cli.build_parser().parse_args(
        ["render", str(EMPTY), "-f", str(yml), "-p", "year", "2021"]
    )
    given = cli._given_parameters(args)
    (spec,) = planning.plan_render([EMPTY], given)
    assert spec.parameters == {"year": 2021, "label": "from-file", "allocation": "population"}


def test_batch_over_group_is_its_members_today():
    specs = planning.plan_batch(EMPTY, "country", "LDC", {"year": "2020"})
    ldc = countries.members("LDC")
    assert [s.name for s in specs] == [f"empty-{iso}" for iso in ldc]
    assert all(s.parameters == {"year": 2020, "country": iso} for s, iso in zip(specs, ldc,
                                                                                strict=True))


def test_batch_values_are_normalised_and_deduplicated():
    specs = planning.plan_batch(EMPTY, "country", "Kenya, KEN ,Ghana", None)
    assert [s.name for s in specs] == ["empty-KEN", "empty-GHA"]
    with pytest.raises(planning.UsageError, match="both"):
        planning.plan_batch(EMPTY, "country", "KEN", {"country": "GHA"})


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
