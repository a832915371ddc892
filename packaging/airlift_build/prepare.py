"""The bytes each bundle file is stored as, prepared on worker threads ahead of the tar writer.

The tar is one file written in order, but reading, hashing and compressing the next files need
not wait for the member being written: `prepared(files)` runs that work for AHEAD files at once,
each file's stored bytes flowing to the writer through a bounded queue, so a core is not left
idle while the other one compresses or hashes. zstandard and hashlib release the GIL on large
buffers, so the threads do run in parallel; compression itself is multi-threaded zstd.

A digest a source only announced (`BundleFile.claim`) is checked here, as the bytes are read
anyway. A file stored raw is copied by the writer in the kernel while a worker hashes it (not
at all when its digest is known and checked); a file that changes meanwhile fails the build.
"""

from __future__ import annotations

import hashlib
import os
import queue
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypeVar

import zstandard

from airlift_build.blobstore import DigestMismatch
from airlift_build.files import BundleFile
from installer.bundle.index import Content
from installer.errors import AirliftError

CHUNK = 4 << 20
BUFFERS = 4  # read buffers per file being prepared: the stored bytes in flight, about 16 MB
QUEUE_CHUNKS = 8  # compressed chunks waiting for the writer, per file
AHEAD = 3  # files prepared at once, the one being written included
SAMPLE = 256 << 10
MIN_COMPRESS_SIZE = 4096
WORTH_IT = 0.9
LEVEL = 3
POLL_S = 0.1

Kind = Literal["raw", "zstd", "kernel"]
T = TypeVar("T")
_local = threading.local()


@dataclass(frozen=True)
class Stored:
    """What the writer needs for the index once a file's stored bytes are all out."""

    size: int
    sha256: str
    content: Content | None  # size and sha256 after decompression, for a file stored as .zst
    source_state: tuple[int, ...] | None = None  # a file the writer copies: see source_state()


def source_state(path: Path) -> tuple[int, ...]:
    """What changes when a file is written to or replaced: the writer copies a raw file in the
    kernel while a worker hashes it, and refuses the bundle if this differs afterwards. Not its
    ctime: the build's blob store hard-links its sources (blobstore.put_file), and another build
    of the same image layout linking or removing its own link changes the file's ctime, never its
    bytes (two builds at once failed so)."""
    st = os.stat(path)
    return (st.st_ino, st.st_size, st.st_mtime_ns)


class _Cancelled(Exception):
    """The writer gave up (an error or Ctrl-C): the worker stops."""


class _Buffers:
    """Read buffers reused from file to file: a fresh 4 MB buffer per read would cost the
    kernel a page fault per 4 KB, more than the copy itself."""

    def __init__(self, cancelled: threading.Event) -> None:
        self._free: queue.Queue[bytearray] = queue.Queue()
        self._made = 0
        self._cancelled = cancelled

    def take(self) -> bytearray:
        """A free buffer, waiting for the writer to give one back once BUFFERS are out."""
        if self._made < BUFFERS and self._free.empty():
            self._made += 1
            return bytearray(CHUNK)
        return _wait(lambda: self._free.get(timeout=POLL_S), queue.Empty, self._cancelled)

    def give(self, buffer: bytearray) -> None:
        self._free.put(buffer)


def _wait(attempt: Callable[[], T], busy: type[Exception], cancelled: threading.Event) -> T:
    """Retry a blocking queue operation until it succeeds or the writer gives up."""
    while True:
        if cancelled.is_set():
            raise _Cancelled
        try:
            return attempt()
        except busy:
            continue


