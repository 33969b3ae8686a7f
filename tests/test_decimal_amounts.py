"""An amount written with decimals and a scale is the decimal number it is written as."""
from __future__ import annotations

import pytest

from p2c_analysis import changes, parsing
from tests.test_changes import BASE, _table


@pytest.mark.parametrize(("text", "amount"), [
    ("USD 4.1 million", 4_100_000.0), ("USD 32.8 million", 32_800_000.0),
    ("EUR 1.15 billion", 1_150_000_000.0), ("$2.7bn", 2_700_000_000.0),
    ("USD 0.3 m", 300_000.0), ("USD 4.1 million per year 2024-2026", 12_300_000.0)])
def test_a_decimal_amount_times_its_scale_is_exact(text: str, amount: float) -> None:
    assert parsing.parse_money(text).amount == amount  # not 4099999.9999999995


def test_the_same_amount_written_two_ways_is_no_change() -> None:
    row = BASE | {"pledge_id": "A", "currency": "USD"}
    before = row | {"value_as_stated": "USD 4.1 million",
                    "estimated_value_usd": parsing.parse_money("USD 4.1 million").amount}
    after = row | {"value_as_stated": "USD 4,100,000",
                   "estimated_value_usd": parsing.parse_money("USD 4,100,000").amount}
    ch = changes.changes_by_pledge(_table([before]), _table([after]))
    assert ch["value_change"].tolist() == ["unchanged"]
    assert ch["value_usd_delta"].tolist() == [0.0]
