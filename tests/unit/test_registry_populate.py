"""Filling distribution's filesystem storage straight from the bundle's OCI layout."""

import hashlib

import pytest

from installer.bundle.images import split_ref
from installer.errors import AirliftError
from installer.registry.populate import populate, v2_root
from tests.fixtures.oci_layout import sample_bundle


def _data(storage, digest):
    hex_ = digest.split(":")[1]
    return v2_root(storage) / "blobs" / "sha256" / hex_[:2] / hex_ / "data"


@pytest.mark.parametrize("ref, expected", [
    ("docker.io/library/alpha:1.0", ("docker.io", "library/alpha", "1.0")),
    ("quay.io/team/beta:2.1", ("quay.io", "team/beta", "2.1")),
    ("localhost:5000/x/y:latest", ("localhost:5000", "x/y", "latest")),
    ("docker.io/a/b@sha256:" + "0" * 64, ("docker.io", "a/b", "")),
    ("alpha:1.0", ("docker.io", "library/alpha", "1.0")),
])
def test_split_ref(ref, expected):
    assert split_ref(ref) == expected


def test_bundle_lists_images_with_index_children_and_shared_layers(tmp_path):
    images = sample_bundle(tmp_path / "bundle").image_contents()
    assert [(i.registry, i.repository, i.tag) for i in images] == [
        ("docker.io", "library/alpha", "1.0"), ("quay.io", "team/beta", "2.1")]
    alpha, beta = images
    assert len(alpha.manifests) == 1 and len(beta.manifests) == 2, "an index and its child manifest"
    assert alpha.blobs[1] == beta.blobs[1], "the shared layer is the same blob"


def test_raw_blobs_are_hard_linked_and_every_blob_lands_with_its_digest(tmp_path):
    bundle = sample_bundle(tmp_path / "bundle")
    storage = tmp_path / "storage"
    calls = []
    populate(bundle, storage, lambda done, total: calls.append((done, total)))
    images = bundle.image_contents()
    for image in images:
        for blob in (*image.manifests, *image.blobs):
            data = _data(storage, blob.digest)
            assert hashlib.sha256(data.read_bytes()).hexdigest() == blob.hex
            source = bundle.root / "images" / "blobs" / "sha256" / blob.hex
            assert data.stat().st_ino == source.stat().st_ino, "same filesystem and raw: hard link"
    assert calls[-1][0] == calls[-1][1] and [c[0] for c in calls] == sorted(c[0] for c in calls)


def test_zstd_blobs_are_decompressed_in_one_copy(tmp_path):
    bundle = sample_bundle(tmp_path / "bundle", zstd=True)
    storage = tmp_path / "storage"
    populate(bundle, storage)
    for image in bundle.image_contents():
        for blob in (*image.manifests, *image.blobs):
            assert hashlib.sha256(_data(storage, blob.digest).read_bytes()).hexdigest() == blob.hex
    leftovers = [p for p in v2_root(storage).rglob(".*")]
    assert leftovers == [], "no temp files left"


def test_repository_links_have_no_trailing_newline(tmp_path):
    bundle = sample_bundle(tmp_path / "bundle")
    storage = tmp_path / "storage"
    populate(bundle, storage)
    beta = bundle.image_contents()[1]
    repo = v2_root(storage) / "repositories" / "team" / "beta"
    assert (repo / "_manifests/tags/2.1/current/link").read_text() == beta.manifest.digest
    assert (repo / f"_manifests/tags/2.1/index/sha256/{beta.manifest.hex}/link").read_bytes() == \
        beta.manifest.digest.encode()
    for manifest in beta.manifests:
        assert (repo / f"_manifests/revisions/sha256/{manifest.hex}/link").read_text() == manifest.digest
    for blob in beta.blobs:
        assert (repo / f"_layers/sha256/{blob.hex}/link").read_text() == blob.digest


def test_a_second_run_is_a_no_op_and_repairs_a_missing_blob(tmp_path):
    bundle = sample_bundle(tmp_path / "bundle", zstd=True)
    storage = tmp_path / "storage"
    populate(bundle, storage)
    blob = bundle.image_contents()[0].blobs[1]
    kept = _data(storage, bundle.image_contents()[0].blobs[0].digest).stat().st_mtime_ns
    _data(storage, blob.digest).unlink()
    populate(bundle, storage)
    assert _data(storage, blob.digest).is_file()
    assert _data(storage, bundle.image_contents()[0].blobs[0].digest).stat().st_mtime_ns == kept


def test_a_missing_blob_in_the_bundle_is_named(tmp_path):
    bundle = sample_bundle(tmp_path / "bundle")
    blob = bundle.image_contents()[0].blobs[-1]
    (bundle.root / "images" / "blobs" / "sha256" / blob.hex).unlink()
    with pytest.raises(AirliftError) as err:
        populate(bundle, tmp_path / "storage")
    assert blob.digest in err.value.message
