"""The engine's state as one JSON-able dict: what every front-end draws a screen from.

Shape:
  bundle:     {name, version, description, logo, release_notes, eula, flavors: [{name,
               description, nodes: [{profile, count}]}], default_flavor, prompt, profiles}
  answers:    the answers.yaml form (flag names as keys), {} until set
  plan:       {operation, state, phases: [{id, description, requires, node, state, error}]}
  nodes:      [{name, profile, address, connected, joined?, facts?}]  this host first, then the nodes
              that joined (facts: the {os, cpus, ram_bytes} each sent when it joined)
  join:       {commands: {profile: command}, missing: {profile: count}, port, fingerprint}
              when the flavor has several nodes (the commands hold the join token), else None
  checks:     [{id, severity, status, message, hint}]
  network:    {addresses: ["192.168.50.10", ...], default: "192.168.50.10" | None}  the addresses
              other hosts may reach this one on (no loopback, the default route's first) and the
              default route's: the settings screen offers them for advertise-addr
  operation:  {status: idle|running|completed|failed, started?, finished?, error?, endpoints?}
  endpoints:  [{name, description, url}] once the application is installed
  licence:    {required, key_id, accepted: {id, customer, application, max_nodes, expires, channel,
               features, issued} | None}: whether the bundle installs only with a licence, and the
              one given (installer/licence.py)
  state_dir, log, kubeconfig, answers_file
  seq:        the newest event's sequence number when the snapshot was taken (events after it are
              newer than the snapshot)
  installer:  the command of the installer kept in the state directory (for status and uninstall
              once the bundle folder is gone), "" until bootstrap kept it
"""

from __future__ import annotations

import dataclasses
import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Any

from installer.installer_copy import kept_launcher
from installer.runtime.k3s_files import K3sPaths
from installer.statedir import StateDir

if TYPE_CHECKING:
    from installer.answers import HostNetwork
    from installer.engine import Engine


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return value


def bundle_info(engine: Engine) -> dict:
    m = engine.manifest
    return {
        "name": m.name,
        "version": m.version,
        "description": m.description,
        "logo": m.logo,
        "release_notes": m.release_notes,
        "eula": m.eula,
        "flavors": [
            {"name": f.name, "description": f.description,
             "nodes": [{"profile": n.profile, "count": n.count} for n in f.nodes]}
            for f in m.flavors
        ],
        "default_flavor": m.default_flavor,
        "prompt": m.flavor_prompt,
        "profiles": [{"name": p.name, "description": p.description} for p in m.profiles.values()],
    }


def _join(engine: Engine) -> dict | None:
    hub = engine.agents
    if hub is None:
        return None
    profiles = dict.fromkeys(n.profile for n in hub.flavor.nodes)
    return {"commands": {p: hub.join_command(p) for p in profiles}, "missing": hub.missing(),
            "port": hub.port, "fingerprint": hub.fingerprint}


def host_network(network: HostNetwork) -> dict:
    """What the settings screen suggests for the advertise address."""
    return {"addresses": network.reachable_addresses(), "default": network.default_addr}


def build_snapshot(engine: Engine) -> dict:
    seq = engine.bus.last_seq  # read first: everything below is at least this fresh
    answers = engine.answers
    plan = engine.plan()
    installed = plan.phase("/app").state == "completed"
    return {
        "seq": seq,
        "bundle": bundle_info(engine),
        "answers": answers,
        "plan": plan.to_dict(),
        "nodes": [{"name": engine.node, "profile": answers.get("profile"),
                   "address": answers.get("advertise-addr"), "connected": True},
                  *(n.view() for n in (engine.agents.nodes.nodes() if engine.agents else []))],
        "join": _join(engine),
        "checks": [_plain(r) for r in engine.check_results],
        "network": host_network(engine.network()),
        "operation": engine.operation,
        "endpoints": engine.endpoints() if installed else [],
        "licence": engine.licence(),
        "state_dir": str(engine.state_dir),
        "log": str(engine.log_path),
        "kubeconfig": str(K3sPaths.of(engine.host).kubeconfig),
        "answers_file": str(StateDir(engine.state_dir).answers),
        "installer": kept_command(engine),
    }


def kept_command(engine: Engine) -> str:
    """`<state>/installer/install` (with --root when not /), or "" before bootstrap kept it."""
    launcher = kept_launcher(engine.state_dir)
    if launcher is None:
        return ""
    root = [] if engine.host.root == Path("/") else ["--root", str(engine.host.root)]
    return shlex.join([str(launcher), *root])
