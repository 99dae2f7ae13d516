"""File work off the event loop: reading and writing rosters, forms and exports in a worker.

Parsing a 20,000-row XLSX takes about half a second of CPU; on the event loop it would hold up
every chat and the broadcast pacer for that long. `in_worker` runs such a function in a small
pool of threads of its own, so the loop keeps answering; at most `WORKERS` files are worked on
at once, which also bounds the memory several large files can take together.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

WORKERS = 2
_POOL = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="formats")


async def in_worker(function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """`function(*args, **kwargs)` in a worker thread; its exception is raised here."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_POOL, functools.partial(function, *args, **kwargs))
