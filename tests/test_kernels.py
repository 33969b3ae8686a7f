"""Warm kernels (issue 12): every report still gets a fresh, isolated kernel process, forked from
a template that has imported the stack and loaded the data; its tables, figures and data-file
list are byte for byte those of a cold kernel."""

from __future__ import annotations

import ast
import contextlib
import json
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from runner_helpers import FIXTURES, assert_manifest_matches_folders, manifest, p2c, runs

from p2c_analysis import execution, kernels, planning
from p2c_analysis import manifest as M

PROFILE = Path(__file__).resolve().parent.parent / "notebooks" / "country_profile.ipynb"


def _render(out: Path, *extra: str) -> Path:
    done = p2c("render", str(PROFILE), "-p", "country", "KEN", "--out", str(out), "--workers",
               "1", "--no-progress", *extra)
    assert done.returncode == 0, done.stdout + done.stderr
    (run_dir,) = runs(out)
    return run_dir


def _images(folder: Path) -> list[str]:
    nb = nbformat.read(next(folder.glob("*.ipynb")), as_version=4)
    return [o["data"]["image/png"] for c in nb.cells for o in c.get("outputs", [])
            if "image/png" in o.get("data", {})]


@pytest.mark.skipif(not PROFILE.is_file(), reason="notebooks/country_profile.ipynb not there")
def test_warm_and_cold_kernels_give_identical_tables_figures_and_provenance(tmp_path):
    warm = _render(tmp_path / "warm")
    cold = _render(tmp_path / "cold", "--cold")
    mw, mc = manifest(warm), manifest(cold)
    (ew,), (ec,) = mw["reports"], mc["reports"]
    assert ew["kernel"]["mode"] == "warm" and ec["kernel"]["mode"] == "cold"
    assert mw["kernels"] == "warm" and mc["kernels"] == "cold"
    fw, fc = warm / ew["folder"], cold / ec["folder"]
    csvs = sorted(p.name for p in fw.glob("*.csv"))
    assert csvs and csvs == sorted(p.name for p in fc.glob("*.csv"))
    for name in csvs:
        assert (fw / name).read_bytes() == (fc / name).read_bytes(), name
    assert _images(fw) and _images(fw) == _images(fc)  # figures: the same PNG bytes
    assert (fw / "data_files.json").read_bytes() == (fc / "data_files.json").read_bytes()
    assert ew["data_files"] == ec["data_files"] and len(ew["data_files"]) > 3
    nb = nbformat.read(next(fw.glob("*.ipynb")), as_version=4)
    counts = [c.execution_count for c in nb.cells if c.cell_type == "code"]
    assert counts == list(range(1, len(counts) + 1))  # a fresh shell: counts start at 1
    # both used the derived-data cache (the warm one through its template)
    assert ew["used_cache"] and set(ew["cache"]) >= {"connectivity.country_year"}
    assert all(v in {"cache", "built", "template/cache", "template/built"}
               for v in ew["cache"].values())


def test_no_state_leaks_from_one_report_to_the_next(tmp_path):
    out = tmp_path / "out"
    done = p2c("batch", str(FIXTURES / "leaky.ipynb"), "--over", "mark=a,b,c", "--workers", "1",
               "--out", str(out), "--no-progress")
    assert done.returncode == 0, done.stdout + done.stderr
    (run_dir,) = runs(out)
    m = assert_manifest_matches_folders(run_dir)
    pids = set()
    for e in m["reports"]:
        assert e["kernel"]["mode"] == "warm"
        seen = ast.literal_eval((run_dir / e["name"] / "seen.txt").read_text())
        # module attribute, environment, globals, sys.modules, open figures, rcParams, and
        # the garbage collector on (the template imports with it off; a report turns it off)
        assert seen == [None, None, False, [], 0, 1.5, True], (e["name"], seen)
        pids.add(e["worker_pid"])
    assert len(pids) == 1  # one worker, one template, three kernels in a row


