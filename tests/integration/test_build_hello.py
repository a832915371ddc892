"""The examples/hello bundle: plain tar, verifiable, readable by skopeo, deduplicated, runnable,
and byte-identical when built again."""

import hashlib
import json
import shutil
import subprocess
import tarfile
from pathlib import Path

import zstandard

from installer.bundle import Bundle, safe_extract
from installer.manifest import load_manifest
from tests.fixtures.build_fixtures import HELLO, HELLO_OCI, k3s_binary, run_build
from tests.integration.build_helpers import airgap_tar

WEB, HOOK = "docker.io/hello/web:1.0.0", "docker.io/hello/hook:1.0.0"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def differing_files(a: Path, b: Path) -> list[str]:
    def index(path):
        with tarfile.open(path) as tar:
            return {f["path"]: f["sha256"] for f in json.load(tar.extractfile("hello-1.0.0/index.json"))["files"]}
    ia, ib = index(a), index(b)
    return sorted(p for p in ia.keys() | ib.keys() if ia.get(p) != ib.get(p))


def test_plain_tar_unpacks_with_tar_alone(hello_bundle_tar, tmp_path):
    assert hello_bundle_tar.read_bytes()[257:262] == b"ustar"
    subprocess.run(["tar", "xf", str(hello_bundle_tar), "-C", str(tmp_path)], check=True,
                   env={"PATH": "/usr/bin:/bin"})
    Bundle.open(tmp_path / "hello-1.0.0").verify()


def test_bundle_carries_everything_the_install_needs(hello_bundle_dir):
    b = Bundle.open(hello_bundle_dir)
    paths = {e.path for e in b.index.files}
    assert {"install", "README", "app.yaml", "runtime/k3s", "runtime/registry",
            "resources/hello.yaml", "resources/install-hook.yaml"} <= paths
    assert not any(p.startswith("resources/resources/") for p in paths)
    assert b.read_bytes("runtime/registry") == Path(shutil.which("docker-registry")).read_bytes()
    assert b.location("runtime/registry").compressed, "the registry binary compresses well"
    assert load_manifest(hello_bundle_dir / "app.yaml").name == "hello"
    assert "hello 1.0.0" in (hello_bundle_dir / "README").read_text()


def test_skopeo_reads_every_image(hello_bundle_dir):
    for image in Bundle.open(hello_bundle_dir).images():
        out = subprocess.run(["skopeo", "inspect", f"oci:{hello_bundle_dir / 'images'}:{image.ref}"],
                             check=True, capture_output=True, text=True, timeout=60)
        assert json.loads(out.stdout)["Digest"] == image.digest


def test_shared_base_layer_is_stored_once(hello_bundle_dir):
    images = {i.ref: i for i in Bundle.open(hello_bundle_dir).images()}
    assert set(images) == {WEB, HOOK}
    layers = {}
    for ref, image in images.items():
        manifest = json.loads((HELLO_OCI / "blobs" / "sha256" / image.digest[7:]).read_bytes())
        layers[ref] = [layer["digest"] for layer in manifest["layers"]]
    shared = set(layers[WEB]) & set(layers[HOOK])
    assert len(shared) == 1
    blobs = sorted(p.name for p in (hello_bundle_dir / "images" / "blobs" / "sha256").iterdir())
    assert len(blobs) == 2 + 2 + 3, "two manifests, two configs, three unique layers"
    assert sum(1 for name in blobs if name.startswith(next(iter(shared))[7:])) == 1


def test_install_runs_from_any_folder_and_a_path_with_spaces(hello_bundle_dir, tmp_path):
    copy = tmp_path / "a folder with spaces" / "hello-1.0.0"
    shutil.copytree(hello_bundle_dir, copy, symlinks=False)
    out = subprocess.run([str(copy / "install"), "--help"], cwd="/", capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "usage" in out.stdout.lower()


def test_second_build_is_byte_identical(hello_bundle_tar, frozen_k3s_standin, tmp_path):
    out = tmp_path / "again.tar"
    result = run_build(HELLO / "app.yaml", "-o", out, "--k3s", frozen_k3s_standin, "--no-k3s-images",
                       "--source", f"oci:{HELLO_OCI}", "-q")
    assert result.returncode == 0, result.stderr
    assert sha256(out) == sha256(hello_bundle_tar), f"files that differ: {differing_files(out, hello_bundle_tar)}"
    with tarfile.open(out) as tar:
        assert all(m.mtime == 0 and m.uid == 0 for m in tar.getmembers())


def test_summary_reports_dedup_and_sizes(tmp_path):
    result = run_build(HELLO / "app.yaml", "-o", tmp_path / "b.tar", "--k3s", k3s_binary(tmp_path), "--no-k3s-images",
                       "--source", f"oci:{HELLO_OCI}")
    assert result.returncode == 0, result.stderr
    for label in ("images          2", "unique layers   3", "saved by dedup  2.0 MB", "bundle size", "time"):
        assert label in result.stderr


def test_list_images_prints_each_image_and_where_it_is_used(tmp_path):
    result = run_build(HELLO / "app.yaml", "--list-images")
    assert result.returncode == 0, result.stderr
    lines = dict(line.split("\t", 1) for line in result.stdout.splitlines())
    assert set(lines) == {WEB, HOOK}
    assert "install-hook.yaml" in lines[HOOK]


def test_k3s_airgap_images_are_carried_in_their_own_format_with_the_k3s_version(tmp_path):
    images = tmp_path / "k3s-airgap-images-amd64.tar.zst"
    images.write_bytes(zstandard.ZstdCompressor().compress(airgap_tar(tmp_path)))
    out = tmp_path / "b.tar"
    result = run_build(HELLO / "app.yaml", "-o", out, "--k3s", k3s_binary(tmp_path), "--k3s-images", images,
                       "--source", f"oci:{HELLO_OCI}", "-q")
    assert result.returncode == 0, result.stderr
    safe_extract(out, tmp_path / "x")
    bundle = Bundle.open(tmp_path / "x" / "hello-1.0.0")
    assert bundle.read_bytes("runtime/k3s-airgap-images-amd64.tar.zst") == images.read_bytes()
    assert bundle.index.k3s_version == "v1.30.6+k3s1"
