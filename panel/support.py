"""The Support screen's report: made on the spot by the engine's own function, the one
`./install report` runs (installer.report.make.write_report), so the panel holds no collector of
its own and the vendor gets the same file either way.

One report at a time: it reads every node's logs, and a second click while the first is being made
would only double the load on the site.
"""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

from installer.errors import AirliftError
from installer.events import EventBus
from installer.report.make import write_report
from panel.site import Site

_making = threading.Lock()


def produce_report(site: Site, folder: Path) -> Path:
    """Write a support report of `site` into `folder` and return its file; AirliftError while
    another one is being made or when nothing is installed."""
    if not _making.acquire(blocking=False):
        raise AirliftError("A support report is being made already",
                           hint="wait until it has downloaded; ask for another one afterwards if you need it")
    try:
        return write_report(site.host, site.state_dir, EventBus(), folder).path
    finally:
        _making.release()


def discard(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
