"""installer.ssh against a real OpenSSH server started by the test on a free loopback port,
with its own host keys and an authorized key generated here."""

from __future__ import annotations

import os
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from installer.errors import AirliftError
from installer.ssh.known_hosts import HostKeyChanged, KnownHosts, fingerprint
from installer.ssh.provision import provision, tree_files
from installer.ssh.session import SshTarget, connect, scan_host_key
from tests.fixtures.net import free_port, listening, wait_until

pytestmark = pytest.mark.integration  # scripts/setup-host.sh installs openssh-server


def _keygen(path: Path, passphrase: str = "") -> Path:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-f", str(path)], check=True)
    return path


class Sshd:
    """sshd -D on 127.0.0.1:<port>, root login by key only, host key swappable."""

    def __init__(self, root: Path) -> None:
        self.root, self.port = root, free_port()
        self.proc: subprocess.Popen | None = None

    def start(self, host_key: Path) -> None:
        config = self.root / "sshd_config"
        config.write_text(
            f"Port {self.port}\nListenAddress 127.0.0.1\nHostKey {host_key}\nPidFile {self.root}/sshd.pid\n"
            f"AuthorizedKeysFile {self.root}/authorized_keys\nStrictModes no\nUsePAM no\n"
            "PermitRootLogin prohibit-password\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"
            "Subsystem sftp internal-sftp\n")
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
        self.proc = subprocess.Popen(["/usr/sbin/sshd", "-D", "-e", "-f", str(config)],
                                     stderr=open(self.root / "sshd.log", "ab"))
        if not wait_until(lambda: listening(self.port), 10):
            raise RuntimeError((self.root / "sshd.log").read_text())

    def stop(self) -> None:
        if self.proc:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None


@pytest.fixture
def sshd(tmp_path: Path) -> Iterator[Sshd]:
    server = Sshd(tmp_path)
    server.host_key = _keygen(tmp_path / "host_key")
    server.client_key = _keygen(tmp_path / "client_key")
    server.locked_key = _keygen(tmp_path / "locked_key", passphrase="s3cret phrase")
    (tmp_path / "authorized_keys").write_text(
        (tmp_path / "client_key.pub").read_text() + (tmp_path / "locked_key.pub").read_text())
    server.start(server.host_key)
    yield server
    server.stop()


def _target(sshd: Sshd, key: Path, passphrase: str | None = None) -> SshTarget:
    return SshTarget("127.0.0.1", user="root", port=sshd.port, key_path=key, passphrase=passphrase)


def test_first_use_records_the_openssh_fingerprint_then_matches(sshd: Sshd, tmp_path: Path) -> None:
    known = KnownHosts(tmp_path / "state" / "known_hosts")
    expected = subprocess.run(["ssh-keygen", "-lf", f"{sshd.host_key}.pub"], capture_output=True,
                              text=True, check=True).stdout.split()[1]
    shown = scan_host_key(_target(sshd, sshd.client_key))
    assert (fingerprint(shown), known.shown("127.0.0.1", sshd.port, shown)) == (expected, True)
    with connect(_target(sshd, sshd.client_key), known) as first:
        assert (first.first_use, first.fingerprint) == (True, expected)
    assert known.fingerprints("127.0.0.1", sshd.port) == [expected]
    found = subprocess.run(["ssh-keygen", "-F", f"[127.0.0.1]:{sshd.port}", "-f", str(known.path)],
                           capture_output=True, text=True)
    assert found.returncode == 0, "known_hosts must be readable by OpenSSH"
    with connect(_target(sshd, sshd.client_key), known) as second:
        assert (second.first_use, second.fingerprint) == (False, expected)


def test_changed_host_key_is_refused_naming_host_and_both_fingerprints(sshd: Sshd, tmp_path: Path) -> None:
    known = KnownHosts(tmp_path / "known_hosts")
    with connect(_target(sshd, sshd.client_key), known) as s:
        old = s.fingerprint
    sshd.stop()
    sshd.start(_keygen(tmp_path / "new_host_key"))
    with pytest.raises(HostKeyChanged) as err:
        connect(_target(sshd, sshd.client_key), known)
    assert f"[127.0.0.1]:{sshd.port}" in err.value.message and old in err.value.message
    new = subprocess.run(["ssh-keygen", "-lf", f"{tmp_path}/new_host_key.pub"], capture_output=True,
                         text=True, check=True).stdout.split()[1]
    assert new in err.value.message
    assert known.fingerprints("127.0.0.1", sshd.port) == [old], "the record must not be overwritten"


def test_key_not_authorized_is_refused(sshd: Sshd, tmp_path: Path) -> None:
    stranger = _keygen(tmp_path / "stranger")
    with pytest.raises(AirliftError, match="refused the key"):
        connect(_target(sshd, stranger), KnownHosts(tmp_path / "known_hosts"))