def test_a_dead_template_means_a_cold_kernel_not_a_failed_report(tmp_path, monkeypatch):
    kernels.discard_spare()  # a kernel prepared ahead by an earlier test would be used
    template = kernels.Template.start()
    template.proc.kill()
    template.proc.wait()
    monkeypatch.setattr(kernels, "_TEMPLATE", template)
    M.update(tmp_path, lambda m: m.update(reports=[]))
    spec = planning.ReportSpec("empty", (FIXTURES / "empty.ipynb").resolve(), {})
    entry = execution.execute_report(spec, tmp_path)
    assert entry["status"] == "ok", entry
    assert entry["kernel"]["mode"] == "cold" and "template" in entry["kernel"]["reason"]
    assert json.loads((tmp_path / "manifest.json").read_text())["reports"][0]["status"] == "ok"
    kernels.set_template(None)


def test_preloads_follow_the_notebooks(tmp_path):
    plain = tmp_path / "a.ipynb"
    plain.write_text("no map here")
    mapped = tmp_path / "b.ipynb"
    mapped.write_text("maps.choropleth(...)")
    assert "p2c_analysis.maps:shapes" not in kernels.preloads_for([plain])
    assert "p2c_analysis.maps:shapes" in kernels.preloads_for([plain, mapped])
    assert "p2c_analysis.connectivity:country_year" in kernels.preloads_for([plain])


def _outputs(folder: Path) -> list[list[dict]]:
    nb = nbformat.read(next(folder.glob("*.ipynb")), as_version=4)
    return [[{k: v for k, v in o.items() if k != "execution_count"} for o in c.outputs]
            for c in nb.cells if c.cell_type == "code"]


def test_warm_kernels_send_streams_and_displays_in_order_as_cold_ones(tmp_path):
    """A warm kernel skips ipykernel's idle waits (no sleep before replies, no IOPub round trip
    when a stream has nothing to flush): outputs still come complete and in order."""
    nb = FIXTURES / "streams.ipynb"
    got = {}
    for mode, extra in (("warm", ()), ("cold", ("--cold",))):
        out = tmp_path / mode
        done = p2c("render", str(nb), "--out", str(out), "--workers", "1", "--no-progress",
                   *extra)
        assert done.returncode == 0, done.stdout + done.stderr
        (run_dir,) = runs(out)
        (entry,) = manifest(run_dir)["reports"]
        assert entry["kernel"]["mode"] == mode
        got[mode] = _outputs(run_dir / entry["folder"])
    assert got["warm"] == got["cold"]
    cells = got["warm"]
    streams = [(o["name"], o["text"]) for o in cells[2]]
    assert ("stdout", "out 1\nout 2\n") in streams and ("stderr", "err 1\n") in streams
    kinds = [o.get("name") or o["output_type"] for o in cells[3]]
    assert kinds == ["stdout", "display_data", "stdout", "execute_result"]
    assert [cells[3][0]["text"], cells[3][2]["text"]] == ["before\n", "after\n"]
    assert cells[4] == [{"output_type": "stream", "name": "stdout",
                         "text": "history kept: False\n"}]  # no IPython history database
    assert "last\n" in "".join(o.get("text", "") for o in cells[5])


SMAPS = """\
00400000-00452000 r-xp 00000000 08:02 173521      /usr/bin/python3
Rss:                 328 kB
VmFlags: rd ex mr mw me dw
01000000-01003000 rw-p 00000000 00:00 0           [heap]
Rss:                  12 kB
VmFlags: rd wr mr mw me ac
7f0000000000-7f000000a000 rw-p 00000000 00:00 0
Size:                 40 kB
Rss:                  36 kB
7f000000a000-7f0000014000 rw-p 00000000 00:00 0
Rss:                   8 kB
7f0000014000-7f0000015000 rw-p 00001000 08:02 42      /usr/lib/libz.so.1
Rss:                   4 kB
7f0000015000-7f0000016000 r--p 00000000 00:00 0
Rss:                   4 kB
7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0           [stack]
Rss:                 132 kB
"""


