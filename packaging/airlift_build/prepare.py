"""The bytes each bundle file is stored as, prepared on worker threads ahead of the tar writer.

The tar is one file written in order, but reading, hashing and compressing the next files need
not wait for the member being written: `prepared(files)` runs that work for AHEAD files at once,
each file's stored bytes flowing to the writer through a bounded queue, so a core is not left
idle while the other one compresses or hashes. zstandard and hashlib release the GIL on large
buffers, so the threads do run in parallel; compression itself is multi-threaded zstd.

A digest a source only announced (`BundleFile.claim`) is checked here, as the bytes are read
for the tar anyway; a file whose digest is already known and checked, stored raw, is not read
at all: the writer copies it in the kernel.
"""

from __future__ import annotations

import hashlib
import queue
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

import zstandard

from airlift_build.blobstore import DigestMismatch
from airlift_build.files import BundleFile
from installer.bundle.index import Content
from installer.errors import AirliftError

CHUNK = 4 << 20
QUEUE_CHUNKS = 8  # stored bytes waiting for the writer, per file: about 32 MB at most
AHEAD = 3  # files prepared at once, the one being written included
SAMPLE = 256 << 10
MIN_COMPRESS_SIZE = 4096
WORTH_IT = 0.9
LEVEL = 3
POLL_S = 0.1

Kind = Literal["raw", "zstd", "kernel"]
Put = Callable[[object], None]


@dataclass(frozen=True)
class Stored:
    """What the writer needs for the index once a file's stored bytes are all out."""

    size: int
    sha256: str
    content: Content | None  # size and sha256 after decompression, for a file stored as .zst


class _Cancelled(Exception):
    """The writer gave up (an error or Ctrl-C): the worker stops."""


class Preparation:
    """One file's stored bytes as a worker produces them, for the writer to take in order.

    Through the queue come: the kind ("raw", "zstd", or "kernel" for a verified raw file the
    writer copies itself), the stored bytes in chunks, then a Stored (or the worker's error).
    """

    def __init__(self, f: BundleFile, cancelled: threading.Event, bound: int = QUEUE_CHUNKS) -> None:
        self.file = f
        self._queue: queue.Queue[object] = queue.Queue(bound)
        self._cancelled = cancelled
        self.stored: Stored | None = None

    def run(self) -> None:
        """Produce everything (on a worker); an error is handed to the writer, not raised here."""
        try:
            _produce(self.file, self._put)
        except _Cancelled:
            return
        except BaseException as exc:  # noqa: BLE001 - re-raised in the writer's thread
            try:
                self._put(exc)
            except _Cancelled:
                return

    def _put(self, item: object) -> None:
        while True:
            if self._cancelled.is_set():
                raise _Cancelled
            try:
                self._queue.put(item, timeout=POLL_S)
                return
            except queue.Full:
                continue

    def _get(self) -> object:
        item = self._queue.get()
        if isinstance(item, BaseException):
            raise item
        return item

    def kind(self) -> Kind:
        """How the file is stored; waits for the worker to decide."""
        kind = self._get()
        assert kind in ("raw", "zstd", "kernel")
        return kind  # type: ignore[return-value]

    def chunks(self) -> Iterator[bytes]:
        """The stored bytes; afterwards `stored` is set."""
        while isinstance(item := self._get(), bytes):
            yield item
        assert isinstance(item, Stored)
        self.stored = item


@contextmanager
def prepared(files: list[BundleFile]) -> Iterator[Iterator[Preparation]]:
    """Preparations of `files`, in their order, each started AHEAD files before it is needed.

    Take each preparation's kind and chunks before asking for the next one.
    """
    cancelled = threading.Event()
    with ThreadPoolExecutor(AHEAD, thread_name_prefix="bundle-prepare") as pool:
        try:
            yield _in_order(files, pool, cancelled)
        finally:
            cancelled.set()


