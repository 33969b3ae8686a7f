"""Figure functions: data drawn as given, extrapolations labelled, reference lines in place."""

from __future__ import annotations

import matplotlib
import matplotlib.dates as mdates
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from p2c_analysis import plots  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _texts(fig):
    ax = fig.axes[0]
    out = [t.get_text() for t in fig.texts] + [t.get_text() for t in ax.texts]
    legend = ax.get_legend()
    if legend is not None:
        out += [t.get_text() for t in legend.get_texts()]
    return out


def test_mobilisation_figure_labels_extrapolation_and_goal():
    m = pd.DataFrame({"date": pd.to_datetime(["2024-01-01", "2025-01-01", "2025-06-01"]),
                      "total_value_usd": [40e9, 60e9, 55e9],
                      "is_third_party": [False, False, True]})
    ext = pd.DataFrame({"date": pd.to_datetime(["2025-01-01", "2026-12-31"]),
                        "central": [60e9, 95e9], "low": [60e9, 80e9], "high": [60e9, 99e9]})
    fig = plots.mobilisation_trajectory(m, {"value_usd": 1e11, "year": 2026}, ext)
    texts = " | ".join(_texts(fig))
    assert "not a forecast" in texts
    assert "Goal: USD 100 bn by end of 2026" in texts
    assert "Total quoted by a third party" in texts
    assert "Source:" in texts
    ax = fig.axes[0]
    assert ax.get_ylim()[1] >= 1e11
    assert "USD" in ax.get_ylabel()


def test_attention_ratio_reference_line_and_missing_note():
    df = pd.DataFrame({"group": ["LDC", "SIDS", "CIS", "Europe"],
                       "attention_ratio": [0.5, 2.0, 0.0, np.nan]})
    fig = plots.attention_ratio(df, "group", "attention_ratio")
    ax = fig.axes[0]
    xs = [line.get_xdata()[0] for line in ax.lines]
    assert 1.0 in xs  # the reference line at 1.0
    assert [t.get_text() for t in ax.get_yticklabels()] == ["CIS", "LDC", "SIDS"]
    texts = " | ".join(_texts(fig))
    assert "No ratio (no offline people or no data): Europe" in texts
    assert "no pledged USD (ratio 0)" in texts
    # the chart of pledge units said "no pledged USD" of a group no pledge reaches
    units = " | ".join(_texts(plots.attention_ratio(
        df.rename(columns={"attention_ratio": "attention_ratio_count"}), "group",
        "attention_ratio_count")))
    assert "no pledge reaching it (ratio 0)" in units and "USD" not in units


def test_offline_by_group_orders_groups_and_labels_values():
    agg = pd.DataFrame({"group": ["Africa", "World", "LDC"], "year": [2024] * 3,
                        "offline": [8.0e8, 2.34e9, np.nan], "internet_pct": [34.0, 71.2, np.nan]})
    fig = plots.offline_by_group(agg)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["World", "LDC", "Africa"]
    texts = _texts(fig)
    assert "2.34 bn offline (71% online)" in texts
    assert "no data" in texts  # LDC has no value: labelled, not drawn as 0 people
    assert "persons" in ax.get_xlabel()


def test_status_ladder_in_ladder_order_with_shares():
    counts = pd.Series({"completed": 1, "unknown": 1, "announced": 2})
    fig = plots.status_ladder(counts)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["announced", "completed", "unknown"]
    assert "2 (50%)" in _texts(fig)


def test_stacked_shares_normalises_rows():
    table = pd.DataFrame({"ACCESS": [3, 0], "ADOPTION": [1, 0]}, index=["A", "B"])
    fig = plots.focus_mix(table)
    ax = fig.axes[0]
    widths = [p.get_width() for p in ax.patches]
    assert widths[:2] == [75.0, 0.0] and widths[2:] == [25.0, 0.0]
    assert "No pledges: B" in " | ".join(_texts(fig))


