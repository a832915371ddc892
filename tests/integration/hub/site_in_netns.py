"""Run inside a site's network namespace by test_site_netns.py: connect to the hub, check in
twice, and print the answers as one JSON line (argv: state dir, hub URL, fingerprint, token file)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from installer.host import Host
from installer.hub_link.actions import check_in, connect
from installer.hub_link.transport import HubUnreachable
from installer.services import manager_for


def main(state: str, url: str, fingerprint: str, token_file: str) -> None:
    host, folder = Host(Path("/")), Path(state)
    services = manager_for(host, folder)
    token = Path(token_file).read_text().strip()
    deadline = time.monotonic() + 30
    while True:  # the hub may still be starting
        try:
            done = connect(folder, host, services, url, token, fingerprint, 60)
            break
        except HubUnreachable:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
    second = check_in(folder, host, services, 60)
    print(json.dumps({"site_id": done.link.site_id, "first": done.answer, "second": second}))


if __name__ == "__main__":
    main(*sys.argv[1:5])
