"""Images from the local Docker daemon (`--source docker`), streamed from `docker save`."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

import docker
import docker.errors
import requests

from airlift_build.blobstore import BlobStore
from airlift_build.images import ImageRecord
from airlift_build.source_archive import read_archive
from airlift_build.source_base import ByteProgress, SourceUnavailable

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer


class _ChunkStream(io.RawIOBase):
    """A readable file over the chunks of the save stream, so tarfile can read it in one pass."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buf = b""

    def readable(self) -> bool:
        return True

    def readinto(self, b: WriteableBuffer) -> int:
        while not self._buf:
            self._buf = next(self._chunks, b"")
            if not self._buf:
                return 0
        view = memoryview(b).cast("B")
        n = min(len(view), len(self._buf))
        view[:n], self._buf = self._buf[:n], self._buf[n:]
        return n


class DockerDaemonSource:
    """The Docker engine the `docker` SDK finds (DOCKER_HOST or the default socket)."""

    name = "docker"

    def __init__(self) -> None:
        self._client: docker.DockerClient | None = None

    def _connect(self) -> docker.DockerClient:
        if self._client is None:
            where = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
            try:
                client = docker.from_env(timeout=60)
                client.ping()
            except (docker.errors.DockerException, requests.RequestException) as e:
                raise SourceUnavailable(f"The Docker daemon at {where} is not reachable ({type(e).__name__})",
                                        hint="start Docker (systemctl start docker) or set DOCKER_HOST, "
                                             "or leave `docker` out of --source") from None
            self._client = client
        return self._client

    def fetch(self, ref: str, store: BlobStore, progress: ByteProgress) -> ImageRecord | None:
        client = self._connect()
        try:
            client.images.get(ref)
            stream = io.BufferedReader(_ChunkStream(iter(client.api.get_image(ref, chunk_size=1 << 20))),
                                       buffer_size=1 << 20)
            found = read_archive(stream, store, f"docker ({ref})", progress)
        except docker.errors.ImageNotFound:
            return None
        except (docker.errors.APIError, requests.RequestException) as e:
            raise SourceUnavailable(f"docker: saving {ref} failed ({e})") from None
        if len(found) != 1:
            raise SourceUnavailable(f"docker: saving {ref} gave {len(found)} images, expected 1")
        rec = found[0][1]
        return ImageRecord(ref=ref, manifest=rec.manifest, config=rec.config, layers=rec.layers,
                           source=self.name)
