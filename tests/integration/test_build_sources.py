"""Real image sources: a docker-registry process, the Docker daemon, a docker-archive file."""

import gzip
import hashlib
import json
import shutil
import subprocess
import uuid

import docker
import pytest
from airlift_build.blobstore import BlobStore
from airlift_build.images import OCI_INDEX
from airlift_build.source_oci import OciLayoutSource

from installer.bundle import Bundle, safe_extract
from tests.fixtures.build_fixtures import HELLO_OCI, k3s_binary, make_hello_images, run_build
from tests.integration.build_helpers import RegistryProcess, TokenAuthProxy, hello_variant

WEB, HOOK = "docker.io/hello/web:1.0.0", "docker.io/hello/hook:1.0.0"


def build_and_open(tmp_path, app, *sources):
    out = tmp_path / "out" / "b.tar"
    args = [app, "-o", out, "--k3s", k3s_binary(tmp_path), "--no-k3s-images", "-q"]
    for s in sources:
        args += ["--source", s]
    result = run_build(*args)
    assert result.returncode == 0, result.stderr
    safe_extract(out, tmp_path / "x")
    bundle = Bundle.open(tmp_path / "x" / "hello-1.0.0")
    bundle.verify()
    return bundle


def inspect(ref: str, *opts: str) -> dict:
    out = subprocess.run(["skopeo", "inspect", *opts, ref], check=True, capture_output=True, text=True, timeout=60)
    return json.loads(out.stdout)


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    reg = RegistryProcess(tmp_path_factory.mktemp("registry"))
    make_hello_images()
    reg.push_oci(HELLO_OCI, WEB, "hello/web:1.0.0")
    reg.push_oci(HELLO_OCI, HOOK, "hello/hook:1.0.0")
    yield reg
    reg.stop()


def test_registry_source(tmp_path, registry):
    refs = {name: f"{registry.address}/hello/{name}:1.0.0" for name in ("web", "hook")}
    app = hello_variant(tmp_path, {"hello/web:1.0.0": refs["web"], "hello/hook:1.0.0": refs["hook"]})
    bundle = build_and_open(tmp_path, app, "registry")
    assert {i.ref for i in bundle.images()} == set(refs.values())
    for ref in refs.values():
        ours = inspect(f"oci:{bundle.root / 'images'}:{ref}")
        theirs = inspect(f"docker://{ref}", "--tls-verify=false")
        assert ours["Digest"] == theirs["Digest"] and ours["Layers"] == theirs["Layers"]


def test_sources_are_tried_in_order(tmp_path, registry):
    """An image the OCI layout lacks comes from the next source, the registry."""
    ref = f"{registry.address}/hello/hook:1.0.0"
    app = hello_variant(tmp_path, {"hello/hook:1.0.0": ref})
    bundle = build_and_open(tmp_path, app, f"oci:{HELLO_OCI}", "registry")
    assert {i.ref for i in bundle.images()} == {WEB, ref}


@pytest.fixture(scope="module")
def docker_archive(tmp_path_factory):
    """The web image saved as a docker-archive under a unique name, and loaded into Docker."""
    tag = f"airlift-build-test/web:{uuid.uuid4().hex[:12]}"
    path = tmp_path_factory.mktemp("archive") / "web.tar"
    make_hello_images()
    subprocess.run(["skopeo", "copy", "--quiet", f"oci:{HELLO_OCI}:{WEB}", f"docker-archive:{path}:{tag}"],
                   check=True, capture_output=True, timeout=120)
    client = docker.from_env()
    with open(path, "rb") as f:
        client.images.load(f.read())
    yield tag, path
    client.images.remove(tag, force=True)


def test_docker_daemon_source(tmp_path, docker_archive):
    tag, _ = docker_archive
    bundle = build_and_open(tmp_path, hello_variant(tmp_path, {"hello/web:1.0.0": tag}), "docker",
                            f"oci:{HELLO_OCI}")
    full = f"docker.io/{tag}"
    assert {i.ref for i in bundle.images()} == {full, HOOK}
    ours = inspect(f"oci:{bundle.root / 'images'}:{full}")
    assert ours["Layers"] == inspect(f"oci:{HELLO_OCI}:{WEB}")["Layers"], "same uncompressed layers"


def test_docker_archive_source(tmp_path, docker_archive):
    tag, path = docker_archive
    app = hello_variant(tmp_path, {"hello/web:1.0.0": tag})
    bundle = build_and_open(tmp_path, app, f"docker-archive:{path}", f"oci:{HELLO_OCI}")
    config = inspect(f"oci:{bundle.root / 'images'}:docker.io/{tag}", "--config")
    assert config["config"]["Cmd"] == ["/bin/httpd", "-f", "-p", "8080", "-h", "/www"]


def test_registry_with_bearer_token_auth(tmp_path, registry):
    proxy = TokenAuthProxy(registry.address)
    try:
        ref = f"{proxy.address}/hello/web:1.0.0"
        bundle = build_and_open(tmp_path, hello_variant(tmp_path, {"hello/web:1.0.0": ref}), "registry",
                                f"oci:{HELLO_OCI}")
    finally:
        proxy.stop()
    assert ref in {i.ref for i in bundle.images()}
    assert proxy.scopes and set(proxy.scopes) == {"repository:hello/web:pull"}


def test_platform_is_picked_from_a_multi_platform_index(tmp_path):
    """An OCI layout naming an image index: the linux/amd64 manifest is the one bundled."""
    layout = tmp_path / "multi"
    shutil.copytree(make_hello_images(), layout)
    [web] = [m for m in json.loads((layout / "index.json").read_text())["manifests"]
             if m["annotations"]["org.opencontainers.image.ref.name"] == WEB]
    arm = {**web, "platform": {"os": "linux", "architecture": "arm64"}, "digest": "sha256:" + "0" * 64}
    amd = {**web, "platform": {"os": "linux", "architecture": "amd64"}}
    for d in (arm, amd):
        d.pop("annotations")
    nested = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [arm, amd]}).encode()
    digest = hashlib.sha256(nested).hexdigest()
    (layout / "blobs" / "sha256" / digest).write_bytes(nested)
    top = {"schemaVersion": 2, "manifests": [{"mediaType": OCI_INDEX, "digest": f"sha256:{digest}",
                                              "size": len(nested), "annotations": web["annotations"]}]}
    (layout / "index.json").write_text(json.dumps(top))
    record = OciLayoutSource(layout).fetch(WEB, BlobStore(tmp_path / "store"), lambda n: None)
    assert record is not None and record.manifest.digest == web["digest"]


def test_gzipped_docker_archive(tmp_path, docker_archive):
    tag, path = docker_archive
    gz = tmp_path / "web.tar.gz"
    with open(path, "rb") as src, gzip.open(gz, "wb", compresslevel=1) as dst:
        shutil.copyfileobj(src, dst)
    bundle = build_and_open(tmp_path, hello_variant(tmp_path, {"hello/web:1.0.0": tag}),
                            f"docker-archive:{gz}", f"oci:{HELLO_OCI}")
    assert f"docker.io/{tag}" in {i.ref for i in bundle.images()}
