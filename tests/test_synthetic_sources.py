"""A chart of synthetic pledges says so in its source line, whether the report reads one
pledge file or compares two tables; a comparison of pledge files does not name ITU."""
from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from p2c_analysis import export, plots, report, snapshots, style, synthetic


def _source_lines() -> list[str]:
    fig = plots.bars(pd.Series({"ACCESS": 3, "ADOPTION": 1}), "Pledges", "Number of pledges")
    try:
        return [t.get_text() for t in fig.texts if "Source" in t.get_text()]
    finally:
        plt.close(fig)


def test_a_report_on_a_synthetic_file_marks_its_charts(tmp_path) -> None:
    src = tmp_path / "syn.csv"
    synthetic.make_pledges(20, seed=1).to_csv(src, index=False)
    try:
        report.start("t", pledges=str(src), as_of="2026-01-01")
        assert _source_lines() == [f"Source: {style.SYNTHETIC_SOURCE}: pledge file syn.csv"]
        report.start("t", pledges="", as_of="2026-01-01")  # the bundled record: real
        assert _source_lines() == [f"Source: {style.PLEDGES_SOURCE}"]
    finally:
        style.set_pledge_source(None)


def test_a_comparison_names_what_it_compares_and_marks_synthetic_sides(tmp_path, monkeypatch
                                                                       ) -> None:
    real = tmp_path / "real.csv"
    real.write_text("title,pledger,value_as_stated\nA,Org,USD 5 million\n", encoding="utf-8")
    syn = tmp_path / "syn.csv"  # rows a loader sets aside (lists written by pandas)
    synthetic.make_pledges(20, seed=1).to_csv(syn, index=False)
    shown: list[str] = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj.data))
    r = report.Report(None, {}, None)
    try:
        report.compared(r, *snapshots.comparison_sources(str(real), str(real),
                                                         as_of="2026-01-01"))
        assert r.synthetic is False
        assert _source_lines() == ["Source: pledges compared: file real.csv as of 2026-01-01; "
                                   "file real.csv as of 2026-01-01"]
        report.compared(r, *snapshots.comparison_sources(str(real), str(syn),
                                                         as_of="2026-01-01"))
        assert r.synthetic is True
        assert _source_lines() == [f"Source: {style.SYNTHETIC_SOURCE}: pledges compared: file "
                                   "real.csv as of 2026-01-01; file syn.csv as of 2026-01-01"]
        assert len(shown) == 1 and "SYNTHETIC DATA — rows of the current side are marked " \
            "synthetic" in shown[0] and report.EVERY_PAGE_CLASS in shown[0]
        shown.clear()
        export.write_csv(synthetic.make_pledges(20, seed=1), tmp_path / "syn2.csv")
        report.compared(r, *snapshots.comparison_sources(str(tmp_path / "syn2.csv"), str(real),
                                                         as_of="2026-12-01"))
        assert r.synthetic is True and len(shown) == 1
        assert "of the previous side are synthetic" in shown[0]
        report.compared(r, *snapshots.comparison_sources("2024-01-01", "2026-01-01"))
        assert r.synthetic is False and _source_lines() == [f"Source: {style.PLEDGES_SOURCE}"]
    finally:
        style.set_pledge_source(None)


def test_a_table_of_pledges_keeps_each_rows_own_mark(tmp_path) -> None:
    """In a file mixing real and synthetic pledges, a table with a row per pledge (scores,
    traffic lights, deliverables) marked every row synthetic, the real pledges too."""
    from p2c_analysis import pledges

    real = pledges.load_pledges().valid.head(3)
    syn = synthetic.make_pledges(2, seed=1)
    mixed = tmp_path / "mixed.csv"
    export.write_csv(pd.concat([real, syn], ignore_index=True), mixed)
    out = tmp_path / "out"
    out.mkdir()
    r = report.start("T", pledges=str(mixed), as_of="2026-12-01", output_dir=str(out))
    ids = r.pledges["pledge_id"].astype(str).tolist()
    r.write(scores=pd.DataFrame({"pledge_id": ids, "score": range(len(ids))}),
            counts=pd.DataFrame({"focus_area": ["ACCESS"], "pledges": [5]}))
    scores = pd.read_csv(out / "scores.csv")
    own = dict(zip(r.pledges["pledge_id"].astype(str), r.pledges["is_synthetic"], strict=True))
    assert sorted(own.values()) == [False, False, False, True, True]
    assert scores["is_synthetic"].tolist() == [own[i] for i in scores["pledge_id"]]
    assert pd.read_csv(out / "counts.csv")["is_synthetic"].tolist() == [True]  # rests on both