def test_spares_copy_only_private_anonymous_memory_that_is_nearly_all_resident(tmp_path):
    smaps = tmp_path / "smaps"
    smaps.write_text(SMAPS)
    # the heap (12 of 12 kB) and an arena 36 of 40 kB resident (90 %); not the arena with
    # 8 of 40 kB, nor file-backed, read-only or stack mappings
    assert kernels._resident_private_ranges(str(smaps)) == [
        (0x01000000, 0x3000), (0x7F0000000000, 0xA000)]


def test_spares_are_asked_to_copy_their_memory_only_with_a_free_cpu():
    import socket

    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        tpl = kernels.Template(a, None)
        sent = []
        tpl._ask = lambda msg, fds, **kw: sent.append(msg) or {"pid": 4242}
        assert tpl.fork_kernel(["python"], {}, ".", [0, 1, 2, 3], spare=True, prefault=True) \
            == 4242
        tpl.fork_kernel(["python"], {}, ".", [0, 1, 2], spare=False, prefault=True)
        tpl.fork_kernel(["python"], {}, ".", [0, 1, 2, 3], spare=True)
        assert [m["prefault"] for m in sent] == [True, False, False]
    finally:
        a.close()
        b.close()


def test_warm_kernels_flush_a_stream_only_when_something_was_written(monkeypatch):
    class Stream:
        def __init__(self) -> None:
            self._flush_pending = False
            self._subprocess_flush_pending = False
            self.flushed = 0

        def flush(self) -> None:
            self.flushed += 1
            self._flush_pending = False

    class App:
        class kernel:  # noqa: N801 - stands for ipykernel's kernel object
            _execute_sleep = 0.0005

    out, err = Stream(), Stream()
    monkeypatch.setattr("sys.stdout", out)
    monkeypatch.setattr("sys.stderr", err)
    kernels._without_idle_waits(App)
    assert App.kernel._execute_sleep == 0.0
    out.flush()
    err.flush()
    assert (out.flushed, err.flushed) == (0, 0)  # nothing written: no round trip
    out._flush_pending = True
    err._subprocess_flush_pending = True
    out.flush()
    err.flush()
    assert (out.flushed, err.flushed) == (1, 1)


def test_kernel_manager_start_and_stop_keep_the_ready_future_without_the_pause():
    import asyncio
    import time

    class KM:
        _attempted_start = True
        _ready = None
        owns_kernel = True

    async def ok(km):
        return "started"

    async def broken(km):
        raise RuntimeError("no kernel")

    def as_jupyter_client_wraps(method):  # its in_pending_state: the method, then 10 ms
        async def wrapper(km):
            out = await method(km)
            await asyncio.sleep(0.2)
            return out

        wrapper.__wrapped__ = method
        return wrapper

    async def main():
        km = KM()
        t0 = time.perf_counter()
        assert await kernels._without_pause(km, as_jupyter_client_wraps(ok)) == "started"
        assert km._ready.done() and km._ready.result() is None
        assert time.perf_counter() - t0 < 0.1  # the wrapper's pause was skipped
        with pytest.raises(RuntimeError, match="no kernel"):
            await kernels._without_pause(km, as_jupyter_client_wraps(broken))
        assert isinstance(km._ready.exception(), RuntimeError)

    asyncio.run(main())


def test_report_kernel_clients_try_again_soon_to_reach_a_kernel_not_yet_listening(tmp_path):
    """A kernel that is not a spare is asked for its kernel_info as soon as it is forked,
    before it binds its sockets: the client's sockets must try to connect again within
    milliseconds, not after ZeroMQ's default 100 ms."""
    import zmq

    km = kernels.kernel_manager_class(warm=False)(kernel_name="python3")
    km.connection_file = str(tmp_path / "kernel.json")
    km.write_connection_file()
    kc = km.client()
    assert kc.context.getsockopt(zmq.RECONNECT_IVL) == kernels.RECONNECT_MS < 100
    sockets = [kc.connect_shell(), kc.connect_iopub(), kc.connect_control()]
    try:
        assert [s.getsockopt(zmq.RECONNECT_IVL) for s in sockets] == [kernels.RECONNECT_MS] * 3
    finally:
        for s in sockets:
            s.close(linger=0)
        kc.context.term()


