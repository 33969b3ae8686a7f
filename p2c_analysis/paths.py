"""Where the bundled data lives, and checksums of data files.

All paths are absolute :class:`pathlib.Path` objects. Nothing here reads data.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
RAW = DATA / "raw"
REFERENCE = DATA / "reference"
HARMONIZATION = DATA / "harmonization"
PLEDGES = DATA / "pledges"
NOTEBOOKS = ROOT / "notebooks"
REPORTS = ROOT / "reports"

WDI_INTERNET = RAW / "wdi_IT.NET.USER.ZS_internet_users_pct.csv"
WDI_POPULATION = RAW / "wdi_SP.POP.TOTL_population.csv"
WDI_METADATA = RAW / "wdi_country_metadata_income_region_FY26.csv"
WDI_FX = RAW / "wdi_PA.NUS.FCRF_exchange_rate_lcu_per_usd.csv"
COUNTRY_CODES = RAW / "country-codes.csv"
UNSD_M49 = RAW / "unsd_m49_en.csv"
ITU_AGGREGATES = RAW / "ITU_regional_global_Key_ICT_indicator_aggregates_Nov_2024.xlsx"
NE_50M_TOPO = RAW / "world-atlas_countries-50m.topo.json"

ITU_REGIONS = REFERENCE / "itu_bdt_regions.csv"
UN_GROUP_CHANGES = REFERENCE / "un_group_changes.csv"
CURRENCY_MAP = REFERENCE / "currency_iso4217_to_iso3.csv"

COUNTRY_ALIASES = HARMONIZATION / "country_aliases.csv"
REGION_ALIASES = HARMONIZATION / "region_aliases.csv"

PUBLIC_PLEDGES = PLEDGES / "public_pledges.csv"
PUBLISHED_AGGREGATES = PLEDGES / "published_aggregates.csv"
MILESTONES = PLEDGES / "milestones.csv"
PUBLIC_PLEDGES_ADDITIONS = PLEDGES / "public_pledges_additions_2026-12.csv"
PUBLISHED_AGGREGATES_ADDITIONS = PLEDGES / "published_aggregates_additions_2026-12.csv"
STATUS_EVIDENCE = PLEDGES / "status_evidence.csv"
ITU_HEADLINE_FIGURES = REFERENCE / "itu_headline_figures.csv"
INVESTMENT_NEEDS = REFERENCE / "investment_needs.csv"


# --- the package's own folders, which nothing writes -------------------------------------------
def package_folders() -> tuple[tuple[Path, str], ...]:
    """The package's own folders, never written by a command or a report: its bundled data (raw
    data, reference tables, the public record...), its report notebooks, its code and (in a
    checkout) its tests."""
    return ((DATA, "the bundled data"), (NOTEBOOKS, "the report notebooks"),
            (Path(__file__).resolve().parent, "the package's code"),
            (ROOT / "tests", "the package's tests"))


def package_folder_holding(path: str | Path, allowed: tuple[Path, ...] | list[Path] = ()
                           ) -> tuple[Path, str] | None:
    """``(folder, what)`` when ``path`` is, or is inside, one of :func:`package_folders`
    (resolved, symbolic links followed, names compared as the file system compares them:
    :func:`_within`), else ``None``; also ``None`` inside one of ``allowed`` (folders in
    them that are written, such as the default snapshot store). The one check of "package
    folders are never written": ``p2c --out``/``--store``... (``planning.check_outside_package``)
    and a report's ``output_dir`` (``params.to_existing_dir``). Raises :class:`OSError` for a
    name the system refuses, :class:`RuntimeError` for symbolic links in a loop."""
    target = Path(path).expanduser().resolve()
    target.exists()  # a name too long for the system: OSError here
    places = _existing_places(target)
    if any(_within(target, places, Path(folder).resolve()) for folder in allowed):
        return None
    for folder, what in package_folders():
        if _within(target, places, folder.resolve()):
            return folder.resolve(), what
    return None


def _existing_places(target: Path) -> set[tuple[int, int]]:
    """``(device, inode)`` of ``target`` and of each of its folders that exists."""
    places = set()
    for p in (target, *target.parents):
        try:
            st = p.stat()
        except OSError:
            continue
        places.add((st.st_dev, st.st_ino))
    return places


def _within(target: Path, places: set[tuple[int, int]], folder: Path) -> bool:
    """Whether resolved ``target`` is ``folder`` or inside it: by name, also as the system
    compares names (``os.path.normcase``: without case on Windows), or as a folder of the file
    system (``places``: :func:`_existing_places`): on a case-insensitive file system
    (macOS's, where ``normcase`` changes nothing) ``Data/raw`` is ``data/raw`` under another
    name, which ``resolve`` keeps."""
    if target.is_relative_to(folder):
        return True
    normcase = os.path.normcase
    if Path(normcase(str(target))).is_relative_to(Path(normcase(str(folder)))):
        return True
    try:
        st = folder.stat()
    except OSError:
        return False
    return (st.st_dev, st.st_ino) in places


def sha256(path: str | Path, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


# --- provenance: which data files a process has read -------------------------------------------
_FILES_READ: dict[str, Path] = {}

#: Environment variable: JSON ``{local path: name}``, for files and folders that stand in for
#: others (a Dask worker's scratch copy of an input file sent with its report, its scratch
#: output folder): provenance and what a report shows name the original, as a local run
#: would. Set by the runner's remote task (``execution.execute_remote``) for its kernel.
NAMES_ENV = "P2C_PATH_NAMES"


def _names() -> dict[str, str]:
    text = os.environ.get(NAMES_ENV)
    if not text:
        return {}
    try:
        names = json.loads(text)
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in names.items()} if isinstance(names, dict) else {}


def shown(value: str) -> str:
    """The name a path (text) is recorded and shown under: the original of a stand-in copy
    (see :data:`NAMES_ENV`), else ``value`` unchanged."""
    return _names().get(value, value)


def track(path: str | Path) -> Path:
    """Record that ``path`` is read by this process and return it as a Path.

    Every loader in the package wraps its data paths with this, so a report can list the
    SHA-256 of every data file it read (see :func:`files_read`).
    """
    key = str(path)
    p = _RESOLVED.get(key)
    if p is None:
        p = Path(path).resolve()
        if os.path.isabs(key):  # a relative path resolves against the working folder of now
            _RESOLVED[key] = p
    _FILES_READ[str(p)] = p
    if str(p) not in _STATE_AT_READ:  # the file as it was when first read in this process
        _STATE_AT_READ[str(p)] = _state(p)
    return p


def untrack(path: str | Path) -> None:
    """Forget that ``path`` was read (:func:`track`): a private copy read in place of a file,
    removed afterwards, is no data file a report used."""
    key = str(Path(path).resolve())
    _FILES_READ.pop(key, None)
    _STATE_AT_READ.pop(key, None)


#: ``{absolute path as given: resolved path}``: resolving costs system calls (about 25 µs), and
#: loaders track the same few files hundreds of times a report.
_RESOLVED: dict[str, Path] = {}

#: ``{path: (size, mtime_ns)}`` of each tracked file when it was first read in this process (a
#: kernel inherits the template's: the template read the data the kernel uses).
_STATE_AT_READ: dict[str, tuple[int, int] | None] = {}

#: What ``files_read`` gives instead of a checksum for a file changed after it was read: the
#: SHA-256 of the bytes on disk then would not be that of the bytes the report used.
CHANGED_AFTER_READING = "changed after it was read (the SHA-256 of what was read is unknown)"


def _state(p: Path) -> tuple[int, int] | None:
    try:
        st = p.stat()
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


def files_read() -> dict[str, str]:
    """``{path: sha256}`` of every file passed to :func:`track` so far, paths relative to the
    project root where possible (absolute otherwise, or the original's name for a stand-in
    copy: :data:`NAMES_ENV`), sorted by path. A file whose size or modification time changed
    since it was first read gives :data:`CHANGED_AFTER_READING` instead of a checksum (it was
    hashed at the end, so the checksum was of bytes the report never read)."""
    out: dict[str, str] = {}
    names = _names()
    for _key, p in sorted(_FILES_READ.items()):
        try:
            name = str(p.relative_to(ROOT))
        except ValueError:
            name = names.get(str(p), str(p))
        now = _state(p)
        if now is None:
            out[name] = "missing"
        elif _STATE_AT_READ.get(str(p), now) != now:
            out[name] = CHANGED_AFTER_READING
        else:
            out[name] = sha256(p)
    return out


def replace_text(target: Path, text: str, sync: bool = True, sync_folder: bool = False,
                 prefix: str = ".") -> None:
    """:func:`replace_bytes` of ``text`` encoded as UTF-8."""
    replace_bytes(target, text.encode("utf-8"), sync=sync, sync_folder=sync_folder, prefix=prefix)


def replace_bytes(target: Path, data: bytes, sync: bool = True, sync_folder: bool = False,
                  prefix: str = ".", mode: int | None = None) -> None:
    """Replace ``target`` by a file holding ``data``, atomically: written whole as a temporary
    file beside it (mode ``0o644`` less the umask; ``fsync``-ed first when ``sync``), then
    renamed over it, so a reader sees the old file or the new one, never part of one (a full
    disk leaves the old); ``sync_folder``: the folder is ``fsync``-ed after the rename too, so
    the new name survives a crash. On any failure the temporary file is removed, ``target`` is
    as it was and the error is raised. The temporary file is named ``prefix`` + the target's
    name + this process's and this thread's ids (two writers never share one; a store that
    ignores names starting with its own prefix passes it: ``snapshots.TMP_PREFIX``). The one
    writer of whole files in place: the front page, a report's HTML, the ``latest`` pointer,
    the snapshot index, the derived-data cache's JSON, the tables (``export.write_file``).
    ``mode``: the new file's permission bits (those of the file it replaces, say) instead."""
    tmp = target.with_name(f"{prefix}{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if mode is not None
                     else 0o644)
        try:
            if mode is not None:
                os.fchmod(fd, mode)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            if sync:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    if sync_folder:
        sync_folder_entries(target.parent)


def same_file(a: str | Path, b: str | Path) -> bool:
    """Whether ``a`` and ``b`` are one existing file (``os.path.samefile``: same device and
    inode, so a hard link, a symbolic link or another spelling of the name on a
    case-insensitive file system); ``False`` when either does not exist."""
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError, TypeError):
        return False


def sync_folder_entries(folder: Path) -> None:
    """``fsync`` the folder itself, so a rename into it survives a crash (POSIX; a folder
    cannot be opened on Windows, where this does nothing)."""
    if os.name == "nt":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