def test_itu_headline_editions_marks_revisions_and_names_editions():
    c = pd.DataFrame({"year": [2021, 2024, 2024, 2025],
                      "edition": ["Facts and Figures 2021", "Facts and Figures 2024",
                                  "Facts and Figures 2025", "Global Connectivity Report 2026"],
                      "itu_headline_offline": [2.9e9, 2.6e9, 2.3e9, 2.2e9],
                      "latest_edition": [True, False, True, True],
                      "bottom_up_offline": [3.0e9, 2.33e9, 2.33e9, np.nan]})
    fig = plots.itu_headline_editions(c)
    texts = " | ".join(_texts(fig))
    assert "2.6 bn: FF 2024" in texts and "2.3 bn: FF 2025" in texts
    assert "FF = Facts and Figures" in texts and "GCR = Global Connectivity Report" in texts
    ax = fig.axes[0]
    arrows = [t for t in ax.texts if getattr(t, "arrow_patch", None) is not None]
    assert len(arrows) == 1  # 2024: 2.6 bn revised to 2.3 bn
    assert "Source:" in texts
    line = ax.lines[0]  # the bottom-up series: the years with a value only
    assert list(line.get_xdata()) == [2021, 2024]


def test_ratio_change_draws_both_dates_and_the_reference():
    df = pd.DataFrame({"group": ["SIDS", "LDC", "LLDC"], "before": [0.2, 0.64, np.nan],
                       "after": [0.18, 1.04, 1.1]})
    fig = plots.ratio_change(df, "before", "after", names=("2025", "2026"))
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["LDC", "SIDS"]  # standard order
    assert 1.0 in [line.get_xdata()[0] for line in ax.lines]
    texts = " | ".join(_texts(fig))
    assert "0.64 → 1.04" in texts and "0.20 → 0.18" in texts
    assert "No ratio on one of the dates: LLDC" in texts
    assert "2025" in texts and "2026" in texts  # legend


def test_index_mix_bars_carry_counts_and_the_index_colours():
    dist = pd.DataFrame({"category": ["all pledges", "Government"], "pledges": [10, 4],
                         "High": [2, 0], "Upper-moderate": [3, 1], "Lower-moderate": [4, 2],
                         "Low": [1, 1]})
    cats = ["High", "Upper-moderate", "Lower-moderate", "Low"]
    fig = plots.index_mix(dist, cats)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["all pledges (10)", "Government (4)"]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == cats
    first = ax.patches[0]  # High, all pledges: 20 %
    assert first.get_width() == pytest.approx(20.0)
    assert matplotlib.colors.to_hex(first.get_facecolor()) == plots.INDEX_COLORS[0].lower()
    with pytest.raises(ValueError, match="index_mix"):
        plots.index_mix(dist.drop(columns="Low"), cats)


def test_needs_ranges_keeps_ranges_and_marks_single_figures():
    t = pd.DataFrame({
        "study": ["Blueprint", "Africa study"], "published": ["2025-09", "2019-10"],
        "scope": ["World", "Africa"], "component": ["total", "total"],
        "target": ["everyone by 2030", "Africa by 2030"],
        "need_low_usd": [2.6e12, 1e11], "need_high_usd": [2.8e12, 1e11],
        "pledged_stated_usd": [3e10, np.nan], "pledged_deduplicated_usd": [2.9e10, np.nan]})
    fig = plots.needs_ranges(t)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    (bars,) = [c for c in ax.collections if c.get_label() == "Need: published range"]
    (seg,) = bars.get_segments()
    assert seg[:, 0].tolist() == [2.6e12, 2.8e12]  # low to high, never one point
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0].startswith("World: Blueprint (2025-09)") and "everyone by 2030" in labels[0]
    texts = " | ".join(_texts(fig))
    assert "Need: single published figure" in texts
    assert "No pledged USD: Africa: Africa study" in texts


