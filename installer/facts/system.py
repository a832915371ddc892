"""Facts about the running system: OS release, kernel modules and sysctls.

They are read from files under `system` (normally `/`): the kernel and OS that will run
Kubernetes are the ones running now, even when Airlift installs its files under a root prefix
(as a chroot still sees the real /proc). Tests point `system` at a folder laid out like one.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from installer.facts.record import OsRelease
from installer.readfile import read_text

REQUIRED_MODULES = ("overlay", "br_netfilter")
SYSCTLS = ("net.ipv4.ip_forward", "net.bridge.bridge-nf-call-iptables")

# Signs in /proc that a module's code is in the running kernel, which hold even when it is
# built in and so absent from /proc/modules (and in a container without /lib/modules).
_PROC_SIGNS = {
    "overlay": ("proc/filesystems", "overlay"),
    "br_netfilter": ("proc/sys/net/bridge/bridge-nf-call-iptables", None),
}
_MODULE_SUFFIXES = (".ko", ".ko.xz", ".ko.zst", ".ko.gz")


def read_os_release(system: Path) -> OsRelease:
    """Parse os-release (the /etc copy, else /usr/lib's); empty fields when neither exists."""
    for rel in ("etc/os-release", "usr/lib/os-release"):
        text = read_text(system / rel)
        if text is not None:
            values = _parse_env(text)
            return OsRelease(
                id=values.get("ID", "").lower(),
                version_id=values.get("VERSION_ID", ""),
                name=values.get("NAME", ""),
                pretty_name=values.get("PRETTY_NAME", ""),
            )
    return OsRelease()


def _parse_env(text: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in text.splitlines():
        if "=" not in line or line.lstrip().startswith("#"):
            continue
        key, raw = line.split("=", 1)
        try:
            parts = shlex.split(raw)
        except ValueError:
            parts = [raw.strip("\"'")]
        values[key.strip()] = parts[0] if parts else ""
    return values


def read_kernel_release(system: Path) -> str:
    """The running kernel's release, as `uname -r` prints it."""
    return (read_text(system / "proc/sys/kernel/osrelease") or "").strip()


def module_states(system: Path, release: str, names: tuple[str, ...] = REQUIRED_MODULES) -> dict[str, str]:
    """For each module: loaded, builtin, loadable (modprobe would find it), missing or unknown.

    unknown means this host shows neither /proc/modules nor /lib/modules to look in.
    """
    loaded = {line.split()[0] for line in (read_text(system / "proc/modules") or "").splitlines() if line}
    moddir = system / "lib/modules" / release
    builtin = _module_names(read_text(moddir / "modules.builtin") or "")
    loadable = _module_names(read_text(moddir / "modules.dep") or "")
    can_tell = (system / "proc/modules").is_file() or moddir.is_dir()
    return {name: _module_state(system, name, loaded, builtin, loadable, can_tell) for name in names}


def _module_state(system: Path, name: str, loaded: set[str], builtin: set[str],
                  loadable: set[str], can_tell: bool) -> str:
    if name in loaded or (system / "sys/module" / name).is_dir() or _proc_sign(system, name):
        return "loaded"
    if name in builtin:
        return "builtin"
    if name in loadable:
        return "loadable"
    return "missing" if can_tell else "unknown"


def _proc_sign(system: Path, name: str) -> bool:
    sign = _PROC_SIGNS.get(name)
    if sign is None:
        return False
    path, word = sign
    text = read_text(system / path)
    if text is None:
        return False
    return word is None or word in text.split()


def _module_names(listing: str) -> set[str]:
    """Module names from modules.dep / modules.builtin lines ("kernel/fs/overlay/overlay.ko: ...")."""
    names = set()
    for line in listing.splitlines():
        base = line.split(":", 1)[0].strip().rsplit("/", 1)[-1]
        for suffix in _MODULE_SUFFIXES:
            if base.endswith(suffix):
                names.add(base[: -len(suffix)].replace("-", "_"))
                break
    return names


def read_sysctls(system: Path, names: tuple[str, ...] = SYSCTLS) -> dict[str, str | None]:
    """Each sysctl's value, None when the kernel has no such key (module not loaded)."""
    values: dict[str, str | None] = {}
    for name in names:
        text = read_text(system / "proc/sys" / name.replace(".", "/"))
        values[name] = text.strip() if text is not None else None
    return values
