"""Warm kernels (issue 12): every report still gets a fresh, isolated kernel process, forked from
a template that has imported the stack and loaded the data; its tables, figures and data-file
list are byte for byte those of a cold kernel."""

from __future__ import annotations

import ast
import json
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
        # module attribute, environment, globals, sys.modules, open figures, rcParams
        assert seen == [None, None, False, [], 0, 1.5], (e["name"], seen)
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
