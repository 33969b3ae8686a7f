"""Report parameter validation (p2c_analysis.params): no kernels here."""

from __future__ import annotations

import datetime as dt
import os

import pytest

from p2c_analysis import params as P
from p2c_analysis.vocabulary import ALLOCATION_METHODS, FIRST_YEAR, LATEST_YEAR


def _error(**kw) -> str:
    with pytest.raises(P.ParameterError) as info:
        P.validate(**kw)
    return str(info.value)


# --- year -----------------------------------------------------------------------------------
def test_year_accepts_text_and_bounds_of_the_data():
    assert P.validate(year="2024") == {"year": 2024}
    assert P.validate(year=2000)["year"] == 2000
    assert P.validate(year=" 2010 ")["year"] == 2010
    assert P.year_range() == (FIRST_YEAR, LATEST_YEAR)


def test_bad_year_names_parameter_value_and_range():
    # the data cover 2000-2024 (docs/architecture.md, connectivity section)
    assert _error(year=1990) == "parameter 'year': 1990 is outside the data (2000-2024)"
    assert _error(year="2025") == "parameter 'year': 2025 is outside the data (2000-2024)"
    assert _error(year="twenty") == "parameter 'year': 'twenty' is not a whole number"
    assert "not a whole number" in _error(year=True)
    assert "not a whole number" in _error(year=2020.5)


# --- as_of ----------------------------------------------------------------------------------
def test_as_of_iso_date_and_empty_means_today():
    assert P.validate(as_of="2024-03-05")["as_of"] == dt.date(2024, 3, 5)
    today = P.validate(as_of="")["as_of"]
    assert today in {dt.date.today(), dt.datetime.now(dt.UTC).date()}
    assert P.validate(as_of=dt.datetime(2023, 1, 2, 15, 0))["as_of"] == dt.date(2023, 1, 2)
    assert "not a date" in _error(as_of="05/03/2024")
    assert "'2024-13-01'" in _error(as_of="2024-13-01")


def test_a_date_written_as_asked_that_names_no_day_says_so():
    """'2026-02-30' said 'is not a date (use YYYY-MM-DD)', as if written in another form; the
    reason is the day (a YAML file's 'as_of: 2026-02-30' already said so), for every parameter
    read as a date."""
    assert _error(as_of="2026-02-30") == \
        "parameter 'as_of': '2026-02-30' is not a valid date (day is out of range for month)"
    assert _error(previous=" 2026-13-01") == \
        "parameter 'previous': '2026-13-01' is not a valid date (month must be in 1..12)"
    assert _error(as_of="2026-2-3").endswith("is not a date (use YYYY-MM-DD)")


def test_as_of_in_iso_basic_form_is_read_and_week_dates_and_numbers_are_refused():
    """'20260101' was read as a date only because Python 3.11's date.fromisoformat reads
    every ISO 8601 form, week dates too ('2026-W01-1' silently became 2025-12-29); the int
    20260101 (YAML's reading of as_of: 20260101) said only 'is not a date'. Now the text
    forms YYYY-MM-DD and YYYYMMDD are read on purpose, others refused, and a number is
    refused with the form to write."""
    assert P.validate(as_of="20260131")["as_of"] == dt.date(2026, 1, 31)
    assert P.validate(as_of=" 20240229 ")["as_of"] == dt.date(2024, 2, 29)
    assert _error(as_of="20250229") == \
        "parameter 'as_of': '20250229' is not a valid date (day is out of range for month)"
    assert _error(as_of="2026-W01-1") == \
        "parameter 'as_of': '2026-W01-1' is not a date (use YYYY-MM-DD)"
    assert "not a date" in _error(as_of="2026W011")
    assert "not a date" in _error(as_of="\u0662\u0660\u0662\u0666\u0660\u0661\u0660\u0661")
    assert _error(as_of=20260131) == \
        "parameter 'as_of': 20260131 is a number, not a date (write YYYY-MM-DD, e.g. 2026-01-31)"
    assert _error(as_of=20261399) == \
        "parameter 'as_of': 20261399 is a number, not a date (write YYYY-MM-DD)"
    assert _error(as_of=2026.5) == \
        "parameter 'as_of': 2026.5 is a number, not a date (write YYYY-MM-DD)"
    assert _error(as_of=True) == "parameter 'as_of': True is not a date (use YYYY-MM-DD)"


