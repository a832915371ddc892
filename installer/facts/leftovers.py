"""What an earlier k3s or Airlift install left on the host: its folders, iptables chains and
mounts. A new cluster on top of them fails in ways far from the cause (a cni0 with the old
subnet, a kubelet that finds another cluster's pods, an etcd with another member list).

Folders are looked for through the host's root prefix, where Airlift would install; mounts are
the running system's (`<system>/proc/self/mounts`); iptables chains come from `iptables-save`.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from installer.facts.host_record import Leftovers
from installer.statedir import StateDir

# Folders and files a k3s install writes; each counts when it exists and is not empty.
K3S_PATHS = ("/var/lib/rancher/k3s", "/etc/rancher/k3s/k3s.yaml", "/etc/rancher/k3s/registries.yaml",
             "/var/lib/kubelet", "/run/k3s", "/run/flannel", "/var/lib/cni")
UNINSTALLERS = ("/usr/local/bin/k3s-uninstall.sh", "/usr/local/bin/k3s-agent-uninstall.sh",
                "/usr/local/bin/k3s-killall.sh", "/opt/bin/k3s-uninstall.sh", "/opt/bin/k3s-agent-uninstall.sh")
MOUNT_PREFIXES = ("/var/lib/kubelet", "/run/k3s", "/run/netns/cni-")
CHAIN_PREFIXES = ("KUBE-", "CNI-", "FLANNEL")
DEFAULT_STATE_DIR = "/var/lib/airlift"
SAVE_COMMANDS = ("iptables-save", "iptables-legacy-save")
SAVE_TIMEOUT_S = 10.0

Run = Callable[[list[str]], str]


def leftover_paths(root: Path, state_dir: Path) -> list[str]:
    """k3s's folders under `root`, and an Airlift state folder with a plan that is not this install's."""
    found = [p for p in K3S_PATHS if _present(root / p.lstrip("/"))]
    other = Path(DEFAULT_STATE_DIR)
    if other.resolve() != Path(state_dir).resolve() and StateDir(other).plan.is_file():
        found.append(DEFAULT_STATE_DIR)
    return found


def _present(path: Path) -> bool:
    try:
        return path.is_file() or (path.is_dir() and any(path.iterdir()))
    except OSError:
        return False


def leftover_mounts(system: Path, root: Path) -> list[str]:
    """Mount points under /var/lib/kubelet, /run/k3s or /run/netns/cni- (or those under `root`)."""
    try:
        lines = (system / "proc/self/mounts").read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    prefixes = [*MOUNT_PREFIXES, *(str(root / p.lstrip("/")) for p in MOUNT_PREFIXES if str(root) != "/")]
    points = {line.split()[1].replace("\\040", " ") for line in lines if len(line.split()) > 1}
    return sorted(p for p in points if any(_under(p, prefix) for prefix in prefixes))


def _under(point: str, prefix: str) -> bool:
    """`/run/netns/cni-` matches by name; a folder matches itself and what lies below it."""
    if prefix.endswith("-"):
        return point.startswith(prefix)
    return point == prefix or point.startswith(prefix + "/")


def chains_in(saved: str) -> list[str]:
    """Chain names KUBE-*, CNI-* and FLANNEL* declared in iptables-save output (":NAME POLICY [..]")."""
    names = set()
    for line in saved.splitlines():
        if line.startswith(":"):
            name = line[1:].split()[0]
            if name.upper().startswith(CHAIN_PREFIXES):
                names.add(name)
    return sorted(names)


def _run(argv: list[str]) -> str:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=SAVE_TIMEOUT_S, check=False)
    if done.returncode != 0:
        raise OSError(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}")
    return done.stdout


def leftover_chains(run: Run = _run) -> tuple[list[str], str | None]:
    """(chains, error): every iptables backend present is read; no iptables at all means no chains."""
    chains: set[str] = set()
    errors = []
    for command in SAVE_COMMANDS:
        path = shutil.which(command)
        if path is None:
            continue
        try:
            chains |= set(chains_in(run([path])))
        except (OSError, subprocess.SubprocessError) as exc:
            errors.append(f"{command}: {exc}")
    return sorted(chains), ("; ".join(errors) if errors and not chains else None)


def leftover_facts(system: Path, root: Path, state_dir: Path, run: Run = _run) -> Leftovers:
    chains, error = leftover_chains(run)
    return Leftovers(
        paths=leftover_paths(root, state_dir),
        chains=chains,
        chains_error=error,
        mounts=leftover_mounts(system, root),
        uninstallers=[u for u in UNINSTALLERS if (root / u.lstrip("/")).is_file()],
    )
