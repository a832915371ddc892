"""The phases that run on the other nodes, through their agents: /checks/<node>,
/distribute/<node> and /runtime/<node>.

Each hands one task to the node's agent (installer/node_agent/tasks.py) and waits for its result,
while the agent's events stream into the install's log with the node's name.
"""

from __future__ import annotations

import json

from installer.agent_hub import AgentHub, clock
from installer.checks import CheckResult
from installer.errors import AirliftError
from installer.events import Event
from installer.phases.checks import ChecksFailed
from installer.phases.inputs import PhaseInputs
from installer.phases.runtime import mirrored_registries, registry_access
from installer.statedir import StateDir
from installer.transfer.bundle_share import NODE_PREFIXES

CHECKS_TIMEOUT_S = 300
DISTRIBUTE_TIMEOUT_S = 3600
RUNTIME_TIMEOUT_S = 600


def _hub(ctx: PhaseInputs) -> AgentHub:
    if ctx.agents is None:
        raise AirliftError("This phase runs on another node, but the installer is not listening for nodes",
                           hint="run ./install --resume with the same answers")
    return ctx.agents


def _manifest_text(ctx: PhaseInputs) -> str:
    with ctx.bundle.open_file("app.yaml") as f:
        return f.read().decode("utf-8")


def _profile(ctx: PhaseInputs, node: str) -> str:
    known = _hub(ctx).nodes.get(node)
    if known is None:
        raise AirliftError(f"Node {node} is not among the nodes that joined",
                           hint=f"run the join command on {node}")
    return known.profile


def checks(ctx: PhaseInputs, node: str) -> None:
    a = ctx.answers
    data = _hub(ctx).run(node, "checks", {
        "phase": f"/checks/{node}", "manifest": _manifest_text(ctx), "profile": _profile(ctx, node),
        "ports": [a.registry_port, a.wizard_port, a.api_port, a.exporter_port], "skip": list(a.skip_checks),
        "cidrs": [a.pod_cidr, a.service_cidr],
    }, CHECKS_TIMEOUT_S)
    ctx.host.write_file(StateDir(ctx.state_dir).node_facts(node), json.dumps(data.get("facts") or {}, indent=1))
    results = [CheckResult(**r) for r in data["results"]]
    if data.get("clock_offset_s") is not None and clock.CHECK_ID not in a.skip_checks:
        drift = clock.drift_check(node, data["clock_offset_s"])
        ctx.bus.emit(Event("check", drift.status, drift.message, phase=f"/checks/{node}", node=node,
                           data={"id": drift.id, "severity": drift.severity, "hint": drift.hint}))
        results.append(drift)
    failed = [r for r in results if r.status == "fail"]
    if failed:
        raise ChecksFailed(failed, node)


def distribute(ctx: PhaseInputs, node: str, prefixes: list[str] = NODE_PREFIXES) -> None:
    """The bundle files under `prefixes` to `node` over the LAN (the runtime; an upgrade adds the
    installer)."""
    hub = _hub(ctx)
    tracker = hub.share(ctx.bundle, ctx.state_dir, prefixes)
    index = (ctx.bundle.root / "index.json").read_text(encoding="utf-8")
    hub.run(node, "distribute", {"phase": f"/distribute/{node}", "index": index, "prefixes": prefixes,
                                 "tracker": tracker}, DISTRIBUTE_TIMEOUT_S)


def runtime(ctx: PhaseInputs, node: str, restart: bool = False) -> None:
    """k3s on `node`: an extra server for a master profile, an agent otherwise; then Ready. The
    registry's CA and credentials travel with the task, over the agent channel pinned by TLS.
    With `restart` (an upgrade), the node stops its k3s before the new files go in place."""
    profile = ctx.manifest.profiles[_profile(ctx, node)]
    a = ctx.answers
    token = ctx.runtime.token()  # the full K10 form: the node checks the first master's CA with it
    if not token:
        raise AirliftError("The first master has no cluster join token yet: k3s there writes it to "
                           "/var/lib/rancher/k3s/server/token once it runs",
                           hint="check that k3s runs on this host (./install status)")
    ctx.bus.add_secret(token)
    config = {
        **registry_access(ctx), "mirrored_registries": mirrored_registries(ctx.bundle),
        "role": "server" if profile.service_role == "master" else "agent",
        "server_url": f"https://{ctx.address}:{a.api_port}",
        "pod_cidr": a.pod_cidr, "service_cidr": a.service_cidr, "api_port": a.api_port,
    }
    phase = f"/runtime/{node}"
    _hub(ctx).run(node, "runtime", {"phase": phase, "manifest": _manifest_text(ctx), "profile": profile.name,
                                    "config": config, "token": token, "restart": restart}, RUNTIME_TIMEOUT_S)
    ctx.bus.log_line(f"Waiting up to {ctx.answers.ready_timeout}s for node {node} to be Ready", phase=phase)
    ctx.runtime.wait_ready(node, ctx.answers.ready_timeout)
    ctx.bus.log_line(f"Node {node} is Ready", phase=phase)
