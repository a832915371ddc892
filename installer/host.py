"""The one place that touches the host.

Every file the installer writes and every command it runs goes through a `Host`, which knows the
root prefix (default `/`). Tests and test containers give a temporary root, so the same code that
installs onto a bare server runs unchanged in a temp dir.

Path rule: `host.path("/etc/x")` maps a host path into the root prefix; every other method takes
paths that are already real (mapped, or the state directory the operator chose).

Services (installer.services) are built on a Host, never the other way round: a Host knows
nothing of who supervises what.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import BinaryIO

from installer.errors import AirliftError

_SEARCH_DIRS = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")


class Host:
    """A host seen through a root prefix."""

    def __init__(self, root: Path = Path("/")) -> None:
        self.root = Path(root).resolve()

    def path(self, host_path: str | Path) -> Path:
        """Where the host path `host_path` (absolute, as on the real host) lives under the root."""
        relative = str(host_path).lstrip("/")
        return self.root / relative if relative else self.root

    def write_file(self, path: Path, data: bytes | str | BinaryIO, mode: int = 0o644) -> None:
        """Write `path` atomically: readers see the old content or the new, never half of it.

        `data` may be a readable binary stream (a binary from the bundle), copied in chunks. The
        temp file is created with `mode` already set, so a secret never sits readable.
        """
        path = Path(path)
        tmp = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
            os.fchmod(fd, mode)
            with os.fdopen(fd, "wb") as out:
                if isinstance(data, (bytes, str)):
                    out.write(data.encode() if isinstance(data, str) else data)
                else:
                    shutil.copyfileobj(data, out, 1 << 20)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
        except OSError as exc:
            if tmp:
                Path(tmp).unlink(missing_ok=True)
            raise AirliftError(
                f"Cannot write {path}: {exc.strerror}",
                hint="Free space on that disk, or make the folder writable.",
            ) from exc

    def remove(self, path: Path) -> None:
        """Remove a file, symlink or folder tree; a missing path is not an error (idempotent)."""
        path = Path(path)
        if path.is_symlink() or path.is_file():
            path.unlink()
        elif path.is_dir():
            shutil.rmtree(path)

    def prune_empty_parents(self, path: Path) -> None:
        """Remove the now-empty folders above `path`, up to (never including) the root.

        On a real host /etc or /var/log are never empty, so only folders the install created go;
        under a test root the tree is left as it was before the install.
        """
        folder = Path(path).parent
        while folder != self.root and self.root in folder.parents:
            try:
                folder.rmdir()
            except OSError:
                return
            folder = folder.parent

    def run(
        self,
        argv: Sequence[str | os.PathLike[str]],
        env: Mapping[str, str] | None = None,
        timeout: float | None = None,
        check: bool = True,
        input: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run a command to completion, capturing its output as text.

        `env` adds to the installer's environment; `input` is fed to its stdin. A failure (when `check`) raises AirliftError
        naming the command and its last output lines, so the operator sees why.
        """
        args = [str(a) for a in argv]
        full_env = {**os.environ, **(env or {})}
        try:
            done = subprocess.run(args, env=full_env, timeout=timeout, capture_output=True, text=True,
                                  input=input, stdin=None if input is not None else subprocess.DEVNULL)
        except FileNotFoundError as exc:
            raise AirliftError(f"Command not found: {args[0]}", hint="Install it or check the PATH.") from exc
        except subprocess.TimeoutExpired as exc:
            raise AirliftError(
                f"Command timed out after {timeout:.0f}s: {_show(args)}",
                hint="Look at the service logs for what it was waiting for.",
            ) from exc
        if check and done.returncode != 0:
            tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
            raise AirliftError(
                f"Command failed (exit {done.returncode}): {_show(args)}",
                details=tail,
                hint="Read the output above and fix the cause.",
            )
        return done

    def which(self, name: str) -> Path | None:
        """The executable `name` under the root's usual bin folders, else on the installer's PATH."""
        for folder in _SEARCH_DIRS:
            candidate = self.path(folder) / name
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return candidate
        found = shutil.which(name)
        return Path(found) if found else None

    def systemd_running(self) -> bool:
        """sd_booted(): systemd is PID 1 when /run/systemd/system exists. Only for root `/`."""
        return self.root == Path("/") and Path("/run/systemd/system").is_dir()


def _show(args: list[str]) -> str:
    """A command line short enough for an error message."""
    text = shlex.join(args)
    return text if len(text) <= 160 else text[:157] + "..."
