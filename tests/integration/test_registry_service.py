"""The real registry (Debian's docker-registry) run as a service and filled from a bundle's images.

The Docker engine and skopeo read every image back with identical digests; the service outlives the
process that started it and comes back after kill -9.
"""

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from installer.errors import AirliftError
from installer.host import Host
from installer.registry import Registry
from installer.registry.populate import v2_root
from installer.services import manager_for
from installer.services.names import REGISTRY as SERVICE
from installer.services.supervised import ServiceFiles, read_pid
from tests.fixtures.net import free_port, wait_until
from tests.fixtures.oci_layout import sample_bundle

REPO = Path(__file__).resolve().parents[2]
REGISTRY_BIN = Path("/usr/bin/docker-registry")
pytestmark = pytest.mark.integration  # make test installs docker-registry; a missing one fails


START_SCRIPT = """
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from installer.bundle import Bundle
from installer.host import Host
from installer.registry import Registry
from installer.services import manager_for
host = Host(Path(sys.argv[2]))
registry = Registry(host, manager_for(host), Path(sys.argv[3]), port=int(sys.argv[4]))
registry.install(open(sys.argv[5], "rb"))
registry.start()
registry.wait_ready(30)
registry.populate(Bundle.open(Path(sys.argv[6])))
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A registry installed, started and filled by a separate process that has exited."""
    tmp = tmp_path_factory.mktemp("registry")
    bundle = sample_bundle(tmp / "bundle", zstd=True)
    port = free_port()
    args = [str(REPO), str(tmp / "root"), str(tmp / "state"), str(port), str(REGISTRY_BIN), str(bundle.root)]
    subprocess.run([sys.executable, "-c", START_SCRIPT, *args], check=True, timeout=120)
    host = Host(tmp / "root")
    registry = Registry(host, manager_for(host), tmp / "state", port=port)
    yield registry, bundle
    registry.uninstall()


def test_the_registry_outlives_its_starter_and_serves_every_image(served):
    registry, bundle = served
    assert registry.answering()
    assert registry.services.is_running(SERVICE)
    calls = []
    registry.verify(bundle, lambda done, total: calls.append((done, total)))
    assert calls[-1] == (9, 9)


def test_skopeo_reads_back_identical_digests(served):
    registry, bundle = served
    for image in bundle.image_contents():
        out = subprocess.run(
            ["skopeo", "inspect", "--raw", "--tls-verify=false",
             f"docker://127.0.0.1:{registry.port}/{image.repository}:{image.tag}"],
            capture_output=True, check=True, timeout=60).stdout
        assert "sha256:" + hashlib.sha256(out).hexdigest() == image.manifest.digest


def test_docker_pulls_every_image_with_identical_digests(served):
    if not shutil.which("docker") or subprocess.run(["docker", "info"], capture_output=True).returncode:
        pytest.fail("the Docker engine is not running; start it with scripts/ensure-dockerd.sh")
    registry, bundle = served
    for image in bundle.image_contents():
        ref = f"127.0.0.1:{registry.port}/{image.repository}:{image.tag}"
        try:
            subprocess.run(["docker", "pull", ref], check=True, capture_output=True, timeout=120)
            digests = json.loads(subprocess.run(
                ["docker", "image", "inspect", "--format", "{{json .RepoDigests}}", ref],
                check=True, capture_output=True, text=True).stdout)
            assert f"127.0.0.1:{registry.port}/{image.repository}@{image.manifest.digest}" in digests
        finally:
            subprocess.run(["docker", "rmi", "-f", ref], capture_output=True)


def test_the_registry_comes_back_after_kill_9(served):
    registry, bundle = served
    files = ServiceFiles.of(registry.host, SERVICE)
    pid = read_pid(files.child_pid)
    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: read_pid(files.child_pid) not in (None, pid), 15)
    registry.wait_ready(15)
    registry.verify(bundle)


def test_verify_names_a_missing_blob_and_populate_repairs_it(served):
    registry, bundle = served
    layer = bundle.image_contents()[0].blobs[-1]
    data = v2_root(registry.storage) / "blobs" / "sha256" / layer.hex[:2] / layer.hex / "data"
    data.unlink()
    with pytest.raises(AirliftError) as err:
        registry.verify(bundle)
    assert layer.digest in err.value.details and "docker.io/library/alpha:1.0" in err.value.details
    registry.populate(bundle)
    registry.verify(bundle)


def test_a_registry_binary_that_exits_at_start_gives_a_clear_error(tmp_path):
    broken = tmp_path / "registry"
    broken.write_text("#!/bin/sh\necho 'configuration error: bad storage' >&2\nexit 1\n")
    host = Host(tmp_path / "root")
    registry = Registry(host, manager_for(host), tmp_path / "state", port=free_port())
    try:
        registry.install(broken.open("rb"))
        registry.start()
        with pytest.raises(AirliftError) as err:
            registry.wait_ready(3)
        assert registry.url in err.value.message
        assert "configuration error: bad storage" in err.value.details
    finally:
        registry.uninstall()
    assert list((tmp_path / "root").rglob("*")) == [] and list((tmp_path / "state").rglob("*")) == []
