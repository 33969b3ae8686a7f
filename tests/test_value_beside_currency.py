"""The value basis and pledge_changes read a value text as the loader does: beside the row's
currency, so a sign of several currencies (``¥``, ``R``) is read as that currency."""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd

from p2c_analysis import changes
from p2c_analysis.pledges import load_pledges
from tests.test_changes import BASE, _table


def _load(tmp_path: Path, rows: list[list[str]]) -> pd.DataFrame:
    f = tmp_path / "p.csv"
    with open(f, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["title", "pledger", "value", "currency", "announced", "entity country"])
        w.writerows(rows)
    r = load_pledges(f)
    assert r.quarantine.empty
    return r.valid.set_index("title")


def test_value_basis_reads_a_sign_beside_its_currency(tmp_path: Path) -> None:
    v = _load(tmp_path, [
        ["YEN", "X", "¥500 million per year, 2024-2026", "JPY", "2024-01-01", "Japan"],
        ["RAND", "Y", "R 5 million per year 2024-2026", "", "2024-01-01", "South Africa"],
        ["CODE", "Z", "JPY 500 million per year, 2024-2026", "", "2024-01-01", "Japan"]])
    # the loader counts three years of each; the value basis says so, as for the coded one
    assert v.loc["YEN", "estimated_value_usd"] == v.loc["CODE", "estimated_value_usd"]
    for title in ("YEN", "RAND", "CODE"):
        row = v.loc[title]
        assert row["value_basis"] == "per_year_times_years", title
        assert row["value_years"] == 3 and not row["value_basis_inferred"], title


def _valued(pid: str, text: str, usd: float) -> dict:
    return BASE | {"pledge_id": pid, "value_as_stated": text, "currency": "JPY",
                   "estimated_value_usd": usd}


def test_changes_read_a_sign_beside_its_currency() -> None:
    # the same 500 million yen, written two ways and converted at two rates: a conversion
    # effect, not a change of the pledge; 600 million yen is a rise whatever the rates
    ch = changes.changes_by_pledge(
        _table([_valued("CONV", "¥500 million", 3.8e6), _valued("UP", "¥500 million", 3.8e6)]),
        _table([_valued("CONV", "¥ 500 million", 3.4e6), _valued("UP", "¥600 million", 3.9e6)]))
    kind = dict(zip(ch["pledge_id"], ch["value_change"], strict=True))
    assert kind == {"CONV": "conversion only", "UP": "up"}
    conv = ch.set_index("pledge_id").loc["CONV"]
    assert np.isclose(conv["value_usd_delta"], -0.4e6)


def test_a_rate_that_did_not_move_is_no_conversion_effect() -> None:
    # EUR 155 then 160 million, both at 2022's rate (USD 1.05305 a euro), the USD figures the
    # loader gave the bundled Ghana pledge and an edited copy: the change is 5 million euros at
    # that rate, and no USD at all moved by conversion (the float rounding of amount x rate
    # had left 3e-08 USD, and "conversion alone moved USD figures ... with no net change")
    usd_before, usd_after = 163222538.91050646, 168487782.10116798
    rate = usd_before / 155e6
    before = BASE | {"pledge_id": "G", "value_as_stated": "EUR 155 million", "currency": "EUR",
                     "estimated_value_usd": usd_before}
    after = before | {"value_as_stated": "EUR 160 million", "estimated_value_usd": usd_after}
    ch = changes.changes_by_pledge(_table([before]), _table([after]))
    row = ch.set_index("pledge_id").loc["G"]
    assert row["value_change"] == "up"
    assert row["value_usd_conversion"] == 0.0
    assert np.isclose(row["value_usd_delta"], 5e6 * rate)
    text = changes.value_changes_text(changes.value_changes(ch))
    assert text.endswith("no USD figure moved by conversion alone."), text


def test_a_conversion_too_small_to_show_is_not_said_to_move_figures() -> None:
    vc = pd.DataFrame({"value_change": ["up", "conversion only"],
                       "conversion_effect": [False, True], "pledges": [1, 0],
                       "usd_change": [5e6, 0.004]})
    text = changes.value_changes_text(vc)
    assert text == ("1 pledge changed its stated value (net USD 5.00 M); no USD figure moved by "
                    "conversion alone."), text


def test_a_total_that_moved_less_than_its_rounding_did_not_stay() -> None:
    # USD 28.7 bn at both dates, rounded, but 5.27 M more: it read "stayed at USD 28.7 bn: a
    # net USD 5.27 M from changes of stated values"
    row = pd.Series({"usd_before": 28.70e9, "usd_after": 28.70e9 + 5.27e6, "usd_new": 0.0,
                     "usd_first_seen": 0.0, "usd_no_longer_listed": 0.0,
                     "usd_value_changes": 5.27e6, "usd_conversion_effects": 0.0})
    assert changes.value_moves_text(row) == (
        "The stated value of all pledges rose by USD 5.27 M to USD 28.7 bn: a net USD 5.27 M "
        "from changes of stated values.")
    fell = row.copy()
    fell["usd_after"], fell["usd_value_changes"] = 28.70e9 - 5.27e6, -5.27e6
    assert changes.value_moves_text(fell).startswith(
        "The stated value of all pledges fell by USD 5.27 M to USD 28.7 bn: ")