def _mobilisation_layout(fig):
    """Display-space boxes of the mobilisation figure: legend, note, goal line y, band path,
    data points and line vertices."""
    from matplotlib.collections import PolyCollection

    fig.canvas.draw()
    ax = fig.axes[0]
    legend = ax.get_legend().get_window_extent()
    note = next(t for t in ax.texts if "not a forecast" in t.get_text()).get_window_extent()
    goal = next(ln for ln in ax.get_lines() if ln.get_linestyle() == ":")
    goal_y = ax.transData.transform((0, goal.get_ydata()[0]))[1]
    band = next(c for c in ax.collections if isinstance(c, PolyCollection))
    band_paths = [p.transformed(ax.transData) for p in band.get_paths()]
    points = np.vstack([ax.transData.transform(c.get_offsets()) for c in ax.collections
                        if not isinstance(c, PolyCollection) and len(c.get_offsets())])
    data_line = ax.get_lines()[0]
    xs = mdates_num(data_line.get_xdata())
    dense = np.column_stack([np.interp(np.linspace(0, len(xs) - 1, 400), np.arange(len(xs)), v)
                             for v in (xs, np.asarray(data_line.get_ydata(), float))])
    return legend, note, goal_y, band_paths, points, ax.transData.transform(dense)


def mdates_num(x):
    import matplotlib.dates as mdates

    return np.asarray(mdates.date2num(pd.to_datetime(pd.Series(x))), float)


def _inside(bbox, xy, pad=1.0):
    return ((xy[:, 0] > bbox.x0 - pad) & (xy[:, 0] < bbox.x1 + pad)
            & (xy[:, 1] > bbox.y0 - pad) & (xy[:, 1] < bbox.y1 + pad))


def _assert_nothing_overlaps(fig):
    legend, note, goal_y, band_paths, points, line = _mobilisation_layout(fig)
    # the legend is off the goal line, the band, the points and the line
    assert not legend.y0 <= goal_y <= legend.y1
    assert not any(p.intersects_bbox(legend, filled=True) for p in band_paths)
    assert not _inside(legend, points, pad=4).any()
    assert not _inside(legend, line).any()
    # the note is off the band, the goal line, the legend and the line
    assert not any(p.intersects_bbox(note, filled=True) for p in band_paths)
    assert not note.y0 <= goal_y <= note.y1
    assert not note.overlaps(legend)
    assert not _inside(note, line).any()


def test_mobilisation_legend_and_note_overlap_nothing_hand_made():
    m = pd.DataFrame({"date": pd.to_datetime(["2022-06-01", "2023-01-01", "2024-01-01",
                                              "2025-01-01", "2026-03-01"]),
                      "total_value_usd": [15e9, 30e9, 37e9, 73e9, 82e9],
                      "is_third_party": [False] * 5})
    ext = pd.DataFrame({"date": pd.to_datetime(["2026-03-01", "2027-02-01"]),
                        "central": [82e9, 100e9], "low": [82e9, 90e9],
                        "high": [82e9, 102e9]})
    fig = plots.mobilisation_trajectory(m, {"value_usd": 1e11, "year": 2026}, ext,
                                        band_label="pace of the last 1, 2 or 3 years")
    _assert_nothing_overlaps(fig)


def test_mobilisation_legend_and_note_overlap_nothing_on_the_bundled_totals():
    # the figure of the pledge_landscape report, on the bundled published totals
    from p2c_analysis import milestones, trajectory

    goal = milestones.goal()
    known = milestones.load_milestones()
    pace = trajectory.mobilisation_pace(known, goal=goal)
    summary = trajectory.mobilisation_summary(known, goal=goal)
    fig = plots.mobilisation_trajectory(
        trajectory.mobilisation(known, include_third_party=True), goal,
        trajectory.extrapolation_from_pace(pace, trajectory.horizon(goal, summary),
                                           central_window=2),
        band_label="pace of the last 1, 2 or 3 years")
    _assert_nothing_overlaps(fig)


def _goal_line_clear(fig) -> tuple[float, float]:
    """(top of the y-axis, goal) after checking the legend is off the goal line."""
    fig.canvas.draw()
    ax = fig.axes[0]
    legend = ax.get_legend().get_window_extent()
    goal = next(ln for ln in ax.get_lines() if ln.get_linestyle() == ":").get_ydata()[0]
    goal_y = ax.transData.transform((0, goal))[1]
    assert not legend.y0 <= goal_y <= legend.y1
    return ax.get_ylim()[1], goal


