"""`python -m bot sandbox`: the whole bot offline, with a demo roster and campaign, behind a
browser page that plays any roster person and moves the clock. No token, no network.

sandbox/app.py assembles the bot and the stand-in for Telegram (fakegram), sandbox/demo.py
makes the demo, sandbox/web.py serves the page (sandbox/static/).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import tempfile
import webbrowser
from pathlib import Path

from bot.config import Config


def run(config: Config, port: int, data_dir: Path | None, open_browser: bool) -> int:
    """Run until Ctrl+C (or SIGTERM); the exit code."""
    return asyncio.run(_main(config, port, data_dir, open_browser))


async def _main(config: Config, port: int, data_dir: Path | None, open_browser: bool) -> int:
    from messages import render_text
    from sandbox.app import Sandbox
    from sandbox.web import Page

    temporary = None
    if data_dir is None:
        temporary = tempfile.TemporaryDirectory(prefix="thidua-sandbox-")
        data_dir = Path(temporary.name)
    sandbox = Sandbox(data_dir, config=config)
    page = Page(sandbox)
    try:
        await sandbox.start()
        try:
            await page.start(port)
        except OSError as exc:
            error = exc.strerror or str(exc)
            print(render_text("cli_sandbox_port_busy", port=port, error=error), file=sys.stderr)
            return 1
        print(
            render_text(
                "cli_sandbox_ready",
                url=page.url,
                data_dir=str(data_dir),
                temporary=temporary is not None,
            ),
            flush=True,
        )
        if open_browser:
            asyncio.get_running_loop().run_in_executor(None, _open_browser, page.url)
        await _until_stopped()
        return 0
    finally:
        await page.stop()
        await sandbox.stop()
        if temporary is not None:
            temporary.cleanup()


async def _until_stopped() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for number in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # Windows: Ctrl+C raises
            loop.add_signal_handler(number, stop.set)
    await stop.wait()


def _open_browser(url: str) -> None:
    """Open the page in the user's browser when there is one to open; never fails. On Linux
    without a display, Python would start a text browser in this terminal: not then."""
    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or os.environ.get("BROWSER")
    ):
        return
    with contextlib.suppress(Exception):
        webbrowser.open(url, new=2)
