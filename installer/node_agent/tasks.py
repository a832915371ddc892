"""What an agent does for the plan, one function per task, each safe to run twice.

    checks      gather this node's facts and check them against its profile
    distribute  receive the bundle files the node's role needs from the LAN (installer/transfer)
    runtime     install and start the runtime (k3s agent or extra server) joining the cluster
    exporter    install and start node_exporter with the certificate and user the first master made
    installer   an upgrade or rollback moves the node's kept installer (installer_swap.py)
    prune       an upgrade's /gc: delete received blobs neither kept version needs
    leave       remove k3s, then everything else Airlift put on the node (leave.py)
    probe       one round of the checks across nodes: listen, dial, send or close (probe.py)
    report      this node's part of the support report, redacted here (installer/report)

Each gets the task's arguments from the installer and returns JSON-able data; an AirliftError
travels back to the installer, which fails the node's phase with it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from installer.bundle import Bundle, FolderBase
from installer.checks import run_checks
from installer.events import Event, EventBus
from installer.facts import ClusterSettings, airlift_ports, gather_facts
from installer.host import Host
from installer.installer_copy import keep_installer
from installer.manifest import Manifest, load_manifest
from installer.monitoring.exporter import BUNDLE_PATH as EXPORTER_BINARY
from installer.monitoring.exporter import ExporterTLS, NodeExporter
from installer.monitoring.mounts import watched_mountpoints
from installer.network_probe import ProbeSession
from installer.node_agent.installer_swap import installer
from installer.node_agent.leave import leave
from installer.phases import runtime as runtime_phase
from installer.phases.volumes import create_volumes
from installer.registry.credentials import Credentials
from installer.report.archive import pack_within
from installer.report.node import collect_node
from installer.report.redact import Redactor
from installer.report.secrets import known_secrets
from installer.runtime import K3sRuntime, RuntimeConfig
from installer.services import ServiceManager
from installer.statedir import StateDir
from installer.tls import Certificate
from installer.transfer.bundle_share import place, shared_files, wanted
from installer.transfer.peer import Peer
from installer.transfer.store import BlobStore
from installer.transfer.tracker import TrackerClient


@dataclass
class AgentContext:
    """The node the agent runs on: its host and services, state folder, name, address and join
    token; its blob server's certificate and the installer's fingerprint its agent pinned."""

    host: Host
    services: ServiceManager
    state_dir: Path
    bus: EventBus
    node: str
    address: str
    token: str = field(repr=False)
    cert: Certificate
    installer_fingerprint: str
    peer: Peer | None = None
    peer_tracker: str = ""  # the tracker URL `peer` announces to
    probe: ProbeSession | None = None  # listeners held between the rounds of the checks across nodes
    after_answer: list[Callable[[], object]] = field(default_factory=list)  # run once the result is posted
    restart: bool = False  # once the result is posted, exit: the agent service starts the kept installer again

    @property
    def bundle_dir(self) -> Path:
        """Where the bundle files this node received are laid out, as the bundle stores them."""
        return StateDir(self.state_dir).bundle

    def manifest(self, text: str) -> Manifest:
        path = StateDir(self.state_dir).received_manifest
        self.host.write_file(path, text)
        return load_manifest(path)


def checks(ctx: AgentContext, args: dict) -> dict:
    profile = ctx.manifest(args["manifest"]).profiles[args["profile"]]
    ports = airlift_ports(*args["ports"])
    defaults = ClusterSettings()
    pod_cidr, service_cidr = args.get("cidrs") or (defaults.pod_cidr, defaults.service_cidr)
    cluster = ClusterSettings(pod_cidr, service_cidr, ctx.address, server=profile.service_role == "master")
    facts = gather_facts(ctx.host, profile, ctx.state_dir, ports=ports, state_dir_bytes=0, cluster=cluster)
    facts.save(StateDir(ctx.state_dir).facts)
    results = run_checks(facts, profile, set(args.get("skip") or []))
    for r in results:
        ctx.bus.emit(Event("check", r.status, r.message, phase=args["phase"],
                           data={"id": r.id, "severity": r.severity, "hint": r.hint}))
    return {"results": [dataclasses.asdict(r) for r in results], "facts": facts.to_dict()}


def distribute(ctx: AgentContext, args: dict) -> dict:
    ctx.bundle_dir.mkdir(parents=True, exist_ok=True)
    ctx.host.write_file(ctx.bundle_dir / "index.json", args["index"])
    files = shared_files(Bundle.open(ctx.bundle_dir), list(args["prefixes"]))
    store = BlobStore(StateDir(ctx.state_dir).blobs)
    if ctx.peer is not None and ctx.peer_tracker != args["tracker"]:
        ctx.peer.stop()  # another run's tracker (the install's, an earlier upgrade's): that run is over
        ctx.peer = None
    if ctx.peer is None:
        ctx.peer_tracker = args["tracker"]
        tracker = TrackerClient(args["tracker"], ctx.token, ctx.installer_fingerprint)
        ctx.peer = Peer(ctx.node, store, ctx.token, tracker, ctx.address, ctx.cert).start()
    blobs = wanted(files)
    total = sum(size for _, size in blobs)
    ctx.peer.fetch_all(blobs, ctx.bus.progress(args["phase"], "bytes", f"Receiving {total} bytes of the bundle"))
    place(store, files, ctx.bundle_dir)
    ctx.bus.log_line(f"{len(files)} bundle file(s) received and verified by sha256", phase=args["phase"])
    return {"bytes": total, "resumed_bytes": ctx.peer.resumed_bytes}


def runtime(ctx: AgentContext, args: dict) -> dict:
    profile = ctx.manifest(args["manifest"]).profiles[args["profile"]]
    for path in create_volumes(ctx.host, profile.requirements.volumes, ctx.state_dir):
        ctx.bus.log_line(f"Volume folder {path} ready", phase=args["phase"])
    # Kept before k3s starts, so the services' supervisor runs the kept copy: the node may lose the
    # folder the agent ran from (an SSH host's /tmp copy), and `uninstall` there works without the bundle.
    # An upgrade or rollback (`restart`) moves the kept installer in its own /installer phase.
    # /distribute laid every received file out as the bundle stores them, also those a differential
    # bundle's index expects from its base.
    bundle = Bundle.open(ctx.bundle_dir, FolderBase(ctx.bundle_dir))
    if not args.get("restart"):
        keep_installer(ctx.host, ctx.state_dir, bundle.version)
    token = args["token"]
    ctx.bus.add_secret(token)
    ctx.bus.add_secret(args["config"].get("registry_password", ""))
    config = RuntimeConfig(**{**args["config"], "node_name": ctx.node, "node_ip": ctx.address, "token": token})
    k3s = K3sRuntime(ctx.host, ctx.services, ctx.state_dir)
    if args.get("restart") and ctx.services.is_running(k3s.service):  # an upgrade: the new binary must run
        ctx.services.stop(k3s.service)
    runtime_phase.install(k3s, bundle, config)
    k3s.start()
    ctx.bus.log_line(f"k3s {config.role} started, joining {config.server_url}", phase=args["phase"])
    return {}


def exporter(ctx: AgentContext, args: dict) -> dict:
    """node_exporter on this node; the answer names the mount points the disk alerts watch here."""
    profile = ctx.manifest(args["manifest"]).profiles[args["profile"]]
    ctx.bus.add_secret(args["password"])
    exporter = NodeExporter(ctx.host, ctx.services, ctx.state_dir, ctx.address, int(args["port"]))
    with Bundle.open(ctx.bundle_dir).open_file(EXPORTER_BINARY) as binary:
        exporter.install(binary, ExporterTLS(args["cert"], args["key"]),
                         Credentials(args["username"], args["password"]))
    exporter.start()
    ctx.bus.log_line(f"node_exporter started on {ctx.address}:{args['port']}", phase=args["phase"])
    return {"mountpoints": watched_mountpoints(ctx.host, ctx.state_dir, profile)}


def prune(ctx: AgentContext, args: dict) -> dict:
    freed = BlobStore(StateDir(ctx.state_dir).blobs).prune(set(args["keep"]))
    return {"freed": freed}


def probe(ctx: AgentContext, args: dict) -> dict:
    if ctx.probe is None:
        ctx.probe = ProbeSession(ctx.address)
    return ctx.probe.handle(args)


def report(ctx: AgentContext, args: dict) -> dict:
    """This node's files for the support report, every secret it knows removed before they leave
    it (the first master removes its own again); what was removed, by kind and file."""
    files = collect_node(ctx.host, ctx.services, ctx.state_dir, args.get("profile"))
    redactor = Redactor([*known_secrets(ctx.host, ctx.state_dir), ("join token", ctx.token)], args.get("redact") or [])
    files = {name: redactor.text(text, name) for name, text in files.items()}
    return {"files": pack_within(files), "redactions": redactor.records()}


TASKS: dict[str, Callable[[AgentContext, dict], dict]] = {
    "checks": checks,
    "distribute": distribute,
    "runtime": runtime,
    "exporter": exporter,
    "leave": leave,
    "installer": installer,
    "prune": prune,
    "probe": probe,
    "report": report,
}
