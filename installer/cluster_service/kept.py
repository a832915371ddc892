"""What adding a node needs of the bundle, kept on the first master by the install's /cluster
phase, so nodes can join after the unpacked bundle folder is deleted.

`<state>/bundle/` holds the bundle's index.json and the few small files day two reads (the
manifest, the images' OCI index, and the licence key when the bundle requires a licence); the files a node receives (the runtime) live in the blob store
`<state>/blobs`, keyed by their sha256 in that index, which the first master serves to the nodes.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from installer.bundle import Bundle
from installer.bundle.licence_key import LICENCE_KEY_NAME
from installer.bundle.reader import IMAGES_DIR
from installer.errors import AirliftError
from installer.statedir import StateDir
from installer.transfer.bundle_share import NODE_PREFIXES, seed_store, shared_files
from installer.transfer.store import BlobStore

KEPT_FILES = ("app.yaml", f"{IMAGES_DIR}/index.json")
KEPT_IF_PRESENT = (LICENCE_KEY_NAME,)
INDEX = "index.json"


def blob_store(state_dir: Path) -> BlobStore:
    return BlobStore(StateDir(state_dir).blobs)


def keep_bundle(bundle: Bundle, state_dir: Path) -> None:
    """Copy the index, KEPT_FILES and those of KEPT_IF_PRESENT the bundle has to `<state>/bundle/`
    and put the node files into the blob store (hard links: no bytes are read or copied on the same
    filesystem). Safe to run twice."""
    target = StateDir(state_dir).bundle
    present = [p for p in KEPT_IF_PRESENT if any(e.path == p for e in bundle.index.files)]
    for stored in (INDEX, *(bundle.entry(p).stored_path for p in (*KEPT_FILES, *present))):
        (target / stored).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(bundle.root / stored, target / stored)
    seed_store(blob_store(state_dir), bundle, shared_files(bundle, NODE_PREFIXES))


def kept_bundle(state_dir: Path) -> Bundle:
    """The kept part of the bundle (its index, manifest and image index)."""
    folder = StateDir(state_dir).bundle
    if not (folder / INDEX).is_file():
        raise AirliftError(f"The install kept no bundle index in {folder}, so no node can be added",
                           hint="the install's /cluster phase keeps it; run ./install --resume from the "
                                "unpacked bundle if that phase has not completed")
    return Bundle.open(folder)


def require_node_blobs(bundle: Bundle, state_dir: Path) -> None:
    """Every file a joining node receives is in the blob store; else an error naming the blob,
    since the node could not be given its runtime."""
    store = blob_store(state_dir)
    for f in shared_files(bundle, NODE_PREFIXES):
        if not store.has(f.sha256):
            raise AirliftError(f"Blob sha256:{f.sha256} ({f.stored_path}) is missing from {store.root}",
                               hint="the install's /cluster phase kept the runtime there for the nodes "
                                    "that join later; restore it from a backup of the state directory")
