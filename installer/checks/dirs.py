"""Folders the installer writes to, and devices the profile needs."""

from __future__ import annotations

from installer.checks.result import CheckResult, Family, passed, problem, size
from installer.facts import Facts
from installer.manifest.models import NodeProfile

AS_ROOT = "Run the install as root (sudo ./install ...): it writes system folders."


def check_tempdir(facts: Facts, profile: NodeProfile) -> list[CheckResult]:
    probe = facts.tempdir
    if probe.writable:
        return [passed("tempdir", "fail", f"Temp folder {probe.path} is writable.")]
    return [problem("tempdir", "fail", f"Cannot write to the temp folder {probe.path}: {probe.error}.",
                    "Point TMPDIR at a writable folder with free space, or free space there.")]


def check_state_dir(facts: Facts, profile: NodeProfile) -> list[CheckResult]:
    probe = facts.state_dir
    if not probe.writable:
        return [problem("state-dir", "fail", f"Cannot write to the state folder {probe.path}: {probe.error}.",
                        AS_ROOT if not facts.as_root else
                        "Choose another folder with --state-dir, or fix its permissions or free space.")]
    free = probe.free_bytes or 0
    if free < probe.needed_bytes:
        return [problem("state-dir", "fail",
                        f"Only {size(free)} free for the state folder {probe.path}; the install stores "
                        f"{size(probe.needed_bytes)} there.",
                        f"Free up {size(probe.needed_bytes - free)} there, or choose a folder on a larger disk "
                        "with --state-dir.")]
    return [passed("state-dir", "fail", f"State folder {probe.path} is writable, {size(free)} free.")]


def check_devices(facts: Facts, profile: NodeProfile) -> list[CheckResult]:
    found = {d.path: d.matches for d in facts.devices}
    results = []
    for device in profile.requirements.devices:
        cid, matches = f"device-{device.path}", found.get(device.path, [])
        if matches:
            results.append(passed(cid, "fail", f"Device {device.path}: {', '.join(matches[:5])}."))
        else:
            results.append(problem(cid, "fail", f"No device matches {device.path}; profile {profile.name} needs it.",
                                   "Attach the device and load its driver, or pick another profile."))
    return results


TEMPDIR = Family("tempdir", "tempdir", "The temp folder (TMPDIR) is writable", check_tempdir)
STATE_DIR = Family("state-dir", "state-dir", "The state folder is writable (or can be created) with room for what the install stores", check_state_dir)
DEVICES = Family("devices", "device-<path>", "Every device the profile names exists", check_devices)
