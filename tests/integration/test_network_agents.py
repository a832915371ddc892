"""/checks/network through real agents: an HTTPS hub on loopback, two agents (run_agent, as
`./install join` runs it) at 127.0.0.2 and 127.0.0.3, and this host at 127.0.0.1. The probe rounds
travel as `probe` tasks; the clock offsets come with the agents' answers; a failing check stops
the phase with ChecksFailed and a check event."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from installer.agent_hub import AgentHub
from installer.checks import network as net
from installer.errors import AirliftError
from installer.events import EventBus
from installer.manifest import Flavor, FlavorNode
from installer.node_agent import main as agent_main
from installer.node_agent.main import JoinRequest, run_agent
from installer.phases.checks import ChecksFailed
from installer.phases.network_checks import PHASE, check_cluster
from tests.fixtures.net import free_port, wait_until

pytestmark = pytest.mark.integration

# Room for one more worker, so a refused join is refused for its name or address, not for a full cluster.
FLAVOR = Flavor(name="four", description="", nodes=(FlavorNode("master", 1), FlavorNode("worker", 3)))
GB = 1024**3


@pytest.fixture
def cluster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[AgentHub, list]]:
    bus = EventBus()
    events: list = []
    bus.add_sink(events.append)
    hub = AgentHub(bus, FLAVOR, "installer-host", "master")
    hub.listen(tmp_path / "state", "127.0.0.1", 0)
    agents = []
    for i in (2, 3):  # one at a time, so each joins under its own hostname
        monkeypatch.setattr(agent_main, "hostname", lambda i=i: f"node-{i}")
        req = JoinRequest("127.0.0.1", hub.port, hub.token, hub.fingerprint, "worker", f"127.0.0.{i}",
                          tmp_path / f"agent-{i}", tmp_path / f"root-{i}")
        agent = threading.Thread(target=run_agent, args=(req, lambda line: None), daemon=True)
        agent.start()
        agents.append(agent)
        assert wait_until(lambda i=i: hub.nodes.get(f"node-{i}") is not None, timeout=20)
    try:
        yield hub, events
    finally:
        hub.finish_all(timeout=30)
        for agent in agents:
            agent.join(10)
        hub.stop()


def members(ports: tuple, rate: int) -> list[net.Member]:
    return [net.Member(name, f"127.0.0.{i}", ports, rate)
            for i, name in ((1, "installer-host"), (2, "node-2"), (3, "node-3"))]


def test_the_rounds_run_on_every_node_through_its_agent(cluster):
    hub, events = cluster
    ports = (("tcp", free_port()), ("udp", free_port(socket.SOCK_DGRAM)))
    started = time.monotonic()
    results = {r.id: r for r in check_cluster(members(ports, 1024 * 1024), hub, set(), hub.bus)}
    assert time.monotonic() - started < 30
    assert results["network-ports"].status == "pass" and "12 connections" in results["network-ports"].message
    assert results["network-bandwidth"].status == "pass", results["network-bandwidth"]
    assert results["clock-drift-pairs"].status == "pass" and "widest gap" in results["clock-drift-pairs"].message
    checks = [e for e in events if e.kind == "check" and e.phase == PHASE]
    assert [e.data["id"] for e in checks] == ["network-ports", "network-bandwidth", "clock-drift-pairs"]


def test_a_failing_check_fails_the_phase_and_a_skipped_one_is_shown_skipped(cluster):
    hub, events = cluster
    ports = (("tcp", free_port()),)
    with pytest.raises(ChecksFailed) as failed:
        check_cluster(members(ports, 1000 * GB), hub, {"network-ports"}, hub.bus)
    assert [r.id for r in failed.value.failed] == ["network-bandwidth"]
    assert "installer-host sends to node-2 at" in failed.value.details
    assert "below the required 1000.0 GiB/s" in failed.value.details
    shown = {e.data["id"]: e.status for e in events if e.kind == "check" and e.phase == PHASE}
    assert shown == {"network-ports": "skipped", "network-bandwidth": "fail", "clock-drift-pairs": "pass"}


def test_a_host_with_a_taken_hostname_or_address_is_refused_and_the_installer_says_so(cluster, tmp_path,
                                                                                      monkeypatch):
    """Hostnames and advertise addresses are unique: checked as each node joins, by command or
    over SSH alike (both run the join command), and the refusal shows in the installer's log."""
    hub, events = cluster
    for name, address, why in (("node-2", "127.0.0.4", "same hostname as node node-2"),
                               ("node-4", "127.0.0.3", "advertises 127.0.0.3, the address of node node-3"),
                               ("network", "127.0.0.5", r"names a phase of the plan \(/checks/network\)")):
        monkeypatch.setattr(agent_main, "hostname", lambda name=name: name)
        req = JoinRequest("127.0.0.1", hub.port, hub.token, hub.fingerprint, None, address,
                          tmp_path / f"other-{name}", tmp_path / f"other-root-{name}")
        with pytest.raises(AirliftError, match=why):
            run_agent(req, lambda line: None)
        assert any(e.kind == "log" and e.status == "warn" and re.search(why, e.message) for e in events), why
    assert [n.name for n in hub.nodes.nodes()] == ["node-2", "node-3"]