def test_the_runner_prepares_papermill_and_the_exporter_once_for_its_workers(monkeypatch):
    import nbformat.validator

    execution.prepare_workers()
    assert execution._head_started()
    # the head start also compiles the notebook schema that reading the first notebook needs
    monkeypatch.setattr(nbformat.validator, "validators", {})
    execution._head_start.__wrapped__()
    assert nbformat.validator.validators


def test_a_spare_kernel_is_taken_only_once_it_says_it_is_initialised(monkeypatch):
    import socket

    monkeypatch.setattr(kernels, "SPARE_READY_TIMEOUT", 0.2)
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    assert not kernels._spare_ready(ours)  # still initialising: not taken (timed out)
    theirs.send(kernels.READY)
    assert kernels._spare_ready(ours)
    assert ours.gettimeout() is None  # blocking again for the wake message
    theirs.close()
    assert not kernels._spare_ready(ours)  # the spare died
    ours.close()


def test_a_spare_never_ready_is_discarded_in_seconds_and_says_why(tmp_path, monkeypatch,
                                                                   capsys):
    # a spare that does not say it is initialised is killed and a new kernel started: the
    # report waits SPARE_READY_TIMEOUT (10 s, it was a minute), and its manifest entry and log
    # say which spare, why and in which state it was
    import os
    import socket

    assert kernels.SPARE_READY_TIMEOUT <= 10
    monkeypatch.setattr(kernels, "SPARE_READY_TIMEOUT", 0.2)
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    discarded: list[bool] = []

    class Stuck:  # a live kernel process (this one) that never sends "ready"
        pid = os.getpid()

        def poll(self) -> None:
            return None

    spare = kernels._Spare(Stuck(), ["python", "-m", "ipykernel_launcher", "-f", "x.json"],
                           tmp_path / "x.json", ours, tmp_path / "spare.log")
    spare.connection_file.write_text("{}")
    monkeypatch.setattr(spare, "discard", lambda: discarded.append(True))
    monkeypatch.setitem(kernels._SPARE, os.getpid(), spare)
    assert kernels._take_spare(["python", "-m", "ipykernel_launcher", "-f", "y.json"]) is None
    assert discarded == [True]
    why = kernels._launch.discarded
    assert why.startswith(f"spare kernel {os.getpid()}: not ready after 0.2 s (state ")
    assert why in capsys.readouterr().err
    # a usable spare is taken, and nothing is recorded
    theirs.send(kernels.READY)
    ours2, theirs2 = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    theirs2.send(kernels.READY)
    ready = kernels._Spare(Stuck(), spare.argv, spare.connection_file, ours2, spare.log)
    monkeypatch.setitem(kernels._SPARE, os.getpid(), ready)
    assert kernels._take_spare(spare.argv) is ready and kernels._launch.discarded is None
    for sock in (ours, theirs, ours2, theirs2):
        sock.close()


def test_the_templates_warm_up_figure_leaves_matplotlib_as_it_found_it():
    import matplotlib as mpl
    import matplotlib.colors as mcolors
    import matplotlib.pyplot as plt

    original_b = mcolors.colorConverter.colors["b"]
    mcolors.colorConverter.colors["b"] = (0.1, 0.2, 0.3)  # neither matplotlib's nor seaborn's
    try:
        rc, codes, figures = dict(mpl.rcParams), dict(mcolors._colors_full_map), \
            plt.get_fignums()
        kernels.warm_drawing()
        assert dict(mpl.rcParams) == rc
        assert dict(mcolors._colors_full_map) == codes  # what "b" means, among others
        assert mcolors.to_rgb("b") == (0.1, 0.2, 0.3)
        assert plt.get_fignums() == figures  # nothing left in pyplot
    finally:
        mcolors.colorConverter.colors["b"] = original_b


