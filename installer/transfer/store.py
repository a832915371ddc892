"""A node's content-addressed blob store: complete blobs by sha256, and the ones still arriving.

Why one object for both: the server must be able to serve a blob while it is still being
received (that is what lets a relay chain pipeline), and the fetcher must resume a partial file
from its byte offset. Both therefore share this view of the disk, and a condition variable lets a
server streaming a partial blob wake up as soon as new bytes land.
"""

from __future__ import annotations

import errno
import fcntl
import os
import re
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from installer.errors import AirliftError

_HEX = re.compile(r"^[0-9a-f]{64}$")


def normalize_digest(digest: str) -> str:
    """Return the 64-hex sha256 of `digest` ("sha256:<hex>" or "<hex>"); refuse anything else,
    since a digest ends up in a file path."""
    hexpart = digest[len("sha256:"):] if digest.startswith("sha256:") else digest
    if not _HEX.match(hexpart):
        raise AirliftError(f"Not a sha256 digest: {digest!r}",
                           hint="Blobs are named by 64 lowercase hex digits, optionally prefixed 'sha256:'.")
    return hexpart


def complete_path(root: Path, digest: str) -> Path:
    """Where the store at `root` keeps the complete blob `digest` (without creating the store)."""
    return root / "sha256" / normalize_digest(digest)


@dataclass(frozen=True)
class BlobState:
    """What the store holds of one blob: where its bytes are, how many are there, how many to expect."""

    path: Path
    available: int
    size: int
    complete: bool
    generation: int


