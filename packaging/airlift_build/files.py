"""One file to put in a bundle: where its bytes come from, its mode, and whether to try zstd."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Claim:
    """A digest a source announced for a file that nobody has checked yet: who announced it,
    and the file it gave (named to the vendor when the bytes do not match)."""

    origin: str
    path: Path


@dataclass(frozen=True)
class BundleFile:
    """A file of the bundle at `path` (relative to the bundle folder), from disk or memory.

    `compress` marks a candidate for zstd: the writer still tries a sample and stores it raw when
    it does not shrink. `sha256` may carry the content's digest (image blobs): an already-checked
    one spares the writer hashing the file (a raw one is then copied without being read); with a
    `claim` it is only what a source announced, and the writer checks it as it reads the bytes.
    """

    path: str
    source: Path | None = None
    data: bytes | None = None
    mode: int = 0o644
    compress: bool = False
    sha256: str | None = None
    claim: Claim | None = None

    @property
    def size(self) -> int:
        if self.data is not None:
            return len(self.data)
        assert self.source is not None
        return self.source.stat().st_size
