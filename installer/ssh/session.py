"""One SSH connection to a host: verified host key, authenticated user, commands and file copies.

Why a bare paramiko Transport rather than SSHClient: the host key is checked by our own
trust-on-first-use record before any credential is offered, and every failure (unreachable,
not SSH, key refused, encrypted key without passphrase) becomes one clear operator error.
"""

from __future__ import annotations

import shlex
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import paramiko

from installer.errors import AirliftError
from installer.ssh.known_hosts import KnownHosts, fingerprint

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class SshTarget:
    """Where and as whom to log in; a key (optionally with passphrase) or a password."""

    address: str
    user: str = "root"
    port: int = 22
    key_path: Path | None = None
    passphrase: str | None = field(default=None, repr=False)  # never in a repr, a log or a traceback
    password: str | None = field(default=None, repr=False)

    @property
    def label(self) -> str:
        return f"{self.user}@{self.address}:{self.port}"


@dataclass(frozen=True)
class CommandResult:
    exit_status: int
    stdout: str
    stderr: str


class PassphraseRequired(AirliftError):
    """The key file is encrypted and no passphrase was given: the front-end asks for one."""


def key_is_encrypted(path: Path) -> bool:
    """Whether the private key at `path` needs a passphrase (paramiko reports it when read
    without one); a missing file or one that is not a key raises AirliftError."""
    try:
        paramiko.PKey.from_path(path)
    except FileNotFoundError as exc:
        raise AirliftError(f"SSH key {path} does not exist.", hint="Give the path of the private key.") from exc
    except (paramiko.PasswordRequiredException, TypeError):  # TypeError: cryptography's OpenSSH reader
        return True
    except (paramiko.SSHException, ValueError) as exc:
        raise AirliftError(f"Cannot read SSH key {path}: it is not a private key.",
                           hint="Give an OpenSSH or PEM private key (not the .pub file).",
                           details=str(exc)) from exc
    return False


def load_key(path: Path, passphrase: str | None, purpose: str = "") -> paramiko.PKey:
    """Read a private key (any type paramiko knows); `purpose` (" for root@host:22") names
    the host in errors. A passphrase given for an unencrypted key is not needed and ignored."""
    if not key_is_encrypted(path):
        return paramiko.PKey.from_path(path)
    if not passphrase:
        raise PassphraseRequired(f"SSH key {path}{purpose} is protected by a passphrase.",
                                 hint="Enter the key's passphrase.")
    try:
        return paramiko.PKey.from_path(path, passphrase.encode())
    except (paramiko.SSHException, ValueError) as exc:
        raise AirliftError(f"The passphrase of SSH key {path}{purpose} is wrong.",
                           hint="Enter the passphrase again (the one set with ssh-keygen for that key).") from exc


def connect(target: SshTarget, known_hosts: KnownHosts, timeout: float = 15.0,
            confirmed: str | None = None) -> SshSession:
    """Open a session: reach the host, verify its key (TOFU), then authenticate.

    `confirmed` is the fingerprint the operator was shown and accepted: the host must still
    show that key, so nothing can slip in between showing and recording it."""
    transport = _handshake(target, timeout)
    try:
        key = transport.get_remote_server_key()
        if confirmed is not None and fingerprint(key) != confirmed:
            raise AirliftError(f"{target.label} now shows host key {fingerprint(key)}, not {confirmed} that was "
                               "confirmed. Refusing to connect.",
                               hint="Check the host's key on its console (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub), "
                                    "then add the host again.")
        first_use = known_hosts.check(target.address, target.port, key)
        _authenticate(transport, target)
    except BaseException:
        transport.close()
        raise
    return SshSession(target, transport, fingerprint(key), first_use)


def scan_host_key(target: SshTarget, timeout: float = 15.0) -> paramiko.PKey:
    """The host key the host presents, without logging in: what a front-end shows the operator
    (with KnownHosts.status) before the first connection records it."""
    transport = _handshake(target, timeout)
    try:
        return transport.get_remote_server_key()
    finally:
        transport.close()


def _handshake(target: SshTarget, timeout: float) -> paramiko.Transport:
    try:
        sock = socket.create_connection((target.address, target.port), timeout=timeout)
    except OSError as exc:
        raise AirliftError(f"Cannot reach {target.label}: {exc.strerror or exc}.",
                           hint="Check the address and port, that sshd runs there, and that no firewall "
                                "blocks this host.") from exc
    transport = paramiko.Transport(sock)
    try:
        transport.start_client(timeout=timeout)
    except (paramiko.SSHException, EOFError, OSError) as exc:
        transport.close()
        raise AirliftError(f"{target.label} did not complete an SSH handshake as an SSH server ({exc}).",
                           hint="Check that this address and port are the host's sshd.") from exc
    return transport


