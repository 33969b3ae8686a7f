"""The dates of a ``pledge_changes`` run, checked before anything runs (planning): an ``as_of``
that dates nothing is refused, as is a comparison of two public-record dates backwards."""

import pytest

from p2c_analysis import changes, paths, planning
from p2c_analysis import params as P


def test_as_of_beside_two_dates_is_refused_naming_it():
    given = {"previous": "2025-03-01", "current": "2026-03-31", "as_of": "2025-01-01"}
    with pytest.raises(P.ParameterError, match=r"^parameter 'as_of': '2025-01-01' dates only"):
        planning.plan_render(["pledge_changes"], given)
    # an empty previous is dated from current, not from as_of: still nothing for as_of
    with pytest.raises(P.ParameterError, match="'as_of'"):
        planning.plan_render(["pledge_changes"], {"current": "2026-03-31", "as_of": "2025-01-01"})
    with pytest.raises(P.ParameterError, match="'as_of'"):
        planning.plan_batch("pledge_changes", "as_of", "2025-01-01,2025-06-01",
                            {"previous": "2025-03-01", "current": "2026-03-31"})
    # as_of that dates something passes
    cases = [{"as_of": "2026-01-01"},  # the date of an empty current
             {"previous": "2025-03-01", "as_of": "2026-01-01"},
             {"previous": "2025-03-01", "current": str(paths.PUBLIC_PLEDGES),
              "as_of": "2026-01-01"},  # the date of a pledge file
             {"previous": "2025-03-01", "current": "2026-03-31"}]  # no as_of given
    for given in cases:
        (spec,) = planning.plan_render(["pledge_changes"], given)
        assert spec.parameters.get("as_of") == given.get("as_of")
    # a run of several reports: the others read it
    specs = planning.plan_render(["pledge_changes", "pledge_landscape"], {
        "previous": "2025-03-01", "current": "2026-03-31", "as_of": "2025-01-01"})
    assert len(specs) == 2


def test_a_backwards_comparison_of_two_dates_is_refused():
    with pytest.raises(P.ParameterError, match=r"^parameter 'previous': '2026-01-01' is after "
                                               r"current \(2025-01-01\)"):
        planning.plan_render(["pledge_changes"], {"previous": "2026-01-01",
                                                  "current": "2025-01-01"})
    with pytest.raises(P.ParameterError, match="empty current"):
        planning.plan_render(["pledge_changes"], {"previous": "2026-01-01",
                                                  "as_of": "2025-06-01"})
    with pytest.raises(P.ParameterError, match="'previous'"):
        planning.plan_batch("pledge_changes", "current", "2026-03-31,2025-01-01",
                            {"previous": "2025-03-01"})
    # the same date on both sides, or a pledge file (dated as_of), is not backwards
    planning.plan_render(["pledge_changes"], {"previous": "2025-01-01", "current": "2025-01-01"})
    planning.plan_render(["pledge_changes"], {"previous": "2026-01-01",
                                              "current": str(paths.PUBLIC_PLEDGES),
                                              "as_of": "2025-06-01"})


def test_the_title_of_a_comparison_backwards_in_time_says_so():
    """A previous side dated after the current one (two snapshots; two dates of the public
    record are refused before the run) was titled "2026-01-01 to 2025-01-01" on the card and in
    summary.json, whose counts then read backwards with no flag."""
    import datetime as dt
    from types import SimpleNamespace

    later = SimpleNamespace(label="snapshot 2026-01-01-1a2b3c4d", as_of=dt.date(2026, 1, 1))
    earlier = SimpleNamespace(label="snapshot 2025-01-01-5e6f7a8b", as_of=dt.date(2025, 1, 1))
    assert changes.comparison_title(later, earlier) == (
        "2026-01-01 to 2025-01-01, backwards in time")
    assert changes.comparison_title(earlier, later) == "2025-01-01 to 2026-01-01"