def test_the_templates_look_ups_spare_a_kernel_reading_entry_points_and_import_no_backend():
    """After :func:`kernels.warm_lookups` (in a fresh interpreter, as in a template), what
    ``%matplotlib inline`` asks matplotlib needs no entry point read, and the inline backend
    is still not imported (importing it is the kernel's: see the kernels module)."""
    import subprocess
    import sys

    code = (
        "import sys, importlib.metadata as md\n"
        "from p2c_analysis import kernels\n"
        "kernels.warm_lookups()\n"
        "print('matplotlib_inline.backend_inline' in sys.modules)\n"
        "def refuse(*a, **k):\n"
        "    raise AssertionError('entry points read in the kernel')\n"
        "md.entry_points = refuse\n"
        "from IPython.core.pylabtools import find_gui_and_backend\n"
        "print(find_gui_and_backend('inline'))\n"
        "import p2c_analysis; print('__version__' in vars(p2c_analysis))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:3] == ["False", "(None, 'inline')", "True"]


@contextlib.contextmanager
def _template_server(monkeypatch, preload: list) -> Iterator[kernels._Server]:
    """A template's server in this process (it serves no fork here) with ``preload`` to do and
    the collector off, as in a template still loading; collector and freezing restored after."""
    import gc
    import os
    import socket

    from p2c_analysis import cache, paths

    # a preload forgets what it read (the template's reading is no report's): on copies here
    monkeypatch.setattr(paths, "_FILES_READ", dict(paths._FILES_READ))
    monkeypatch.setattr(cache, "_USES", dict(cache._USES))
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    server = kernels._Server(a, os.getpid(), [])
    server.preload = list(preload)
    gc.disable()
    try:
        yield server
    finally:
        gc.enable()
        gc.unfreeze()
        gc.collect()
        a.close()
        b.close()
        if server.parent_fd is not None:
            os.close(server.parent_fd)


def test_the_template_collects_garbage_again_before_it_serves_a_fork(monkeypatch):
    # it imports and loads with the collector off; forks are served only once the preloads
    # every report uses are done, and by then the collector is back on
    import gc

    with _template_server(monkeypatch, [("p2c_analysis.countries:group_labels", (), None),
                                        ("p2c_analysis.maps:shapes", (), "maps")]) as server:
        assert not server._serving()
        server._preload_one()
        assert server._serving() and gc.isenabled()  # the map shapes may come later


def test_the_templates_imports_are_frozen_before_it_loads_and_its_loads_garbage_collected(
        monkeypatch):
    # the collection before the first fork walks only what the preloads made (the imports'
    # objects are frozen first): garbage from the imports stays, garbage from loading goes
    import gc
    import weakref

    from p2c_analysis import cache

    monkeypatch.setattr(cache, "replay_provenance", lambda *a, **k: 0)
    monkeypatch.setattr(kernels, "WARM_IMPORTS", ("json",))
    monkeypatch.setattr(kernels, "package_modules", lambda: [])

    class Node:
        pass

    def cycle() -> weakref.ref:
        node = Node()
        node.me = node
        return weakref.ref(node)

    with _template_server(monkeypatch,
                          [("p2c_analysis.countries:group_labels", (), None)]) as server:
        frozen = gc.get_freeze_count()
        from_imports = cycle()
        server._warm_imports()
        assert gc.get_freeze_count() > frozen and not gc.isenabled()  # still loading
        from_loading = cycle()
        server._preload_one()
        assert gc.isenabled()
        assert from_loading() is None  # collected before the first fork
        assert from_imports() is not None  # frozen with the imports, never walked


def test_no_kernel_is_prepared_after_a_workers_last_report(tmp_path, monkeypatch):
    import sys
    from concurrent.futures import Future

    from p2c_analysis import runner

    forks: list[list[str]] = []

    class Template:  # records the fork requests, then says it cannot (nothing is started)
        proc = None  # no process: no pages learned from an earlier test's template apply

        def fork_kernel(self, cmd: list[str], *args: object, **kw: object) -> int:
            forks.append(cmd)
            raise kernels.TemplateUnavailable("a test")

    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "kernel.json"]
    try:
        kernels.use_connection_dir(tmp_path, spares=True, ahead=False)
        kernels._prepare_spare(Template(), argv, {})
        assert forks == []
        kernels.use_connection_dir(tmp_path, spares=True)
        kernels._prepare_spare(Template(), argv, {})
        assert len(forks) == 1
        assert list(tmp_path.iterdir()) == []  # the failed spare left no connection file
    finally:
        kernels.use_connection_dir(None)

    # the runner says which reports are the last ones: one per worker
    class Workers:
        workers = 2

        def __init__(self) -> None:
            self.ahead: dict[str, bool] = {}

        def submit(self, spec: planning.ReportSpec, ahead: bool = True) -> Future:
            self.ahead[spec.name] = ahead
            fut: Future = Future()
            fut.set_result({"name": spec.name, "status": "ok"})
            return fut

        def result(self, spec: planning.ReportSpec, fut: Future) -> dict:
            return fut.result()

    specs = [planning.ReportSpec(f"r{i}", FIXTURES / "empty.ipynb", {}) for i in range(5)]
    workers = Workers()
    monkeypatch.setattr(runner.frontpage, "write_index", lambda *a, **k: None)

    class Bar:
        def update(self, n: int) -> None:
            pass

    runner._run_all(workers, specs, tmp_path, Bar(), [])
    assert workers.ahead == {"r0": True, "r1": True, "r2": True, "r3": False, "r4": False}


