"""The share of a rise of the published total that the itemised pledges account for never
reads as all of it when it is not."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from p2c_analysis import totals
from p2c_analysis.pledges import load_pledges


def test_a_share_just_below_the_whole_rise_is_not_100_percent(tmp_path: Path) -> None:
    f = tmp_path / "p.csv"
    f.write_text("title,pledger,value,announced\nA,Org,USD 996 million,2023-03-01\n",
                 encoding="utf-8")
    pledges = load_pledges(f).valid
    head = pd.DataFrame({
        "date": pd.to_datetime(["2023-01-01", "2023-06-01"]),
        "date_as_stated": ["2023-01-01", "2023-06-01"], "metric": "total_value_usd",
        "value": [1e9, 2e9], "source_url": "https://www.itu.int/x", "is_third_party": False})
    (row,) = totals.increases_vs_itemised(head, pledges)
    assert row["explanation"].endswith(", >99% of the rise."), row["explanation"]  # not 100%
