"""Phases /monitoring (the first master) and /monitoring/<node> (every other node, through its
agent): node_exporter everywhere, Prometheus and Alertmanager on the first master.

The first master signs each exporter's certificate with the install's CA and makes the one user
Prometheus signs in to the exporters as; both travel to a node with its task, over the agent
channel pinned by TLS. Each node answers with the mount points of its state and volume paths,
which the disk alerts watch. Every step is safe to repeat.
"""

from __future__ import annotations

from contextlib import ExitStack

from installer.errors import AirliftError
from installer.monitoring.exporter import BUNDLE_PATH as EXPORTER_BINARY
from installer.monitoring.exporter import NodeExporter
from installer.monitoring.mounts import watched_mountpoints
from installer.monitoring.node import exporter_credentials, exporter_tls
from installer.monitoring.server import ALERTMANAGER_BINARY, PROMETHEUS_BINARY
from installer.phases.inputs import PhaseInputs

PHASE = "/monitoring"
READY_TIMEOUT_S = 60
EXPORTER_TIMEOUT_S = 300


def execute(ctx: PhaseInputs) -> None:
    a = ctx.answers
    credentials = exporter_credentials(ctx.host, ctx.state_dir)
    ctx.bus.add_secret(credentials.password)
    exporter = NodeExporter(ctx.host, ctx.services, ctx.state_dir, ctx.address, a.exporter_port)
    with ctx.bundle.open_file(EXPORTER_BINARY) as binary:
        exporter.install(binary, exporter_tls(ctx.state_dir, ctx.node, ctx.address), credentials)
    exporter.start()
    ctx.bus.log_line(f"node_exporter of {ctx.node} started on {ctx.address}:{a.exporter_port} (TLS, signed in)",
                     phase=PHASE)
    server = ctx.monitoring
    with ExitStack() as stack:
        prometheus = stack.enter_context(ctx.bundle.open_file(PROMETHEUS_BINARY))
        alertmanager = stack.enter_context(ctx.bundle.open_file(ALERTMANAGER_BINARY))
        server.install(prometheus, alertmanager, credentials)
    server.add_node(ctx.node, ctx.address, watched_mountpoints(ctx.host, ctx.state_dir, ctx.profile))
    server.start()
    server.wait_ready(READY_TIMEOUT_S)
    ctx.bus.log_line(f"Prometheus answering on 127.0.0.1:{a.monitoring_port}, Alertmanager on "
                     f"127.0.0.1:{a.alertmanager_port}; metrics kept {a.monitoring_retention} "
                     f"(at most {a.monitoring_retention_size})", phase=PHASE)


def node(ctx: PhaseInputs, name: str) -> None:
    """`name`'s exporter, through its agent; then Prometheus scrapes it."""
    if ctx.agents is None or (known := ctx.agents.nodes.get(name)) is None:
        raise AirliftError(f"Node {name} is not among the nodes that joined, so its exporter cannot be set up",
                           hint="check that its agent runs (./install status), then run the operation again")
    credentials = exporter_credentials(ctx.host, ctx.state_dir)
    ctx.bus.add_secret(credentials.password)
    tls = exporter_tls(ctx.state_dir, name, known.address)
    phase = f"{PHASE}/{name}"
    with ctx.bundle.open_file("app.yaml") as f:
        manifest = f.read().decode("utf-8")
    answer = ctx.agents.run(name, "exporter", {
        "phase": phase, "manifest": manifest, "profile": known.profile, "port": ctx.answers.exporter_port,
        "username": credentials.username, "password": credentials.password, "cert": tls.cert, "key": tls.key,
    }, EXPORTER_TIMEOUT_S)
    ctx.monitoring.add_node(name, known.address, list(answer.get("mountpoints") or []))
    ctx.bus.log_line(f"Prometheus scrapes node {name}'s exporter at {known.address}:{ctx.answers.exporter_port}",
                     phase=phase)