def _page_buffer(pages: int):
    """A private anonymous mapping of ``pages`` pages, every page written (present), and its
    address."""
    import ctypes
    import mmap

    size = pages * kernels.PAGE_SIZE
    mm = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    for i in range(pages):
        mm[i * kernels.PAGE_SIZE] = 1
    return mm, ctypes.addressof(ctypes.c_char.from_buffer(mm))


def _forked(child) -> tuple[int, int]:
    """Fork: the child runs ``child()``, then waits; returns ``(pid, go_fd)`` once the child
    has run it (:func:`_release` lets it exit)."""
    import os

    ready_r, ready_w = os.pipe()
    go_r, go_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            child()
            os.write(ready_w, b"1")
            os.read(go_r, 1)
        finally:
            os._exit(0)
    os.close(ready_w)
    os.close(go_r)
    assert os.read(ready_r, 1) == b"1"
    os.close(ready_r)
    return pid, go_w


def _release(pid: int, go_w: int) -> None:
    import os

    os.write(go_w, b"1")
    os.close(go_w)
    os.waitpid(pid, 0)


@pytest.mark.skipif(not kernels.warm_supported(), reason="Linux page maps")
def test_the_pages_a_forked_process_wrote_are_read_from_its_page_map():
    page = kernels.PAGE_SIZE
    mm, addr = _page_buffer(8)

    def write_pages_2_and_5_and_6() -> None:
        for i in (2, 5, 6):
            mm[i * page] = 2

    pid, go_w = _forked(write_pages_2_and_5_and_6)
    try:
        runs = kernels.written_pages(pid, [(addr, 8 * page)])
    finally:
        _release(pid, go_w)
    # the other pages are still shared with this process: not the child's alone
    assert runs == [(addr + 2 * page, page), (addr + 5 * page, 2 * page)]
    assert any(lo <= addr and addr + 8 * page <= lo + size
               for lo, size in kernels.private_ranges())
    mm.close()


