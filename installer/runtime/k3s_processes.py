"""Ending k3s's processes as k3s-killall.sh does: every container shim with its whole process tree.

A pod's processes are children of its containerd shim and their programs live anywhere (the
image's /bin/sh, /usr/bin/nginx), so matching programs by path misses them: like k3s-killall.sh,
each shim's tree is ended. A process is this install's when its program lives under the k3s data
dir (k3s's containerd and its bundled shims run from <data-dir>/data/<hash>/bin), or when it is a
containerd shim whose command line names one of the install's folders (k3s's shims pass
`-address <run>/k3s/containerd/containerd.sock`, also when k3s uses the host's own shim binary).
Shims of another containerd on the same host, such as Docker's under /run/containerd, name none of
those folders and are left alone.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Sequence
from pathlib import Path

import psutil

SHIM = "containerd-shim"


def end_k3s_processes(data_dir: Path, folders: Sequence[Path], settle_s: float = 5.0) -> None:
    """Kill every process tree of this install (found by `k3s_processes`), until none is left.

    The scan repeats (bounded by `settle_s`) so that a process caught mid-start is not missed.
    """
    deadline = time.monotonic() + settle_s
    while (roots := k3s_processes(data_dir, folders)) and time.monotonic() < deadline:
        for root in roots:
            end_tree(root)
        time.sleep(0.1)


def k3s_processes(data_dir: Path, folders: Sequence[Path]) -> list[psutil.Process]:
    """The living processes run from `data_dir`, and the containerd shims naming `folders`."""
    found = []
    for proc in psutil.process_iter(["name", "exe", "cmdline", "status"]):
        info = proc.info
        argv = info["cmdline"] or []
        if info["status"] == psutil.STATUS_ZOMBIE or proc.pid == os.getpid() or not argv:
            continue
        programs = [p for p in (info["exe"], argv[0]) if p]
        if any(_inside(p, [data_dir]) for p in programs):
            found.append(proc)
        elif _is_shim(info["name"], programs) and any(_inside(a.split("=", 1)[-1], folders) for a in argv[1:]):
            found.append(proc)
    return found


def end_tree(root: psutil.Process) -> None:
    """Stop `root` and its descendants top-down, so that none can fork away, then kill them all.

    A process is listed for its children only once it is stopped, so the list is complete.
    """
    tree, queue = [], [root]
    while queue:
        proc = queue.pop(0)
        try:
            proc.suspend()
        except psutil.Error:
            continue
        tree.append(proc)
        with contextlib.suppress(psutil.Error):
            queue.extend(proc.children())
    for proc in reversed(tree):
        with contextlib.suppress(psutil.Error):
            proc.kill()


def _is_shim(name: str | None, programs: Sequence[str]) -> bool:
    return SHIM in (name or "") or any(SHIM in os.path.basename(p) for p in programs)


def _inside(path: str, folders: Sequence[Path]) -> bool:
    return any(path == str(f) or path.startswith(str(f) + "/") for f in folders)
