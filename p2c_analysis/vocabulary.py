"""The package's shared vocabulary: the constants every other module speaks in.

This module is at the bottom of the house: it imports nothing from the package, and every other
module takes its years, methods, group labels and category lists from here (they may re-export
them under their old names, e.g. ``connectivity.LATEST_YEAR``).

Two kinds of time, named by meaning:

- an analysis **year** (``int``, :data:`FIRST_YEAR`..:data:`LATEST_YEAR`): the year of the
  connectivity data (population, Internet use, offline people) and of group membership, which is
  taken as of :func:`mid_year` (1 July, the WDI mid-year convention);
- an **as_of** date (``datetime.date``): the date at which pledge statuses, deadlines and
  reporting are judged. A year is accepted only at the edges (the CLI, public convenience
  functions) and converted once, with :func:`mid_year`.
"""

from __future__ import annotations

import datetime as dt

# --- connectivity data -------------------------------------------------------------------------
#: First and latest year of the connectivity data (WDI vintage July 2026; 2025 is nearly empty).
FIRST_YEAR = 2000
LATEST_YEAR = 2024
#: How gaps in a country's Internet-use series are filled: ``linear`` interpolates between
#: observed years and carries the last observation forward; ``locf`` only carries forward;
#: ``none`` keeps observed values only.
IMPUTATION_METHODS: tuple[str, ...] = ("linear", "locf", "none")

# --- allocation of pledges to countries --------------------------------------------------------
#: How a pledge's USD is spread over its countries: equally, by population, by offline people.
ALLOCATION_METHODS: tuple[str, ...] = ("equal", "population", "offline")

# --- country groups ----------------------------------------------------------------------------
ITU_REGIONS: tuple[str, ...] = (
    "Africa", "Americas", "Arab States", "Asia & Pacific", "CIS", "Europe",
)
INCOME_GROUPS: tuple[str, ...] = (
    "Low income", "Lower middle income", "Upper middle income", "High income",
)
UN_GROUPS: tuple[str, ...] = ("LDC", "LLDC", "SIDS")
#: The groups every report shows, in this order.
STANDARD_GROUPS: tuple[str, ...] = ("World", *UN_GROUPS, *ITU_REGIONS, *INCOME_GROUPS)

# --- pledge categories -------------------------------------------------------------------------
FOCUS_AREAS: tuple[str, ...] = ("ACCESS", "ADOPTION", "VALUE CREATION", "ACCELERATE INVESTMENT")
STAKEHOLDER_TYPES: tuple[str, ...] = (
    "Government",
    "Private sector",
    "Academia",
    "Civil society / NGO",
    "International or regional organization",
    "UN entity",
    "Financial institution",
    "Other",
)
PLEDGE_TYPES: tuple[str, ...] = ("Programmatic", "Financial", "Policy", "Advocacy", "In-kind")
#: Implementation statuses, ordered; the ladder is the first three.
STATUSES: tuple[str, ...] = ("announced", "in progress", "completed", "withdrawn", "unknown")
STATUS_LADDER: tuple[str, ...] = STATUSES[:3]
#: A category the source did not state (stakeholder type, pledge type, status).
UNKNOWN = "unknown"
#: A list category with no item stated (no focus area, no target region, ...).
NOT_STATED = "none stated"
DATE_PRECISIONS: tuple[str, ...] = ("year", "month", "day")

# --- what a pledge's money is (p2c_analysis.values) --------------------------------------------
#: The value basis of a pledge, one per pledge (rules and precedence: ``values`` module doc).
#: ``total``: one amount for the whole pledge; ``per_year_times_years``: a yearly rate
#: multiplied by the years stated; ``per_year_single``: a yearly rate with no duration, counted
#: once; ``lower_bound`` / ``upper_bound``: "over", "at least" / "up to"; ``in_kind``: airtime,
#: equipment, training hours valued in money; ``top_up``: more money on top of an earlier
#: commitment; ``re_announcement``: money announced (and counted) before; ``not_stated``: no value.
VALUE_BASES: tuple[str, ...] = (
    "total", "per_year_times_years", "per_year_single", "lower_bound", "upper_bound",
    "in_kind", "top_up", "re_announcement", "not_stated",
)
VALUE_NOT_STATED = "not_stated"

# --- reading free text (values, deliverables, quality) ------------------------------------------
#: Characters of each free-text cell (title, description, notes, value text) that rules read:
#: text beyond this is not examined (bounded time and memory on huge or hostile input).
TEXT_EXAMINED_CHARS = 10_000
SDG_RANGE: tuple[int, int] = (1, 17)

# --- pledges that reach no country -------------------------------------------------------------
#: Pseudo-country of global pledges kept apart (``include_global=False``) and its row label.
GLOBAL_ISO3 = "GLOBAL"
GLOBAL_LABEL = "Global (unallocated)"
#: Pseudo-country of pledges whose targets are not stated (never spread) and its row label.
UNSTATED_ISO3 = "UNSTATED"
UNSTATED_LABEL = "Targets not stated (unallocated)"
PSEUDO_ISO3: tuple[str, ...] = (GLOBAL_ISO3, UNSTATED_ISO3)
PSEUDO_LABELS: dict[str, str] = {GLOBAL_ISO3: GLOBAL_LABEL, UNSTATED_ISO3: UNSTATED_LABEL}


def mid_year(year: int) -> dt.date:
    """The date a year stands for when a date is needed: 1 July (WDI population is mid-year)."""
    return dt.date(int(year), 7, 1)
