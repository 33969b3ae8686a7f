"""The ``p2c`` command line: options refused in one line before anything is read or written."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from p2c_analysis import cli

FIX = Path(__file__).parent / "fixtures" / "pledges"


def _cli_error(capsys, *args: str) -> str:
    code = cli.main(list(args))
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err
    return err


def test_check_pledges_never_writes_over_its_input_through_a_link(tmp_path: Path, capsys):
    """``--out`` a hard link to the input (same inode, another name) overwrote the input: the
    check compared resolved names. A hard or symbolic link to the input (or the mapping) as
    ``--out`` or ``--quarantine``, and two outputs that are one file, are refused in one line
    naming the option; nothing is written."""
    src = tmp_path / "in.csv"
    original = (FIX / "pipe.csv").read_bytes()
    src.write_bytes(original)
    os.link(src, tmp_path / "hard.csv")
    (tmp_path / "sym.csv").symlink_to(src)
    mapping = tmp_path / "m.toml"
    mapping.write_text("", encoding="utf-8")
    os.link(mapping, tmp_path / "m-hard.toml")
    for option, target, what in (("--out", "hard.csv", "the input file"),
                                 ("--quarantine", "hard.csv", "the input file"),
                                 ("--quarantine", "sym.csv", "the input file"),
                                 ("--out", "m-hard.toml", "the --mapping file")):
        err = _cli_error(capsys, "check-pledges", str(src), "--mapping", str(mapping),
                         option, str(tmp_path / target))
        assert err.startswith(f"p2c: error: {option} {tmp_path / target}: is {what} "), err
    assert src.read_bytes() == original and mapping.read_text(encoding="utf-8") == ""
    (tmp_path / "q.csv").write_text("keep", encoding="utf-8")
    os.link(tmp_path / "q.csv", tmp_path / "q2.csv")
    err = _cli_error(capsys, "check-pledges", str(src), "--out", str(tmp_path / "q.csv"),
                     "--quarantine", str(tmp_path / "q2.csv"))
    assert err.startswith(f"p2c: error: --quarantine {tmp_path / 'q2.csv'}: is the same file "
                          f"as --out {tmp_path / 'q.csv'}"), err
    assert (tmp_path / "q.csv").read_text(encoding="utf-8") == "keep"
    # other files are written as before
    assert cli.main(["check-pledges", str(src), "--out", str(tmp_path / "o.csv"),
                     "--quarantine", str(tmp_path / "x.csv")]) == 0
    assert (tmp_path / "o.csv").is_file() and src.read_bytes() == original



def test_workers_beyond_what_the_machine_takes_are_refused(tmp_path: Path, capsys,
                                                            monkeypatch):
    """``--workers 100000`` was taken (one worker, with its own kernel, per report of the
    run); now at most ``MAX_WORKERS_PER_CPU`` per CPU, the cap named in the one line, before
    anything is written."""
    from p2c_analysis import runner

    monkeypatch.setattr(runner, "available_cpus", lambda: 2)
    most = 2 * cli.MAX_WORKERS_PER_CPU
    for command in (["render", "country_profile"],
                    ["batch", "country_profile", "--over", "country=KEN,UGA"]):
        err = _cli_error(capsys, *command, "--cold", "--out", str(tmp_path / "runs"),
                         "--workers", "100000")
        assert err == (f"p2c: error: --workers 100,000: more than {most}, the most this "
                       f"machine takes ({cli.MAX_WORKERS_PER_CPU} per CPU, 2 CPUs); each "
                       "worker renders in a kernel of its own\n")
        assert f"--workers {most + 1}: more than {most}," in _cli_error(
            capsys, *command, "--cold", "--out", str(tmp_path / "runs"), "--workers",
            str(most + 1))
    assert not (tmp_path / "runs").exists()
    cli._check_workers(most, 2)  # the cap itself is taken
    cli._check_workers(None, 2)
    assert "--workers must be at least 1" in _cli_error(capsys, "render", "--workers", "0")


def test_a_package_folder_under_another_case_is_still_the_package_folder(tmp_path: Path,
                                                                         monkeypatch):
    """The "package folders are never written" check compared names as written: on a
    case-insensitive file system ``--out Data/raw`` is the package's ``data/raw``. Names are
    now compared as the system compares them (``os.path.normcase``: Windows) and, where the
    place exists, as folders of the file system (device and inode: macOS, whose normcase
    changes nothing and whose ``resolve`` keeps the case given)."""
    from p2c_analysis import paths, planning

    root = paths.DATA.parent
    variant = root / "Data" / "raw" / "x.csv"
    planning.check_outside_package(variant, "--out")  # another folder on this file system
    monkeypatch.setattr(os.path, "normcase", str.lower)  # as on Windows
    with pytest.raises(planning.UsageError, match=r"^--out .*: is inside the bundled data"):
        planning.check_outside_package(variant, "--out")
    planning.check_outside_package(root / "Data" / "Snapshots" / "s", "--store",
                                   allowed=(paths.DATA / "snapshots",))
    monkeypatch.undo()
    # as on macOS: the name is kept as given (resolve follows no case), the folder is the same
    alias = tmp_path / "Data"
    alias.symlink_to(paths.DATA, target_is_directory=True)
    monkeypatch.setattr(os.path, "realpath", lambda p, strict=False: os.path.abspath(p))
    for place in (alias, alias / "raw", alias / "raw" / "new" / "x.csv"):
        with pytest.raises(planning.UsageError, match=r": is inside the bundled data"):
            planning.check_outside_package(place, "--out")
    planning.check_outside_package(alias / "raw" / "s", "--store",  # an allowed folder too
                                   allowed=(paths.RAW,))
    planning.check_outside_package(tmp_path / "runs", "--out")


def test_a_group_in_a_batch_is_its_members_when_the_reports_judge_membership(capsys):
    """``p2c batch country_profile --over country=LDC -p year 2015`` planned today's LDCs (and
    noted the 2026 graduations): a group is expanded as of the date its reports judge group
    membership, 1 July of ``year`` for a notebook that declares it (a 2015 profile names the
    LDCs of 2015), else the run's ``as_of`` (given with -p or -f, or the notebook's default),
    else the run's day in UTC."""
    import datetime as dt

    from p2c_analysis import countries, planning, profiles

    then = {"BTN", "GNQ", "STP", "VUT"}  # LDCs in 2015 that have since graduated
    for year in ("2015", 2015):  # -p year, or year: in a YAML file
        capsys.readouterr()
        specs = planning.plan_batch("country_profile", "country", "LDC", {"year": year})
        planned = {s.name.rsplit("-", 1)[1] for s in specs}
        assert then <= planned
        assert "scheduled" not in capsys.readouterr().err
        # the same countries the profiles name as LDC members in 2015
        assert planned == {iso for iso in planned if "LDC" in profiles.groups(iso, 2015)}
    # without a year given, an as_of given decides (the LDCs of 2015 here), else the run's day:
    # today's LDCs with the defaults, not those of the default data year (2024: with São Tomé
    # and Príncipe, which left in December 2024)
    specs = planning.plan_batch("country_profile", "country", "LDC", {"as_of": "2015-01-01"})
    assert then <= {s.name.rsplit("-", 1)[1] for s in specs}
    specs = planning.plan_batch("country_profile", "country", "LDC", {})
    assert [s.parameters["country"] for s in specs] == list(countries.members("LDC"))
    # a year given beats the dates of an --over as_of axis
    both = planning.plan_grid("country_profile", [("country", "LDC"),
                                                  ("as_of", "2015-01-01,2026-01-01")],
                              {"year": "2020"})
    assert {s.parameters["country"] for s in both} == set(countries.members("LDC", as_of=2020))
    one = planning.plan_grid("country_profile", [("country", "LDC"), ("year", "2015")], {})
    assert then <= {s.parameters["country"] for s in one}
    with pytest.raises(planning.UsageError, match="members differ between the values of "
                                                  "--over year="):
        planning.plan_grid("country_profile", [("country", "LDC"), ("year", "2015,2024")], {})
    declared = planning.declared_parameters(planning.resolve_notebook("country_profile"))
    assert planning.run_as_of({}, declared) == dt.datetime.now(dt.UTC).date()
    assert planning.run_as_of({"year": "2016"}, declared) == 2016
    no_year = {"as_of": declared["as_of"]}
    assert planning.run_as_of({}, no_year) == dt.datetime.now(dt.UTC).date()
    assert planning.run_as_of({"as_of": ""}, no_year) == dt.datetime.now(dt.UTC).date()
    assert planning.run_as_of({"as_of": "2015-01-01"}, no_year) == dt.date(2015, 1, 1)
    assert planning.run_as_of({}, {"as_of": {"default": "'2016-05-01'"}}) == dt.date(2016, 5, 1)


def test_workers_with_a_scheduler_is_refused(capsys, tmp_path: Path):
    """``--workers 2 --scheduler ADDRESS`` was ignored without a word (the Dask cluster's
    workers render the reports): refused in one line before anything is contacted."""
    err = _cli_error(capsys, "batch", "country_profile", "--over", "country=KEN,NGA",
                     "--workers", "2", "--scheduler", "tcp://127.0.0.1:9", "--out",
                     str(tmp_path / "runs"))
    assert err.startswith("p2c: error: --workers does not apply with --scheduler")
    assert not (tmp_path / "runs").exists()
    assert "not with --scheduler" in " ".join(cli.build_parser()._subparsers._group_actions[0]
                                              .choices["render"].format_help().split())