def test_as_of_that_python_holds_but_the_analysis_cannot():
    # a date before the data or far in the future passes date parsing but not the analysis
    assert _error(as_of="0001-01-01") == (
        "parameter 'as_of': '0001-01-01' is outside the dates an analysis covers "
        "(2000-01-01 to 2100-12-31)")
    assert "outside the dates" in _error(as_of="9999-12-31")
    assert P.validate(as_of="2000-01-01")["as_of"] == dt.date(2000, 1, 1)


# --- allocation, method ---------------------------------------------------------------------
def test_allocation_methods_come_from_the_vocabulary():
    assert ALLOCATION_METHODS == ("equal", "population", "offline")
    assert P.validate(allocation=" Offline ")["allocation"] == "offline"
    msg = _error(allocation="uniform")
    assert msg == "parameter 'allocation': 'uniform' is not one of equal, population, offline"


def test_imputation_method():
    assert P.validate(method="LOCF")["method"] == "locf"
    assert "'spline'" in _error(method="spline")


# --- include_global -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [("true", True), ("False", False), ("yes", True), ("NO", False), ("1", True), ("0", False),
     (True, True), (0, False)],
)
def test_include_global_accepts_common_spellings(text, expected):
    assert P.validate(include_global=text)["include_global"] is expected


def test_include_global_rejects_other_text():
    assert _error(include_global="maybe").startswith("parameter 'include_global': 'maybe' is not")
    assert "not true/false" in _error(include_global=2)


# --- country --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "iso3"), [("Kenya", "KEN"), ("ken", "KEN"), ("KE", "KEN"), ("Côte d'Ivoire", "CIV")]
)
def test_country_resolves_to_iso3(text, iso3):
    assert P.validate(country=text)["country"] == iso3


def test_unknown_country_is_one_line_naming_it():
    msg = _error(country="Narnia")
    assert msg.startswith("parameter 'country': 'Narnia' is not a known country")
    assert "\n" not in msg
    assert "is empty" in _error(country="  ")


# --- files and folders ----------------------------------------------------------------------
def test_pledges_and_mapping_paths(tmp_path):
    f = tmp_path / "p.csv"
    f.write_text("title,pledger\nFibre for all,ITU\n")
    assert P.validate(pledges="")["pledges"] == ""
    assert P.validate(pledges=str(f))["pledges"] == str(f.resolve())
    assert P.validate(mapping=str(f))["mapping"] == str(f.resolve())


def test_a_pledge_file_must_open_as_a_table_of_pledges(tmp_path):
    # checked before any report starts; bad rows would only be quarantined, not refused
    f = tmp_path / "numbers.csv"
    f.write_text("a\n1\n")
    assert _error(pledges=str(f)) == (
        f"parameter 'pledges': {str(f)!r} cannot be read: no pledge columns: need at least a "
        "title ('title', 'pledge_title') or a pledger column; columns found: a")
    good = tmp_path / "p.csv"
    good.write_text("Pledge Name,Org\nFibre,ITU\n")
    bad_mapping = tmp_path / "m.toml"
    bad_mapping.write_text("[columns]\ntitle = 'No such column'\n")
    assert _error(pledges=str(good), mapping=str(bad_mapping)).startswith(
        f"parameter 'pledges': {str(good)!r} cannot be read: mapping names column")
    assert _error(pledges=str(tmp_path / "nope.csv")).endswith("does not exist")
    assert _error(mapping=str(tmp_path)).endswith("is a folder, not a file")


def test_unreadable_pledge_file_is_refused_before_any_kernel(tmp_path, monkeypatch):
    f = tmp_path / "locked.csv"
    f.write_text("a\n1\n")

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(P, "open", denied, raising=False)  # as for a file without read rights
    assert _error(pledges=str(f)) == f"parameter 'pledges': {str(f)!r} cannot be read " \
        "(Permission denied)"


def test_pledge_file_that_is_unreadable_as_a_file(tmp_path):
    # a FIFO with no writer would block a reader: it is not a regular file and is refused
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    assert _error(pledges=str(fifo)).endswith("is not a regular file")


def test_output_dir_must_exist(tmp_path):
    assert P.validate(output_dir=str(tmp_path))["output_dir"] == str(tmp_path)
    assert P.validate(output_dir="")["output_dir"] == ""  # empty: write no files
    assert "not an existing folder" in _error(output_dir=str(tmp_path / "missing"))


