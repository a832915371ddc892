"""Profile volumes: present (or creatable), enough free space, the right filesystem, fast enough."""

from __future__ import annotations

from installer.checks.result import CheckResult, Family, passed, problem, size
from installer.facts import Facts, VolumeProbe
from installer.manifest.models import NodeProfile, Volume


def volume_id(volume: Volume) -> str:
    """`volume-<name>`, or the path made into a word when the volume has no name."""
    return "volume-" + (volume.name or volume.path.strip("/").replace("/", "-") or "root")


def check_volumes(facts: Facts, profile: NodeProfile) -> list[CheckResult]:
    probes = {p.path: p for p in facts.volumes}
    results: list[CheckResult] = []
    for volume in profile.requirements.volumes:
        probe = probes.get(volume.path)
        if probe is None:
            results.append(problem(volume_id(volume), "fail", f"Volume {volume.path} was not examined on this host.",
                                   "Run the checks again so the facts cover this profile."))
            continue
        results.append(_presence_and_space(volume, probe, profile.name, facts.as_root))
        if probe.error or (not probe.exists and volume.skip_if_missing):
            continue
        if volume.filesystems:
            results.append(_filesystem(volume, probe, profile.name))
        if volume.min_transfer_rate is not None:
            results.append(_speed(volume, probe, profile.name))
    return results


def _presence_and_space(volume: Volume, probe: VolumeProbe, profile: str, as_root: bool) -> CheckResult:
    cid, path = volume_id(volume), volume.path
    if probe.error:
        fix = "Run the checks as root." if not as_root else f"Make {probe.probed_path} writable by root."
        return problem(cid, "fail", f"Cannot examine volume {path}: {probe.error}.",
                       f"{fix} Then run the checks again.")
    if probe.exists and not probe.is_dir:
        return problem(cid, "fail", f"Volume {path} exists but is not a folder.",
                       f"Move the file {path} away so the folder can be created.")
    if not probe.exists and volume.skip_if_missing:
        return passed(cid, "fail", f"Volume {path} does not exist; profile {profile} skips it when missing.")
    if not probe.exists and not volume.create_if_missing:
        return problem(cid, "fail", f"Volume {path} does not exist and profile {profile} does not create it.",
                       f"Create {path} (for example mount the disk meant for it), then run the checks again.")
    where = path if probe.exists else f"{probe.probed_path} (where {path} will be created)"
    free = probe.free_bytes or 0
    if volume.capacity is not None and free < volume.capacity:
        return problem(cid, "fail",
                       f"Only {size(free)} free at {where}; profile {profile} needs {size(volume.capacity)}.",
                       f"Free up {size(volume.capacity - free)} there, or mount a larger disk at {path}.")
    return passed(cid, "fail", f"{size(free)} free at {where}.")


def _filesystem(volume: Volume, probe: VolumeProbe, profile: str) -> CheckResult:
    cid, accepted = f"{volume_id(volume)}-fs", ", ".join(volume.filesystems)
    if probe.fs_type in volume.filesystems:
        return passed(cid, "fail", f"{volume.path} is on {probe.fs_type}.")
    return problem(cid, "fail",
                   f"{volume.path} is on a {probe.fs_type or 'unknown'} filesystem; profile {profile} needs one of: {accepted}.",
                   f"Mount a {volume.filesystems[0]} filesystem at {volume.path}, then run the checks again.")


def _speed(volume: Volume, probe: VolumeProbe, profile: str) -> CheckResult:
    cid, need = f"{volume_id(volume)}-speed", volume.min_transfer_rate or 0
    rate = probe.write_bytes_per_s
    if rate is None:
        return problem(cid, "fail", f"The write speed of {volume.path} was not measured.",
                       "Run the checks again so the facts cover this profile.")
    if rate >= need:
        return passed(cid, "fail", f"{volume.path} writes at {size(rate)}/s (needs {size(need)}/s).")
    return problem(cid, "fail",
                   f"{volume.path} writes at {size(rate)}/s; profile {profile} needs at least {size(need)}/s.",
                   f"Put {volume.path} on a faster disk (an SSD), or check that the disk is not busy.")


VOLUMES = Family(
    "volumes", "volume-<name>, volume-<name>-fs, volume-<name>-speed",
    "Each profile volume exists or can be created, has the capacity free, the right filesystem "
    "and the minimum write speed (measured with a direct, synced write)",
    check_volumes,
)
