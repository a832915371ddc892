"""`build.py … --publish https://HUB --hub-token T`: send the built bundle to an Airlift Hub.

Content-addressed and resumable: the hub is asked which of the bundle's files (by the sha256
index.json gives them) it lacks, only those are sent, straight from their places in the tarball:
the small ones together, a batch a request (airlift_build/publish_batch.py), each big one on its
own; a cut upload asks the hub how far it got and goes on from there. Then the release is
committed: index.json, and signature.json when the bundle carries one, byte for byte. A hub with a
self-signed certificate is reached only with its fingerprint pinned (--hub-fingerprint).

The batches go on a second connection, and the big files one after another on the first as soon
as the first batch's bytes have left: a batch is little data but many files, and the hub's work
for each (a file made, synced, moved into place, a database row) is disk and database time that
the big files' bytes flow through, where waited for it made the publish of a 500 MB bundle up to
half a second longer on a loaded host (bench/hub_bench.py). The bytes still go one stream after
the other.
"""

from __future__ import annotations

import re
import tarfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import requests

from airlift_build.publish_batch import batches, tar_body
from installer.bundle.index import INDEX_NAME, Index
from installer.errors import AirliftError
from installer.transfer.pins import BigSends, pinned_session

SIGNATURE_NAME = "signature.json"
FINGERPRINT = re.compile(r"^[0-9a-f]{64}$")
ATTEMPTS = 6
READ = 1 << 20
SMALL = 1 << 20  # bytes: a smaller blob goes in a batch with others (airlift_build.publish_batch)
TIMEOUT = (10, 300)


@dataclass(frozen=True)
class Member:
    """Where a stored file's bytes are inside the tarball."""

    offset: int
    size: int


@dataclass(frozen=True)
class TarBundle:
    index_bytes: bytes
    signature: bytes | None
    members: dict[str, Member]  # by stored path, relative to the top folder


@dataclass(frozen=True)
class PublishTarget:
    url: str
    token: str
    channel: str | None = None
    fingerprint: str | None = None


@dataclass(frozen=True)
class PublishResult:
    name: str
    version: str
    sent_files: int
    sent_bytes: int
    held_files: int
    created: bool
    channels: list[str]


def normalise_fingerprint(text: str) -> str:
    """`SHA256:<hex>`, `<hex>` or colon-separated hex (as the hub prints it) -> lower-case hex."""
    match = FINGERPRINT.match(text.strip().lower().removeprefix("sha256:").replace(":", ""))
    if match is None:
        raise AirliftError(f"--hub-fingerprint {text!r} is not a SHA-256 fingerprint",
                           hint="copy it from the hub's start-up lines, e.g. --hub-fingerprint SHA256:3f9a…")
    return match.group(0)


def read_tar(path: Path) -> TarBundle:
    """index.json, signature.json if any, and where every file is in the tarball."""
    with tarfile.open(path, "r:") as tar:
        files = [m for m in tar if m.isfile()]
        members = {m.name.partition("/")[2]: Member(m.offset_data, m.size) for m in files}

        def read(name: str) -> bytes | None:
            found = next((m for m in files if m.name.partition("/")[2] == name), None)
            handle = tar.extractfile(found) if found else None
            return handle.read() if handle else None

        index_bytes, signature = read(INDEX_NAME), read(SIGNATURE_NAME)
    if index_bytes is None:
        raise AirliftError(f"{path} holds no {INDEX_NAME}", hint="publish a bundle built by build.py")
    return TarBundle(index_bytes, signature, members)