def test_output_dir_is_never_a_package_folder(tmp_path, monkeypatch):
    """Run through papermill (``-p output_dir data/pledges``), a report wrote its tables over
    the bundled data: ``output_dir`` is refused, as ``p2c --out`` is, inside the package's own
    folders (data, notebooks, code, tests), also by another name (a symbolic link)."""
    from p2c_analysis import paths

    for folder in (paths.PLEDGES, paths.DATA, paths.NOTEBOOKS, paths.ROOT / "p2c_analysis",
                   paths.ROOT / "tests"):
        msg = _error(output_dir=str(folder))
        assert msg.startswith(f"parameter 'output_dir': {str(folder)!r} is inside ")
        assert "\n" not in msg and "never writes" in msg
    monkeypatch.chdir(paths.ROOT)  # as given on papermill's command line: a relative path
    assert "is inside the bundled data" in _error(output_dir="data/pledges")
    link = tmp_path / "elsewhere"
    link.symlink_to(paths.PLEDGES, target_is_directory=True)
    assert "is inside the bundled data" in _error(output_dir=str(link))
    assert P.validate(output_dir=str(tmp_path))["output_dir"] == str(tmp_path)


# --- declared types, unknown names ----------------------------------------------------------
def test_names_params_does_not_know_take_the_declared_type():
    types = {"window": "int", "share": "float", "flag": "bool", "label": "str",
             "groups": "list", "other": "None"}
    out = P.validate_declared({"window": "3", "share": "50.5", "flag": "yes", "label": 12,
                               "groups": "[LDC, SIDS]", "other": "[1, 2]"}, types)
    assert out == {"window": 3, "share": 50.5, "flag": True, "label": "12",
                   "groups": ["LDC", "SIDS"], "other": "[1, 2]"}
    with pytest.raises(P.ParameterError, match="'window': 'seven' is not a whole number"):
        P.validate_declared({"window": "seven"}, types)
    with pytest.raises(P.ParameterError, match="not a finite number"):
        P.validate_declared({"share": "nan"}, types)
    with pytest.raises(P.ParameterError, match="'groups': 'LDC' is not a list"):
        P.validate_declared({"groups": "LDC"}, types)
    # known names are checked whatever the declared type says
    with pytest.raises(P.ParameterError, match="outside the data"):
        P.validate_declared({"year": "1990"}, {"year": "int"})


def test_annotated_types_take_their_base_type():
    """``list[int]`` and ``Optional[int]`` annotations reached the notebook as text
    ('[1, 2]', '5'): papermill names the type as written."""
    types = {"ids": "list[int]", "n": "Optional[int]", "m": "int | None",
             "d": "typing.Dict[str, int]", "s": "Optional[str]"}
    out = P.validate_declared({"ids": "[1, 2]", "n": "5", "m": "None", "d": "{a: 1}",
                               "s": "null"}, types)
    assert out == {"ids": [1, 2], "n": 5, "m": None, "d": {"a": 1}, "s": None}
    with pytest.raises(P.ParameterError, match="'n'"):
        P.validate_declared({"n": "five"}, types)
    with pytest.raises(P.ParameterError):  # None only where the annotation allows it
        P.validate_declared({"x": "None"}, {"x": "int"})


def test_unknown_names_pass_through_unchanged():
    marker = object()
    out = P.validate(title="Any text", colour=marker, year="2001")
    assert out["title"] == "Any text" and out["colour"] is marker and out["year"] == 2001
    assert list(out) == ["title", "colour", "year"]


def test_first_bad_value_stops():
    assert _error(year=2020, allocation="bad", country="Narnia").startswith(
        "parameter 'allocation'"
    )


# --- the error itself, conversions ----------------------------------------------------------
def test_parameter_error_shows_one_line_in_ipython():
    err = P.ParameterError("year", 1990, "is outside the data (2000-2024)")
    assert isinstance(err, ValueError)
    assert err._render_traceback_() == [
        "ParameterError: parameter 'year': 1990 is outside the data (2000-2024)"
    ]
    assert (err.name, err.value) == ("year", 1990)


def test_for_notebook_turns_dates_into_text():
    out = P.for_notebook({"as_of": dt.date(2024, 1, 31), "year": 2024})
    assert out == {"as_of": "2024-01-31", "year": 2024}


def test_previous_and_current_files_open_with_the_mapping(tmp_path):
    # a file whose headers match only through the mapping is fine; the error names the parameter
    f = tmp_path / "export.csv"
    f.write_text("Commitment,Who\nFibre,ITU\n")
    m = tmp_path / "m.toml"
    m.write_text("[columns]\ntitle = 'Commitment'\npledger = 'Who'\n")
    out = P.validate(previous=str(f), current="2026-03-31", mapping=str(m))
    assert out["previous"] == str(f.resolve()) and out["current"] == "2026-03-31"
    assert _error(current=str(f)).startswith(f"parameter 'current': {str(f)!r} cannot be read: "
                                             "no pledge columns")
    assert "is not a date (YYYY-MM-DD), a snapshot id or a pledge file" in _error(previous="May")


