"""The Support screen: a report made on the spot by the engine's own function, the one
`./install report` runs (installer.report.make.write_report), so the panel holds no collector of
its own and the vendor gets the same file either way; and the remote-support session opened and
closed by the engine's installer.support.actions, the calls behind `./install support open|close`.

One report at a time: it reads every node's logs, and a second click while the first is being made
would only double the load on the site. A session is opened only while none is: whoever is in
through it (the vendor, in this very panel) may close it but never extend or widen it.
"""

from __future__ import annotations

import shutil
import threading
from pathlib import Path
from typing import Any

from installer.errors import AirliftError
from installer.events import EventBus
from installer.hub_link.link import read_link
from installer.report.make import write_report
from installer.support.actions import close_support, open_support
from installer.support.grant import parse_allow, parse_ttl, support_status
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


def session(site: Site) -> dict[str, Any]:
    """What the screen shows: the hub this site is linked with, and the session (None: never)."""
    link = read_link(site.paths)
    return {"hub": link.url if link else None, "session": support_status(site.paths)}


def open_session(site: Site, allow: str, ttl: str, who: str) -> dict[str, Any]:
    """Open a session as `./install support open --allow ALLOW --ttl TTL` does."""
    current = support_status(site.paths)
    if current is not None and current["open"]:
        raise AirliftError(f"A support session is open already, until {current['until']}",
                           hint="close it first; a new one is opened only while none is")
    opened = open_support(site.paths, site.host, parse_allow(allow), parse_ttl(ttl), who)
    return {**session(site), "host_keys": opened.host_keys}


def close_session(site: Site, who: str) -> dict[str, Any]:
    closed = close_support(site.paths, who)
    return {**session(site), "closed": closed.grant is not None, "hub_not_told": closed.hub_not_told}
