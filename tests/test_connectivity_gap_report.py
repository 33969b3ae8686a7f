"""End to end: the ``connectivity_gap`` headline when economies have no value for the year
(``method="none"``): its shares add up and say who is left out."""

from __future__ import annotations

import html
import re

from rendering import render_one


def _headline(folder) -> str:
    page = html.unescape(re.sub(r"<[^>]+>", "", (folder / "connectivity_gap.html").read_text(
        encoding="utf-8")))
    return re.search(r"In 2023, .*?there is none\.|In 2023, .*?it is imputed\.", page, re.S)[0]


def test_the_sources_of_the_world_value_say_a_share_of_none_in_words():
    """connectivity_gap for 2000 read "for 95.7% ... observed; for 0.0% it is imputed"."""
    from p2c_analysis.connectivity import value_sources_text

    assert value_sources_text({"data_coverage_pct": 95.7, "imputed_pct": 0.0,
                               "no_data_pct": 4.3}, 2000) == (
        "For 95.7% of the world's population the 2000 value is observed; no value is "
        "imputed; for 4.3% there is none.")
    assert value_sources_text({"data_coverage_pct": 99.0, "imputed_pct": 1.0,
                               "no_data_pct": 0.0}, 2024) == (
        "For 99.0% of the world's population the 2024 value is observed; for 1.0% it is "
        "imputed.")
    assert value_sources_text({"data_coverage_pct": 99.98, "imputed_pct": 0.02,
                               "no_data_pct": 0.0}, 2024).endswith("for <0.1% it is imputed.")


def _pct(text: str) -> list[float]:
    return [float(x) for x in re.findall(r"([\d.]+)%", text)]


def test_without_imputation_the_headline_says_who_is_not_counted(tmp_path):
    folder = render_one("connectivity_gap", {"year": 2023, "method": "none"}, tmp_path)
    text = _headline(folder)
    assert "in the economies with a 2023 value" in text and "are not counted" in text
    assert "; no value is imputed; for " in text  # not "for 0.0% it is imputed"
    cov, nd = _pct(text.split("For ")[-1])
    assert nd > 1 and abs(cov + nd - 100) < 0.15
    assert "of the world's population (" not in text  # the share is of those with a value
    page = html.unescape(re.sub(r"<[^>]+>", "", (folder / "connectivity_gap.html").read_text(
        encoding="utf-8")))
    assert "the change is not like for like" in " ".join(page.split())


def test_with_imputation_every_economy_is_counted(tmp_path):
    folder = render_one("connectivity_gap", {"year": 2023, "method": "linear"}, tmp_path)
    text = _headline(folder)
    assert "not counted" not in text and "of the world's population (" in text
    cov, imp = _pct(text.split("For ")[-1])
    assert abs(cov + imp - 100) < 0.15


def test_a_year_without_published_aggregates_is_not_compared_with_n_a(tmp_path):
    """ITU's and the World Bank's world aggregates start in 2005: for 2000 the validation
    sentence read "is not comparable with ITU's estimate (n/a) and not comparable with the
    World Bank's aggregate (n/a)"."""
    folder = render_one("connectivity_gap", {"year": 2000, "method": "linear"}, tmp_path)
    page = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", (
        folder / "connectivity_gap.html").read_text(encoding="utf-8"))).split())
    sentence = re.search(r"For the world, our bottom-up figure .*?\. ", page)[0]
    assert "(n/a)" not in sentence and "not comparable" not in sentence
    assert ("is not checked against ITU's estimate or the World Bank's aggregate, which have "
            "no figure for 2000.") in sentence  # said once, not once for each
