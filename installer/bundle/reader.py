"""The one bundle reader: open an unpacked bundle, verify it, and read its files and images."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import zstandard

from installer.bundle.base import BaseFiles, BlobLocation
from installer.bundle.errors import BundleError
from installer.bundle.images import Blob, ImageContent, image_content
from installer.bundle.index import INDEX_NAME, Index, IndexEntry
from installer.bundle.signature import SignatureError, VendorKey, bundle_signer
from installer.bundle.verify import verify_files, verify_tree
from installer.errors import AirliftError

REF_ANNOTATION = "org.opencontainers.image.ref.name"
IMAGES_DIR = "images"


@dataclass(frozen=True)
class ImageInfo:
    """One image of the bundle: its full normalised reference and its manifest descriptor."""

    ref: str
    digest: str
    media_type: str
    size: int


class Bundle:
    """An unpacked bundle folder described by its index.json.

    A differential bundle reads the files it left out through `base` (installer.bundle.base);
    without one, reading such a file is a BundleError naming the base it expects.
    """

    def __init__(self, root: Path, index: Index, base: BaseFiles | None = None) -> None:
        self.root = root
        self.index = index
        self.base = base
        self._entries = {e.path: e for e in index.files}

    @classmethod
    def open(cls, root: Path, base: BaseFiles | None = None) -> Bundle:
        """Read index.json; a missing or malformed index is a BundleError naming it."""
        root = Path(root).resolve()
        try:
            index = Index.from_json((root / INDEX_NAME).read_bytes())
        except FileNotFoundError:
            raise BundleError([f"{INDEX_NAME}: is missing from {root}"],
                              hint="index.json is the last file of the bundle tarball, so a tarball cut short "
                                   "lacks it: copy the tarball again (check its size and sha256) and unpack it "
                                   "with `tar xf`; and run ./install from the folder it unpacked to") from None
        except (ValueError, KeyError, TypeError) as e:
            raise BundleError([f"{INDEX_NAME}: cannot be read ({e})"]) from None
        return cls(root, index, base)

    @property
    def is_differential(self) -> bool:
        return self.index.base is not None

    @property
    def name(self) -> str:
        return self.index.name

    @property
    def version(self) -> str:
        return self.index.version

    @property
    def manifest_path(self) -> Path:
        return self.root / "app.yaml"

    def verify(self, progress: Callable[[int, int], None] | None = None) -> None:
        """Check every file the bundle carries against the index, and, when a base is given, the
        base's copy of every file expected from it, and the vendor's signature when the bundle has one;
        raises BundleError listing every problem."""
        problems: list[str] = []
        try:
            self.signer()
        except SignatureError as e:
            problems.append(e.message)
        problems += verify_tree(self.root, self.index, progress)
        if self.base is not None and self.index.from_base:
            problems += verify_files(self._base_locations())
        if problems:
            raise BundleError(problems)

    def signer(self) -> VendorKey | None:
        """The vendor key whose signature of index.json checks out; None for an unsigned bundle, a
        SignatureError for a signature that does not match (installer.bundle.signature)."""
        return bundle_signer(self.root)

    def require_base(self) -> None:
        """Every file a differential bundle expects from its base is where the base keeps it
        (looked up, not read: cheap enough to refuse before anything changes); else an error
        naming each missing file and its blob."""
        if not self.index.from_base:
            return
        missing = [e for e, loc in self._base_locations() if loc is None] if self.base is not None \
            else list(self.index.from_base)
        if missing:
            raise AirliftError(
                f"{len(missing)} file(s) this differential bundle of {self.name} {self.version} expects from "
                f"{self._base_name()} are missing where the installed site keeps them",
                details="\n".join(f"  - {e.path} (blob sha256:{e.content_sha256})" for e in missing[:20]),
                hint=f"nothing was changed; run ./install upgrade from the full bundle of {self.name} "
                     f"{self.version}, or restore the state directory (its registry storage and blobs) from a backup")

    def entry(self, path: str) -> IndexEntry:
        """The index entry of a logical path; a BundleError when the bundle has no such file."""
        try:
            return self._entries[path]
        except KeyError:
            raise BundleError([f"{path}: is not in this bundle"]) from None

    def files(self, prefix: str = "") -> list[IndexEntry]:
        """Index entries under a folder (logical paths), sorted."""
        return sorted((e for e in self.index.files if e.path.startswith(prefix)), key=lambda e: e.path)

    def location(self, path: str) -> BlobLocation:
        """Where a logical file's stored bytes are (for a file expected from the base, the base's copy)."""
        e = self.entry(path)
        if not e.from_base:
            return BlobLocation(self.root / e.stored_path, e.zstd is not None, e.size)
        loc = self.base.locate(e) if self.base is not None else None
        if loc is None:
            raise BundleError([f"{path}: is expected from the base bundle {self._base_name()}, which has no copy"],
                              hint=f"this differential bundle only upgrades a cluster running "
                                   f"{self._base_name()}; run ./install upgrade there, or use the full bundle")
        return loc

    def _base_name(self) -> str:
        base = self.index.base
        return f"{base.name} {base.version}" if base else "(none)"

    def _base_locations(self) -> list[tuple[IndexEntry, BlobLocation | None]]:
        assert self.base is not None
        return [(e, self.base.locate(e)) for e in self.index.from_base]

    def open_file(self, path: str) -> BinaryIO:
        """A binary stream of a logical file's content, decompressed when stored as .zst."""
        return _open(self.location(path))

    def read_bytes(self, path: str) -> bytes:
        with self.open_file(path) as f:
            return f.read()

    def blob_location(self, digest: str) -> BlobLocation:
        """Where the OCI blob "sha256:<hex>" of the images layout is stored; an error naming the
        blob when the index lacks it or its file is gone (filling the registry needs every one)."""
        path = self.blob_path(digest)
        if path in self._entries and (self.base is not None or not self._entries[path].from_base):
            loc = self.location(path)
            if loc.path.is_file():
                return loc
        raise AirliftError(f"Blob {digest} is missing from the bundle at {self.root}",
                           hint="Verify the bundle (./install verify) and copy it again.")

    @staticmethod
    def blob_path(digest: str) -> str:
        """The logical path of an OCI blob in the bundle."""
        algo, _, hexpart = digest.partition(":")
        return f"{IMAGES_DIR}/blobs/{algo}/{hexpart}"

    def images(self) -> list[ImageInfo]:
        """Every image of images/index.json, by its full normalised reference."""
        index = json.loads(self.read_bytes(f"{IMAGES_DIR}/index.json"))
        return [ImageInfo(ref=d["annotations"][REF_ANNOTATION], digest=d["digest"],
                          media_type=d["mediaType"], size=int(d["size"]))
                for d in index.get("manifests", [])]

    def image_contents(self) -> list[ImageContent]:
        """Every image with its manifests, configs and layers (what a registry must serve)."""
        def read_blob(digest: str) -> bytes:
            with _open(self.blob_location(digest)) as f:
                return f.read()
        return [image_content(i.ref, Blob(i.digest, i.size, i.media_type), read_blob)
                for i in self.images()]


def _open(loc: BlobLocation) -> BinaryIO:
    """The content of stored bytes as a stream: the file itself, or a zstd frame decompressed."""
    raw = open(loc.path, "rb")  # noqa: SIM115 - returned to the caller, who closes it
    if not loc.compressed:
        return raw
    reader = zstandard.ZstdDecompressor().stream_reader(raw, closefd=True)
    return io.BufferedReader(reader, buffer_size=1 << 20)