def test_previous_and_current_read_yaml_dates_and_numbers_as_as_of_does():
    """From a YAML file, ``current: 2025-01-01 10:00:00`` is a datetime, which as_of reads and
    previous/current refused ('is not a date ..., a snapshot id or a pledge file'), and
    ``current: 20250101`` an int, of which as_of says how to write it and they did not."""
    when = dt.datetime(2025, 1, 1, 10, 0)
    assert P.validate(current=when, previous=dt.date(2024, 1, 1)) == {
        "current": "2025-01-01", "previous": "2024-01-01"}
    assert _error(current=20250101) == _error(as_of=20250101).replace("as_of", "current")
    assert _error(previous=2024.5) == _error(as_of=2024.5).replace("as_of", "previous")
    assert "outside the dates" in _error(previous=dt.date(1999, 12, 31))


def test_a_list_or_mapping_for_a_one_value_parameter_is_named_as_such():
    """From a YAML file, ``as_of: [2025-01-01]`` said "'[datetime.date(2025, 1, 1)]' is not a
    date" and a set (``!!set``) was shown in another order in each run; a list or mapping
    given to a parameter of one value is said to be one, as written, sets sorted."""
    batch = "(one report per value: p2c batch NOTEBOOK --over country=V1,V2,...)"
    assert _error(country=["KEN", "NGA"]) == \
        f'parameter \'country\': ["KEN", "NGA"] is a list, not one value {batch}'
    assert _error(as_of=[dt.date(2025, 1, 1)]).startswith(
        'parameter \'as_of\': ["2025-01-01"] is a list, not one value')
    assert _error(year={"b", "a"}).startswith('parameter \'year\': ["a", "b"] is a list')
    assert _error(allocation={"equal": 1}) == \
        'parameter \'allocation\': {"equal": 1} is a mapping (NAME: VALUE), not one value'
    assert P.validate_declared({"x": [1, 2]}, {"x": "list[int]"}) == {"x": [1, 2]}


def test_a_file_name_too_long_for_the_system_names_the_parameter(tmp_path):
    """A pledges/previous/mapping name longer than the system takes (a file name over 255
    bytes) ended in the command's catch-all: "p2c: error: <the whole name>: File name too
    long", without the parameter; now the parameter, the start of the name and its length."""
    long = str(tmp_path / ("a" * 300))
    for name in ("pledges", "mapping", "previous", "current"):
        err = _error(**{name: long})
        assert err.startswith(f"parameter {name!r}: ") and "cannot be read (" in err, err
        assert f"({len(long):,} characters)" in err and len(err) < 300
    assert "is not an existing folder" in _error(output_dir=long)


@pytest.mark.parametrize("text", ["²", "①", "+-5", "-+5", "٣"])
def test_digits_int_cannot_read_are_refused_naming_the_parameter(text):
    with pytest.raises(P.ParameterError, match="parameter 'year'.*is not a whole number"):
        P.to_int("year", text)
    assert P.to_int("year", " +2020 ") == 2020


