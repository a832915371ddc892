"""What adding a node needs of the bundle, kept on the first master by the install's /cluster
phase, so nodes can join after the unpacked bundle folder is deleted.

`<state>/bundle/` holds the bundle's index.json and the few small files day two reads (the
manifest, the images' OCI index, and the licence key when the bundle requires a licence); the
runtime files (those a node receives, and the registry's binary) live in the blob store
`<state>/blobs`, keyed by their sha256 in that index, which the first master serves to the nodes.

A kept index may be a differential bundle's (the site was upgraded with one): the files it left
out are read where the site keeps them (`site_base`), as for every bundle opened on the site.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from installer.bundle import Bundle, DigestBase
from installer.bundle.licence_key import LICENCE_KEY_NAME
from installer.bundle.reader import IMAGES_DIR
from installer.errors import AirliftError
from installer.registry.populate import content_path
from installer.statedir import StateDir
from installer.transfer.bundle_share import NODE_PREFIXES, seed_store, shared_files
from installer.transfer.store import BlobStore, complete_path

KEPT_FILES = ("app.yaml", f"{IMAGES_DIR}/index.json")
# Every runtime file: a differential bundle of the next version leaves out those it shares.
KEPT_RUNTIME = ["runtime/"]
KEPT_IF_PRESENT = (LICENCE_KEY_NAME,)
INDEX = "index.json"


def blob_store(state_dir: Path) -> BlobStore:
    return BlobStore(StateDir(state_dir).blobs)


def site_base(state_dir: Path) -> DigestBase:
    """Where the installed site keeps the files a differential bundle leaves out: the runtime in
    the blob store (by stored sha256), image blobs in the registry's storage (by content sha256)."""
    paths = StateDir(state_dir)
    return DigestBase(stored=lambda sha256: complete_path(paths.blobs, sha256),
                      content=lambda sha256: content_path(paths.registry_storage, sha256))


def keep_bundle(bundle: Bundle, state_dir: Path) -> None:
    """Copy the index, KEPT_FILES and those of KEPT_IF_PRESENT the bundle has to `<state>/bundle/`
    and put the runtime files into the blob store (hard links: no bytes are read or copied on the
    same filesystem; a file a differential bundle left out is there already). Safe to run twice."""
    target = StateDir(state_dir).bundle
    present = [p for p in KEPT_IF_PRESENT if any(e.path == p for e in bundle.index.files)]
    for stored in (INDEX, *(bundle.entry(p).stored_path for p in (*KEPT_FILES, *present))):
        (target / stored).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(bundle.root / stored, target / stored)
    seed_store(blob_store(state_dir), bundle, shared_files(bundle, KEPT_RUNTIME))


def kept_bundle(state_dir: Path) -> Bundle:
    """The kept part of the bundle (its index, manifest and image index), reading the runtime and
    image blobs where the site keeps them."""
    folder = StateDir(state_dir).bundle
    if not (folder / INDEX).is_file():
        raise AirliftError(f"The install kept no bundle index in {folder}, so no node can be added",
                           hint="the install's /cluster phase keeps it; run ./install --resume from the "
                                "unpacked bundle if that phase has not completed")
    return Bundle.open(folder, site_base(state_dir))


def require_node_blobs(bundle: Bundle, state_dir: Path) -> None:
    """Every file a joining node receives is in the blob store; else an error naming the blob,
    since the node could not be given its runtime."""
    store = blob_store(state_dir)
    for f in shared_files(bundle, NODE_PREFIXES):
        if not store.has(f.sha256):
            raise AirliftError(f"Blob sha256:{f.sha256} ({f.stored_path}) is missing from {store.root}",
                               hint="the install's /cluster phase kept the runtime there for the nodes "
                                    "that join later; restore it from a backup of the state directory")
