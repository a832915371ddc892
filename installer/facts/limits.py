"""Kernel limits kubelet and containerd run into, and the open-file limit k3s will inherit.

Under systemd the k3s unit sets LimitNOFILE itself; under Airlift's supervisor k3s inherits the
installer's hard limit (Go raises the soft limit to it), so that is the one that counts.
"""

from __future__ import annotations

import resource
from pathlib import Path

from installer.facts.host_record import Limits
from installer.facts.system import read_sysctls

LIMIT_SYSCTLS = ("fs.inotify.max_user_instances", "fs.inotify.max_user_watches", "fs.nr_open",
                 "vm.overcommit_memory", "vm.panic_on_oom", "kernel.panic", "kernel.panic_on_oops")


def read_limits(system: Path) -> Limits:
    try:
        _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    except (OSError, ValueError):
        hard = None
    nofile = None if hard is None or hard == resource.RLIM_INFINITY else hard
    return Limits(read_sysctls(system, LIMIT_SYSCTLS), nofile, (system / "run/systemd/system").is_dir())