def test_a_mapping_without_a_pledge_file_is_refused(tmp_path):
    from p2c_analysis import paths, planning

    m = tmp_path / "m.toml"
    m.write_text('[columns]\ntitle = "pledge_title"\n', encoding="utf-8")
    with pytest.raises(P.ParameterError, match="'mapping'.*no pledge file is given"):
        P.validate(mapping=str(m), pledges="")
    with pytest.raises(P.ParameterError, match="'mapping'.*no pledge file is given"):
        planning.plan_render(None, {"mapping": str(m)})
    with pytest.raises(P.ParameterError, match="'mapping'.*no pledge file is given"):
        planning.plan_render(["pledge_changes"], {"mapping": str(m), "current": "2025-01-01"})
    # with a file it goes to the reports reading one (pledge_changes, which reads no single
    # file, is left out of the set then; with two named, it goes without)
    specs = {s.name: s.parameters for s in planning.plan_render(
        None, {"mapping": str(m), "pledges": str(paths.PUBLIC_PLEDGES)})}
    assert specs["pledge_landscape"]["mapping"] == str(m) and "pledge_changes" not in specs
    specs = {s.name: s.parameters for s in planning.plan_render(
        ["pledge_landscape", "pledge_changes"],
        {"mapping": str(m), "current": str(paths.PUBLIC_PLEDGES)})}
    assert "mapping" not in specs["pledge_landscape"] and "mapping" in specs["pledge_changes"]
    (spec,) = planning.plan_render(["pledge_changes"], {"mapping": str(m),
                                                        "current": str(paths.PUBLIC_PLEDGES)})
    assert spec.parameters["mapping"] == str(m)
    # a batch too (the pledge file may also be the value it runs over)
    with pytest.raises(P.ParameterError, match="'mapping'.*no pledge file is given"):
        planning.plan_batch("country_profile", "country", "KEN,UGA", {"mapping": str(m)})
    specs = planning.plan_batch("pledge_landscape", "pledges", str(paths.PUBLIC_PLEDGES),
                                {"mapping": str(m)})
    assert specs[0].parameters["mapping"] == str(m)
    # the mapping as the value a batch runs over: it reached the kernel, which stopped there
    with pytest.raises(P.ParameterError, match="'mapping'.*no pledge file is given"):
        planning.plan_batch("country_profile", "mapping", str(m), {"country": "KEN"})
    specs = planning.plan_grid("pledge_landscape", [("mapping", str(m))],
                               {"pledges": str(paths.PUBLIC_PLEDGES)})
    assert specs[0].parameters["mapping"] == str(m)


def test_a_long_value_is_cut_in_the_message():
    with pytest.raises(P.ParameterError) as err:
        P.validate(year="9" * 5000)  # past Python's 4,300 digits: was "unexpected ValueError"
    assert str(err.value).endswith("... (5,000 characters) is not a whole number")
    assert len(str(err.value)) < 200
    with pytest.raises(P.ParameterError) as err:
        P.validate(country="x" * 5000)
    assert "(5,000 characters) is not a known country" in str(err.value)
    assert len(str(err.value)) < 250
    with pytest.raises(P.ParameterError, match=r"'year': 1990 is outside"):
        P.validate(year=1990)  # short values whole, as before


def test_yaml_parameter_files_keep_iso2_codes_and_yes_no_still_work(tmp_path):
    """YAML 1.1 reads NO (Norway) as false: ``country: NO`` gave 'False is not a known
    country'. Only true/false are booleans now; a yes/no parameter still reads yes and no."""
    from p2c_analysis.limits import load_yaml_text, read_yaml_parameters

    f = tmp_path / "p.yaml"
    f.write_text("country: NO\ninclude_global: yes\nyear: 2023\n", encoding="utf-8")
    values = read_yaml_parameters(f)
    assert values == {"country": "NO", "include_global": "yes", "year": 2023}
    checked = P.validate(**values)
    assert checked["country"] == "NOR" and checked["include_global"] is True
    assert load_yaml_text("a: true\nb: False\nc: off") == {"a": True, "b": False, "c": "off"}


def test_yaml_parameter_files_read_numbers_as_yaml_1_2_does(tmp_path):
    """YAML 1.1 (PyYAML's) read ``year: 02024`` as octal, 1044, and ``2_024``, ``0x7E8`` and
    the sexagesimal ``33:44`` as 2024, without a word. Numbers are read as YAML 1.2 reads
    them: decimal digits only (a leading zero is still decimal); the other forms are text,
    which the parameter's check refuses in one line naming it."""
    from p2c_analysis.limits import load_yaml_text, read_yaml_parameters

    assert load_yaml_text("a: 02024\nb: -0012\nc: 1.5\nd: 1e3\ne: 2024") == \
        {"a": 2024, "b": -12, "c": 1.5, "d": 1000.0, "e": 2024}
    assert load_yaml_text("a: 2_024\nb: 0x7E8\nc: 33:44\nd: 1_000.5\ne: 0o17") == \
        {"a": "2_024", "b": "0x7E8", "c": "33:44", "d": "1_000.5", "e": "0o17"}
    f = tmp_path / "p.yaml"
    f.write_text("year: 0x7E8\n", encoding="utf-8")
    with pytest.raises(P.ParameterError, match=r"^parameter 'year': '0x7E8' "):
        P.validate(**read_yaml_parameters(f))
    f.write_text("year: 02023\n", encoding="utf-8")
    assert P.validate(**read_yaml_parameters(f))["year"] == 2023


