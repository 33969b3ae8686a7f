"""No negative zero in the tables of a comparison (p2c_analysis.changes): ``-0.0`` read as a
loss of nothing (``usd_no_longer_listed = -0.0`` when no pledge was delisted)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from p2c_analysis import changes, fields, record


def _negative_zeros(table: pd.DataFrame) -> list[str]:
    out = []
    for col in table.columns:
        if pd.api.types.is_float_dtype(table[col].dtype):
            v = table[col].to_numpy(dtype=float, na_value=np.nan)
            if ((v == 0) & np.signbit(v)).any():
                out.append(col)
    return out


def test_nothing_delisted_is_zero_not_negative_zero():
    rows = [{"pledge_id": "X-1", "title": "Rural towers", "pledger": "Acme",
             "value_usd": 1_000_000.0}]
    same = fields.coerce_canonical(pd.DataFrame(rows))
    s = changes.summary(changes.changes_by_pledge(same, same)).iloc[0]
    assert s["usd_no_longer_listed"] == 0.0 and not np.signbit(s["usd_no_longer_listed"])


def test_no_table_of_the_public_record_comparison_holds_negative_zero():
    before, after = (record.public_record(d).pledges for d in ("2025-03-01", "2026-03-31"))
    cmp = changes.compare(before, after, "2025-03-01", "2026-03-31")
    found = {name: cols for name, t in cmp.tables().items() if (cols := _negative_zeros(t))}
    assert found == {}
    assert _negative_zeros(cmp.summary) == []


def test_no_negative_zero_keeps_every_other_value():
    frame = pd.DataFrame({"a": [-0.0, 0.0, -1.5, np.nan], "b": ["x", "y", "z", None],
                          "c": pd.array([-0.0, None, 2.0, -3.0], dtype="Float64"),
                          "d": [1, 2, 3, 4]})
    out = changes.no_negative_zero(frame)
    assert _negative_zeros(out) == [] and _negative_zeros(frame) == ["a", "c"]
    assert out["a"].tolist()[:3] == [0.0, 0.0, -1.5] and np.isnan(out["a"].iloc[3])
    assert out["c"].isna().tolist() == [False, True, False, False]
    assert out["b"].tolist() == frame["b"].tolist() and out["d"].tolist() == [1, 2, 3, 4]
    assert out.dtypes.tolist() == frame.dtypes.tolist()
