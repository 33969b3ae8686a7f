"""Spellings of economies used by the World Bank and the UN are one economy each."""
from __future__ import annotations

from pathlib import Path

from p2c_analysis.pledges import load_pledges


def test_taiwan_china_and_the_sar_spellings_are_one_economy(tmp_path: Path) -> None:
    """The World Bank's "Taiwan, China" was read as two countries (TWN and CHN), and the UN's
    "China, Hong Kong SAR" was set aside as unknown."""
    f = tmp_path / "p.csv"
    f.write_text('title,pledger,target countries\nA,Org,"Taiwan, China"\n'
                 'B,Org,"China, Hong Kong SAR"\nC,Org,"Kenya, Taiwan, China"\n'
                 "D,Org,Macao SAR\n", encoding="utf-8")
    r = load_pledges(f)
    assert r.quarantine.empty
    assert [list(t) for t in r.valid["target_countries"]] == [
        ["TWN"], ["HKG"], ["KEN", "TWN"], ["MAC"]]
