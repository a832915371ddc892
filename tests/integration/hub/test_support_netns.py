"""Remote support across network namespaces: the hub serves in one, the site in another whose
inbound TCP on its network interface is dropped. The site's cluster-service support loop dials
out; the hub reaches the site's control panel, Kubernetes API (stand-ins) and a node's real sshd
only through the tunnel, never directly. After `./install support close`, and after the TTL, the
hub's forwarded ports answer nothing, the site holds no TCP connection to the hub's SSH port
(`ss -tn` in its namespace) and opens none again. A hub restart mid-session is ridden out: the
site says it is reconnecting, then the forwards work again."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from hub import support, support_cli
from installer.ports import API_PORT, PANEL_PORT
from installer.statedir import StateDir
from installer.support.grant import (
    default_targets,
    open_grant,
    read_grant,
    read_tunnel_state,
    status_line,
    support_status,
)
from tests.fixtures.net import free_port, wait_until
from tests.fixtures.netns_lab import NetnsLab
from tests.fixtures.sshd import PasswordSshd, keygen
from tests.integration.hub.conftest import REPO, _fingerprint, prepare_hub

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]
HUB, SITE = 0, 1
PROBE = """
import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3).close()
    print('connected')
except OSError as e:
    print(type(e).__name__)
"""


def probe(lab: NetnsLab, ns: int, address: str, port: int) -> str:
    """What a TCP connection from namespace `ns` to address:port gets: `connected`, else the
    error's name (ConnectionRefusedError; TimeoutError where it is dropped)."""
    done = lab.run(ns, [sys.executable, "-c", PROBE, address, str(port)])
    return done.stdout.strip() or done.stderr.strip()


def https_get(lab: NetnsLab, ns: int, url: str, ca: Path | None = None) -> subprocess.CompletedProcess:
    trust = ["--cacert", str(ca)] if ca else ["--insecure"]
    return lab.run(ns, ["curl", "-sS", "--max-time", "5", *trust, url])


