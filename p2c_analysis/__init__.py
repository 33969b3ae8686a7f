"""p2c_analysis: Partner2Connect pledges measured against the connectivity gap.

Modules, one job each (layers in ``docs/architecture.md``):

- ``memory``       Arrow's allocator and handing freed memory back between large steps
- ``vocabulary``   the shared constants: data years, methods, group labels, categories
- ``paths``        where the bundled data lives, SHA-256 of data files
- ``countries``    country reference table, group membership as of a date, name resolver
- ``connectivity`` internet use / offline population by country-year, group aggregates, validation
- ``fields``       the field registry of the canonical pledge table (feeds schema, docs, mappings)
- ``metrics``      the output registry: label, unit, format, definition of every reported column
- ``parsing``      parsing of messy pledge cells (values, currencies, dates, lists)
- ``fx``           dated exchange rates (WDI annual averages) to convert pledge values to USD
- ``pledges``      loading pledge exports: valid pledges + quarantine, nothing lost
- ``export``       safe CSV/XLSX writing (spreadsheet formula injection neutralised)
- ``synthetic``    synthetic platform-scale pledges (always marked ``is_synthetic``)
- ``milestones``   the coalition's published totals over time
- ``gaps``         pledges allocated to countries, coverage and attention metrics
- ``progress``     implementation progress: status ladder, reporting, traffic lights
- ``values``       what a pledge's money is (value basis, known overlaps), stated vs de-duplicated
- ``deliverables`` quantified deliverables read from titles and descriptions
- ``quality``      SMART score, trackability index, sensitivity, people aimed at vs offline
- ``needs``        pledged USD against published investment-needs estimates
- ``trajectory``   mobilisation and connectivity trajectories (extrapolations, not forecasts)
- ``profiles``     one country in context: the tables of a country profile
- ``style`` / ``plots`` / ``maps``  house style, figures and maps
- ``report``       a report's set-up (``start``), tables, generated prose, files written
- ``params``       validation of report parameters (the one place they are checked)
- ``planning`` / ``execution`` / ``htmlexport`` / ``runner``  which reports with which values,
  one report in its kernel, its HTML page, a run of reports in parallel
- ``cli``          the ``p2c`` command (all terminal output)
"""

from p2c_analysis import memory as _memory

_memory.use_system_allocator()  # before Arrow's first allocation: see p2c_analysis/memory.py


def __getattr__(name: str) -> str:
    """``__version__``: the installed package's version, read from its metadata when first
    asked for (importing ``importlib.metadata`` costs about 20 ms at every start of ``p2c``, of
    its kernel template and of its workers, most of which never ask)."""
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        value = version("p2c-analysis")
    except PackageNotFoundError:  # pragma: no cover - a source tree without install
        value = "0.0.0+unknown"
    globals()["__version__"] = value
    return value
