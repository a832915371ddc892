"""Remote support through a real hub process: its SSH endpoint on loopback, a site's support
loop (paramiko) dialing out with reverse forwards to small local services standing for the
control panel and the Kubernetes API. The hub reaches them; a port not assigned and another
site's port are refused; after close or TTL nothing is reachable and the site holds no
connection to the hub's SSH port; a hub restart is survived by reconnecting."""

from __future__ import annotations

import base64
import json
import socket
import socketserver
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import paramiko
import psutil
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from hub import support, support_cli
from installer.host import Host
from installer.hub_link.actions import connect
from installer.hub_link.link import read_link
from installer.services import manager_for
from installer.statedir import StateDir
from installer.support import node_ssh
from installer.support.grant import close_grant, open_grant, read_grant, read_tunnel_state
from installer.support.loop import SupportLoop
from installer.support.tunnel import _pkey, close_session, request_session
from installer.tls import ensure_self_signed
from tests.fixtures.net import free_port, wait_until
from tests.fixtures.sshd import PasswordSshd, keygen
from tests.integration.hub.conftest import REPO, _fingerprint, prepare_hub
from tests.integration.hub.connect_proxy import ConnectProxy

pytestmark = pytest.mark.timeout(300)


class Banner(socketserver.ThreadingTCPServer):
    """A TCP service that greets with its name, then echoes."""

    daemon_threads = allow_reuse_address = True

    def __init__(self, name: bytes) -> None:
        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                self.request.sendall(name + b"\n")
                while data := self.request.recv(4096):
                    self.request.sendall(data)
        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.server_address[1]}"


class Hub:
    def __init__(self, data: Path) -> None:
        self.data, self.db = data, f"sqlite:///{data / 'hub.sqlite3'}"
        data.mkdir(parents=True)
        self.token = prepare_hub(data, self.db)
        self.port, self.ssh_port = free_port(), free_port()
        self.panel_ports = (free_port(), free_port())
        self.url = f"https://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[str] | None = None

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "hub", *args, "--data", str(self.data)], cwd=REPO, text=True,
                              capture_output=True, timeout=60, check=check)

    def start(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "hub", "serve", "--data", str(self.data), "--listen",
                                      f"127.0.0.1:{self.port}", "--ssh-listen", f"127.0.0.1:{self.ssh_port}",
                                      "--panel-ports", ",".join(map(str, self.panel_ports))],
                                     cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.fingerprint = _fingerprint(self.proc)
        assert wait_until(lambda: _reachable(self.ssh_port), 20)

    def stop(self) -> None:
        assert self.proc is not None
        self.proc.terminate()
        self.proc.wait(timeout=20)

    def rows(self, sql: str) -> list[tuple]:
        engine = create_engine(self.db)
        try:
            with engine.connect() as c:
                return [tuple(r) for r in c.execute(text(sql))]
        finally:
            engine.dispose()


