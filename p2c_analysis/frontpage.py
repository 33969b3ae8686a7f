"""The front page of a run: ``<run>/index.html``, what a reviewer opens first.

One card per report: its title, the headline numbers its notebook states, its parameters, its
status and a link to its page; a failed report shows the cell line that raised and its error,
with a link to the executed notebook. The header gives the run, the data vintage and a warning
when any report rests on synthetic data. ``reports/latest/index.html`` is the newest run's.

Headline numbers come from the ``summary.json`` a report notebook MAY write into its folder::

    {"title": "Kenya", "headline": [{"label": "People offline", "value": "28.1 M"}],
     "is_synthetic": false, "data_vintage": "WDI, 13 July 2026"}

(read and checked by :func:`p2c_analysis.execution.read_summary`; without it the card shows
the notebook's name and parameters). A run whose every report failed says so above its
cards, with the command that renders them again (:func:`nothing_rendered_banner`). A run that
has not finished says so above the cards (:func:`unfinished_banner`): an interrupted run that
it is incomplete, which reports it lacks and the command that finishes it; a running one the
same command, for when no ``p2c`` renders it any more (it was killed outright, and nothing
could rewrite this page).

Like the reports, the page is self-contained: inline style only, no script, nothing loaded
from the network; every text is HTML-escaped; a print style sheet keeps cards whole and prints
link targets. A long word (a pledge file's path among the parameters, an error naming one)
breaks anywhere, so a card never grows past its column, on screen or on paper.
"""

from __future__ import annotations

import shlex
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any
from urllib.parse import quote

from p2c_analysis import manifest as M
from p2c_analysis import paths
from p2c_analysis.text import html_text

INDEX = "index.html"

_CSS = """
:root { --ok: #1b7837; --failed: #b2182b; --other: #8c6d1f; --line: #d0d4da; --muted: #5b6470; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
  margin: 0 auto; max-width: 72rem; padding: 1.5rem; color: #1f2328; line-height: 1.45;
  overflow-wrap: anywhere; }
header h1 { margin: 0 0 .3rem; font-size: 1.6rem; }
.meta, .params, .files, .vintage { color: var(--muted); font-size: .9rem; }
.scope { font-size: .9rem; font-style: italic; }
.banner { border: 3px solid #d55e00; background: #fff4e5; padding: .6rem .9rem; margin: .8rem 0;
  font-weight: bold; }
.banner code, .progress code { font-weight: normal; overflow-wrap: anywhere; }
.progress { border: 2px solid var(--line); padding: .6rem .9rem; margin: .8rem 0; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(20rem, 1fr));
  gap: 1rem; margin-top: 1.2rem; padding: 0; list-style: none; }
.card { border: 1px solid var(--line); border-left: 6px solid var(--other); border-radius: 6px;
  padding: .8rem 1rem; background: #fff; min-width: 0; }
.card.ok { border-left-color: var(--ok); }
.card.failed { border-left-color: var(--failed); }
.card h2 { font-size: 1.1rem; margin: 0 0 .2rem; }
.status { font-weight: bold; font-size: .85rem; text-transform: uppercase; letter-spacing: .03em; }
.ok .status { color: var(--ok); } .failed .status { color: var(--failed); }
.other .status { color: var(--other); }
dl.headline { display: grid; grid-template-columns: auto auto; gap: .15rem .8rem; margin: .6rem 0; }
dl.headline dt { color: var(--muted); } dl.headline dd { margin: 0; font-weight: 600;
  text-align: right; font-variant-numeric: tabular-nums; }
.error { background: #fdecee; border-radius: 4px; padding: .4rem .6rem; font-size: .9rem;
  overflow-wrap: anywhere; }
.error code { white-space: pre-wrap; }
.tag { display: inline-block; font-size: .75rem; border: 1px solid #d55e00; color: #a8430a;
  border-radius: 3px; padding: 0 .3rem; margin-left: .3rem; }
footer { margin-top: 2rem; color: var(--muted); font-size: .85rem; }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  .cards { display: block; }
  .card { break-inside: avoid; page-break-inside: avoid; margin: 0 0 .6rem;
    border-left-width: 4px; }
  a { color: inherit; text-decoration: none; }
  .card h2 a[href]::after, .files a[href]::after, .banner a[href]::after {
    content: " (" attr(href) ")";
    font-size: 8pt; font-weight: normal; color: var(--muted); }
}
"""


def _e(text: Any) -> str:
    """``text`` HTML-escaped, without invisible format characters, as the reports' text
    (:func:`p2c_analysis.text.html_text`): a right-to-left override in an error naming a file
    showed the rest of its card's line reversed."""
    return html_text("" if text is None else str(text))


