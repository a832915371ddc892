"""The images part of an upgrade's diff: which images come, go or change, and how many new bytes
each brings.

New bytes are the blobs (manifests, configs, layers) the installed bundle did not have: the kept
index lists every blob it carried, so the registry already holds the rest. A differential bundle
does not carry those blobs at all; a manifest it lacks was in the base, and so was everything
under it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from installer.bundle import Blob, Bundle, ImageInfo
from installer.bundle.images import split_ref
from installer.bundle.reader import IMAGES_DIR

BLOBS = f"{IMAGES_DIR}/blobs/sha256/"


@dataclass(frozen=True)
class ImageChange:
    """An image added, removed or changed; `new_bytes` is the size of its blobs the registry lacks.
    A changed image names what it replaces (`from_ref`, `from_digest`)."""

    ref: str
    digest: str
    new_bytes: int = 0
    from_ref: str | None = None
    from_digest: str | None = None


@dataclass(frozen=True)
class ImageChanges:
    added: tuple[ImageChange, ...]
    removed: tuple[ImageChange, ...]
    changed: tuple[ImageChange, ...]
    new_bytes: int  # every new blob once, however many images share it


def image_changes(new: Bundle, installed: Bundle) -> ImageChanges:
    """Compare the images of `new` with the installed bundle's (its kept part)."""
    had = {e.path.removeprefix(BLOBS) for e in installed.files(BLOBS)}
    old = {i.ref: i for i in installed.images()}
    current = {i.ref: i for i in new.images()}
    fresh: dict[str, int] = {}
    news = {}
    for ref, image in current.items():
        blobs = _new_blobs(new, image, had)
        fresh.update((b.digest, b.size) for b in blobs)
        news[ref] = sum(b.size for b in blobs)
    gone = sorted(set(old) - set(current))
    came = sorted(set(current) - set(old))
    changed = [(old[r], current[r]) for r in sorted(set(old) & set(current)) if old[r].digest != current[r].digest]
    pairs, gone, came = _same_repository(gone, came)
    changed += [(old[a], current[b]) for a, b in pairs]
    return ImageChanges(
        added=tuple(ImageChange(r, current[r].digest, news[r]) for r in came),
        removed=tuple(ImageChange(r, old[r].digest) for r in gone),
        changed=tuple(ImageChange(b.ref, b.digest, news[b.ref], a.ref, a.digest)
                      for a, b in sorted(changed, key=lambda p: p[1].ref)),
        new_bytes=sum(fresh.values()))


def _same_repository(gone: list[str], came: list[str]) -> tuple[list[tuple[str, str]], list[str], list[str]]:
    """A removed and an added reference of the same repository are one image changing its tag
    (`hello/web:1.0.0` -> `hello/web:1.1.0`); each pairs at most once, in sorted order."""
    pairs = []
    left = list(came)
    for ref in list(gone):
        match = next((c for c in left if split_ref(c)[:2] == split_ref(ref)[:2]), None)
        if match is not None:
            pairs.append((ref, match))
            left.remove(match)
    paired = {a for a, _ in pairs}
    return pairs, [r for r in gone if r not in paired], left


def _new_blobs(bundle: Bundle, image: ImageInfo, had: set[str]) -> list[Blob]:
    """The blobs under `image` the installed bundle lacked. A blob it had is skipped with
    everything under it: blobs are addressed by content, so a manifest it had names only blobs it
    had too."""
    found: dict[str, Blob] = {}
    pending = [(Blob(image.digest, image.size, image.media_type), True)]
    while pending:
        blob, is_manifest = pending.pop()
        if blob.hex in had or blob.digest in found:
            continue
        found[blob.digest] = blob
        if not is_manifest:
            continue
        doc = json.loads(bundle.read_bytes(Bundle.blob_path(blob.digest)))
        if "manifests" in doc:
            pending += [(_blob(d), True) for d in doc["manifests"]]
        else:
            pending += [(_blob(d), False) for d in [doc["config"], *doc.get("layers", [])]]
    return list(found.values())


def _blob(desc: dict) -> Blob:
    return Blob(str(desc["digest"]), int(desc["size"]), str(desc.get("mediaType", "")))
