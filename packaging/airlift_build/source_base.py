"""What every image source provides, and the error for a source that cannot be reached."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from airlift_build.blobstore import BlobStore
from airlift_build.images import ImageRecord
from installer.errors import AirliftError

ByteProgress = Callable[[int], None]


class SourceUnavailable(AirliftError):
    """The source itself could not be used (daemon down, registry unreachable, file unreadable)."""


class Source(Protocol):
    """A place images come from. fetch() returns None when the source does not have the image."""

    name: str

    def fetch(self, ref: str, store: BlobStore, progress: ByteProgress) -> ImageRecord | None: ...
