"""`python -m bot sandbox` as a process, for the browser test and bench/sandbox_start.py."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.load(response)


@dataclass
class SandboxProcess:
    process: subprocess.Popen[bytes]
    url: str
    data_dir: Path
    started_in: float  # seconds from starting the process to a usable page

    def state(self) -> Any:
        return get_json(self.url + "api/state")

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Until the demo is in place (people registered, the campaign launched)."""
        deadline = time.monotonic() + timeout
        while not self.state()["ready"]:
            if time.monotonic() > deadline:
                raise AssertionError("the sandbox's demo was not ready in time")
            time.sleep(0.05)


@contextlib.contextmanager
def sandbox_process(data_dir: Path, timeout: float = 30.0) -> Iterator[SandboxProcess]:
    """Start the sandbox on a free port with `data_dir`, wait until its page is usable (the
    page and the roster served), yield it, stop it with SIGTERM (as Ctrl+C would)."""
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(data_dir),
        "PYTHONPATH": str(ROOT),
        "LANG": "C.UTF-8",
    }
    data_dir.mkdir(parents=True, exist_ok=True)
    # Its output goes to a file: a pipe nobody reads would stop it once full.
    output = (data_dir / "sandbox.log").open("wb")
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "sandbox", "--port", str(port), "--no-browser",
         "--data", str(data_dir)],
        cwd=data_dir, env=env, stdout=output, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/"
    try:
        while True:
            if process.poll() is not None:
                log = (data_dir / "sandbox.log").read_text("utf-8", "replace")
                raise AssertionError(f"the sandbox stopped:\n{log}")
            if time.perf_counter() - started > timeout:
                raise AssertionError("the sandbox's page did not come up in time")
            with contextlib.suppress(OSError, urllib.error.URLError, ValueError):
                with urllib.request.urlopen(url, timeout=2) as page:
                    page.read()
                if get_json(url + "api/state")["units"]:
                    break
            time.sleep(0.02)
        yield SandboxProcess(process, url, data_dir, time.perf_counter() - started)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        output.close()
