"""Fields of Gravity's manifest that Airlift accepts but does not act on. Each present one gives
ONE warning naming it, so a vendor porting a Gravity application knows what is ignored."""

from __future__ import annotations

from typing import Any

from installer.manifest.problems import join_path
from installer.manifest.shapes import as_dict, as_list

# Hooks Airlift runs; Gravity's other hook types are accepted with a warning.
ACTED_HOOKS = (
    "install", "postInstall", "preUpdate", "update", "postUpdate", "rollback", "preUninstall", "uninstall",
    "preNodeAdd", "postNodeAdd", "preNodeRemove", "postNodeRemove", "status",
)
_TOP = {
    "baseImage": "Airlift always carries its own runtime (k3s)",
    "dependencies": "Gravity packages and apps do not exist in Airlift",
    "providers": "Airlift installs on existing hosts only",
    "storage": "no storage provider is installed",
    "ingress": "no ingress controller is installed",
    "license": "a licence is required by building with build.py --licence-key PUB",
    "webConfig": "the wizard is not customised by config.js",
    "extensions": "Gravity's extensions do not exist in Airlift",
    "systemOptions": "the runtime's version and options come from the bundled k3s",
}
_METADATA = ("namespace", "repository", "createdTimestamp", "hidden", "labels")
_PROFILE = {"providers": "cloud providers", "systemOptions": "per-profile runtime options"}
_VOLUME = ("targetPath", "hidden", "recursive", "label", "seLinuxLabel")
# Gravity's schema leaves customChecks entries open; Airlift acts on these keys only.
_CHECK = ("description", "script")


def unused_field_warnings(doc: dict[str, Any]) -> list[str]:
    """One warning per present field that Airlift accepts but ignores, in manifest order."""
    out = [f"{key}: accepted but not used by Airlift ({why})" for key, why in _TOP.items() if key in doc]
    meta = as_dict(doc.get("metadata"))
    out += [f"metadata.{key}: accepted but not used by Airlift" for key in _METADATA if key in meta]
    installer = as_dict(doc.get("installer"))
    if "setupEndpoints" in installer:
        out.append("installer.setupEndpoints: accepted but not used by Airlift")
    hooks = as_dict(doc.get("hooks"))
    out += [f"hooks.{name}: accepted but never run by Airlift" for name in hooks if name not in ACTED_HOOKS]
    for i, profile in enumerate(as_list(doc.get("nodeProfiles"))):
        if not isinstance(profile, dict):
            continue
        out += [f"nodeProfiles[{i}].{key}: accepted but not used by Airlift ({why})"
                for key, why in _PROFILE.items() if key in profile]
        requirements = as_dict(profile.get("requirements"))
        for j, volume in enumerate(as_list(requirements.get("volumes"))):
            if isinstance(volume, dict):
                base = join_path(["nodeProfiles", i, "requirements", "volumes", j])
                out += [f"{base}.{key}: accepted but not used by Airlift" for key in _VOLUME if key in volume]
        for j, check in enumerate(as_list(requirements.get("customChecks"))):
            if isinstance(check, dict):
                base = join_path(["nodeProfiles", i, "requirements", "customChecks", j])
                out += [f"{base}.{key}: accepted but not used by Airlift" for key in check if key not in _CHECK]
    return out
