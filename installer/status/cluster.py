"""What `./install status` shows of the cluster: its nodes, the day-2 operations, and the join
command for each node profile that may still be added. Reads the state directory only."""

from __future__ import annotations

import json
from pathlib import Path

from installer.agent_hub.hub import join_command
from installer.agent_hub.nodes import Node
from installer.answers import Answers
from installer.cluster_service.operations import Operations
from installer.manifest import Manifest
from installer.services import ServiceManager
from installer.services.names import CONTROLLER, PANEL
from installer.statedir import StateDir
from installer.tls import saved_fingerprint


def cluster_status(services: ServiceManager, state_dir: Path, answers: Answers, manifest: Manifest | None) -> dict:
    """{nodes: [{name, address, profile, first, installer_version, app_version, runtime_version}] (the joined
    nodes, versions as their agents last reported them, None for a record older than that),
    operations: [{id, kind, node, state}], join: {profile: command}, service: whether
    airlift-cluster runs, panel: whether airlift-panel runs} for a completed install (`manifest`
    given); before, join is empty and service and panel None."""
    nodes_file = StateDir(state_dir).nodes
    records = json.loads(nodes_file.read_text()) if nodes_file.is_file() else []
    operations = []
    for op in Operations(state_dir, []).all():
        plan = op.store.load()
        operations.append({"id": op.id, "kind": op.kind, "node": op.node, "state": plan.state if plan else "unstarted"})
    nodes = [Node.from_record(r) for r in records]
    return {"nodes": [{"name": n.name, "address": n.address, "profile": n.profile, "first": False,
                       "installer_version": n.installer_version, "app_version": n.app_version,
                       "runtime_version": n.runtime_version} for n in nodes],
            "operations": operations, "join": _join_commands(Path(state_dir), answers, manifest),
            "service": services.is_running(CONTROLLER) if manifest is not None else None,
            "panel": services.is_running(PANEL) if manifest is not None else None}


def _join_commands(state_dir: Path, answers: Answers, manifest: Manifest | None) -> dict[str, str]:
    token_file, fingerprint = StateDir(state_dir).join_token, saved_fingerprint(state_dir)
    if manifest is None or not token_file.is_file() or fingerprint is None or not answers.advertise_addr:
        return {}
    token = token_file.read_text().strip()
    return {p.name: join_command(answers.advertise_addr, answers.agent_port, token, fingerprint, p.name)
            for p in manifest.profiles.values() if p.expandable}
