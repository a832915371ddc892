"""The blob store keeps each blob once and refuses bytes that do not match their digest."""

import hashlib
import io

import pytest
from airlift_build.blobstore import BlobStore, DigestMismatch


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def test_same_blob_from_two_images_is_stored_once(tmp_path):
    store = BlobStore(tmp_path / "s")
    a = store.put_bytes(b"layer", digest(b"layer"))
    b = store.put_stream(io.BytesIO(b"layer").read, digest(b"layer"), "second image")
    assert a == b == digest(b"layer")
    assert [p.name for p in (tmp_path / "s" / "sha256").iterdir()] == [a.removeprefix("sha256:")]


def test_stream_with_wrong_digest_is_refused_and_leaves_nothing(tmp_path):
    store = BlobStore(tmp_path / "s")
    with pytest.raises(DigestMismatch) as err:
        store.put_stream(io.BytesIO(b"tampered").read, digest(b"original"), "registry (x:1)")
    assert "registry (x:1)" in err.value.message
    assert not store.has(digest(b"original"))
    assert list((tmp_path / "s" / "tmp").iterdir()) == []


def test_file_from_the_same_filesystem_is_hard_linked(tmp_path):
    src = tmp_path / "blob"
    src.write_bytes(b"x" * 1000)
    store = BlobStore(tmp_path / "s")
    d = store.put_file(src, digest(b"x" * 1000), "oci:layout")
    assert store.path(d).stat().st_ino == src.stat().st_ino


def test_a_file_keeps_its_claim_for_the_writer_and_a_streamed_copy_settles_it(tmp_path):
    """put_file does not hash (the bundle writer does, see test_bundle_writer): the store keeps
    who announced the digest; the same blob streamed in, hashed as it lands, needs no claim."""
    src = tmp_path / "blob"
    src.write_bytes(b"layer")
    store = BlobStore(tmp_path / "s")
    store.put_file(src, digest(b"layer"), "oci:layout")
    claim = store.claims[digest(b"layer")]
    assert (claim.origin, claim.path) == ("oci:layout", src)
    store.put_stream(io.BytesIO(b"layer").read, digest(b"layer"), "registry")
    assert digest(b"layer") not in store.claims


def test_progress_counts_every_byte(tmp_path):
    seen = []
    data = b"y" * 3_000_000
    BlobStore(tmp_path / "s").put_stream(io.BytesIO(data).read, digest(data), "t", seen.append)
    assert sum(seen) == len(data)
