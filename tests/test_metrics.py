"""The output registry (p2c_analysis.metrics): one entry per reported column."""

from __future__ import annotations

from collections import Counter

import pandas as pd

from p2c_analysis import connectivity, gaps, metrics, milestones, paths, progress, trajectory
from p2c_analysis.pledges import load_pledges


def test_one_entry_per_column_with_a_known_format_and_a_definition():
    names = Counter(m.name for m in metrics.METRICS)
    assert [n for n, k in names.items() if k > 1] == []
    for m in metrics.METRICS:
        assert m.kind in metrics.KINDS, m.name
        assert m.label and m.unit and m.definition.endswith("."), m.name


def test_docs_page_is_generated_from_the_registry():
    committed = (paths.ROOT / metrics.DOCS_PAGE).read_text(encoding="utf-8")
    assert committed == metrics.docs_page(), "run: python -m p2c_analysis.metrics"


def test_pledge_columns_are_described_by_the_input_registry():
    m = metrics.lookup("estimated_value_usd")
    assert (m.label, m.kind) == ("Estimated value (USD)", "usd")
    assert metrics.lookup("target_year").kind == "year"
    assert metrics.lookup("no_such_column") is None
    assert metrics.label("no_such_column") == "No such column"


def test_every_column_the_standard_reports_write_is_documented():
    pledges = load_pledges().valid
    tables = [
        connectivity.aggregate(year=2024), connectivity.offline_by_country(2024),
        connectivity.validation_table(2024),
        gaps.with_names(gaps.coverage_by_country(pledges, year=2024)),
        gaps.coverage_by_group(pledges, year=2024), gaps.sensitivity(pledges, year=2024),
        gaps.with_names(gaps.under_served(pledges, year=2024)),
        gaps.tally(pledges, "focus_areas"), progress.status_distribution(pledges),
        progress.light_table(pledges, as_of="2026-01-01"),
        progress.overdue(pledges, as_of="2026-01-01"),
        progress.reporting_compliance(pledges, as_of="2026-01-01", by="stakeholder_type"),
        trajectory.mobilisation_pace(goal=milestones.goal()),
        milestones.breakdowns(["pledges_by_stakeholder_type"]),
    ]
    undocumented = {c for t in tables for c in t.columns if metrics.lookup(c) is None}
    assert undocumented == set()


def test_data_dictionary_rows():
    rows = pd.DataFrame(metrics.data_dictionary({"t": ["offline", "nobody_knows"]}))
    assert rows["unit"].tolist() == ["persons", "undocumented"]
    assert rows["label"].tolist() == ["People offline", "Nobody knows"]


def test_the_count_attention_ratio_is_defined_as_computed():
    """The pages defined the count ratio as "share of pledges ÷ share of offline people", but
    each pledge is one unit split over its countries like its USD (LDC: 12 of 24 pledges is
    50%, against 35.5% of offline people, yet the ratio is 1.07). Labels and page text now say
    pledge units."""
    import json

    from p2c_analysis import paths

    assert "pledge units" in metrics.label("attention_ratio_count")
    for nb in sorted(paths.NOTEBOOKS.glob("*.ipynb")):
        text = " ".join("".join(c["source"]) for c in json.loads(nb.read_text())["cells"])
        text = " ".join(text.replace('"\n', " ").split())
        assert "share of pledges ÷" not in text and "(or of pledges)" not in text, nb.name
        assert "count attention ratio" not in text, nb.name