@dataclass
class NetnsHub:
    lab: NetnsLab
    data: Path

    def __post_init__(self) -> None:
        self.db = f"sqlite:///{self.data / 'hub.sqlite3'}"
        self.data.mkdir(parents=True)
        prepare_hub(self.data, self.db)
        self.address = self.lab.address(HUB)
        self.port, self.ssh_port = free_port(), free_port()
        self.url = f"https://{self.address}:{self.port}"
        self.proc: subprocess.Popen[str] | None = None

    def cli(self, *args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
        argv = [sys.executable, "-m", "hub", *args, "--data", str(self.data)]
        return subprocess.run(["ip", "netns", "exec", self.lab.ns(HUB), *argv], cwd=REPO, text=True,  # type: ignore[call-overload]
                              capture_output=True, timeout=60, **kwargs)

    def start(self) -> None:
        self.proc = self.lab.popen(HUB, [sys.executable, "-m", "hub", "serve", "--data", str(self.data), "--listen",
                                         f"{self.address}:{self.port}", "--ssh-listen",
                                         f"{self.address}:{self.ssh_port}"],
                                   cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.fingerprint = _fingerprint(self.proc)
        assert wait_until(lambda: probe(self.lab, HUB, self.address, self.ssh_port) == "connected", 20)

    def stop(self) -> None:
        assert self.proc is not None
        self.proc.terminate()
        self.proc.wait(timeout=20)


@dataclass
class Site:
    paths: StateDir
    root: Path
    site_id: str
    proc: subprocess.Popen[str]

    def install(self, lab: NetnsLab, *args: str) -> subprocess.CompletedProcess[str]:
        """`./install ARGS` in the site's namespace, on its state and root."""
        return lab.run(SITE, [sys.executable, "-m", "installer", *args, "--state-dir", str(self.paths.root),
                              "--root", str(self.root)])


class NodeSshd(PasswordSshd):
    """The node's real sshd on the site's address, port 22, in the site's namespace."""

    password_login = False

    def __init__(self, lab: NetnsLab, folder: Path, authorized: list[Path]) -> None:
        super().__init__(folder, lab.address(SITE), "unused-password-9Qz", authorized)
        self.lab, self.port = lab, 22

    def launch(self, argv: list[str]) -> subprocess.Popen:
        return self.lab.popen(SITE, argv, stderr=open(self.root / "sshd.log", "ab"))

    def answering(self) -> bool:
        return wait_until(lambda: probe(self.lab, SITE, self.address, 22) == "connected", 10)


@pytest.fixture(scope="module")
def lab() -> Iterator[NetnsLab]:
    with NetnsLab(2) as lab:
        lab.run(SITE, ["iptables", "-A", "INPUT", "-i", "eth0", "-p", "tcp", "--syn", "-j", "DROP"])
        yield lab


@pytest.fixture(scope="module")
def hub(lab: NetnsLab, tmp_path_factory: pytest.TempPathFactory) -> Iterator[NetnsHub]:
    hub = NetnsHub(lab, tmp_path_factory.mktemp("support-netns") / "hub-data")
    hub.start()
    operator = hub.cli("user", "add", "olga", "--role", "operator", input="a long password 1\n")
    assert operator.returncode == 0, operator.stderr
    yield hub
    hub.stop()


@pytest.fixture(scope="module")
def vendor_key(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return keygen(tmp_path_factory.mktemp("vendor") / "id_ed25519")


@pytest.fixture(scope="module")
def sshd(lab: NetnsLab, vendor_key: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeSshd]:
    sshd = NodeSshd(lab, tmp_path_factory.mktemp("node-sshd"), [vendor_key])
    sshd.start()
    yield sshd
    sshd.stop()


@pytest.fixture(scope="module")
def site(lab: NetnsLab, hub: NetnsHub, sshd: NodeSshd, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("site")
    state, root = folder / "state", folder / "root"
    token = hub.cli("token", "create", "--scope", "enroll").stdout.strip().splitlines()[-1]
    (folder / "token").write_text(token)
    state.mkdir()
    (state / "answers.yaml").write_text(f"advertise-addr: {lab.address(SITE)}\n")
    (state / "nodes.json").write_text(json.dumps([{"name": "node-1", "address": lab.address(SITE)}]))
    proc = lab.popen(SITE, [sys.executable, "-m", "tests.integration.hub.support_site_in_netns", str(state), str(root),
                            hub.url, hub.fingerprint.removeprefix("SHA256:"), str(folder / "token"),
                            lab.address(SITE)], cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                     stderr=open(folder / "site.log", "ab"), text=True)
    assert proc.stdout is not None
    ready = proc.stdout.readline()
    assert ready, (folder / "site.log").read_text()
    yield Site(StateDir(state), root, json.loads(ready)["site_id"], proc)
    assert proc.stdin is not None
    proc.stdin.close()
    proc.wait(timeout=30)


def _connected(site: Site) -> bool:
    return read_tunnel_state(site.paths).get("state") == "connected"


def _hub_ssh_connections(lab: NetnsLab, hub: NetnsHub) -> list[str]:
    """The site namespace's TCP connections to the hub's SSH port, in any state (`ss -tn`)."""
    shown = lab.run(SITE, ["ss", "-tn"]).stdout.splitlines()
    return [line for line in shown if f"{hub.address}:{hub.ssh_port}" in line]


def _assert_ended(lab: NetnsLab, hub: NetnsHub, site: Site, forwards: dict[str, int]) -> None:
    """Nothing answers on the hub's forwarded ports, the site holds no connection to the hub's SSH
    port, and keeps holding none over several backoff periods (1 + 2 + 4 s)."""
    assert wait_until(lambda: all(probe(lab, HUB, "127.0.0.1", p) == "ConnectionRefusedError"
                                  for p in forwards.values()), 15)
    assert wait_until(lambda: not _hub_ssh_connections(lab, hub), 15), _hub_ssh_connections(lab, hub)
    deadline = time.monotonic() + 8
    while time.monotonic() < deadline:
        assert not _hub_ssh_connections(lab, hub)
        time.sleep(0.5)
    assert all(probe(lab, HUB, "127.0.0.1", p) == "ConnectionRefusedError" for p in forwards.values())
    assert read_tunnel_state(site.paths).get("state") == "closed"
    assert support_status(site.paths)["open"] is False  # type: ignore[index]


def _kubeconfig_ca(hub: NetnsHub, site: Site, folder: Path) -> tuple[str, Path]:
    """The server and CA file of `python -m hub kubeconfig SITE` (as an operator)."""
    made = hub.cli("kubeconfig", site.site_id, "--as", "olga")
    assert made.returncode == 0, made.stderr
    cluster = yaml.safe_load(made.stdout)["clusters"][0]["cluster"]
    ca = folder / "kube-ca.pem"
    ca.write_bytes(base64.b64decode(cluster["certificate-authority-data"]))
    return cluster["server"], ca


def _ssh_to_node(lab: NetnsLab, hub: NetnsHub, site: Site, vendor_key: Path, port: int) -> subprocess.CompletedProcess:
    """ssh through the tunnel from the hub's namespace, trusting only the key the site saw."""
    engine = create_engine(hub.db)
    with Session(engine) as db:
        known = support_cli.known_hosts(hub.data, support.open_for_site(db, site.site_id), "ssh:node-1", port)
    engine.dispose()
    command = support_cli.ssh_command("ssh", known, port, "root")
    batch = ["-i", str(vendor_key), "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "ConnectTimeout=5"]
    return lab.run(HUB, [*command[:-1], *batch, command[-1], "echo", "on-the-node"])


def test_the_hub_reaches_the_site_only_through_the_tunnel_until_it_is_closed(lab, hub, site, sshd, vendor_key,
                                                                            tmp_path):
    opened = site.install(lab, "support", "open", "--allow", "panel,kube,ssh:node-1", "--ttl", "30m")
    assert opened.returncode == 0, opened.stdout + opened.stderr
    assert f"node-1: SSH host key {sshd.fingerprint}" in opened.stdout
    assert wait_until(lambda: _connected(site), 30), read_tunnel_state(site.paths)
    grant = read_grant(site.paths)
    assert grant is not None
    forwards = grant.session["forwards"]
    assert set(forwards) == {"panel", "kube", "ssh:node-1"}

    def reach_all() -> None:
        panel = https_get(lab, HUB, f"https://127.0.0.1:{forwards['panel']}/")
        assert panel.returncode == 0 and json.loads(panel.stdout) == {"server": "panel"}, panel.stderr
        server, ca = _kubeconfig_ca(hub, site, tmp_path)
        assert server == f"https://127.0.0.1:{forwards['kube']}"
        api = https_get(lab, HUB, f"{server}/version", ca)  # the cluster's CA checks the API's certificate
        assert api.returncode == 0 and "standin" in api.stdout, api.stderr
        node = _ssh_to_node(lab, hub, site, vendor_key, forwards["ssh:node-1"])
        assert node.returncode == 0 and node.stdout.strip() == "on-the-node", node.stderr

    reach_all()
    for port in (PANEL_PORT, API_PORT, 22):  # the hub going the other way gets nowhere: dropped, not refused
        assert probe(lab, HUB, lab.address(SITE), port) == "TimeoutError"

    # the hub restarts: the site says it is reconnecting, backs off, and the forwards come back
    hub.stop()
    assert wait_until(lambda: read_tunnel_state(site.paths).get("failures", 0) >= 2, 20), read_tunnel_state(site.paths)
    assert "(reconnecting…; panel, kube, ssh:node-1)" in (status_line(support_status(site.paths)) or "")
    hub.start()
    assert wait_until(lambda: _connected(site), 40), read_tunnel_state(site.paths)
    assert read_grant(site.paths).session["forwards"] == forwards  # type: ignore[union-attr]
    reach_all()

    closed = site.install(lab, "support", "close")
    assert closed.returncode == 0 and "Support session closed" in closed.stdout, closed.stdout + closed.stderr
    assert "hub was not told" not in closed.stdout
    _assert_ended(lab, hub, site, forwards)
    refused = hub.cli("ssh", site.site_id, "node-1", "--as", "olga")
    assert refused.returncode != 0 and refused.stderr, refused.stdout


def test_the_ttl_ends_the_tunnel_and_nothing_reconnects(lab, hub, site):
    # `./install support open --ttl` takes a minute at least; the grant it writes, with 6 s, is the same
    targets = default_targets(panel_host=lab.address(SITE))
    open_grant(site.paths, ["panel", "kube"], 6, targets, "test")
    assert wait_until(lambda: _connected(site), 30), read_tunnel_state(site.paths)
    forwards = read_grant(site.paths).session["forwards"]  # type: ignore[union-attr]
    assert https_get(lab, HUB, f"https://127.0.0.1:{forwards['panel']}/").returncode == 0
    assert wait_until(lambda: read_grant(site.paths).closed_at is not None, 15)  # type: ignore[union-attr]
    assert read_grant(site.paths).closed_by == "its time ran out"  # type: ignore[union-attr]
    _assert_ended(lab, hub, site, forwards)
    assert status_line(support_status(site.paths)) == "support session closed (its time ran out)"