def test_annotated_element_types_are_checked():
    """``list[int]`` took ``[1, x]`` unchecked: the element reached the notebook as text.
    Each element is now converted like a parameter of its type, and a bad one is named."""
    types = {"ids": "list[int]", "shares": "Dict[str, float]", "maybe": "Optional[list[int]]",
             "plain": "list", "nested": "list[list[int]]"}
    out = P.validate_declared({"ids": "[1, '2']", "shares": "{a: 1}", "maybe": "[3]",
                               "plain": "[a, 1]", "nested": "[[1]]"}, types)
    assert out == {"ids": [1, 2], "shares": {"a": 1.0}, "maybe": [3], "plain": ["a", 1],
                   "nested": [[1]]}
    assert isinstance(out["shares"]["a"], float)
    with pytest.raises(P.ParameterError, match=r"^parameter 'ids\[1\]': 'x' is not a whole"):
        P.validate_declared({"ids": "[1, x]"}, types)
    with pytest.raises(P.ParameterError, match=r"'shares\[a\]': 'b' is not a number"):
        P.validate_declared({"shares": "{a: b}"}, types)
    with pytest.raises(P.ParameterError, match=r"'ids\[0\]': True"):
        P.validate_declared({"ids": [True]}, types)


def test_a_group_given_as_the_country_points_to_a_batch() -> None:
    # "-p country LLDC" said "is not a known country": one report per member is a batch
    with pytest.raises(P.ParameterError,
                       match=r"is a group, not a country .*--over country=LLDC"):
        P.to_country("country", "LLDC")
    with pytest.raises(P.ParameterError, match="is not a known country"):
        P.to_country("country", "Atlantis")


def test_a_misspelt_parameter_is_named_with_what_the_notebooks_declare():
    """`p2c render implementation_progress -p yaer 2024` said only "parameter 'yaer': '2024'
    is not a parameter of implementation_progress"; `p2c render -p includeglobal true` (the
    standard set) "... is not a parameter of any of the selected notebooks": nothing said what
    to type instead. The line now lists the declared names and the close one."""
    from p2c_analysis import planning

    declared = planning.declared_parameters(planning.resolve_notebook("implementation_progress"))
    with pytest.raises(P.ParameterError) as e:
        planning.plan_render(["implementation_progress"], {"yaer": 2024})
    msg = str(e.value)
    # the name is what is not a parameter, not its value (it read "parameter 'yaer': '2024'
    # is not a parameter of ...")
    assert msg.startswith("'yaer' is not a parameter of implementation_progress (given 2024;")
    assert f"; it declares: {', '.join(n for n in declared if n != 'output_dir')})" in msg
    assert "did you mean" not in msg  # it has no year
    with pytest.raises(P.ParameterError) as e:
        planning.plan_render(None, {"includeglobal": True})
    msg = str(e.value)
    assert msg.startswith("'includeglobal' is not a parameter of any of the selected "
                          "notebooks (given True; they declare: ")
    assert msg.endswith("; did you mean 'include_global'?)") and "\n" not in msg
    # p2c batch checks each report's parameters the same way
    with pytest.raises(P.ParameterError, match=r"'alocation'.*did you mean 'allocation'\?\)$"):
        planning.plan_batch("gap_coverage", "year", "2020", {"alocation": "equal"})


@pytest.mark.parametrize("text, year, problem", [
    ("2024.0", 2024, None), ("2.024e3", 2024, None),
    ("2024.5", None, "parameter 'year': 2024.5 is not a whole number"),
    ("1e3", None, "parameter 'year': 1000 is outside the data (2000-2024)"),
    ("true", None, "parameter 'year': True is not a whole number"),
])
def test_a_whole_parameter_reads_the_same_from_the_command_line_and_a_file(tmp_path, text,
                                                                          year, problem):
    """``-p year 2024.0`` was refused ("'2024.0' is not a whole number") while ``year:
    2024.0`` in a ``-f`` file was the year 2024. Text is now read as a parameter file reads
    it: a whole float is that integer both ways; 2024.5, 1e3 (1000) and true get one answer."""
    from p2c_analysis import planning
    from p2c_analysis.limits import read_yaml_parameters

    f = tmp_path / "p.yaml"
    f.write_text(f"year: {text}\n", encoding="utf-8")
    for given in ({"year": text}, read_yaml_parameters(f)):
        if problem is None:
            (spec,) = planning.plan_render(["country_profile"], given)
            assert spec.parameters["year"] == year and type(spec.parameters["year"]) is int
        else:
            with pytest.raises(P.ParameterError) as err:
                planning.plan_render(["country_profile"], given)
            assert str(err.value) == problem
    # a parameter a notebook declares int: the same outcome both ways
    outcomes = []
    for given in (text, read_yaml_parameters(f)["year"]):
        try:
            outcomes.append(P.validate_declared({"n": given}, {"n": "int"})["n"])
        except P.ParameterError as err:
            outcomes.append(str(err))
    assert outcomes[0] == outcomes[1]
    unbounded = 1000 if text == "1e3" else None  # n has no bounds
    assert outcomes[0] == (year if problem is None else unbounded or
                           problem.replace("'year'", "'n'"))