class Preparation:
    """One file's stored bytes as a worker produces them, for the writer to take in order.

    Through the queue come: the kind ("raw" for bytes in memory, "zstd", or "kernel" for a
    file stored raw, which the writer copies itself while the worker hashes it), the stored
    bytes in chunks (none for "kernel"), then a Stored (or the worker's error).
    """

    def __init__(self, f: BundleFile, buffers: _Buffers, cancelled: threading.Event,
                 bound: int = QUEUE_CHUNKS) -> None:
        self.file = f
        self.buffers = buffers
        self._queue: queue.Queue[object] = queue.Queue(bound)
        self._cancelled = cancelled
        self.stored: Stored | None = None

    def run(self) -> None:
        """Produce everything (on a worker); an error is handed to the writer, not raised here."""
        try:
            _produce(self)
        except _Cancelled:
            return
        except BaseException as exc:  # noqa: BLE001 - re-raised in the writer's thread
            try:
                self.put(exc)
            except _Cancelled:
                return

    def put(self, item: object) -> None:
        """Hand an item to the writer (worker side); waits while the writer is behind."""
        _wait(lambda: self._queue.put(item, timeout=POLL_S), queue.Full, self._cancelled)

    def _get(self) -> object:
        item = self._queue.get()
        if isinstance(item, BaseException):
            raise item
        return item

    def kind(self) -> Kind:
        """How the file is stored; waits for the worker to decide."""
        kind = self._get()
        assert kind in ("raw", "zstd", "kernel")
        return kind

    def chunks(self) -> Iterator[bytes | memoryview]:
        """The stored bytes; afterwards `stored` is set. Write each chunk before taking the next."""
        while isinstance(item := self._get(), bytes | memoryview):
            yield item
            if isinstance(item, memoryview):
                self.buffers.give(item.obj)  # type: ignore[arg-type]
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
    """Each file gets the buffers of one that is written already, so a worker ahead can never
    hold the buffers the file being written needs."""
    pending = iter(files)
    free = deque(_Buffers(cancelled) for _ in range(AHEAD))
    started: deque[Preparation] = deque()
    while True:
        while free and (f := next(pending, None)) is not None:
            prep = Preparation(f, free.popleft(), cancelled)
            pool.submit(prep.run)
            started.append(prep)
        if not started:
            return
        head = started.popleft()
        yield head
        free.append(head.buffers)


def prepare_now(f: BundleFile) -> Preparation:
    """A preparation made in this thread, for a small file written on its own (index.json)."""
    cancelled = threading.Event()
    prep = Preparation(f, _Buffers(cancelled), cancelled, bound=0)
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


def _produce(prep: Preparation) -> None:
    f = prep.file
    if worth_compressing(f):
        prep.put("zstd")
        _produce_zstd(prep)
    elif f.source is not None:
        prep.put("kernel")
        _hash_only(prep, f.source)
    else:
        prep.put("raw")
        _produce_raw(prep)


def _hash_only(prep: Preparation, source: Path) -> None:
    """The digest of a raw file the writer copies itself, meanwhile (when not known already)."""
    state = source_state(source)
    content = _ContentHash(prep.file)
    if content.known:
        prep.put(Stored(prep.file.size, content.finish(), None, state))
        return
    for chunk in _content(prep):
        content.update(chunk)
        if isinstance(chunk, memoryview):
            prep.buffers.give(chunk.obj)  # type: ignore[arg-type]
    prep.put(Stored(content.size, content.finish(), None, state))


def _produce_raw(prep: Preparation) -> None:
    content = _ContentHash(prep.file)
    for chunk in _content(prep):
        content.update(chunk)
        prep.put(chunk)
    digest = content.finish()
    prep.put(Stored(content.size, digest, None))


def _produce_zstd(prep: Preparation) -> None:
    f = prep.file
    content = _ContentHash(f)
    stored, stored_size = hashlib.sha256(), 0
    z = _compressor().compressobj(size=f.size)
    for chunk in _content(prep):
        content.update(chunk)
        out = z.compress(chunk)
        if isinstance(chunk, memoryview):
            prep.buffers.give(chunk.obj)  # type: ignore[arg-type] # compress() copied it
        if out:
            stored.update(out)
            stored_size += len(out)
            prep.put(out)
    out = z.flush()
    stored.update(out)
    stored_size += len(out)
    prep.put(out)
    digest = content.finish()
    prep.put(Stored(stored_size, stored.hexdigest(), Content(content.size, digest)))


def _compressor() -> zstandard.ZstdCompressor:
    """This thread's compressor, reused from file to file: a new multi-threaded one allocates
    its job buffers afresh, which costs more than compressing a small file."""
    if not hasattr(_local, "compressor"):
        _local.compressor = zstandard.ZstdCompressor(level=LEVEL, threads=-1, write_content_size=True)
    compressor: zstandard.ZstdCompressor = _local.compressor
    return compressor


def _content(prep: Preparation) -> Iterator[bytes | memoryview]:
    """The file's content in chunks, file data read into the preparation's buffers; an error
    when a file on disk changes size meanwhile (its tar header already says how long it is)."""
    f = prep.file
    if f.data is not None:
        yield f.data
        return
    assert f.source is not None
    size, read = f.size, 0
    with open(f.source, "rb", buffering=0) as src:
        while True:
            buffer = prep.buffers.take()
            n = src.readinto(buffer)
            if not n:
                prep.buffers.give(buffer)
                break
            read += n
            yield memoryview(buffer)[:n]
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

    @property
    def known(self) -> bool:
        return self._known is not None

    def update(self, data: bytes | memoryview) -> None:
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
