"""The agent API on loopback: a real HTTPS hub in this process and real agent clients.

Joining by token (a wrong token refused and logged, never the token), the certificate pinned by
fingerprint, a node that joins twice recognised, two hosts with one hostname refused, work handed
to an agent and its result returned, an agent that outlives an installer restart, and a real
`install join --token T` process that restarts itself so its command line never shows the token.
"""

from __future__ import annotations

import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from installer.agent_hub import AgentHub
from installer.errors import AirliftError
from installer.events import EventBus
from installer.manifest import Flavor, FlavorNode
from installer.node_agent.client import AgentClient
from installer.node_agent.main import JoinRequest, run_agent

pytestmark = pytest.mark.integration

FLAVOR = Flavor(name="three", description="", nodes=(FlavorNode("master", 1), FlavorNode("worker", 2)))


@pytest.fixture
def hub(tmp_path: Path):
    bus = EventBus()
    events: list = []
    bus.add_sink(events.append)
    hub = AgentHub(bus, FLAVOR, "installer-host", "master")
    hub.listen(tmp_path / "state", "127.0.0.1", 0)
    hub.events = events  # type: ignore[attr-defined]
    yield hub
    hub.stop()


def client(hub: AgentHub, tmp_path: Path, token: str | None = None, fingerprint: str | None = None) -> AgentClient:
    return AgentClient("127.0.0.1", hub.port, token or hub.token, fingerprint or hub.fingerprint, tmp_path / "agent")


def join(c: AgentClient, name: str, identity: str, role: str | None = "worker", address: str = "") -> dict:
    """Join as `name`; each node advertises an address of its own (127.0.0.2, ...) unless given."""
    address = address or f"127.0.0.{int(name.rsplit('-', 1)[1])}"
    return c.call("join", {"hostname": name, "identity": identity, "address": address, "role": role,
                           "fresh": True})


def test_a_node_joins_by_token_and_joining_again_is_the_same_node(hub, tmp_path):
    c = client(hub, tmp_path)
    assert join(c, "node-2", "id-2") == {"node": "node-2", "profile": "worker"}
    assert hub.missing() == {"worker": 1}
    assert join(c, "node-2", "id-2")["node"] == "node-2"
    assert [n.name for n in hub.nodes.nodes()] == ["node-2"]
    assert [e.status for e in hub.events if e.kind == "node"] == ["joined", "reconnected"]
    with pytest.raises(AirliftError, match="same hostname as node node-2"):
        join(c, "node-2", "another-machine")
    with pytest.raises(AirliftError, match="node-3 advertises 127.0.0.2, the address of node node-2"):
        join(c, "node-3", "id-3", address="127.0.0.2")
    with pytest.raises(AirliftError, match="the address of node installer-host"):
        join(c, "node-3", "id-3", address="127.0.0.1")
    join(c, "node-3", "id-3", role=None)  # without --role: the profile still missing
    assert hub.missing() == {}
    with pytest.raises(AirliftError, match="needs no more worker nodes"):
        join(c, "node-4", "id-4")
    saved = (tmp_path / "state" / "nodes.json")
    assert "node-3" in saved.read_text() and stat.S_IMODE(saved.stat().st_mode) == 0o600


def test_a_wrong_token_is_refused_and_logged_without_the_token(hub, tmp_path):
    with pytest.raises(AirliftError, match="refused the join token"):
        join(client(hub, tmp_path, token="guessed-token"), "node-2", "id-2")
    assert hub.nodes.nodes() == []
    warnings = [e.message for e in hub.events if e.kind == "log" and e.status == "warn"]
    assert warnings == ["Refused a node at 127.0.0.1: its join token is wrong"]
    token_file = tmp_path / "state" / "join-token"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert token_file.read_text().strip() == hub.token
    assert hub.token in hub.join_command("worker") and "--fingerprint" in hub.join_command("worker")


def test_another_certificate_than_the_join_command_names_is_refused(hub, tmp_path):
    with pytest.raises(AirliftError, match="not the expected"):
        join(client(hub, tmp_path, fingerprint="AB" * 32), "node-2", "id-2")
    assert hub.nodes.nodes() == []


def test_without_a_fingerprint_the_first_certificate_is_trusted_and_kept(hub, tmp_path):
    c = AgentClient("127.0.0.1", hub.port, hub.token, None, tmp_path / "agent")
    join(c, "node-2", "id-2")
    pinned = (tmp_path / "agent" / "installer-fingerprint").read_text().strip()
    assert pinned == hub.fingerprint.replace(":", "")


def test_the_blob_server_fingerprint_a_node_sends_at_join_is_what_peers_pin(hub, tmp_path):
    """Fingerprints come over the pinned agent channel only; the tracker hands them out."""
    c = client(hub, tmp_path)
    body = {"hostname": "node-2", "identity": "id-2", "address": "127.0.0.2", "role": "worker", "fresh": True}
    c.call("join", {**body, "peer_fingerprint": "AA:BB"})
    assert hub.peer_fingerprint("node-2") == "AA:BB"
    assert hub.peer_fingerprint("installer-host") == hub.fingerprint, "the installer serves with its own"
    assert hub.peer_fingerprint("node-9") is None
    c.call("join", {**body, "peer_fingerprint": "CC:DD", "fresh": False})  # its agent made a new certificate
    assert hub.peer_fingerprint("node-2") == "CC:DD"
    assert "CC:DD" in (tmp_path / "state" / "nodes.json").read_text()


