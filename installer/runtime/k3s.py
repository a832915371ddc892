"""k3s, installed by its documented air-gap procedure and run as an Airlift service.

Binary to /usr/local/bin/k3s, air-gap image archives to <data-dir>/agent/images/, registries.yaml
mirroring every registry the bundle's images name to the local registry (0600: with the install's CA
placed beside it and the registry's credentials), config.yaml with the token (0600, never logged) and
node settings, then `k3s server|agent --config ...` as a service. Airlift
writes the service itself instead of running k3s's install.sh: the same service code then serves
the registry too, and nothing is created (symlinks, scripts) that uninstall would have to chase.
"""

from __future__ import annotations

import json
import stat
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import BinaryIO, NoReturn

from installer.errors import AirliftError
from installer.host import Host
from installer.runtime.base import RuntimeConfig
from installer.runtime.jobs import run_job
from installer.runtime.k3s_cleanup import uninstall_k3s
from installer.runtime.k3s_files import (
    K3sPaths,
    configured_token,
    join_token,
    new_token,
    render_config,
    render_registries,
)
from installer.services import ServiceManager
from installer.services.names import K3S_AGENT, K3S_SERVER
from installer.statedir import StateDir

WAIT_STEP_S = 10
DOWN_LIMIT_S = 15.0
AIRGAP_ARCHIVES = "k3s-airgap-images*"  # how k3s releases name them


