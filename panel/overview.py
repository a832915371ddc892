"""The screens' data, shaped from the engine's status document (installer.status.install) and
history (installer.status.history): only what each screen draws, and never a secret but the join
command, which the Nodes screen exists to show to the signed-in admin."""

from __future__ import annotations

from panel.site import Site


def overview(site: Site, alerts: dict) -> dict:
    """{installed, app: {name, version}, runtime, installer, condition: {word, reasons},
    health, endpoints, alerts: {available, firing}, panel}"""
    status = site.status()
    manifest = site.manifest()
    app = {"name": manifest.name if manifest else None, "version": manifest.version if manifest else None}
    if status is None:
        return {"installed": False, "app": app, "alerts": alerts}
    return {"installed": True, "app": {**app, **status["app"]},
            "runtime": {k: status["runtime"].get(k) for k in ("name", "version", "running")},
            "installer": status["installer"], "condition": {"word": status["condition"], "reasons": status["reasons"]},
            "health": status["health"],
            "endpoints": status["endpoints"], "alerts": alerts, "state_dir": str(site.state_dir)}


def nodes_view(site: Site) -> dict:
    """{nodes: [{name, address, profile, first, ready, installer_version, runtime_version}],
    join: {profile: command}}"""
    status = site.status()
    if status is None:
        return {"nodes": [], "join": {}}
    return {"nodes": status["nodes"], "join": status["join"]}


def operations_view(site: Site) -> list[dict]:
    """The history, newest first (the Operations screen lists the latest at the top)."""
    return list(reversed(site.operations()))
