"""`make lab`: a kernel started by the Jupyter server with the Makefile's options runs code and
prints no ipykernel warning into the researcher's terminal."""

from __future__ import annotations

import asyncio
import json
import re
import shlex
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

from p2c_analysis import paths

JUPYTER = Path(sys.executable).parent / "jupyter"
TOKEN = uuid.uuid4().hex


def lab_options() -> list[str]:
    """The options ``make lab`` gives JupyterLab (the Makefile's ``LAB_OPTS``)."""
    text = (paths.ROOT / "Makefile").read_text(encoding="utf-8")
    found = re.search(r"^LAB_OPTS\s*:=\s*(.*)$", text, flags=re.M)
    assert found, "the Makefile defines no LAB_OPTS for make lab"
    recipe = re.search(r"^lab:.*\n\t(.*)$", text, flags=re.M)
    assert recipe and "$(LAB_OPTS)" in recipe.group(1), "make lab does not use LAB_OPTS"
    return shlex.split(found.group(1))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _api(port: int, path: str, body: dict | None = None) -> dict:
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", method="POST" if body is not None else "GET",
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"token {TOKEN}"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.load(resp)


def _wait_ready(port: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        assert proc.poll() is None, "the Jupyter server exited"
        try:
            _api(port, "/api/status")
            return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    raise AssertionError("the Jupyter server did not start")


async def _printed(port: int, kernel_id: str, code: str) -> str:
    from tornado.websocket import websocket_connect

    ws = await websocket_connect(
        f"ws://127.0.0.1:{port}/api/kernels/{kernel_id}/channels?token={TOKEN}")
    header = {"msg_id": uuid.uuid4().hex, "username": "test", "session": uuid.uuid4().hex,
              "msg_type": "execute_request", "version": "5.3"}
    await ws.write_message(json.dumps({
        "header": header, "parent_header": {}, "metadata": {}, "channel": "shell",
        "content": {"code": code, "silent": False}, "buffers": []}))
    try:
        for _ in range(50):
            raw = await asyncio.wait_for(ws.read_message(), 30)
            if isinstance(raw, str):
                msg = json.loads(raw)
                if msg.get("msg_type") == "stream":
                    return msg["content"]["text"]
        return ""
    finally:
        ws.close()


def test_make_lab_kernels_run_without_the_tcp_warning(tmp_path):
    port = _free_port()
    log = tmp_path / "server.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [str(JUPYTER), "server", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
             f"--ServerApp.token={TOKEN}", f"--ServerApp.root_dir={tmp_path}",
             "--allow-root", *lab_options()],
            stdout=out, stderr=subprocess.STDOUT, cwd=tmp_path)
    try:
        _wait_ready(port, proc)
        kernel = _api(port, "/api/kernels", {"name": "python3"})
        assert asyncio.run(_printed(port, kernel["id"], "print(6 * 7)")).strip() == "42"
        time.sleep(0.5)  # anything the kernel logs at start-up has reached the server's output
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    text = log.read_text()
    assert "Kernel is running over TCP without encryption" not in text
    assert "WARNING" not in text.replace("WARNING | No web browser", "")