class Publisher:
    def __init__(self, target: PublishTarget, sleep: Callable[[float], None] = time.sleep) -> None:
        if not target.url.startswith("https://"):
            raise AirliftError(f"--publish {target.url}: the hub is reached over HTTPS only",
                               hint="give https://HUB[:PORT]")
        self.base = target.url.rstrip("/") + "/api/v1"
        self.target = target
        self.sleep = sleep
        if target.fingerprint:
            self.http: requests.Session = pinned_session(target.url.rstrip("/"),
                                                         normalise_fingerprint(target.fingerprint))
        else:
            self.http = requests.Session()
            self.http.mount("https://", BigSends())
        self.http.headers["Authorization"] = f"Bearer {target.token}"

    def publish(self, path: Path) -> PublishResult:
        bundle = read_tar(path)
        try:
            index = Index.from_json(bundle.index_bytes)
        except (ValueError, KeyError, TypeError) as e:
            raise AirliftError(f"{path}: its index.json cannot be read ({e})") from None
        stored = {e.sha256: e.stored_path for e in index.carried}
        answer = self._call("POST", "/blobs/missing", json={"sha256": sorted(stored)})
        missing, held = answer["missing"], answer.get("held") or {}
        placed: list[tuple[str, Member]] = []
        for sha256 in missing:
            member = bundle.members.get(stored.get(sha256, ""))
            if member is None:
                raise AirliftError(f"{path}: the hub asks for {sha256}, which the bundle does not carry")
            placed.append((sha256, member))
        sent = self._send(path, placed, {d: int(n) for d, n in held.items()})
        body = {"index": bundle.index_bytes.decode(), "channel": self.target.channel,
                "signature": bundle.signature.decode() if bundle.signature is not None else None}
        release = self._call("POST", "/releases", json=body)
        return PublishResult(index.name, index.version, len(missing), sent, len(stored) - len(missing),
                             bool(release["created"]), list(release["channels"]))

    def _send(self, path: Path, placed: list[tuple[str, Member]], held: dict[str, int]) -> int:
        """Send the missing blobs: the small ones in batches on a thread of their own, the big
        ones one by one once the first batch is on its way, then one by one what no batch got in;
        the bytes sent."""
        small = [(d, m) for d, m in placed if m.size < SMALL]
        first_batch_sent = threading.Event()
        with open(path, "rb") as tar, ThreadPoolExecutor(max_workers=1, thread_name_prefix="publish-batches") as side:
            batched = side.submit(self._send_small, path, small, first_batch_sent.set)
            batched.add_done_callback(lambda _: first_batch_sent.set())  # no batch, or it failed
            first_batch_sent.wait()
            sent = sum(self._upload(tar, d, m, held.get(d, 0)) for d, m in placed if m.size >= SMALL)
            kept, batch_sent = batched.result()
            return sent + batch_sent + sum(self._upload(tar, d, m, held.get(d, 0)) for d, m in small if d not in kept)

    def _send_small(self, path: Path, small: list[tuple[str, Member]], body_sent: Callable[[], None]
                    ) -> tuple[set[str], int]:
        """Send the small blobs in batches (airlift_build.publish_batch), read through a handle
        of their own on the tarball, calling `body_sent` once a batch's bytes have all left; the
        sha256s the hub kept and the bytes sent. What a batch did not get in (cut several times, a
        blob another request is sending, a hub without batches) is left to the one-by-one upload."""
        kept: set[str] = set()
        sent = 0
        with open(path, "rb") as tar:
            for group in batches(small):
                for attempt in range(ATTEMPTS):
                    try:
                        response = self.http.post(f"{self.base}/blobs", data=_then(tar_body(tar, group, READ), body_sent),
                                                  timeout=TIMEOUT, headers={"Content-Type": "application/x-tar"})
                    except (requests.ConnectionError, requests.Timeout) as e:
                        if _untrusted(e):
                            raise _unreachable(self.target, e) from None
                        self.sleep(min(2 ** attempt, 30))
                        continue
                    if response.status_code in (401, 403):
                        raise _refused(response)
                    if response.status_code in (404, 405):  # a hub from before batches
                        return kept, sent
                    if response.status_code == 200:
                        kept.update(response.json()["kept"])
                        sent += sum(member.size for _, member in group)
                        break
                    self.sleep(min(2 ** attempt, 30))
        return kept, sent

    def _upload(self, tar: IO[bytes], sha256: str, member: Member, held: int) -> int:
        """Send one blob from byte `held` (where the hub said its upload stands when it listed
        the missing blobs), going on from where the hub stands after a cut; returns the bytes sent."""
        sent = 0
        offset: int | None = held
        for attempt in range(ATTEMPTS):
            if offset is None:
                state = self._call("GET", f"/blobs/{sha256}/upload")
                if state["complete"]:
                    return sent
                offset = int(state["offset"])
            part = Region(tar, member.offset + offset, member.size - offset)
            span = f"bytes {offset}-{member.size - 1}/{member.size}" if member.size else "bytes */0"
            try:
                response = self.http.put(f"{self.base}/blobs/{sha256}", data=part, timeout=TIMEOUT,
                                         headers={"Content-Range": span})
            except (requests.ConnectionError, requests.Timeout) as e:
                if _untrusted(e):
                    raise _unreachable(self.target, e) from None
                response = None
            sent += part.done
            if response is not None and response.status_code == 200 and response.json().get("complete"):
                return sent
            if response is not None and response.status_code in (401, 403, 422):
                raise _refused(response)
            offset = _stands_at(response)
            if offset is None:
                self.sleep(min(2 ** attempt, 30))
        raise AirliftError(f"Blob {sha256[:12]}… could not be sent to {self.target.url} in {ATTEMPTS} tries",
                           hint="check the network to the hub and publish again: what arrived is kept")

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.request(method, path, **kwargs).json()

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """One API call (path under /api/v1), tried again while the hub cannot be reached or
        answers 5xx; an AirliftError for a refusal."""
        for attempt in range(ATTEMPTS):
            try:
                response = self.http.request(method, self.base + path, timeout=TIMEOUT, **kwargs)
            except (requests.ConnectionError, requests.Timeout) as e:
                if _untrusted(e) or attempt == ATTEMPTS - 1:
                    raise _unreachable(self.target, e) from None
                self.sleep(min(2 ** attempt, 30))
                continue
            if response.status_code >= 500 and attempt < ATTEMPTS - 1:
                self.sleep(min(2 ** attempt, 30))
                continue
            if response.status_code >= 400:
                raise _refused(response)
            return response
        raise AssertionError("unreachable")