def _in_order(files: list[BundleFile], pool: ThreadPoolExecutor,
              cancelled: threading.Event) -> Iterator[Preparation]:
    pending = iter(files)
    started: deque[Preparation] = deque()
    while True:
        while len(started) < AHEAD and (f := next(pending, None)) is not None:
            prep = Preparation(f, cancelled)
            pool.submit(prep.run)
            started.append(prep)
        if not started:
            return
        yield started.popleft()


def prepare_now(f: BundleFile) -> Preparation:
    """A preparation made in this thread, for a small file written on its own (index.json)."""
    prep = Preparation(f, threading.Event(), bound=0)
    prep.run()
    return prep


def worth_compressing(f: BundleFile) -> bool:
    """Compress a sample from the start and the middle; keep zstd only if it saves ≥10 %."""
    size = f.size
    if not f.compress or size < MIN_COMPRESS_SIZE:
        return False
    if f.data is not None:
        sample = f.data[:SAMPLE] + f.data[size // 2: size // 2 + SAMPLE]
    else:
        with open(f.source, "rb") as src:  # type: ignore[arg-type]
            sample = src.read(SAMPLE)
            src.seek(size // 2)
            sample += src.read(SAMPLE)
    return len(zstandard.ZstdCompressor(level=LEVEL).compress(sample)) < WORTH_IT * len(sample)


def _produce(f: BundleFile, put: Put) -> None:
    if worth_compressing(f):
        put("zstd")
        _produce_zstd(f, put)
    elif f.sha256 and f.claim is None and f.source is not None:
        put("kernel")
        put(Stored(f.size, f.sha256.removeprefix("sha256:"), None))
    else:
        put("raw")
        _produce_raw(f, put)


def _produce_raw(f: BundleFile, put: Put) -> None:
    content = _ContentHash(f)
    for chunk in _content(f):
        content.update(chunk)
        put(chunk)
    digest = content.finish()
    put(Stored(content.size, digest, None))


def _produce_zstd(f: BundleFile, put: Put) -> None:
    content = _ContentHash(f)
    stored, stored_size = hashlib.sha256(), 0
    compressor = zstandard.ZstdCompressor(level=LEVEL, threads=-1, write_content_size=True)
    z = compressor.compressobj(size=f.size)
    for chunk in _content(f):
        content.update(chunk)
        out = z.compress(chunk)
        if out:
            stored.update(out)
            stored_size += len(out)
            put(out)
    out = z.flush()
    stored.update(out)
    stored_size += len(out)
    put(out)
    digest = content.finish()
    put(Stored(stored_size, stored.hexdigest(), Content(content.size, digest)))


def _content(f: BundleFile) -> Iterator[bytes]:
    """The file's content in chunks; an error when a file on disk changes size meanwhile (its
    tar header already says how long it is)."""
    if f.data is not None:
        yield f.data
        return
    size, read = f.size, 0
    with open(f.source, "rb") as src:  # type: ignore[arg-type]
        while chunk := src.read(CHUNK):
            read += len(chunk)
            yield chunk
    if read != size:
        raise AirliftError(f"{f.source} changed while the bundle was written ({size} bytes, then {read})",
                           hint="build again once nothing writes to the build's input files")


class _ContentHash:
    """sha256 of the content, checked against a source's claim; skipped when already known."""

    def __init__(self, f: BundleFile) -> None:
        self._file = f
        self._known = f.sha256.removeprefix("sha256:") if f.sha256 and f.claim is None else None
        self._hash = None if self._known else hashlib.sha256()
        self.size = 0

    def update(self, data: bytes) -> None:
        self.size += len(data)
        if self._hash is not None:
            self._hash.update(data)

    def finish(self) -> str:
        """The content's digest; DigestMismatch when it is not the one its source announced."""
        if self._known:
            return self._known
        assert self._hash is not None
        digest = self._hash.hexdigest()
        claim, expected = self._file.claim, self._file.sha256
        if claim is not None and expected != "sha256:" + digest:
            raise DigestMismatch(f"Blob {expected} in {claim.origin} has digest sha256:{digest}",
                                 hint=f"the file {claim.path} is damaged; rebuild or re-save the image")
        return digest
