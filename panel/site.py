"""What the panel shows and does, through the engine's own functions: the status `./install status`
prints (installer.status.install), the operations' history (installer.status.history), and the
removal of a node, which the cluster controller runs (installer.cluster_service.client), as
`./install remove` asks it.

The status asks the registry and Kubernetes, which takes a moment, so one result is shared by
every browser for STATUS_TTL_S.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from installer import answers as answers_mod
from installer.cluster_service.client import controller_client
from installer.errors import AirliftError
from installer.events import Event
from installer.host import Host
from installer.manifest import Manifest, load_manifest
from installer.node_agent.client import ConnectionLost
from installer.services import manager_for
from installer.services.names import CONTROLLER
from installer.statedir import StateDir
from installer.status import history
from installer.status.install import install_status

STATUS_TTL_S = 5.0


class Site:
    """The installed site in `state_dir` on the host under `root`."""

    def __init__(self, state_dir: Path, root: Path = Path("/")) -> None:
        self.state_dir = Path(state_dir)
        self.host = Host(Path(root))
        self.paths = StateDir(self.state_dir)
        self._lock = threading.Lock()
        self._status: tuple[float, dict | None] | None = None

    def answers(self) -> answers_mod.Answers:
        return answers_mod.saved(self.paths.answers) if self.paths.answers.is_file() else answers_mod.Answers()

    def raw_answers(self) -> dict:
        """The answers file as written, also the keys this release does not know (monitoring's)."""
        return answers_mod.load_file(self.paths.answers) if self.paths.answers.is_file() else {}

    def manifest(self) -> Manifest | None:
        return load_manifest(self.paths.app_manifest) if self.paths.app_manifest.is_file() else None

    def status(self) -> dict | None:
        """`./install status --json`'s document (None: nothing installed), at most STATUS_TTL_S old."""
        with self._lock:
            if self._status is None or time.monotonic() - self._status[0] > STATUS_TTL_S:
                services = manager_for(self.host, self.state_dir)
                self._status = (time.monotonic(), install_status(self.host, services, self.state_dir))
            return self._status[1]

    def operations(self) -> list[dict]:
        return history.operations(self.state_dir)

    def operation_events(self, op_id: str, after: int = 0) -> list[Event]:
        return history.operation_events(self.state_dir, op_id, after)

    def remove_node(self, node: str, force: bool = False) -> str:
        """Ask the controller to remove `node`; the operation's id (its events tell how it goes)."""
        try:
            answer = controller_client(self.state_dir).call(
                "operate", {"operation": "remove", "node": node, "force": force})
        except ConnectionLost as exc:
            raise AirliftError(f"The cluster controller (service {CONTROLLER}) does not answer on this host",
                               details=str(exc),
                               hint=f"start it on the first master (systemctl start {CONTROLLER}), then try again"
                               ) from exc
        with self._lock:
            self._status = None  # the nodes change: read them afresh
        return str(answer["id"])