def _href(path: str) -> str:
    return _e(quote(path, safe="/"))


def _changes_text(changes: object) -> str:
    """" with N files changed" after the commit when the checkout differed from it (the
    manifest's ``git_changes``; nothing when clean or unknown)."""
    if not isinstance(changes, list) or not changes:
        return ""
    n = len(changes)
    return f" with {n:,} uncommitted {'change' if n == 1 else 'changes'}"


def _summary(entry: dict[str, Any]) -> dict[str, Any]:
    """The report's ``summary`` (from its ``summary.json``); ``{}`` when it has none (or a
    manifest edited by hand holds something else there)."""
    summary = entry.get("summary")
    return summary if isinstance(summary, dict) else {}


def _title(entry: dict[str, Any]) -> str:
    """The card's title: the notebook's own title (first heading), then what this run of it
    is about (the report's subtitle from ``summary.json``, e.g. "Nigeria (NGA), data for
    2024"), after a colon, or a dash when the title has a colon of its own ("The connectivity
    gap: who is offline — Data for 2024", not two colons); the notebook's name when neither is
    known."""
    summary = _summary(entry)
    stem = Path(str(entry.get("notebook") or entry.get("name") or "report")).stem
    main = str(entry.get("title") or stem.replace("_", " ").capitalize())
    sub = summary.get("title")
    if not sub:
        return main
    return f"{main} — {sub}" if ":" in main else f"{main}: {sub}"


def _param_text(params: Any) -> str:
    if not isinstance(params, dict) or not params:
        return "defaults"
    return "; ".join(f"{k} = {v!r}" if isinstance(v, str) else f"{k} = {v}"
                     for k, v in params.items())  # fmt: skip


def in_run(run_dir: Path, rel: object) -> str | None:
    """``rel`` (a ``folder`` or ``html`` path from the manifest) when it names a place inside
    ``run_dir``: a relative path without ``..``, backslash or drive that, symbolic links
    followed, stays in the run folder. ``None`` otherwise (absent, absolute, ``../x``, a link
    out: a manifest edited by hand or tampered with): the front page neither reads nor links
    such a path, only what its run folder holds."""
    if not isinstance(rel, str) or not rel.strip():
        return None
    pure = PurePosixPath(rel)
    if pure.is_absolute() or ".." in pure.parts or "\\" in rel or PureWindowsPath(rel).drive:
        return None
    root = run_dir.resolve()
    return rel if (root / pure).resolve().is_relative_to(root) else None


#: The line a card shows in place of a link the manifest gives outside the run folder.
OUTSIDE_NOTE = ('<p class="files">Not linked: manifest.json names a path outside this run '
                "folder.</p>")


