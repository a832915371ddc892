"""Dial-out only: a site in a network namespace that drops every inbound TCP connection still
enrolls and checks in with a hub in another namespace, since it only ever opens connections
itself; the hub, trying the other way, gets nowhere."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.fixtures.net import free_port
from tests.fixtures.netns_lab import NetnsLab
from tests.integration.hub.conftest import REPO, _fingerprint, hub_command

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]
HUB, SITE = 0, 1


@pytest.fixture
def lab() -> Iterator[NetnsLab]:
    with NetnsLab(2) as lab:
        yield lab


def test_a_site_whose_inbound_tcp_is_dropped_still_checks_in(lab, tmp_path):
    data = tmp_path / "hub-data"
    run = dict(cwd=REPO, capture_output=True, text=True, timeout=60, check=True)
    subprocess.run(hub_command("migrate", data=data, database="sqlite"), **run)  # type: ignore[call-overload]
    made = subprocess.run(hub_command("token", "create", "--scope", "enroll", data=data,  # type: ignore[call-overload]
                                      database="sqlite"), **run)
    token_file = tmp_path / "token"
    token_file.write_text(made.stdout.strip().splitlines()[-1])
    lab.run(SITE, ["iptables", "-A", "INPUT", "-p", "tcp", "--syn", "-j", "DROP"])
    port = free_port()
    hub = lab.popen(HUB, hub_command("serve", "--listen", f"{lab.address(HUB)}:{port}", data=data, database="sqlite"),
                    cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        fingerprint = _fingerprint(hub)
        site = lab.popen(SITE, [sys.executable, "-m", "tests.integration.hub.site_in_netns", str(tmp_path / "state"),
                                f"https://{lab.address(HUB)}:{port}", fingerprint.removeprefix("SHA256:"),
                                str(token_file)], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        out, err = site.communicate(timeout=120)
        assert site.returncode == 0, err
        answers = json.loads(out.strip().splitlines()[-1])
        assert answers["first"]["state"] == "online" and answers["second"]["seq"] == 3
        knock = lab.run(HUB, [sys.executable, "-c", "import socket; socket.create_connection"
                              f"(('{lab.address(SITE)}', 22), timeout=2)"])
        assert knock.returncode != 0 and "timed out" in knock.stderr  # dropped, not even refused
    finally:
        hub.terminate()
        hub.wait(timeout=20)