class BlobStore:
    """Blobs under `<root>/sha256/<hex>`; partial ones under `<root>/partial/<hex>`; the lock a
    fetcher holds on each blob it receives under `<root>/locks/<hex>` (empty files, removed once the
    blob is in place)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        for folder in ("sha256", "partial", "locks"):
            (root / folder).mkdir(parents=True, exist_ok=True)
        self._cond = threading.Condition()
        self._expected: dict[str, int] = {}
        self._generation: dict[str, int] = {}

    def path(self, digest: str) -> Path:
        return complete_path(self.root, digest)

    def partial_path(self, digest: str) -> Path:
        return self.root / "partial" / normalize_digest(digest)

    def has(self, digest: str) -> bool:
        return self.path(digest).is_file()

    def digests(self) -> list[str]:
        """Every complete blob, as hex."""
        return sorted(p.name for p in (self.root / "sha256").iterdir() if _HEX.match(p.name))

    def prune(self, keep: set[str]) -> int:
        """Delete every complete blob not in `keep` (hex digests); the bytes freed. An upgrade's
        /gc: the versions a rollback may need stay, older ones go."""
        freed = 0
        for digest in self.digests():
            if digest not in keep:
                path = self.path(digest)
                freed += path.stat().st_size
                path.unlink()
        return freed

    def adopt(self, digest: str, source: Path) -> None:
        """Put an existing, already verified file (e.g. a bundle file) into the store without
        reading it: hard link on the same filesystem, copy otherwise."""
        target = self.path(digest)
        if target.exists():
            return
        try:
            os.link(source, target)
        except OSError as exc:
            if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK):
                raise
            tmp = target.with_name(target.name + ".tmp")
            shutil.copyfile(source, tmp)
            os.replace(tmp, target)

    @contextmanager
    def receiving(self, digest: str) -> Iterator[None]:
        """Let one fetcher at a time (thread or process) write `digest`'s partial file, the next
        waiting here: two appending to one file interleave their bytes, the first to count the
        blob's size commits that mix, and either one's discard deletes the other's bytes. The lock
        file goes once the blob is in place, so the folder does not keep one per blob ever
        received; a waiter that locked the removed file finds it gone from its path and locks
        the file now there (and then finds the blob in place)."""
        path = self.root / "locks" / normalize_digest(digest)
        while True:
            with open(path, "ab") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                if not _still_at(lock.fileno(), path):
                    continue
                try:
                    yield
                finally:
                    if self.has(digest):
                        path.unlink(missing_ok=True)
                return

    def begin(self, digest: str, size: int) -> int:
        """Announce that `digest` (of `size` bytes) is arriving; return the byte offset to resume
        from (the partial file's length, or 0)."""
        hexd = normalize_digest(digest)
        partial = self.partial_path(hexd)
        have = partial.stat().st_size if partial.exists() else 0
        if have > size:
            partial.unlink()
            have = 0
        partial.touch()
        with self._cond:
            self._expected[hexd] = size
            self._generation.setdefault(hexd, 0)
            self._cond.notify_all()
        return have

    def grew(self) -> None:
        """Wake servers waiting for more bytes of a partial blob."""
        with self._cond:
            self._cond.notify_all()

    def commit(self, digest: str) -> Path:
        """Move a fully received, verified partial into place."""
        hexd = normalize_digest(digest)
        os.replace(self.partial_path(hexd), self.path(hexd))
        with self._cond:
            self._expected.pop(hexd, None)
            self._cond.notify_all()
        return self.path(hexd)

    def discard(self, digest: str) -> None:
        """Throw away a partial blob (corrupted); servers streaming it see a new generation and stop."""
        hexd = normalize_digest(digest)
        self.partial_path(hexd).unlink(missing_ok=True)
        with self._cond:
            self._generation[hexd] = self._generation.get(hexd, 0) + 1
            self._cond.notify_all()

    def abandon(self, digest: str) -> None:
        """Stop receiving `digest` but keep the partial bytes for a later resume (an empty
        partial is not worth keeping)."""
        hexd = normalize_digest(digest)
        with self._cond:
            self._expected.pop(hexd, None)
            self._cond.notify_all()
        partial = self.partial_path(hexd)
        if partial.exists() and partial.stat().st_size == 0:
            partial.unlink()

    def open(self, digest: str) -> tuple[BinaryIO, BlobState] | None:
        """Open the blob's bytes for reading with the state they were opened in (a partial
        may be committed between looking and opening, hence the second look)."""
        for _ in range(2):
            st = self.state(digest)
            if st is None:
                return None
            try:
                return open(st.path, "rb"), st
            except FileNotFoundError:
                continue
        return None

    def state(self, digest: str) -> BlobState | None:
        """The blob as a server may see it now, or None when the store has none of it."""
        hexd = normalize_digest(digest)
        with self._cond:
            return self._state(hexd)

    def wait_for(self, digest: str, offset: int, generation: int, timeout: float) -> BlobState | None:
        """Block until more than `offset` bytes are available (or the blob completes), the
        partial is discarded, or `timeout` passes; return the new state (None if gone)."""
        hexd = normalize_digest(digest)
        with self._cond:
            self._cond.wait_for(lambda: self._moved(hexd, offset, generation), timeout=timeout)
            return self._state(hexd)

    def _moved(self, hexd: str, offset: int, generation: int) -> bool:
        st = self._state(hexd)
        return st is None or st.generation != generation or st.complete or st.available > offset

    def _state(self, hexd: str) -> BlobState | None:
        gen = self._generation.get(hexd, 0)
        final = self.root / "sha256" / hexd
        if final.is_file():
            size = final.stat().st_size
            return BlobState(final, size, size, True, gen)
        if hexd not in self._expected:
            return None
        partial = self.root / "partial" / hexd
        have = partial.stat().st_size if partial.exists() else 0
        return BlobState(partial, have, self._expected[hexd], False, gen)


def _still_at(fd: int, path: Path) -> bool:
    """Whether the open file `fd` is the one at `path` (not removed, nor replaced, since it was opened)."""
    try:
        here = path.stat()
    except FileNotFoundError:
        return False
    opened = os.fstat(fd)
    return (opened.st_dev, opened.st_ino) == (here.st_dev, here.st_ino)
