"""Daemons and security modules that change how k3s behaves, read under `system`: time sync,
firewalls, NetworkManager (from /proc/<pid>/comm, so hosts without systemd are seen alike),
SELinux, AppArmor and ufw (from /sys and /etc).
"""

from __future__ import annotations

from pathlib import Path

from installer.facts.host_record import SecurityFacts
from installer.readfile import read_text

# /proc/<pid>/comm (15 characters at most) -> the daemon's name
DAEMONS = {
    "chronyd": "chronyd",
    "systemd-timesyn": "systemd-timesyncd",
    "ntpd": "ntpd",
    "openntpd": "openntpd",
    "firewalld": "firewalld",
    "NetworkManager": "NetworkManager",
}
_K3S_SELINUX = ("usr/share/selinux/packages/k3s.pp", "var/lib/selinux/*/active/modules/*/k3s")
_NM_CONFIGS = ("etc/NetworkManager/NetworkManager.conf", "etc/NetworkManager/conf.d/*.conf",
               "run/NetworkManager/conf.d/*.conf", "usr/lib/NetworkManager/conf.d/*.conf")
_NM_CLOUD_SETUP = ("etc/systemd/system/timers.target.wants/nm-cloud-setup.timer",
                   "etc/systemd/system/NetworkManager.service.wants/nm-cloud-setup.service")


def running_daemons(system: Path) -> list[str]:
    found = set()
    for comm in (system / "proc").glob("[0-9]*/comm"):
        name = read_text(comm)
        if name is not None and name.strip() in DAEMONS:
            found.add(DAEMONS[name.strip()])
    return sorted(found)


def nm_unmanaged(system: Path) -> list[str]:
    """Every `unmanaged-devices=` entry of NetworkManager's configuration."""
    entries: list[str] = []
    for pattern in _NM_CONFIGS:
        for path in sorted(system.glob(pattern)):
            for line in (read_text(path) or "").splitlines():
                key, _, value = line.partition("=")
                if key.strip() == "unmanaged-devices":
                    entries += [e.strip() for e in value.replace(",", ";").split(";") if e.strip()]
    return entries


def security_facts(system: Path) -> SecurityFacts:
    enforce = read_text(system / "sys/fs/selinux/enforce")
    profiles = read_text(system / "sys/kernel/security/apparmor/profiles")
    return SecurityFacts(
        daemons=running_daemons(system),
        ufw_enabled=_ufw_enabled(system),
        selinux=None if enforce is None else ("enforcing" if enforce.strip() == "1" else "permissive"),
        k3s_selinux=any(any(system.glob(p)) for p in _K3S_SELINUX),
        apparmor=(read_text(system / "sys/module/apparmor/parameters/enabled") or "").strip() == "Y",
        apparmor_profiles=None if profiles is None else len(profiles.splitlines()),
        apparmor_parser=any((system / d / "apparmor_parser").exists() for d in ("sbin", "usr/sbin")),
        nm_unmanaged=nm_unmanaged(system),
        nm_cloud_setup=any((system / p).exists() for p in _NM_CLOUD_SETUP),
    )


def _ufw_enabled(system: Path) -> bool:
    for line in (read_text(system / "etc/ufw/ufw.conf") or "").splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "ENABLED":
            return value.strip().strip("\"'").lower() == "yes"
    return False
