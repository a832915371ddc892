"""The installer's bundle reader: verification catches every kind of damage, files read back."""

import hashlib
import json
import os
import tarfile

import pytest

from installer.bundle import Bundle, BundleError
from tests.unit.bundle_helpers import COMPRESSIBLE, RANDOM, write_demo


@pytest.fixture
def bundle_dir(tmp_path):
    write_demo(tmp_path / "b.tar")
    with tarfile.open(tmp_path / "b.tar") as tar:
        tar.extractall(tmp_path / "x", filter="data")
    return tmp_path / "x" / "demo-1.2.3"


def problems_of(root) -> list[str]:
    with pytest.raises(BundleError) as err:
        Bundle.open(root).verify()
    assert err.value.exit_code == 1
    return err.value.problems


def test_intact_bundle_verifies_with_byte_progress(bundle_dir):
    seen = []
    Bundle.open(bundle_dir).verify(lambda done, total: seen.append((done, total)))
    assert seen[-1][0] == seen[-1][1] > len(RANDOM)


def test_flipped_byte_names_the_file(bundle_dir):
    path = bundle_dir / "runtime" / "noise"
    data = bytearray(path.read_bytes())
    data[100] ^= 1
    path.write_bytes(bytes(data))
    assert problems_of(bundle_dir) == [f"runtime/noise: sha256 is {_sha(path)}, the index says {_indexed(bundle_dir)} (altered)"]


def test_truncated_file(bundle_dir):
    path = bundle_dir / "runtime" / "k3s.zst"
    os.truncate(path, 10)
    [problem] = problems_of(bundle_dir)
    assert problem.startswith("runtime/k3s.zst: size is 10 bytes") and "truncated" in problem


def test_missing_extra_and_symlinked_files_are_all_reported(bundle_dir):
    (bundle_dir / "install").unlink()
    (bundle_dir / "resources" / "extra.yaml").write_text("kind: Secret\n")
    (bundle_dir / "resources" / "link").symlink_to("/etc/passwd")
    problems = problems_of(bundle_dir)
    assert "install: is missing" in problems
    assert any(p.startswith("resources/extra.yaml: is not in the bundle's index") for p in problems)
    assert any(p.startswith("resources/link: is a symbolic link") for p in problems)


def test_index_naming_a_path_outside_the_bundle(bundle_dir):
    index = (bundle_dir / "index.json").read_text().replace('"resources/app.yaml"', '"../outside.yaml"')
    (bundle_dir / "index.json").write_text(index)
    assert "../outside.yaml: index names a path outside the bundle folder" in problems_of(bundle_dir)


def test_missing_index(tmp_path):
    with pytest.raises(BundleError, match="failed verification") as err:
        Bundle.open(tmp_path)
    assert err.value.problems == [f"index.json: is missing from {tmp_path.resolve()}"]
    assert "cut short" in err.value.hint and "tar xf" in err.value.hint  # a truncated tarball ends before it


def test_open_file_decompresses_transparently(bundle_dir):
    b = Bundle.open(bundle_dir)
    assert b.read_bytes("runtime/k3s") == COMPRESSIBLE
    assert b.read_bytes("runtime/noise") == RANDOM
    assert b.location("runtime/k3s").compressed and not b.location("runtime/noise").compressed
    assert (b.name, b.version) == ("demo", "1.2.3")


def test_images_lists_refs_and_digests(bundle_dir):
    [image] = Bundle.open(bundle_dir).images()
    assert (image.ref, image.digest) == ("docker.io/demo/app:1", "sha256:" + "a" * 64)
    assert Bundle.blob_path(image.digest) == "images/blobs/sha256/" + "a" * 64


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _indexed(root):
    return {f["path"]: f for f in json.loads((root / "index.json").read_text())["files"]}["runtime/noise"]["sha256"]