@pytest.mark.skipif(not kernels.warm_supported(), reason="Linux page maps")
def test_a_spare_copies_ahead_the_pages_learned_from_a_report_and_only_those(tmp_path,
                                                                            monkeypatch):
    import os
    import types

    page = kernels.PAGE_SIZE
    mm, addr = _page_buffer(8)

    def report() -> None:  # a "report's kernel": writes pages 1 and 6 of the shared memory
        mm[1 * page] = 3
        mm[6 * page] = 3

    pid, go_w = _forked(report)
    template = types.SimpleNamespace(proc=types.SimpleNamespace(pid=os.getpid()))
    kernel = types.SimpleNamespace(pid=pid, template=template)
    monkeypatch.setattr(kernels, "_HOT_PAGES", [None])
    monkeypatch.setattr(kernels, "_PREFAULT", [False])
    try:
        kernels.use_connection_dir(tmp_path, spares=True)
        kernels._learn_hot_pages(kernel)
    finally:
        _release(pid, go_w)
        kernels.use_connection_dir(None)
    learned = kernels._hot_pages_file(template, tmp_path)
    assert learned and Path(learned).parent == tmp_path
    from array import array

    flat = array("Q", Path(learned).read_bytes())
    runs = list(zip(flat[::2], flat[1::2], strict=True))
    assert (addr + page, page) in runs and (addr + 6 * page, page) in runs
    assert not any(lo <= addr < lo + size for lo, size in runs)  # page 0: not written
    assert kernels._hot_pages_file(template, tmp_path / "other") is False  # another run

    # a spare (a fresh fork) copies exactly those pages ahead: then they are its own
    result_r, result_w = os.pipe()

    def spare() -> None:
        kernels._copy_ahead(learned)  # what a spare does with the file named in its request
        own = kernels.written_pages(os.getpid(), [(addr, 8 * page)])
        os.write(result_w, repr(own).encode())

    pid, go_w = _forked(spare)
    os.close(result_w)
    try:
        own = os.read(result_r, 1 << 16).decode()
    finally:
        _release(pid, go_w)
        os.close(result_r)
    assert own == repr([(addr + page, page), (addr + 6 * page, page)])
    mm.close()


# --- start-up: what the command and the template import before the first kernel --------------
def _python(code: str) -> str:
    import subprocess
    import sys

    from runner_helpers import p2c_env

    from p2c_analysis import paths

    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=paths.ROOT, env=p2c_env(), timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_package_reads_its_version_only_when_asked():
    # importing the package (every p2c command, template and kernel does) no longer imports
    # importlib.metadata; __version__ is still the installed version
    from importlib.metadata import version

    out = _python("import sys, p2c_analysis; print('importlib.metadata' in sys.modules); "
                  "print(p2c_analysis.__version__); print('importlib.metadata' in sys.modules)")
    assert out.splitlines() == ["False", version("p2c-analysis"), "True"]
    import p2c_analysis

    with pytest.raises(AttributeError):
        _ = p2c_analysis.no_such_thing


def test_the_command_starts_the_template_before_it_imports_the_runner(tmp_path):
    # the template is on the critical path of every run: it is launched as soon as the
    # command knows what it renders, before the runner's own imports
    out = _python(
        "import os, sys\n"
        "from p2c_analysis import cli, kernels\n"
        "def start(*a, **k):\n"
        "    print('runner imported:', 'p2c_analysis.runner' in sys.modules, flush=True)\n"
        "    os._exit(0)\n"
        "kernels.Template.start = start\n"
        f"cli.main(['batch', 'country_profile', '--over', 'country=KEN', '--out', "
        f"{str(tmp_path)!r}])\n"
    )
    assert out == "runner imported: False"


def test_make_install_compiles_the_packages_bytecode():
    # with PYTHONDONTWRITEBYTECODE set no process keeps it, and every command, template and
    # cold kernel would compile the package's modules again
    import subprocess

    from p2c_analysis import paths

    done = subprocess.run(["make", "-n", "install"], capture_output=True, text=True,
                          cwd=paths.ROOT, timeout=60)
    assert "compileall" in done.stdout and "p2c_analysis" in done.stdout