def _card(run_dir: Path, e: dict[str, Any]) -> str:
    status = str(e.get("status") or "pending")
    kind = status if status in M.FINAL else "other"
    name = str(e.get("name"))
    folder, html_rel = in_run(run_dir, e.get("folder")), in_run(run_dir, e.get("html"))
    outside = (folder is None and bool(e.get("folder"))) or \
        (html_rel is None and bool(e.get("html")))
    summary = _summary(e)
    title = _e(_title(e))
    if status == "ok" and html_rel and (run_dir / html_rel).is_file():
        title = f'<a href="{_href(html_rel)}">{title}</a>'
    parts = [f'<article class="card {kind}" id="{_e(name)}">', f"<h2>{title}</h2>"]
    label = {"ok": "rendered", "failed": "failed"}.get(status, status)
    sub = f' <span class="params">({_e(name)})</span>' if _e(name) != _title(e) else ""
    tags = ' <span class="tag">synthetic data</span>' if summary.get("is_synthetic") else ""
    parts.append(f'<p><span class="status">{_e(label)}</span>{sub}{tags}</p>')
    items = summary.get("headline")
    items = [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []
    if items:
        parts.append('<dl class="headline">' + "".join(
            f"<div><dt>{_e(i.get('label'))}</dt><dd>{_e(i.get('value'))}</dd></div>"
            for i in items) + "</dl>")  # fmt: skip
    if status == "failed":
        from p2c_analysis.execution import failure_location

        where = failure_location(e)
        where = f"<code>in {_e(where)}</code><br>" if where else ""
        parts.append(f'<p class="error">{where}{_e(e.get("error"))}</p>')
    params = e.get("effective_parameters") if isinstance(e.get("effective_parameters"), dict) \
        else e.get("parameters")
    parts.append(f'<p class="params">Parameters: {_e(_param_text(params))}</p>')
    if summary.get("pledge_scope"):  # the headline numbers are not the whole coalition's
        parts.append(f'<p class="scope">{_e(summary["pledge_scope"])}</p>')
    if summary.get("data_vintage"):
        parts.append(f'<p class="vintage">Data: {_e(summary["data_vintage"])}</p>')
    if summary.get("error"):
        parts.append(f'<p class="vintage">{_e(summary["error"])}</p>')
    links = []
    if folder and (run_dir / folder).is_dir():
        nb = Path(str(e.get("notebook") or name)).name
        if (run_dir / folder / nb).is_file():
            links.append(f'<a href="{_href(f"{folder}/{nb}")}">executed notebook</a>')
        links.append(f'<a href="{_href(folder + "/")}">folder</a>')
    if links:
        parts.append(f'<p class="files">{" · ".join(links)}</p>')
    if outside:
        parts.append(OUTSIDE_NOTE)
    parts.append("</article>")
    return "\n".join(parts)


#: Names of unfinished reports a front page lists before "and N more".
SHOW_UNFINISHED = 10


def resume_command(manifest: dict[str, Any], run_id: str) -> str:
    """The command that finishes run ``run_id``: the one that made it (the manifest's
    ``command``) with ``--resume <run id>`` in place of any ``--resume`` it had, quoted for a
    shell; a description of it when the run was not made by the ``p2c`` command."""
    command = manifest.get("command")
    if not (isinstance(command, list) and command and all(isinstance(w, str) for w in command)):
        return f"the p2c render or p2c batch command that made it, with --resume {run_id}"
    words: list[str] = []
    skip = False
    for word in command:
        if skip or word.startswith("--resume="):
            skip = False
            continue
        skip = word == "--resume"
        if not skip:
            words.append(word)
    return shlex.join([*words, "--resume", run_id])


def _names_text(names: list[str]) -> str:
    """``a, b, c`` (at most :data:`SHOW_UNFINISHED`, then "and N more")."""
    shown = ", ".join(names[:SHOW_UNFINISHED])
    more = len(names) - SHOW_UNFINISHED
    return f"{shown} and {more:,} more" if more > 0 else shown


def unfinished_banner(manifest: dict[str, Any], run_id: str, state: str) -> str:
    """The paragraph that says a run is not finished (HTML; ``""`` for a finished run): for an
    ``interrupted`` run, that it is incomplete, how many and which reports it lacks, and the
    command that renders them into it; for a ``running`` one, the same command for when no
    ``p2c`` renders it any more."""
    if state not in ("interrupted", "running"):
        return ""
    reports = [r for r in manifest.get("reports") or [] if isinstance(r, dict)]
    n_ok = sum(r.get("status") == "ok" for r in reports)
    todo = [str(r.get("name")) for r in reports if r.get("status") not in M.FINAL]
    command = f"<code>{_e(resume_command(manifest, run_id))}</code>"
    if state == "running":
        return (f'<p class="progress">In progress: {n_ok:,} of {len(reports):,} reports rendered '
                "so far; this page is rewritten as they finish. If no p2c is rendering this run "
                f"any more (it was killed), finish it with {command}</p>")
    failed = len(reports) - n_ok - len(todo)
    failed_text = f" and {failed:,} failed" if failed else ""
    lacks = (f"; not rendered: {_e(_names_text(todo))}" if todo else "")
    return (f'<p class="banner">&#9888; Incomplete run: it was interrupted with {n_ok:,} of '
            f"{len(reports):,} reports rendered{failed_text}{lacks}. Finish it (the rendered "
            f"reports are kept) with {command}</p>")


def nothing_rendered_banner(manifest: dict[str, Any], run_id: str, state: str,
                            run_dir: Path | None = None) -> str:
    """The paragraph that says a finished run rendered nothing, every report of it failed
    (HTML; ``""`` otherwise): such a run is ``latest`` too (it is the run ``--resume latest``
    renders again), and its page says so before its cards of failures, with the command, and
    links the newest earlier run in the same output folder that rendered a report
    (:func:`earlier_rendered`), where a reviewer finds the last results."""
    reports = [r for r in manifest.get("reports") or [] if isinstance(r, dict)]
    if state != "finished" or not reports or any(r.get("status") != "failed" for r in reports):
        return ""
    command = f"<code>{_e(resume_command(manifest, run_id))}</code>"
    which = "its one report" if len(reports) == 1 else f"all {len(reports):,} reports of this run"
    cards = "card below says" if len(reports) == 1 else "cards below say"
    earlier = earlier_rendered(run_dir) if run_dir is not None else None
    before = (f' The newest earlier run with rendered reports is <a href="../{_e(earlier.name)}/'
              f'{INDEX}">{_e(earlier.name)}</a>.' if earlier is not None else
              " No earlier run in this folder rendered a report.")
    return (f'<p class="banner">&#9888; Nothing was rendered: {which} failed (the {cards} '
            "where). These are not results; render them again into this run with "
            f"{command}.{before}</p>")


def earlier_rendered(run_dir: Path) -> Path | None:
    """The newest run folder beside ``run_dir`` that started before it and rendered at least
    one report (``ok`` in its manifest); ``None`` when there is none or none can be read."""
    for other in reversed(M.run_folders(run_dir.parent)):
        if other.name >= run_dir.name:
            continue
        try:
            entries = M.read(other).get("reports") or []
        except (OSError, M.ManifestReadError):
            continue
        if any(isinstance(e, dict) and e.get("status") == "ok" for e in entries):
            return other
    return None


def render_index(run_dir: Path, manifest: dict[str, Any] | None = None) -> str:
    """The HTML text of the run's front page (from ``manifest.json`` and the report folders)."""
    m = manifest if manifest is not None else M.read(run_dir)
    reports = [r for r in m.get("reports") or [] if isinstance(r, dict)]
    n_ok = sum(r.get("status") == "ok" for r in reports)
    n_failed = sum(r.get("status") == "failed" for r in reports)
    summaries = [_summary(r) for r in reports]
    vintages = sorted({str(s["data_vintage"]) for s in summaries if s.get("data_vintage")})
    synthetic = [r for r, s in zip(reports, summaries, strict=True) if s.get("is_synthetic")]
    # the run's own word (an interrupted run has a ``finished`` time too: when it stopped)
    state = str(m.get("state") or ("finished" if m.get("finished") else "in progress"))
    ended = "finished" if state == "finished" else "ended"
    run_id = _e(m.get("run_id") or run_dir.name)
    incomplete = " (incomplete)" if state == "interrupted" else ""
    head = [
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Reports — run {run_id}{incomplete}</title>", f"<style>{_CSS}</style>",
        "</head>", "<body>",
        "<header>", "<h1>p2c-analysis reports</h1>",
        f'<p class="meta">Run {run_id} · {_e(state)} · {n_ok} of {len(reports)} rendered'
        + (f", {n_failed} failed" if n_failed else "")
        + f" · started {_e(m.get('started'))}"
        + (f" · {ended} {_e(m.get('finished'))}" if m.get("finished") else "")
        + f" · p2c-analysis {_e(m.get('p2c_analysis_version'))}"
        + f" · commit {_e(str(m.get('git_commit') or 'unknown')[:12])}"
        + _changes_text(m.get("git_changes")) + "</p>",
    ]  # fmt: skip
    rid = str(m.get("run_id") or run_dir.name)
    banner = (unfinished_banner(m, rid, state)
              or nothing_rendered_banner(m, rid, state, run_dir))
    if banner:
        head.append(banner)
    if synthetic:
        names = ", ".join(_e(_title(r)) for r in synthetic)
        head.append(f'<p class="banner">&#9888; Synthetic data: {len(synthetic)} of '
                    f"{len(reports)} reports rest on synthetic inputs ({names}). Their numbers "
                    "are illustrations, not findings.</p>")
    changed = m.get("data_files_changed")
    if isinstance(changed, dict) and changed:
        head.append(f'<p class="banner">&#9888; Data changed during this run: the reports did '
                    f"not all read the same version of {_e(_names_text(sorted(map(str, changed))))}"
                    " (edited while the run went on, or before a resume). Each report's "
                    "data_files.json names the version it read; reports that read different "
                    "versions may not agree.</p>")
    vintage = "; ".join(_e(v) for v in vintages) if vintages else \
        "not stated by the reports (see each report's data section and manifest.json)"
    head.append(f'<p class="vintage">Data vintage: {vintage}</p>')
    head.append("</header>")
    cards = [_card(run_dir, r) for r in reports]
    tail = ['<footer><a href="manifest.json">manifest.json</a> (parameters, versions, data '
            'checksums, timings) · <a href="logs/">logs/</a></footer>', "</body>", "</html>"]
    return "\n".join([*head, '<main class="cards">', *cards, "</main>", *tail]) + "\n"


def write_index(run_dir: Path, manifest: dict[str, Any] | None = None) -> Path | None:
    """Write ``<run>/index.html`` atomically; ``None`` when it could not be written."""
    target = run_dir / INDEX
    try:
        paths.replace_text(target, render_index(run_dir, manifest), sync=False)
    except OSError:
        return None
    return target