def test_a_whole_float_too_large_to_be_exact_is_refused():
    """A float holds whole numbers exactly up to 2**53: ``12345678901234567890.0`` would have
    been read as 12345678901234567168; it is refused, naming the parameter (digits are read
    exactly)."""
    with pytest.raises(P.ParameterError, match=r"^parameter 'n': 1\.2345678901234567e\+19 is "
                                               "too large to be read exactly"):
        P.to_int("n", "12345678901234567890.0")
    assert P.to_int("n", "12345678901234567890") == 12345678901234567890
    assert P.to_int("n", float(2**53)) == 2**53
    with pytest.raises(P.ParameterError, match="'year': 100000000000000000000 is outside"):
        P.validate(year="1e20")
    with pytest.raises(P.ParameterError, match=r"^parameter 'x': True is not a number$"):
        P.to_float("x", "true")
    with pytest.raises(P.ParameterError, match=r"^parameter 'x': inf is not a finite number"):
        P.to_float("x", ".inf")


# --- names injected by papermill --------------------------------------------------------------
def _kernel_history(monkeypatch, *cells: str) -> None:
    """Make ``params`` see an IPython kernel whose input history holds ``cells`` (the last one
    the cell running now), as papermill runs a notebook."""
    import sys
    import types

    shell = types.SimpleNamespace(history_manager=types.SimpleNamespace(
        input_hist_raw=["", *cells]))
    fake = types.ModuleType("IPython")
    fake.get_ipython = lambda: shell
    monkeypatch.setitem(sys.modules, "IPython", fake)


PARAMETERS_CELL = 'country: str = "Nigeria"  # a country\nyear: int = 2024\noutput_dir: str = ""\n'
SET_UP_CELL = "r = report.start(country=country, year=year, output_dir=output_dir)"


def test_a_misspelt_name_injected_by_papermill_is_refused(monkeypatch):
    """``papermill NOTEBOOK OUT -p countr Kenya`` rendered the default country (papermill only
    warns): the notebook's validation now refuses a name its injected cell assigns that is
    not a parameter, with the line ``p2c`` gives."""
    injected = '# Parameters\ncountr = "Kenya"\nyear = 2020\n'
    _kernel_history(monkeypatch, PARAMETERS_CELL, injected, SET_UP_CELL)
    with pytest.raises(P.UnknownParameterError) as info:
        P.validate(country="Nigeria", year=2024, output_dir="")
    assert str(info.value) == (
        "'countr' is not a parameter of this notebook (given 'Kenya'; it declares: country, "
        "year, output_dir; did you mean 'country'?)")
    # declared names pass, whether injected by papermill or by p2c's runner
    _kernel_history(monkeypatch, PARAMETERS_CELL, '# Parameters\ncountry = "Kenya"\n'
                    'output_dir = "/tmp/x"\n', SET_UP_CELL)
    P.validate(country="KEN", year=2024, output_dir="")
    # papermill --inject-paths: its own names pass, and the notebook is named
    _kernel_history(monkeypatch, PARAMETERS_CELL, "# Parameters\nPAPERMILL_INPUT_PATH = "
                    "'notebooks/country_profile.ipynb'\nPAPERMILL_OUTPUT_PATH = 'o.ipynb'\n",
                    SET_UP_CELL)
    P.validate(country="KEN", year=2024, output_dir="")
    _kernel_history(monkeypatch, PARAMETERS_CELL, "# Parameters\nyaer = 2020\nPAPERMILL_INPUT"
                    "_PATH = '/x/country_profile.ipynb'\n", SET_UP_CELL)
    assert "'yaer' is not a parameter of country_profile (given 2020; it declares: " in \
        _error(country="KEN", year=2024, output_dir="")
    # a name of the parameters cell that the set-up does not validate is a parameter too
    _kernel_history(monkeypatch, PARAMETERS_CELL + "extra = 1\n", "# Parameters\nextra = 2\n",
                    SET_UP_CELL)
    P.validate(country="KEN", year=2024, output_dir="")
    # cell by cell in JupyterLab (the cell before is the parameters cell, or any other):
    # nothing is compared
    _kernel_history(monkeypatch, PARAMETERS_CELL, SET_UP_CELL)
    P.validate(country="KEN", year=2024, output_dir="")
    _kernel_history(monkeypatch, "countr = 'Kenya'", SET_UP_CELL)  # not papermill's cell
    P.validate(country="KEN")
    _kernel_history(monkeypatch, "# Parameters\ncountr = 'Kenya'\nprint(countr)", SET_UP_CELL)
    P.validate(country="KEN")  # more than assignments: not papermill's cell
    _kernel_history(monkeypatch, SET_UP_CELL)
    P.validate(country="KEN")