def _reachable(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def _banner(port: int) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.settimeout(5)
        data = s.recv(100)
        s.sendall(b"ping")
        return data + s.recv(100)


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    hub = Hub(tmp_path / "hub-data")
    hub.start()
    yield hub
    hub.stop()


def _site(hub: Hub, state: Path) -> StateDir:
    host = Host(Path("/"))
    token = hub.cli("token", "create", "--scope", "enroll").stdout.strip().splitlines()[-1]
    connect(state, host, manager_for(host, state), hub.url, token, hub.fingerprint[7:], 60)
    return StateDir(state)


@contextmanager
def running_loop(state: Path) -> Iterator[SupportLoop]:
    loop, stop = SupportLoop(state, poll_s=0.2), threading.Event()
    thread = threading.Thread(target=loop.serve, args=(stop,), daemon=True)
    thread.start()
    try:
        yield loop
    finally:
        stop.set()
        thread.join(timeout=20)


def _connected(paths: StateDir) -> bool:
    return read_tunnel_state(paths).get("state") == "connected"


def _ssh_connections(port: int) -> list:
    return [c for c in psutil.Process().net_connections("tcp") if c.raddr and c.raddr.port == port
            and c.status == psutil.CONN_ESTABLISHED]


def _ssh_as(hub: Hub, paths: StateDir, session_id: str) -> paramiko.Transport:
    transport = paramiko.Transport(socket.create_connection(("127.0.0.1", hub.ssh_port), timeout=10))
    transport.start_client(timeout=10)
    transport.auth_publickey(session_id, _pkey(paths))
    return transport


def test_the_hub_reaches_allowed_services_and_nothing_else(hub, tmp_path):
    panel, kube = Banner(b"PANEL"), Banner(b"KUBE")
    paths = _site(hub, tmp_path / "site")
    ca = ensure_self_signed(tmp_path / "ca.crt", tmp_path / "ca.key", "127.0.0.1", "k3s").cert_path.read_text()
    open_grant(paths, ["panel", "kube"], 600, {"panel": panel.target, "kube": kube.target}, "test", kube_ca=ca)
    with running_loop(tmp_path / "site"):
        assert wait_until(lambda: _connected(paths), 30), read_tunnel_state(paths)
        grant = read_grant(paths)
        assert grant is not None
        forwards = grant.session["forwards"]
        assert set(forwards) == {"panel", "kube"}
        assert _banner(forwards["panel"]) == b"PANEL\nping"
        assert _banner(forwards["kube"]) == b"KUBE\nping"

        # the site's own key, its own session: a port not assigned, or not on loopback, is refused
        mine = _ssh_as(hub, paths, grant.session["session"])
        with pytest.raises(paramiko.SSHException):
            mine.request_port_forward("127.0.0.1", free_port())
        with pytest.raises(paramiko.SSHException):
            mine.request_port_forward("0.0.0.0", forwards["panel"])
        mine.close()

        # a second site: its key does not open the first site's session, nor its session the first's ports
        other = _site(hub, tmp_path / "other")
        other_link = read_link(other)
        assert other_link is not None
        other_grant = open_grant(other, ["panel"], 600, {"panel": panel.target}, "test")
        theirs = request_session(other, other_link, other_grant)
        with pytest.raises(paramiko.AuthenticationException):
            _ssh_as(hub, other, grant.session["session"])
        intruder = _ssh_as(hub, other, theirs["session"])
        with pytest.raises(paramiko.SSHException):
            intruder.request_port_forward("127.0.0.1", forwards["kube"])
        intruder.close()
        close_session(other, other_link)

        # a viewer gets no kubeconfig; an operator does, pointing at the session's port
        subprocess.run([sys.executable, "-m", "hub", "user", "add", "vic", "--data", str(hub.data)], cwd=REPO,
                       input="a long password 1\n", text=True, check=True, capture_output=True)
        refused = hub.cli("kubeconfig", grant.session["site_id"], "--as", "vic", check=False)
        assert refused.returncode != 0 and "viewer" in refused.stderr
        hub.cli("user", "role", "vic", "operator")
        config = hub.cli("kubeconfig", grant.session["site_id"], "--as", "vic").stdout
        assert f"https://127.0.0.1:{forwards['kube']}" in config and "insecure" not in config
        assert base64.b64encode(ca.encode()).decode() in config

        # the hub restarts: the site reconnects, the same ports come back
        hub.stop()
        assert wait_until(lambda: read_tunnel_state(paths).get("state") == "reconnecting", 20)
        hub.start()
        assert wait_until(lambda: _connected(paths), 40), read_tunnel_state(paths)
        assert wait_until(lambda: _reachable(forwards["panel"]), 10)
        assert _banner(forwards["panel"]) == b"PANEL\nping"

        # closed: nothing reachable, no connection to the hub's SSH port, nothing retried
        close_grant(paths, "closed by test")
        close_session(paths, read_link(paths))
        assert wait_until(lambda: not _reachable(forwards["panel"]) and not _reachable(forwards["kube"]), 10)
        assert wait_until(lambda: not _ssh_connections(hub.ssh_port), 10)
        time.sleep(2)
        assert not _ssh_connections(hub.ssh_port)

    actions = {a for (a,) in hub.rows("select action from audit_events")}
    assert {"open", "connect", "forward", "connection", "refused", "close", "disconnect", "kube"} <= actions
    assert hub.rows("select count(*) from audit_events where action = 'connection' and bytes_in > 0")[0][0] >= 2
    site_events = [json.loads(line) for line in paths.events.read_text().splitlines()]
    support = {e["data"].get("action") for e in site_events if e["kind"] == "support"}
    assert {"open", "forward", "connect", "connection", "close"} <= support


def test_the_ttl_ends_the_session_on_both_sides(hub, tmp_path):
    panel = Banner(b"PANEL")
    paths = _site(hub, tmp_path / "site")
    open_grant(paths, ["panel"], 4, {"panel": panel.target}, "test")
    with running_loop(tmp_path / "site"):
        assert wait_until(lambda: _connected(paths), 30), read_tunnel_state(paths)
        port = read_grant(paths).session["forwards"]["panel"]
        assert _banner(port) == b"PANEL\nping"
        assert wait_until(lambda: read_grant(paths).closed_at is not None, 15)
        assert wait_until(lambda: not _reachable(port), 10)
        assert wait_until(lambda: not _ssh_connections(hub.ssh_port), 10)
        time.sleep(2)
        assert not _ssh_connections(hub.ssh_port)
    assert read_grant(paths).closed_by == "its time ran out"
    assert hub.rows("select closed_by from support_sessions")[0][0] == "closed by the site"


def test_ssh_reaches_a_named_nodes_sshd_checking_the_host_key_the_site_saw(hub, tmp_path):
    key = keygen(tmp_path / "vendor_key")
    sshd = PasswordSshd(tmp_path / "sshd", "127.0.0.1", "unused-password-9Qz", [key])
    sshd.start()
    try:
        paths = _site(hub, tmp_path / "site")
        targets = {"ssh:node-1": f"127.0.0.1:{sshd.port}"}
        keys = node_ssh.host_keys(paths, targets)
        assert support_cli.key_fingerprint(keys["ssh:node-1"]) == sshd.fingerprint
        open_grant(paths, ["ssh:node-1"], 600, targets, "test", host_keys=keys)
        with running_loop(tmp_path / "site"):
            assert wait_until(lambda: _connected(paths), 30), read_tunnel_state(paths)
            grant = read_grant(paths)
            port = grant.session["forwards"]["ssh:node-1"]
            subprocess.run([sys.executable, "-m", "hub", "user", "add", "olga", "--role", "operator", "--data",
                            str(hub.data)], cwd=REPO, input="a long password 1\n", text=True, check=True,
                           capture_output=True)
            other = hub.cli("ssh", grant.session["site_id"], "node-9", "--as", "olga", check=False)
            assert other.returncode != 0 and "does not allow ssh:node-9" in other.stderr

            engine = create_engine(hub.db)
            with Session(engine) as db:
                session = support.open_for_site(db, grant.session["site_id"])
                known = support_cli.known_hosts(hub.data, session, "ssh:node-1", port)
            engine.dispose()
            command = support_cli.ssh_command("ssh", known, port, "root")
            batch = ["-i", str(key), "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes"]
            reached = subprocess.run([*command[:-1], *batch, command[-1], "echo", "on-the-node"], capture_output=True,
                                     text=True, timeout=30)
            assert reached.returncode == 0 and reached.stdout.strip() == "on-the-node", reached.stderr

            # a node answering with another key than the one the site saw is refused by the vendor's ssh
            known.write_text(f"[127.0.0.1]:{port} {keys['ssh:node-1'].split()[0]} "
                             "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n")
            refused = subprocess.run([*command[:-1], *batch, command[-1], "true"], capture_output=True, text=True,
                                     timeout=30)
            assert refused.returncode != 0 and "Host key verification failed" in refused.stderr
    finally:
        sshd.stop()


def test_the_site_dials_the_hubs_ssh_port_through_its_https_proxy(hub, tmp_path, monkeypatch):
    panel = Banner(b"PANEL")
    paths = _site(hub, tmp_path / "site")
    proxy = ConnectProxy()
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    open_grant(paths, ["panel"], 600, {"panel": panel.target}, "test")
    try:
        with running_loop(tmp_path / "site"):
            assert wait_until(lambda: _connected(paths), 30), read_tunnel_state(paths)
            assert _banner(read_grant(paths).session["forwards"]["panel"]) == b"PANEL\nping"
        assert f"127.0.0.1:{hub.ssh_port}" in proxy.tunnels  # the SSH connection went through the proxy
        assert f"127.0.0.1:{hub.port}" in proxy.tunnels  # and so did the session's HTTPS request
        monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:1")  # a proxy that is down: said, and retried
        close_grant(paths, "test")
        open_grant(paths, ["panel"], 600, {"panel": panel.target}, "test")
        with running_loop(tmp_path / "site"):
            assert wait_until(lambda: read_tunnel_state(paths).get("state") == "reconnecting", 20)
    finally:
        proxy.close()


def test_serve_names_a_busy_panel_port_and_the_flag(tmp_path):
    data = tmp_path / "hub-data"
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        served = subprocess.run([sys.executable, "-m", "hub", "serve", "--data", str(data), "--listen",
                                 f"127.0.0.1:{free_port()}", "--panel-ports", str(port)], cwd=REPO, text=True,
                                capture_output=True, timeout=60)
    assert served.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in served.stderr and "--panel-ports none" in served.stderr