def test_an_absurd_extrapolation_does_not_squash_the_goal_line():
    """as_of 2022-07-01 drew a USD 502 bn/year line to 2026: a y-axis to USD 2,500 bn with the
    goal line hidden under the legend at the bottom."""
    m = pd.DataFrame({"date": pd.to_datetime(["2022-06-07", "2022-06-09"]),
                      "total_value_usd": [15.8e9, 18.55e9], "is_third_party": [False, False]})
    ext = pd.DataFrame({"date": pd.to_datetime(["2022-06-09", "2026-12-31"]),
                        "central": [18.55e9, 2.31e12], "low": [18.55e9, 2.31e12],
                        "high": [18.55e9, 2.31e12]})
    goal = {"value_usd": 1e11, "year": 2026}
    top, gv = _goal_line_clear(plots.mobilisation_trajectory(m, goal, ext))
    assert top == pytest.approx(gv * plots.MOBILISATION_MAX_TOP * 1.12)
    top, gv = _goal_line_clear(plots.mobilisation_trajectory(m, goal))  # no extrapolation
    assert top == pytest.approx(gv * 1.12)


@pytest.mark.parametrize("as_of", ["2022-07-01", "2022-12-31", "2023-06-30", "2024-06-30"])
def test_the_report_chart_on_early_totals_keeps_the_goal_in_view(as_of):
    from p2c_analysis import milestones, trajectory

    goal = milestones.goal()
    known = milestones.known_on(milestones.load_milestones(), as_of)
    pace = trajectory.mobilisation_pace(known, goal=goal, as_of=as_of)
    summary = trajectory.mobilisation_summary(known, goal=goal, as_of=as_of)
    ext = trajectory.extrapolation_from_pace(pace, trajectory.horizon(goal, summary))
    fig = plots.mobilisation_trajectory(trajectory.mobilisation(known, include_third_party=True),
                                        goal, ext, band_label=trajectory.band_label(pace))
    top, gv = _goal_line_clear(fig)
    assert gv < top <= gv * 1.2
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert any("Extrapolation of" in x for x in labels) == (as_of >= "2023")
    assert not any("Extrapolation range" in x for x in labels)  # one window at most: no band


def test_alt_text_says_what_the_chart_shows():
    """Every image in the pages had nbconvert's "No description has been provided for this
    image": the text alternative now comes from the figure's own title, axes and legend."""
    fig, ax = plt.subplots()
    ax.plot([2000, 2010], [1, 2], label="Kenya")
    ax.plot([2000, 2010], [2, 3], label="LDC (group)")
    ax.set_title("Internet use in Kenya", loc="left")
    ax.set_xlabel("Year")
    ax.set_ylabel("Share (%)")
    ax.legend()
    assert plots.alt_text(fig) == ("Chart: Internet use in Kenya. Year (x) against Share (%) "
                                   "(y). Lines and marks: Kenya; LDC (group).")
    bare, _ = plt.subplots()
    assert plots.alt_text(bare) == "Chart without a title"


def test_profile_groups_of_similar_colour_differ_in_line_style():
    """In a profile, LDC's red and Asia & Pacific's pink (SIDS's blue and the Americas' light
    blue) read as one colour; the group kinds now differ in line style, and the title says
    that the axis runs on to the trend's end."""
    years = list(range(2010, 2025))
    groups = pd.DataFrame([(g, y, 10.0 + k * 5 + (y - 2010)) for k, g in enumerate(
        ["LDC", "Asia & Pacific", "Lower middle income"]) for y in years],
        columns=["group", "year", "internet_pct"])
    history = pd.DataFrame({"year": years, "internet_pct": [5.0 + y - 2010 for y in years]})
    band = pd.DataFrame({"year": [2024, 2030], "central": [19.0, 25.0], "low": [18.0, 20.0],
                         "high": [20.0, 30.0]})
    fig = plots.country_trend(history, "Bangladesh", band, groups=groups)
    styles = {line.get_label(): line.get_linestyle() for line in fig.axes[0].get_lines()}
    assert styles["LDC (group)"] == "-" and styles["Asia & Pacific (group)"] == "-."
    assert styles["Lower middle income (group)"] == ":"
    assert fig.axes[0].get_title(loc="left") + fig.axes[0].get_title() == \
        "Internet use in Bangladesh, 2010–2024, trend to 2030"
    fig2 = plots.country_trend(history, "Bangladesh")
    assert "trend" not in fig2.axes[0].get_title(loc="left") + fig2.axes[0].get_title()