def test_papermill_run_stops_on_a_misspelt_parameter(tmp_path):
    """The same, in a real kernel run by papermill (its history, its injected cell)."""
    import nbformat
    import papermill
    from papermill.exceptions import PapermillExecutionError

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell('country: str = "Nigeria"', metadata={
        "tags": ["parameters"]}), nbformat.v4.new_code_cell(
        "from p2c_analysis import params\nv = params.validate(country=country)")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    source = tmp_path / "nb.ipynb"
    nbformat.write(nb, source)
    with pytest.raises(PapermillExecutionError, match="'countr' is not a parameter of this "
                       "notebook .*did you mean 'country'"):
        papermill.execute_notebook(str(source), str(tmp_path / "out.ipynb"),
                                   parameters={"countr": "Kenya"}, progress_bar=False)
    papermill.execute_notebook(str(source), str(tmp_path / "ok.ipynb"),
                               parameters={"country": "Kenya"}, progress_bar=False)


def test_date_parameters_take_the_same_forms_and_aware_times_are_dated_in_utc():
    """``-p as_of 20260101`` was taken but ``-p previous 20260101`` refused ("not a date"):
    a comparison's date takes the forms ``as_of`` takes. A YAML ``as_of:
    2024-01-01T23:30:00-11:00`` was dated 2024-01-01, its local day; in UTC it is 2024-01-02."""
    assert P.validate(previous="20260101")["previous"] == "2026-01-01"
    assert P.validate(current=" 20250615 ")["current"] == "2025-06-15"
    assert "is not a valid date (day is out of range" in _error(previous="20260230")
    minus_11 = dt.timezone(dt.timedelta(hours=-11))
    late = dt.datetime(2024, 1, 1, 23, 30, tzinfo=minus_11)
    assert P.validate(as_of=late)["as_of"] == dt.date(2024, 1, 2)
    assert P.validate(previous=late)["previous"] == "2024-01-02"
    plus_14 = dt.timezone(dt.timedelta(hours=14))
    assert P.to_date("as_of", dt.datetime(2024, 1, 2, 8, 0, tzinfo=plus_14)) == \
        dt.date(2024, 1, 1)
    assert P.to_date("as_of", dt.datetime(2024, 1, 1, 23, 30)) == dt.date(2024, 1, 1)  # naive


def test_the_runners_own_names_and_a_notebooks_own_parameters_heading_are_not_refused(
        monkeypatch):
    """``p2c render mine.ipynb`` failed for a notebook of one's own that does not declare
    ``output_dir``: the runner injects it into every report, and the injected-name check took it
    for a misspelt parameter. And a notebook's own cell headed ``# Parameters`` (a common
    convention), run after a cell that is not a ``parameters`` cell (imports), was taken for
    papermill's: a helper name in it that the notebook does not validate was refused."""
    declared = 'country = "Nigeria"\n'
    validate = "v = params.validate(country=country)"
    _kernel_history(monkeypatch, declared, '# Parameters\ncountry = "Kenya"\n'
                    'output_dir = "/tmp/runs/x/mine.partial"\n', validate)
    P.validate(country="KEN")
    _kernel_history(monkeypatch, "from p2c_analysis import params",
                    "# Parameters\ncountry = 'Kenya'\nyear = 2024\nshow_maps = True\n",
                    "v = params.validate(country=country, year=year)")
    P.validate(country="KEN", year=2024)
    # papermill's cell after a parameters cell is still checked
    _kernel_history(monkeypatch, declared, '# Parameters\ncountr = "Kenya"\n', validate)
    with pytest.raises(P.UnknownParameterError, match="'countr' is not a parameter"):
        P.validate(country="KEN")
