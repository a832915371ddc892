"""The real registry (Debian's docker-registry) run as a service and filled from a bundle's images.

The Docker engine and skopeo, signed in and trusting the install's CA, read every image back with
identical digests; the service outlives the process that started it and comes back after kill -9.
It is sealed: an anonymous or wrongly signed-in pull, any push, a plain-HTTP request and a client
that does not trust the install's CA are all refused.
"""

import hashlib
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import requests

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


def _cert_dir(registry, tmp_path) -> str:
    """A containers-certs.d style folder holding the install's CA (how skopeo is told to trust it)."""
    folder = tmp_path / "certs"
    folder.mkdir(exist_ok=True)
    shutil.copy(registry.ca_file, folder / "ca.crt")
    return str(folder)


def _creds(registry) -> str:
    credentials = registry.credentials()
    return f"{credentials.username}:{credentials.password}"


def test_skopeo_signed_in_and_trusting_the_ca_reads_back_identical_digests(served, tmp_path):
    registry, bundle = served
    for image in bundle.image_contents():
        out = subprocess.run(
            ["skopeo", "inspect", "--raw", "--cert-dir", _cert_dir(registry, tmp_path), "--creds", _creds(registry),
             f"docker://localhost:{registry.port}/{image.repository}:{image.tag}"],
            capture_output=True, check=True, timeout=60).stdout
        assert "sha256:" + hashlib.sha256(out).hexdigest() == image.manifest.digest


def test_docker_signed_in_pulls_every_image_with_identical_digests(served, tmp_path):
    if not shutil.which("docker") or subprocess.run(["docker", "info"], capture_output=True).returncode:
        pytest.fail("the Docker engine is not running; start it with scripts/ensure-dockerd.sh")
    registry, bundle = served
    env = {**os.environ, "DOCKER_CONFIG": str(tmp_path / "docker")}  # the login stays in this test
    credentials = registry.credentials()
    subprocess.run(["docker", "login", "-u", credentials.username, "--password-stdin", f"127.0.0.1:{registry.port}"],
                   input=credentials.password, text=True, env=env, check=True, capture_output=True, timeout=60)
    for image in bundle.image_contents():
        ref = f"127.0.0.1:{registry.port}/{image.repository}:{image.tag}"
        try:
            subprocess.run(["docker", "pull", ref], check=True, capture_output=True, timeout=120, env=env)
            digests = json.loads(subprocess.run(
                ["docker", "image", "inspect", "--format", "{{json .RepoDigests}}", ref],
                check=True, capture_output=True, text=True, env=env).stdout)
            assert f"127.0.0.1:{registry.port}/{image.repository}@{image.manifest.digest}" in digests
        finally:
            subprocess.run(["docker", "rmi", "-f", ref], capture_output=True, env=env)


def _first(bundle):
    image = bundle.image_contents()[0]
    return image, f"{image.repository}/manifests/{image.tag}"


def test_an_anonymous_or_wrongly_signed_in_pull_is_refused(served, tmp_path):
    registry, bundle = served
    image, manifest = _first(bundle)
    anonymous = requests.get(f"{registry.url}/v2/{manifest}", verify=str(registry.ca_file), timeout=10)
    assert anonymous.status_code == 401 and anonymous.headers["WWW-Authenticate"].startswith("Basic")
    wrong = requests.get(f"{registry.url}/v2/{manifest}", verify=str(registry.ca_file), timeout=10,
                         auth=(registry.credentials().username, "not-the-password"))
    assert wrong.status_code == 401
    ref = f"docker://localhost:{registry.port}/{image.repository}:{image.tag}"
    out = subprocess.run(["skopeo", "inspect", "--raw", "--cert-dir", _cert_dir(registry, tmp_path), "--no-creds", ref],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode != 0 and "unauthorized" in out.stderr.lower(), out.stderr


def test_every_push_is_refused_even_signed_in(served, tmp_path):
    registry, bundle = served
    image, _ = _first(bundle)
    with registry.session() as session:
        upload = session.post(f"{registry.url}/v2/pushed/blobs/uploads/", timeout=10)
        assert upload.status_code == 405, upload.text
        blob = image.blobs[0]
        mount = session.post(f"{registry.url}/v2/pushed/blobs/uploads/?mount={blob.digest}&from={image.repository}",
                             timeout=10)
        assert mount.status_code == 405, mount.text
    certs, creds = _cert_dir(registry, tmp_path), _creds(registry)
    source = f"docker://localhost:{registry.port}/{image.repository}:{image.tag}"
    out = subprocess.run(["skopeo", "copy", "--src-cert-dir", certs, "--src-creds", creds, "--dest-cert-dir", certs,
                          "--dest-creds", creds, source, f"docker://localhost:{registry.port}/pushed:1"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode != 0, out.stdout
    assert not (v2_root(registry.storage) / "repositories" / "pushed").exists()


def test_plain_http_is_refused(served):
    registry, _ = served
    credentials = registry.credentials()
    got = requests.get(f"http://127.0.0.1:{registry.port}/v2/", timeout=10,
                       auth=(credentials.username, credentials.password))
    assert got.status_code == 400 and "HTTPS" in got.text


def test_a_client_that_does_not_trust_the_install_ca_is_refused(served):
    registry, _ = served
    credentials = registry.credentials()
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"{registry.url}/v2/", auth=(credentials.username, credentials.password), timeout=10)


def test_the_secrets_are_kept_private(served):
    registry, _ = served
    files, state = registry.files, registry.state
    for secret in (state.registry_credentials, state.tls_ca_key, files.key, files.htpasswd):
        assert stat.S_IMODE(secret.stat().st_mode) == 0o600, secret
    password = registry.credentials().password
    assert password not in files.htpasswd.read_text() and password not in registry.config.read_text()


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
    assert list((tmp_path / "root").rglob("*")) == []
    assert list((tmp_path / "state").rglob("*")) == [], "the CA, certificate and credentials are removed too"