def test_a_total_stated_for_a_month_is_drawn_across_it():
    """A total published for "2023-09" was drawn on 1 September, as if stated for that day,
    beside one stated for 17 September: it is now at the middle of the month, with a bar
    spanning the month; a day's total stays on its day."""
    m = pd.DataFrame({"date": pd.to_datetime(["2023-09-01", "2023-09-17", "2024-01-01"]),
                      "date_as_stated": ["2023-09", "2023-09-17", "2024"],
                      "total_value_usd": [30e9, 32e9, 37e9], "is_third_party": [False] * 3})
    fig = plots.mobilisation_trajectory(m)
    ax = fig.axes[0]
    (points,) = [c for c in ax.collections if c.get_label().startswith("Total published")]
    days = [mdates.num2date(x).date().isoformat() for x, _ in points.get_offsets()]
    assert days == ["2023-09-15", "2023-09-17", "2024-07-01"]  # noon of the middle day
    (spans,) = [c for c in ax.collections if c.get_label().startswith("Total stated for")]
    segments = [[mdates.num2date(x).date().isoformat() for x, _ in seg]
                for seg in spans.get_segments()]
    assert segments == [["2023-09-01", "2023-09-30"], ["2024-01-01", "2024-12-31"]]
    # without the stated text, dates are drawn as given
    fig2 = plots.mobilisation_trajectory(m.drop(columns="date_as_stated"))
    (points2,) = [c for c in fig2.axes[0].collections
                  if c.get_label().startswith("Total published")]
    assert [mdates.num2date(x).day for x, _ in points2.get_offsets()] == [1, 17, 1]


def test_alt_text_of_a_map_leaves_out_its_hidden_axes():
    """The maps' text alternative read "Easting [metre] (x) against Northing [metre] (y)": a
    hidden axis's labels are left out."""
    fig, ax = plt.subplots()
    ax.set_title("People offline, 2024")
    ax.set_xlabel("Easting [metre]")
    ax.set_ylabel("Northing [metre]")
    ax.set_axis_off()
    assert plots.alt_text(fig) == "Chart: People offline, 2024."


def test_a_report_on_a_pledge_file_names_the_file_as_the_source(tmp_path):
    """Charts of a report on a user's pledge file said "Source: Partner2Connect pledges
    (ITU)": the file is not ITU's data. A dollar sign in a file name is shown as written."""
    from p2c_analysis import report

    def source_lines(fig) -> list[str]:
        return [t.get_text() for t in fig.texts if "Source" in t.get_text()]

    bars = pd.Series({"ACCESS": 3, "ADOPTION": 1})
    src = tmp_path / "my $^$ export.csv"  # mathtext would fail on "$^$"
    src.write_text("title,pledger,value_as_stated\nA,Org,USD 5 million\n", encoding="utf-8")
    report.start("t", pledges=str(src), as_of="2024-01-01")
    fig = plots.bars(bars, "Pledges", "Number of pledges")
    assert source_lines(fig) == ["Source: pledge file my $^$ export.csv"]
    fig.canvas.draw()  # shown as written, not parsed as mathtext
    plt.close(fig)
    report.start("t", pledges="", as_of="2024-01-01")
    fig = plots.bars(bars, "Pledges", "Number of pledges")
    assert source_lines(fig) == ["Source: Partner2Connect pledges (ITU)"]
    plt.close(fig)