def test_work_runs_on_the_node_and_its_events_reach_the_installer(hub, tmp_path):
    c = client(hub, tmp_path)
    join(c, "node-2", "id-2")
    result: dict = {}
    runner = threading.Thread(target=lambda: result.update(hub.run("node-2", "checks", {"x": 1}, 30)))
    runner.start()
    work = c.call("poll", {"node": "node-2", "wait": 5})["work"]
    assert (work["task"], work["args"]) == ("checks", {"x": 1})
    c.call("events", {"node": "node-2", "events": [
        {"kind": "log", "status": "info", "message": f"token {hub.token} here", "phase": "/checks/node-2"}]})
    c.call("result", {"node": "node-2", "id": work["id"], "result": {"ok": True, "data": {"answer": 42}},
                      "clock": time.time() + 5.0})  # this node's clock runs 5 s ahead
    runner.join(10)
    assert result["answer"] == 42 and 4.5 < result["clock_offset_s"] <= 5.0
    relayed = [e for e in hub.events if e.phase == "/checks/node-2"]
    assert relayed[0].node == "node-2" and hub.token not in relayed[0].message


def test_a_failed_task_fails_with_the_node_named(hub, tmp_path):
    c = client(hub, tmp_path)
    join(c, "node-2", "id-2")
    errors: list = []

    def run() -> None:
        try:
            hub.run("node-2", "runtime", {}, 30)
        except AirliftError as exc:
            errors.append(exc)
    runner = threading.Thread(target=run)
    runner.start()
    work = c.call("poll", {"node": "node-2", "wait": 5})["work"]
    c.call("result", {"node": "node-2", "id": work["id"],
                      "result": {"ok": False, "error": {"message": "no space left", "hint": "free some"}}})
    runner.join(10)
    assert errors[0].message == "Node node-2: no space left" and errors[0].hint == "free some"


def test_a_node_that_vanishes_fails_its_phase_naming_it(hub, tmp_path, monkeypatch):
    monkeypatch.setattr("installer.agent_hub.nodes.LOST_AFTER_S", 1.0)
    join(client(hub, tmp_path), "node-2", "id-2")
    with pytest.raises(AirliftError, match="Node node-2: the checks task lost contact with the installer"):
        hub.run("node-2", "checks", {}, 30)


def test_the_agent_survives_an_installer_restart_and_stops_when_told(tmp_path):
    bus = EventBus()
    first = AgentHub(bus, FLAVOR, "installer-host", "master")
    first.listen(tmp_path / "state", "127.0.0.1", 0)
    port = first.port
    req = JoinRequest("127.0.0.1", port, first.token, first.fingerprint, "worker", "127.0.0.2",
                      tmp_path / "agent", tmp_path / "root")
    said: list[str] = []
    codes: list[int] = []
    agent = threading.Thread(target=lambda: codes.append(run_agent(req, said.append)), daemon=True)
    agent.start()
    (joined,) = _wait_nodes(first)
    first.stop()
    second = AgentHub(EventBus(), FLAVOR, "installer-host", "master")  # same state: same token and nodes
    second.listen(tmp_path / "state", "127.0.0.1", port)
    try:
        assert second.token == first.token and [n.name for n in second.nodes.nodes()] == [joined.name]
        assert joined.facts["cpus"] >= 1 and joined.facts["ram_bytes"] > 0 and joined.facts["os"]
        second.wait_connected(joined.name, timeout=30)
        second.finish_all(timeout=30)
        agent.join(10)
        assert codes == [0]
        assert said[-1] == "The install is over; this agent stops."
    finally:
        second.stop()


def test_the_join_process_hides_the_token_from_process_listings_and_still_joins(hub, tmp_path):
    repo = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen(
        [sys.executable, "-m", "installer", "join", f"127.0.0.1:{hub.port}", "--token", hub.token,
         "--fingerprint", hub.fingerprint, "--role", "worker", "--advertise-addr", "127.0.0.2",
         "--state-dir", str(tmp_path / "agent"), "--root", str(tmp_path / "root")],
        cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        (joined,) = _wait_nodes(hub, timeout=30)
        cmdline = Path(f"/proc/{proc.pid}/cmdline").read_bytes()  # the same pid, re-executed
        assert b"join" in cmdline and b"--fingerprint" in cmdline
        assert hub.token.encode() not in cmdline and b"--token" not in cmdline
        environ = Path(f"/proc/{proc.pid}/environ")
        assert stat.S_IMODE(environ.stat().st_mode) == 0o400  # the owner's (and root's) only
        hub.wait_connected(joined.name, timeout=30)
        hub.finish_all(timeout=30)
        out, _ = proc.communicate(timeout=30)
        assert proc.returncode == 0, out
        assert "Joined the installer" in out and "this agent stops" in out
    finally:
        proc.kill()
        proc.wait()


def _wait_nodes(hub: AgentHub, timeout: float = 10.0) -> list:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not hub.nodes.nodes():
        time.sleep(0.1)
    return hub.nodes.nodes()
