"""Make a host a node over SSH: copy the installer there and start the agent, or leave nothing.

Why check free space first: SFTP reports a full disk only as a bare "Failure" halfway through a
large copy; measuring /tmp beforehand names the problem and the numbers. Everything goes into one
fresh directory under /tmp, so cleaning up after a failed step is a single `rm -rf`.
"""

from __future__ import annotations

import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import paramiko

from installer.errors import AirliftError
from installer.ssh.session import SshSession

Progress = Callable[[int, int], None]
SPACE_MARGIN = 16 << 20


@dataclass(frozen=True)
class Provisioned:
    """What provisioning left on the host: the directory holding the copy and the agent's pid."""

    remote_dir: str
    pid: int
    log_path: str


def free_bytes(session: SshSession, directory: str) -> int:
    """Bytes available to the user in `directory` on the host (POSIX df)."""
    out = session.run(f"df -Pk {shlex.quote(directory)}").stdout.splitlines()
    try:
        return int(out[-1].split()[3]) * 1024
    except (IndexError, ValueError) as exc:
        raise AirliftError(f"Cannot read the free space of {directory} on {session.target.label}.",
                           details="\n".join(out)) from exc


def provision(session: SshSession, files: dict[str, Path], argv: list[str], progress: Progress | None = None,
              base: str = "/tmp", settle: float = 1.0, secrets: dict[str, str] | None = None) -> Provisioned:
    """Copy `files` (name in the remote directory -> local path, modes kept) and write `secrets`
    (name -> text, mode 0600) into a new directory under `base`, start `argv` there detached,
    and check it is still running after `settle` seconds. argv[0] and any argument starting
    with `./` are relative to that directory (how argv names a secret file: never its content).
    On any failure the directory is removed."""
    total = sum(p.stat().st_size for p in files.values())
    available = free_bytes(session, base)
    if available < total + SPACE_MARGIN:
        raise AirliftError(
            f"Not enough space in {base} on {session.target.label}: {available >> 20} MiB free, "
            f"the installer needs {(total + SPACE_MARGIN) >> 20} MiB.",
            hint=f"Free space in {base} on that host (or make it larger), then try again.")
    remote_dir = session.run(f"mktemp -d {shlex.quote(base)}/airlift.XXXXXX").stdout.strip()
    log_path = f"{remote_dir}/agent.log"
    try:
        _copy_all(session, remote_dir, files, total, progress)
        for name, text in (secrets or {}).items():
            session.write_private(text.encode(), f"{remote_dir}/{name}")
        remote_argv = [f"{remote_dir}/{argv[0]}", *(_in(remote_dir, a) for a in argv[1:])]
        pid = session.start_detached(remote_argv, log_path)
        time.sleep(settle)
        if not session.is_running(pid):
            log = session.run(f"tail -n 20 {shlex.quote(log_path)}", check=False).stdout
            raise AirliftError(f"The agent on {session.target.label} exited right after it started.",
                               details=log.strip() or "(its log is empty)",
                               hint="Read the agent's last lines above; fix the cause and try again.")
    except BaseException:
        cleanup(session, remote_dir)
        raise
    return Provisioned(remote_dir, pid, log_path)


def cleanup(session: SshSession, remote_dir: str) -> None:
    """Remove what provisioning copied (best effort: the connection may be what failed)."""
    try:
        session.run(f"rm -rf {shlex.quote(remote_dir)}", check=False, timeout=30)
    except (AirliftError, OSError, EOFError, paramiko.SSHException):
        return


def tree_files(root: Path, names: list[str]) -> dict[str, Path]:
    """The files to copy for `names` under `root` (a file, or a folder taken whole, such as the
    frozen installer's `install` and `bin/`), keyed by their path relative to `root`."""
    found: dict[str, Path] = {}
    for name in names:
        path = root / name
        if not path.exists():
            raise AirliftError(f"{path} does not exist, so it cannot be copied to the other hosts.",
                               hint="Run ./install from the unpacked bundle folder.")
        for f in sorted(path.rglob("*")) if path.is_dir() else [path]:
            if f.is_file():
                found[f.relative_to(root).as_posix()] = f
    return found


def _copy_all(session: SshSession, remote_dir: str, files: dict[str, Path], total: int,
              progress: Progress | None) -> None:
    folders = sorted({f"{remote_dir}/{name.rsplit('/', 1)[0]}" for name in files if "/" in name})
    if folders:
        session.run("mkdir -p " + " ".join(shlex.quote(f) for f in folders))
    done = 0
    for name, local in files.items():
        size = local.stat().st_size
        session.put(local, f"{remote_dir}/{name}", local.stat().st_mode & 0o777, _shifted(progress, done, total))
        done += size


def _in(remote_dir: str, arg: str) -> str:
    return f"{remote_dir}/{arg[2:]}" if arg.startswith("./") else arg


def _shifted(progress: Progress | None, base: int, total: int) -> Progress | None:
    """One file's progress reported as part of the whole copy."""
    if progress is None:
        return None
    report = progress
    return lambda done, _size: report(base + done, total)
