"""Resource limits as data, the guarded YAML parameter reader, terminal-safe text."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from p2c_analysis import cli, limits, paths
from p2c_analysis.limits import InputFileError, LimitError, Limits, read_yaml_parameters
from p2c_analysis.runner import UsageError

# --- limits ------------------------------------------------------------------------------------


def test_every_limit_has_a_default_an_env_variable_and_a_unit() -> None:
    docs = limits.documented()
    names = [d["name"] for d in docs]
    assert names == ["file_mb", "rows", "columns", "cell_chars", "xlsx_unzipped_mb",
                     "xlsx_ratio", "yaml_kb", "yaml_nodes"]
    for d in docs:
        assert d["env"] == "P2C_MAX_" + str(d["name"]).upper()
        assert float(d["default"]) > 0 and d["unit"] and d["what"]
    assert Limits().cell_chars == 32_767  # Excel's own maximum


def test_limits_are_raised_through_the_environment() -> None:
    lim = Limits.from_env({"P2C_MAX_ROWS": "500000", "P2C_MAX_FILE_MB": " 2.5 "})
    assert lim.rows == 500_000 and isinstance(lim.rows, int)
    assert lim.file_mb == 2.5
    assert lim.columns == Limits().columns  # unset: the default
    assert Limits.from_env({}) == Limits()


@pytest.mark.parametrize("value", ["many", "0", "-5", "inf", "nan"])
def test_a_bad_limit_in_the_environment_is_one_line(value: str) -> None:
    with pytest.raises(LimitError) as err:
        Limits.from_env({"P2C_MAX_CELL_CHARS": value})
    assert str(err.value) == f"P2C_MAX_CELL_CHARS={value!r}: not a positive number"


def test_exceeded_names_the_limit_and_how_to_raise_it() -> None:
    lim = Limits()
    assert lim.exceeded("rows", 200_000) is None
    msg = lim.exceeded("rows", 1_048_576, "sheet 'S': a row numbered 1,048,576")
    assert msg == ("sheet 'S': a row numbered 1,048,576, over the limit of 200,000 rows "
                   "(raise it with P2C_MAX_ROWS=1100000)")
    raised = Limits.from_env({"P2C_MAX_ROWS": "1100000"})
    assert raised.exceeded("rows", 1_048_576) is None  # the suggested value is enough
    assert "P2C_MAX_YAML_KB=130" in lim.exceeded("yaml_kb", 64.5)


def test_read_limited_checks_the_size_before_reading(tmp_path: Path) -> None:
    p = tmp_path / "big.csv"
    p.write_bytes(b"x" * 3 * 2**20)
    lim = Limits(file_mb=2)
    with pytest.raises(InputFileError) as err:
        limits.read_limited(p, "file_mb", lim, "pledge file")
    assert str(err.value) == (f"{p}: size 3 MB, over the limit of 2 MB "
                              "(raise it with P2C_MAX_FILE_MB=4)")
    assert limits.read_limited(p, "file_mb", Limits(file_mb=3), "pledge file") == p.read_bytes()
    with pytest.raises(InputFileError, match="no such file"):
        limits.read_limited(tmp_path / "none", "file_mb", lim, "pledge file")
    with pytest.raises(InputFileError, match="is a directory, not a pledge file"):
        limits.read_limited(tmp_path, "file_mb", lim, "pledge file")


def test_a_device_or_pipe_is_read_only_up_to_the_limit(tmp_path: Path) -> None:
    """Their size is unknown to stat (0): /dev/zero used to be read until memory ran out."""
    import os
    import threading

    with pytest.raises(InputFileError, match="size more than 1 MB, over the limit of 1 MB"):
        limits.read_limited("/dev/zero", "file_mb", Limits(file_mb=1), "pledge file")
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_bytes(b"title\n" + b"x" * 2**20))
    writer.start()
    with pytest.raises(InputFileError, match="size more than 1 MB"):
        limits.read_limited(fifo, "file_mb", Limits(file_mb=1), "pledge file")
    writer.join(10)
    small = tmp_path / "small.csv"
    os.mkfifo(small)
    writer = threading.Thread(target=lambda: small.write_bytes(b"title\na\n"))
    writer.start()
    assert limits.read_limited(small, "file_mb", Limits(file_mb=1), "pledge file") == b"title\na\n"
    writer.join(10)

def test_terminal_safe_shows_control_characters_as_escapes() -> None:
    assert limits.terminal_safe("Côte d’Ivoire 東京") == "Côte d’Ivoire 東京"
    assert limits.terminal_safe("\x1b[31mred\x1b[0m") == "\\x1b[31mred\\x1b[0m"
    assert limits.terminal_safe("a\nb\rc\td") == "a\\nb\\rc\\td"
    assert limits.terminal_safe("abc\u202edef\x9b2J") == "abc\\u202edef\\x9b2J"
    assert limits.terminal_safe(5) == "5"


# --- YAML parameter files ----------------------------------------------------------------------


def _yaml(tmp_path: Path, text: str | bytes) -> Path:
    p = tmp_path / "params.yaml"
    p.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return p


def test_plain_parameters_are_read(tmp_path: Path) -> None:
    p = _yaml(tmp_path, "year: 2023\nas_of: 2024-06-30\ncountry: KEN\ninclude_global: yes\n"
                        "groups: [LDC, SIDS]\n")
    assert read_yaml_parameters(p) == {"year": 2023, "as_of": dt.date(2024, 6, 30),
                                       "country": "KEN", "include_global": "yes",  # YAML 1.2
                                       "groups": ["LDC", "SIDS"]}
    assert read_yaml_parameters(_yaml(tmp_path, "")) == {}
    assert read_yaml_parameters(_yaml(tmp_path, "# only a comment\n")) == {}


BILLION_LAUGHS = "\n".join(
    ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]) + "\n"


@pytest.mark.parametrize(
    ("text", "what"),
    [
        (BILLION_LAUGHS, "line 1: anchors and aliases (& and *) are not allowed"),
        ("base: &b {year: 2020}\nother: 1\n", "anchors and aliases"),
        ("as_of: 2024-02-30\n", "line 1: '2024-02-30' is not a valid date (day is out of "
                                "range for month)"),
        ("year: 2020\n  bad: : indent\n", "line 2: mapping values are not allowed here"),
        ("- 2020\n- 2021\n", "expected NAME: VALUE lines"),
        ("year: !!python/object/apply:os.system [ls]\n", "could not determine a constructor"),
        ("x: " + "[" * 40 + "]" * 40 + "\n", "nested deeper than 32 levels"),
        ("x: [" + ", ".join(["1"] * 10_001) + "]\n",
         "too many YAML nodes (values, keys, lists and mappings), over the limit of 10,000 "
         "nodes (raise it with P2C_MAX_YAML_NODES=20000)"),
        ('label: "ok"\nx: "\x1b"\n', "character #x001b (position 16) is not allowed in YAML"),
        (b"year: 2020\n\xff\xfe\n", "not UTF-8 text (byte 12)"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "binary file, not YAML text"),
        ("n: " + "9" * 5000 + "\n", "line 1: an integer of 5,000 characters is not a "
                                    "parameter value"),
        ("year: 2020\nlabel: a\nyear: 2021\n", "line 3: duplicate key 'year'"),
        ("x: {a: 1, a: 2}\n", "line 1: duplicate key 'a'"),
    ],
)
def test_a_bad_parameter_file_is_one_line_naming_it(tmp_path: Path, text: str | bytes,
                                                    what: str) -> None:
    p = _yaml(tmp_path, text)
    with pytest.raises(InputFileError) as err:
        read_yaml_parameters(p)
    msg = str(err.value)
    assert msg.startswith(f"{p}: ") and what in msg and "\n" not in msg


def test_parameter_file_size_limit(tmp_path: Path) -> None:
    p = _yaml(tmp_path, "year: 2020\n" + "# padding\n" * 7000)
    with pytest.raises(InputFileError, match=r"size 68\.\d kB, over the limit of 64 kB "
                                             r"\(raise it with P2C_MAX_YAML_KB=130\)"):
        read_yaml_parameters(p)
    assert read_yaml_parameters(p, Limits(yaml_kb=130)) == {"year": 2020}


def test_cli_reports_a_bad_parameter_file_as_a_usage_error(tmp_path: Path) -> None:
    p = _yaml(tmp_path, BILLION_LAUGHS)
    args = cli.build_parser().parse_args(["render", "-f", str(p)])
    with pytest.raises(UsageError) as err:
        cli._given_parameters(args)
    assert str(err.value) == (f"parameter file {p}: line 1: anchors and aliases (& and *) "
                              "are not allowed")
    args = cli.build_parser().parse_args(["render", "-f", str(tmp_path / "none.yaml")])
    with pytest.raises(UsageError, match="none.yaml: no such file"):
        cli._given_parameters(args)


def test_the_readme_states_every_limit_its_default_and_variable() -> None:
    text = (paths.ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("### Nothing is lost: limits and bad input", 1)[1].split("\n## ", 1)[0]
    for d in limits.documented():
        row = next(line for line in section.splitlines() if f"`{d['env']}`" in line)
        default = f"{d['default']:,}"
        assert default in row, (d["env"], row)
    for kind in ("implausible date", "negative year", "absurd value", "unsupported url",
                 "formula without cached value", "cell too long", "invalid value"):
        assert f"`{kind}`" in section


def test_yaml_given_as_text_has_the_same_guards() -> None:
    assert limits.load_yaml_text("[LDC, SIDS]") == ["LDC", "SIDS"]
    assert limits.load_yaml_text("") is None
    for text, what in ((BILLION_LAUGHS, "line 1: anchors and aliases (& and *) are not allowed"),
                       ("{a: 2024-02-30}", "line 1: '2024-02-30' is not a valid date"),
                       ("[" * 40 + "]" * 40, "line 1: nested deeper than 32 levels"),
                       ("x" * 70_000, "YAML text of 68.4 kB, over the limit of 64 kB")):
        with pytest.raises(limits.YamlTextError) as err:
            limits.load_yaml_text(text)
        assert str(err.value).startswith(what) and "\n" not in str(err.value)


def test_a_file_error_shows_as_one_plain_line_in_a_notebook() -> None:
    from p2c_analysis.pledges import PledgeFileError

    err = PledgeFileError("x.csv", "columns found: \x1b[2Jcolour")
    assert err._render_traceback_() == ["PledgeFileError: x.csv: columns found: \\x1b[2Jcolour"]


@pytest.mark.parametrize("most", [1e9, 1e20])
def test_a_raised_size_limit_reads_a_small_file(tmp_path: Path, most: float) -> None:
    """P2C_MAX_FILE_MB raised far (1e9 MB) read a 30-byte file as 'unexpected MemoryError'
    (or OverflowError): the limit was asked of read() and set aside before reading."""
    p = tmp_path / "small.csv"
    p.write_bytes(b"title,pledger\nFibre,Orange\n")
    assert limits.read_limited(p, "file_mb", Limits(file_mb=most), "pledge file") == \
        p.read_bytes()


def test_a_pipe_is_read_only_up_to_the_limit(tmp_path: Path) -> None:
    """A file whose size is unknown (0 from stat, as a pipe or /dev/zero) is read a piece at
    a time and refused once past the limit."""
    import io

    data = b"x" * 3_000_000
    assert limits._read_at_most(io.BytesIO(data), 2_500_001, 0) == data[:2_500_001]
    assert limits._read_at_most(io.BytesIO(data), 5_000_000, 0) == data
    assert limits._read_at_most(io.BytesIO(data), 5_000_000, 10) == data  # grew since stat
