"""A stand-in for installer.engine.Engine with the same API, for the wizard's fast tests.

It uses the real manifest of examples/hello, the real answers validation (against a fixed,
made-up host network) and the real event bus; only running the plan is left out: start()
marks the operation running and emits the events a start emits, so refusals can be tested.
"""

from __future__ import annotations

import datetime
import ipaddress
import threading
from pathlib import Path

from installer import answers as answers_mod
from installer.bundle.signature import VendorKey
from installer.checks.result import CheckResult
from installer.errors import AirliftError
from installer.events import Event, EventBus
from installer.facts.addresses import HostNetwork
from installer.licence import Licence, check_licence, read_licence
from installer.manifest import Problem, load_manifest
from installer.plan import build_install_plan
from installer.ssh.session import PassphraseRequired
from installer.statedir import StateDir
from installer.status.snapshot import bundle_info, host_network

REPO = Path(__file__).resolve().parents[2]
NETWORK = HostNetwork(
    interfaces=(ipaddress.IPv4Interface("127.0.0.1/8"), ipaddress.IPv4Interface("192.168.50.10/24")),
    default_addr="192.168.50.10",
)


class EngineDouble:
    def __init__(self, state_dir: Path = Path("/var/lib/airlift"), licence_key: VendorKey | None = None) -> None:
        self.manifest = load_manifest(REPO / "examples/hello/app.yaml")
        self.state_dir = Path(state_dir)
        self.bus = EventBus()
        self.node = "node-1"
        self.starts = 0
        self.ssh_added: list[tuple[dict, str | None, str | None]] = []
        self.results = [CheckResult("cpu", "fail", "pass", "2 CPUs, at least 1 needed"),
                        CheckResult("ram", "warn", "warn", "512.0 MiB free", hint="add memory")]
        self._answers: dict = {}
        self._plan = build_install_plan(self.node)
        self._operation: dict = {"status": "idle"}
        self._guard = threading.Lock()
        self.licence_key = licence_key  # a bundle built with --licence-key requires a licence
        self._licence: Licence | None = None

    def snapshot(self) -> dict:
        return {"bundle": bundle_info(self), "answers": dict(self._answers), "plan": self._plan.to_dict(),
                "nodes": [{"name": self.node, "profile": self._answers.get("profile"),
                           "address": self._answers.get("advertise-addr")}],
                "checks": [r.to_dict() for r in self.results], "network": host_network(NETWORK), "operation": dict(self._operation),
                "endpoints": [], "state_dir": str(self.state_dir), "log": str(self.state_dir / "logs/installer.log"),
                "kubeconfig": "/etc/rancher/k3s/k3s.yaml", "answers_file": str(StateDir(self.state_dir).answers),
                "licence": {"required": self.licence_key is not None,
                            "key_id": self.licence_key.key_id if self.licence_key else None,
                            "accepted": self._licence.to_dict() if self._licence else None}}

    def set_licence(self, data: bytes, source: str) -> dict:
        """The real rules (installer/licence.py) against the double's key, its flavor's nodes, today."""
        if self.licence_key is None:
            raise AirliftError("hello 1.0.0 was built without a licence key, so it takes no licence")
        flavor = self.manifest.flavor(self._answers["flavor"]) if self._answers.get("flavor") else None
        licence = check_licence(read_licence(data, source, self.licence_key), self.manifest.name,
                                datetime.date.today(), flavor.node_count if flavor else None, source=source)
        self._licence = licence
        return licence.to_dict()

    def validate_answers(self, data: dict) -> list[Problem]:
        return answers_mod.validate({**data, "state-dir": str(self.state_dir)}, self.manifest, NETWORK)

    def set_answers(self, data: dict) -> None:
        data = {**data, "state-dir": str(self.state_dir)}
        self._answers = answers_mod.resolve(data, self.manifest, NETWORK).to_dict()

    def run_checks(self) -> list[CheckResult]:
        skip = set(self._answers.get("skip-checks") or [])
        return [CheckResult(r.id, r.severity, "skipped" if r.id in skip else r.status, r.message, r.hint)
                for r in self.results]

    def start(self, background: bool = False) -> None:
        with self._guard:
            if self._operation["status"] == "running":
                raise AirliftError("The install is already running", hint="wait for it to finish")
            self._operation = {"status": "running"}
            self.starts += 1
        self.bus.emit(Event("operation", "started", f"Installing {self.manifest.name}"))

    def resume(self, background: bool = False) -> None:
        self.start(background)

    def inspect_ssh_node(self, spec: dict) -> dict:
        return {"address": spec["address"], "port": spec.get("port", 22), "user": spec.get("user", "root"),
                "key_type": "ssh-ed25519", "fingerprint": "SHA256:" + "f" * 43, "new": True, "needs": None}

    def add_ssh_node(self, spec: dict, secret: str | None = None, fingerprint: str | None = None) -> None:
        """Records what the wizard passed; a key named "locked" needs a passphrase."""
        if "locked" in spec.get("key", "") and not secret:
            raise PassphraseRequired(f"SSH key {spec['key']} is protected by a passphrase.", hint="Enter it.")
        self.ssh_added.append((spec, secret, fingerprint))

    def events_since(self, seq: int) -> list[Event]:
        return self.bus.since(seq)