class Region:
    """`size` bytes of `f` from `start`, read in order as they are sent (requests takes the
    length from len()); `done` counts what was read."""

    def __init__(self, f: IO[bytes], start: int, size: int) -> None:
        self.f, self.size, self.done = f, size, 0
        f.seek(start)

    def __len__(self) -> int:
        return self.size - self.done

    def read(self, n: int = -1) -> bytes:
        left = self.size - self.done
        data = self.f.read(left if n < 0 else min(n, left, READ)) if left > 0 else b""
        self.done += len(data)
        return data


def _then(chunks: Iterator[bytes], done: Callable[[], None]) -> Iterator[bytes]:
    """`chunks`, then `done()` once the last of them has been sent (the sender asks for more)."""
    yield from chunks
    done()


def _stands_at(response: requests.Response | None) -> int | None:
    """Where the hub's upload stands when it refused a start at another byte (409), to go on
    from there at once; None to ask again after a pause (a cut, or another request sending it)."""
    if response is None or response.status_code != 409:
        return None
    try:
        answer = response.json()
    except ValueError:
        return None
    offset = answer.get("offset")
    return offset if isinstance(offset, int) and not answer.get("busy") else None


def _untrusted(e: Exception) -> bool:
    """The hub's certificate is not the pinned one, or no CA vouches for it: trying again cannot
    help (a connection cut mid-transfer is an SSLError too, and is worth another try)."""
    text = str(e).lower()
    return isinstance(e, requests.exceptions.SSLError) and ("fingerprint" in text or "certificate" in text)


def _refused(response: requests.Response) -> AirliftError:
    try:
        message = str(response.json().get("error"))
    except ValueError:
        message = response.text[:200]
    hint = ("create a publish token on the hub (python -m hub token create --scope publish) and pass it "
            "with --hub-token" if response.status_code == 401 else "fix what the hub names and publish again")
    return AirliftError(f"The hub refused the bundle (HTTP {response.status_code}): {message}", hint=hint)


def _unreachable(target: PublishTarget, e: Exception) -> AirliftError:
    if _untrusted(e) and target.fingerprint:
        return AirliftError(f"The hub at {target.url} shows another certificate than --hub-fingerprint pins "
                            "(nothing was sent)", details=str(e),
                            hint="compare the fingerprint with the hub's start-up lines; if the hub's "
                                 "certificate was made anew, pin the new one")
    if _untrusted(e):
        return AirliftError(f"The hub at {target.url} shows a certificate no CA of this host vouches for",
                            details=str(e), hint="pin it with --hub-fingerprint SHA256:… from the hub's "
                                                 "start-up lines")
    return AirliftError(f"Cannot reach the hub at {target.url}: {e}",
                        hint="check the address and that the hub runs (python -m hub serve)")