def test_key_with_passphrase(sshd: Sshd, tmp_path: Path) -> None:
    known = KnownHosts(tmp_path / "known_hosts")
    with pytest.raises(AirliftError, match="passphrase"):
        connect(_target(sshd, sshd.locked_key), known)
    with pytest.raises(AirliftError, match=r"passphrase of SSH key .* for root@127.0.0.1:\d+ is wrong"):
        connect(_target(sshd, sshd.locked_key, "not it"), known)
    with connect(_target(sshd, sshd.locked_key, "s3cret phrase"), known) as s:
        assert s.run("echo $USER").stdout.strip() == "root"


def test_unreachable_host(tmp_path: Path) -> None:
    target = SshTarget("127.0.0.1", port=free_port(), key_path=tmp_path / "none")
    with pytest.raises(AirliftError, match="Cannot reach root@127.0.0.1"):
        connect(target, KnownHosts(tmp_path / "known_hosts"))


def _agent(tmp_path: Path, body: str) -> Path:
    script = tmp_path / "agent-src"
    script.write_text(f"#!/bin/sh\n{body}\n" + "#" * 300_000 + "\n")
    script.chmod(0o755)
    return script


def test_copy_the_installer_tree_and_start_the_agent_detached(sshd: Sshd, tmp_path: Path) -> None:
    remote_base = tmp_path / "remote"
    remote_base.mkdir()
    bundle = tmp_path / "bundle"
    (bundle / "bin" / "lib").mkdir(parents=True)
    (bundle / "install").write_text('#!/bin/sh\nexec "$(dirname "$0")/bin/agent" "$@"\n')
    (bundle / "install").chmod(0o755)
    (bundle / "bin" / "agent").write_text('#!/bin/sh\necho "agent up: $*"; exec sleep 60\n')
    (bundle / "bin" / "agent").chmod(0o755)
    (bundle / "bin" / "lib" / "data.bin").write_bytes(os.urandom(300_000))
    files = tree_files(bundle, ["install", "bin"])
    assert sorted(files) == ["bin/agent", "bin/lib/data.bin", "install"]
    total = sum(p.stat().st_size for p in files.values())
    seen: list[tuple[int, int]] = []
    with connect(_target(sshd, sshd.client_key), KnownHosts(tmp_path / "known_hosts")) as s:
        done = provision(s, files, ["install", "join", "10.0.0.1", "--token-file", "./join-token"],
                         progress=lambda d, t: seen.append((d, t)), base=str(remote_base), settle=0.3,
                         secrets={"join-token": "s3cret-token"})
        try:
            for name, local in files.items():
                copied = Path(done.remote_dir) / name
                assert copied.read_bytes() == local.read_bytes()
                assert copied.stat().st_mode & 0o777 == local.stat().st_mode & 0o777
            assert seen[-1] == (total, total) and seen == sorted(seen)
            token_file = Path(done.remote_dir) / "join-token"
            assert f"agent up: join 10.0.0.1 --token-file {token_file}" in Path(done.log_path).read_text()
            assert token_file.read_text() == "s3cret-token" and token_file.stat().st_mode & 0o777 == 0o600
            assert s.is_running(done.pid)
        finally:
            s.run(f"kill {done.pid}", check=False)


def test_agent_that_dies_is_reported_and_the_copy_removed(sshd: Sshd, tmp_path: Path) -> None:
    remote_base = tmp_path / "remote"
    remote_base.mkdir()
    agent = _agent(tmp_path, 'echo "cannot bind port 3012" >&2; exit 3')
    with connect(_target(sshd, sshd.client_key), KnownHosts(tmp_path / "known_hosts")) as s:
        with pytest.raises(AirliftError, match="exited right after it started") as err:
            provision(s, {"install": agent}, ["install"], base=str(remote_base), settle=0.3)
    assert "cannot bind port 3012" in (err.value.details or "")
    assert list(remote_base.iterdir()) == [], "provisioning must leave nothing behind"


def test_no_space_in_tmp_is_named_before_copying(sshd: Sshd, tmp_path: Path) -> None:
    small = tmp_path / "small"
    small.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "airlift-test-tmpfs", str(small)], check=True)
    try:
        big = tmp_path / "big"
        big.write_bytes(b"\0" * (4 << 20))
        with connect(_target(sshd, sshd.client_key), KnownHosts(tmp_path / "known_hosts")) as s:
            with pytest.raises(AirliftError, match=f"Not enough space in {small}") as err:
                provision(s, {"install": big}, ["install"], base=str(small))
        assert "Free space" in (err.value.hint or "")
        assert list(small.iterdir()) == []
    finally:
        subprocess.run(["umount", str(small)], check=True)


def test_password_refused_is_named(sshd: Sshd, tmp_path: Path) -> None:
    target = SshTarget("127.0.0.1", user="root", port=sshd.port, password="not the password")
    with pytest.raises(AirliftError, match=r"root@127.0.0.1:\d+ refused the password"):
        connect(target, KnownHosts(tmp_path / "known_hosts"))


def test_a_port_that_is_not_ssh(tmp_path: Path) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]

        def babble() -> None:
            conn, _ = listener.accept()
            conn.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")
            conn.close()

        threading.Thread(target=babble, daemon=True).start()
        with pytest.raises(AirliftError, match="SSH server"):
            connect(SshTarget("127.0.0.1", port=port, password="x"), KnownHosts(tmp_path / "kh"), timeout=5)
