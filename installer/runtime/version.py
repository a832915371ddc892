"""Which k3s release a node runs: what its installed binary answers to `--version`.

The binary is the truth during an upgrade, when some nodes run the new release and some the old
one. Agents report it every time they poll, so the answer is remembered per binary (its path,
size and change time) and the binary runs again only once it was replaced.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

from installer.errors import AirliftError
from installer.host import Host
from installer.runtime.k3s_files import K3sPaths

_VERSION_LINE = re.compile(r"^k3s version (v\d+\.\d+\.\d+\S*)")
TIMEOUT_S = 20.0
_known: dict[tuple[str, int, int], str | None] = {}
_lock = threading.Lock()


def installed_k3s_version(host: Host) -> str | None:
    """The release of the k3s installed on `host` ("v1.30.6+k3s1"); None when none is installed
    or it does not answer like k3s."""
    binary = K3sPaths.of(host).binary
    try:
        st = binary.stat()
    except OSError:
        return None
    key = (str(binary), st.st_size, st.st_mtime_ns)
    with _lock:
        if key not in _known:
            _known[key] = _ask(host, binary)
        return _known[key]


def _ask(host: Host, binary: Path) -> str | None:
    try:
        done = host.run([binary, "--version"], timeout=TIMEOUT_S, check=False)
    except (AirliftError, OSError):
        return None
    lines = (done.stdout or "").strip().splitlines()
    match = _VERSION_LINE.match(lines[0]) if done.returncode == 0 and lines else None
    return match.group(1) if match else None
