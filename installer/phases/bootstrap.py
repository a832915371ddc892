"""Phase /bootstrap: the state directory's folders, the profile's volumes, what the install
needs from the bundle, and the vendor key the site trusts from now on (installer/signer_pin.py).

The resources, the manifest and the installer itself are copied into the state directory so
that status, uninstall and the services' supervisor work the same after the bundle folder is
moved or deleted.
"""

from __future__ import annotations

import yaml

from installer.app_documents import RESOURCES_FILE, application_documents
from installer.installer_copy import keep_installer
from installer.phases.inputs import PhaseInputs
from installer.phases.volumes import create_volumes
from installer.signer_pin import pin_at_install
from installer.statedir import StateDir


def execute(ctx: PhaseInputs) -> None:
    paths = StateDir(ctx.state_dir)
    for folder in (paths.root, paths.logs, ctx.app_dir):
        folder.mkdir(parents=True, exist_ok=True)
    # From now on the services' supervisor runs this copy (installer.services.supervised).
    kept = keep_installer(ctx.host, ctx.state_dir, ctx.bundle.version)
    ctx.bus.log_line(f"Installer kept as {kept} (for status and uninstall once the bundle folder is gone)",
                     phase="/bootstrap")
    ctx.bus.log_line(pin_at_install(ctx.bundle, ctx.state_dir), phase="/bootstrap")
    docs = application_documents(ctx.bundle, ctx.manifest)
    ctx.host.write_file(ctx.app_dir / RESOURCES_FILE, yaml.safe_dump_all(docs, sort_keys=False))
    with ctx.bundle.open_file("app.yaml") as f:
        ctx.host.write_file(paths.app_manifest, f.read())
    ctx.bus.log_line(f"{len(docs)} application resource(s) ready in {ctx.app_dir}", phase="/bootstrap")
    for path in create_volumes(ctx.host, ctx.profile.requirements.volumes, ctx.state_dir):
        ctx.bus.log_line(f"Volume folder {path} ready", phase="/bootstrap")