def _authenticate(transport: paramiko.Transport, target: SshTarget) -> None:
    try:
        if target.key_path is not None:
            transport.auth_publickey(target.user, load_key(target.key_path, target.passphrase, f" for {target.label}"))
        elif target.password is not None:
            transport.auth_password(target.user, target.password)
        else:
            raise AirliftError(f"No SSH key or password given for {target.label}.",
                               hint="Give a private key (and its passphrase) or a password.")
    except paramiko.AuthenticationException as exc:
        if target.key_path is None:
            raise AirliftError(f"{target.label} refused the password.",
                               hint=f"Check the user name ({target.user}) and enter the password again; the host's "
                                    "sshd must allow PasswordAuthentication for this user.") from exc
        raise AirliftError(f"{target.label} refused the key {target.key_path}.",
                           hint=f"Add the public key to ~{target.user}/.ssh/authorized_keys there, or check "
                                "the user name.") from exc


class SshSession:
    """An authenticated connection; `fingerprint` is the host key's, `first_use` whether it was
    recorded by this connection."""

    def __init__(self, target: SshTarget, transport: paramiko.Transport, host_fingerprint: str,
                 first_use: bool) -> None:
        self.target = target
        self.fingerprint = host_fingerprint
        self.first_use = first_use
        self._transport = transport

    def run(self, command: str, timeout: float = 120.0, check: bool = True) -> CommandResult:
        """Run `command` in the user's shell; with `check`, a non-zero exit raises AirliftError."""
        chan = self._transport.open_session()
        try:
            chan.exec_command(command)
            out, err = bytearray(), bytearray()
            deadline = time.monotonic() + timeout
            while not (chan.exit_status_ready() and not chan.recv_ready() and not chan.recv_stderr_ready()):
                if time.monotonic() > deadline:
                    raise AirliftError(f"Command on {self.target.label} took longer than {timeout:.0f} s: "
                                       f"{command}", hint="Check the host's load, then try again.")
                if chan.recv_ready():
                    out += chan.recv(65536)
                elif chan.recv_stderr_ready():
                    err += chan.recv_stderr(65536)
                else:
                    time.sleep(0.01)
            result = CommandResult(chan.recv_exit_status(), out.decode(errors="replace"),
                                   err.decode(errors="replace"))
        finally:
            chan.close()
        if check and result.exit_status != 0:
            raise AirliftError(f"Command failed on {self.target.label} (exit {result.exit_status}): {command}",
                               details=(result.stderr or result.stdout).strip()[-2000:])
        return result

    def put(self, local: Path, remote: str, mode: int = 0o644, progress: Progress | None = None) -> None:
        """Copy `local` to `remote` over SFTP; `progress(done, total)` in bytes."""
        sftp = self._sftp()
        try:
            sftp.put(str(local), remote, callback=progress, confirm=True)
            sftp.chmod(remote, mode)
        except OSError as exc:
            raise AirliftError(f"Copying {local.name} to {self.target.label}:{remote} failed: {exc}.",
                               hint="Check free space and permissions there.") from exc
        finally:
            sftp.close()

    def write_private(self, data: bytes, remote: str) -> None:
        """Write `data` to a new file `remote` readable by its owner only (mode 0600 before the
        first byte), over SFTP, so it never travels on a command line."""
        sftp = self._sftp()
        try:
            with sftp.open(remote, "wx") as f:
                sftp.chmod(remote, 0o600)
                f.write(data)
        except OSError as exc:
            raise AirliftError(f"Writing {self.target.label}:{remote} failed: {exc}.",
                               hint="Check free space and permissions there.") from exc
        finally:
            sftp.close()

    def _sftp(self) -> paramiko.SFTPClient:
        sftp = paramiko.SFTPClient.from_transport(self._transport)
        if sftp is None:
            raise AirliftError(f"{self.target.label} offers no SFTP.", hint="Enable the sftp subsystem in sshd.")
        return sftp

    def start_detached(self, argv: list[str], log_path: str) -> int:
        """Start `argv` in its own session, output to `log_path`, surviving this connection;
        return its pid."""
        command = f"exec {shlex.join(argv)} >{shlex.quote(log_path)} 2>&1 </dev/null"
        started = self.run(f"cd / && setsid sh -c {shlex.quote(command)} >/dev/null 2>&1 </dev/null & echo $!")
        return int(started.stdout.strip())

    def is_running(self, pid: int) -> bool:
        """Whether `pid` lives on the host (a zombie left for an init that does not reap
        counts as exited)."""
        state = self.run(f"sed -n 's/.*) \\(.\\).*/\\1/p' /proc/{int(pid)}/stat", check=False).stdout.strip()
        return state not in ("", "Z", "X")

    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> SshSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