class K3sRuntime:
    """The Runtime protocol for k3s."""

    def __init__(self, host: Host, services: ServiceManager, state_dir: Path) -> None:
        self.host = host
        self.services = services
        self.state_dir = Path(state_dir)
        self.paths = K3sPaths.of(host)

    @property
    def service(self) -> str:
        """k3s for a server, k3s-agent for an agent (as k3s's own units are named)."""
        return K3S_AGENT if self._role() == "agent" else K3S_SERVER

    def _role(self) -> str:
        if not self.paths.config.is_file():
            return "server"
        return "server" if "write-kubeconfig:" in self.paths.config.read_text() else "agent"

    def install(self, binary: BinaryIO, images: Mapping[str, BinaryIO], config: RuntimeConfig) -> None:
        """Put binary, air-gap images, registries.yaml and config.yaml in place; set up the service.

        A running k3s is stopped when its configuration changed, since k3s reads registries.yaml
        only at start; `start()` then brings it up with the new files. Air-gap archives of
        another release (an upgrade's, a rollback's) are removed.
        """
        self.host.write_file(self.paths.binary, binary, mode=0o755)
        for name, stream in images.items():
            self.host.write_file(self.paths.images / name, stream)
        for old in self.paths.images.glob(AIRGAP_ARCHIVES):  # another release's: k3s would import them at start
            if old.name not in images:
                self.host.remove(old)
        token = config.token or configured_token(self.paths) or new_token()
        changed = self._write_if_changed(self.paths.config, render_config(config, self.paths, token), 0o600)
        if config.registry_ca:
            changed |= self._write_if_changed(self.paths.registry_ca, config.registry_ca, 0o644)
        changed |= self._write_if_changed(self.paths.registries, render_registries(config, self.paths), 0o600)
        argv = [str(self.paths.binary), config.role, "--config", str(self.paths.config)]
        self.services.install(self.service, argv)
        if changed and self.services.is_running(self.service):
            self.services.stop(self.service)

    def _write_if_changed(self, path: Path, text: str, mode: int) -> bool:
        if path.is_file() and path.read_text() == text and stat.S_IMODE(path.stat().st_mode) == mode:
            return False
        self.host.write_file(path, text, mode=mode)
        return True

    def token(self) -> str | None:
        """The full token other nodes join with, read from the running server (a secret: never
        log it); None until k3s has written it."""
        return join_token(self.paths)

    def configured_token(self) -> str | None:
        """The token in this node's config.yaml: the first server's password, or the full token a
        joining node was given (a secret: the bus masks it before k3s starts)."""
        return configured_token(self.paths)

    @property
    def kubeconfig(self) -> Path:
        return self.paths.kubeconfig

    def start(self) -> None:
        self.services.start(self.service)

    def _kubectl(self, args: Sequence[str], check: bool = True, timeout: float = 60) -> tuple[int, str]:
        argv = [str(self.paths.binary), "kubectl", "--kubeconfig", str(self.paths.kubeconfig), *args]
        done = self.host.run(argv, check=check, timeout=timeout)
        return done.returncode, done.stdout if done.returncode == 0 else (done.stderr or done.stdout)

    def kubectl(self, args: Sequence[str]) -> str:
        """Run `k3s kubectl` against this cluster; AirliftError with its output when it fails."""
        return self._kubectl(args)[1]

    def wait_ready(self, node: str, timeout: float = 300) -> None:
        """Wait for node/`node` to be Ready (kubectl wait), with a clear error on timeout.

        A k3s that keeps exiting (down DOWN_LIMIT_S in a row while its service restarts it) fails
        at once, and is stopped rather than left crash-looping, instead of after the whole timeout.
        """
        deadline = time.monotonic() + timeout
        last = ""
        up_seen = time.monotonic()
        while (remaining := deadline - time.monotonic()) > 0:
            step = max(1, int(min(remaining, WAIT_STEP_S)))
            began = time.monotonic()
            code, last = self._kubectl(
                ["wait", "--for=condition=Ready", f"node/{node}", f"--timeout={step}s"], check=False,
                timeout=step + 30)
            if code == 0:
                return
            if self.services.is_running(self.service):
                up_seen = time.monotonic()
            elif time.monotonic() - up_seen >= DOWN_LIMIT_S:
                self.services.stop(self.service)
                self._not_ready(f"k3s keeps exiting, so Kubernetes node {node} cannot become Ready", last,
                                longer=False)
            time.sleep(max(0.0, min(1.0 - (time.monotonic() - began), deadline - time.monotonic())))
        self._not_ready(f"Kubernetes node {node} did not become Ready within {timeout:.0f}s", last)

    def _not_ready(self, message: str, last: str, longer: bool = True) -> NoReturn:
        tail = self.services.log_tail(self.service, 10)
        raise AirliftError(
            message,
            details=f"Last answer from kubectl: {last.strip()}" + (f"\nService log:\n{tail}" if tail else ""),
            hint=f"Read the k3s log ({self.services.log_where(self.service)}) for why and fix it"
                 + ("; to wait longer, add --ready-timeout SECONDS" if longer else ""),
        )

    def apply(self, paths: Sequence[Path]) -> None:
        """kubectl apply each file or folder of resources."""
        for path in paths:
            self.kubectl(["apply", "-f", str(path)])

    def run_job(self, hook: str, job: dict, timeout: float, on_log: Callable[[str], None]) -> None:
        """Run the Job of `hook` to completion (Kubernetes retrying failed pods up to its backoffLimit),
        streaming every attempt's log; AirliftError naming the hook and the job once it gave up."""
        run_job(self.host, self._kubectl, hook, job, StateDir(self.state_dir).jobs, timeout, on_log)

    def drain(self, node: str, timeout: float) -> None:
        """Cordon `node`, then evict its pods so they move to the other nodes before it leaves.

        DaemonSet pods are skipped (they go with the node) and emptyDir data is given up, as any
        pod on a node being removed must be; a drain that cannot finish in `timeout` fails, naming
        the node, with kubectl's reason.
        """
        for args in (["cordon", node], ["drain", node, "--ignore-daemonsets", "--delete-emptydir-data",
                                        f"--timeout={max(1, int(timeout))}s"]):
            code, out = self._kubectl(args, check=False, timeout=timeout + 30)
            if code == 0:
                continue
            raise AirliftError(f"Kubernetes could not drain node {node}", details=out.strip(),
                               hint=f"see why its pods cannot leave (k3s kubectl get pods -A -o wide | grep {node}); "
                                    "a PodDisruptionBudget may block them")

    def delete_node(self, node: str) -> None:
        """Delete node `node` from Kubernetes (nothing to do when it is already gone). Its k3s must
        be stopped first: a running k3s agent registers its node again when it restarts."""
        self.kubectl(["delete", "node", node, "--ignore-not-found"])

    def status(self) -> dict:
        """Service health and each node's readiness, for `./install status`."""
        running = self.services.is_running(self.service)
        result: dict = {"runtime": "k3s", "service": self.service, "running": running,
                        "kubeconfig": str(self.paths.kubeconfig), "nodes": []}
        if not running:
            return result
        code, out = self._kubectl(["get", "nodes", "-o", "json"], check=False, timeout=20)
        if code != 0:
            result["error"] = out.strip()
            return result
        for item in json.loads(out).get("items", []):
            ready = any(c.get("type") == "Ready" and c.get("status") == "True"
                        for c in item.get("status", {}).get("conditions", []))
            result["nodes"].append({"name": item["metadata"]["name"], "ready": ready})
        return result

    def uninstall(self) -> None:
        """Everything k3s-killall.sh and k3s-uninstall.sh remove, plus Airlift's job files."""
        uninstall_k3s(self.host, self.services, self.paths)
        self.host.remove(StateDir(self.state_dir).jobs)
