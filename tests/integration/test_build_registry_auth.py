"""Private registries: Debian's docker-registry with htpasswd, and a token service that wants a login.

Every build here gets DOCKER_CONFIG set to a folder of the test's own, so the machine's
~/.docker/config.json never takes part.
"""

import base64
import json
import os

import pytest

from installer.bundle import Bundle, safe_extract
from tests.fixtures.build_fixtures import K3S_STANDIN, make_hello_images, run_build
from tests.integration.build_helpers import RegistryProcess, TokenAuthProxy, hello_variant

USER, PASSWORD = "vendor", "s3cret-pull-pass"
WEB = "docker.io/hello/web:1.0.0"


@pytest.fixture(scope="module")
def private_registry(tmp_path_factory):
    reg = RegistryProcess(tmp_path_factory.mktemp("private-registry"), user=(USER, PASSWORD))
    reg.push_oci(make_hello_images(), WEB, "hello/web:1.0.0")
    yield reg
    reg.stop()


def build(tmp_path, registry_address, *login, env=None, stdin=None):
    """Build examples/hello with its web image taken from the registry; the hook from the OCI layout."""
    ref = f"{registry_address}/hello/web:1.0.0"
    app = hello_variant(tmp_path, {"hello/web:1.0.0": ref})
    out = tmp_path / "out" / "b.tar"
    docker_config = tmp_path / "docker"
    docker_config.mkdir(exist_ok=True)
    result = run_build(app, "-o", out, "--k3s", K3S_STANDIN, "--no-k3s-images", "--source", "registry",
                       "--source", f"oci:{make_hello_images()}", "-q", *login,
                       env={"DOCKER_CONFIG": str(docker_config), **(env or {})}, stdin=stdin)
    return result, out, ref


def carried(tmp_path, out, ref):
    safe_extract(out, tmp_path / "x")
    bundle = Bundle.open(tmp_path / "x" / "hello-1.0.0")
    bundle.verify()
    return ref in {i.ref for i in bundle.images()}


def test_an_anonymous_pull_is_refused_naming_the_registry_and_what_to_pass(tmp_path, private_registry):
    result, out, ref = build(tmp_path, private_registry.address)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"registry {private_registry.address} asks for a username and password" in result.stderr
    assert f"--registry-login {private_registry.address} --registry-username USER" in result.stderr
    assert "AIRLIFT_REGISTRY_PASSWORD" in result.stderr and f"docker login {private_registry.address}" in result.stderr
    assert not out.exists()


def test_credentials_from_the_command_line_and_the_environment(tmp_path, private_registry):
    result, out, ref = build(tmp_path, private_registry.address, "--registry-login", private_registry.address,
                             "--registry-username", USER, env={"AIRLIFT_REGISTRY_PASSWORD": PASSWORD})
    assert result.returncode == 0, result.stderr
    assert carried(tmp_path, out, ref)


def test_the_password_on_standard_input(tmp_path, private_registry):
    result, out, ref = build(tmp_path, private_registry.address, "--registry-login", private_registry.address,
                             "--registry-username", USER, "--registry-password-stdin", stdin=PASSWORD + "\n")
    assert result.returncode == 0, result.stderr
    assert carried(tmp_path, out, ref)


def test_a_wrong_password_is_refused_without_showing_it(tmp_path, private_registry):
    result, _, _ = build(tmp_path, private_registry.address, "--registry-login", private_registry.address,
                         "--registry-username", USER, env={"AIRLIFT_REGISTRY_PASSWORD": "not-it"})
    assert result.returncode == 2
    assert f"registry {private_registry.address} refuses {USER} the pull of hello/web" in result.stderr
    assert "not-it" not in result.stderr


def test_docker_config_auths(tmp_path, private_registry):
    (tmp_path / "docker").mkdir()
    auth = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    (tmp_path / "docker" / "config.json").write_text(
        json.dumps({"auths": {f"http://{private_registry.address}": {"auth": auth}}}))
    result, out, ref = build(tmp_path, private_registry.address)
    assert result.returncode == 0, result.stderr
    assert carried(tmp_path, out, ref)


def fake_helper(tmp_path, server):
    """docker-credential-test on PATH: answers `get` for one server, like a real helper."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    helper = bin_dir / "docker-credential-test"
    helper.write_text(f"""#!/bin/sh
[ "$1" = get ] || exit 1
read server
if [ "$server" = "{server}" ]; then
  echo '{{"ServerURL": "{server}", "Username": "{USER}", "Secret": "{PASSWORD}"}}'
else
  echo "credentials not found in native keychain"; exit 1
fi
""")
    helper.chmod(0o755)
    return {"PATH": f"{bin_dir}:{os.environ['PATH']}"}


@pytest.mark.parametrize("key", ["credHelpers", "credsStore"])
def test_a_docker_credential_helper(tmp_path, private_registry, key):
    (tmp_path / "docker").mkdir()
    config = {"credHelpers": {private_registry.address: "test"}} if key == "credHelpers" else {"credsStore": "test"}
    (tmp_path / "docker" / "config.json").write_text(json.dumps(config))
    result, out, ref = build(tmp_path, private_registry.address, env=fake_helper(tmp_path, private_registry.address))
    assert result.returncode == 0, result.stderr
    assert carried(tmp_path, out, ref)


@pytest.fixture(scope="module")
def public_registry(tmp_path_factory):
    reg = RegistryProcess(tmp_path_factory.mktemp("public-registry"))
    reg.push_oci(make_hello_images(), WEB, "hello/web:1.0.0")
    yield reg
    reg.stop()


def test_a_token_service_that_needs_a_login(tmp_path, public_registry):
    proxy = TokenAuthProxy(public_registry.address, login=(USER, PASSWORD))
    try:
        anonymous, _, _ = build(tmp_path / "a", proxy.address)
        result, out, ref = build(tmp_path, proxy.address, "--registry-login", proxy.address,
                                 "--registry-username", USER, env={"AIRLIFT_REGISTRY_PASSWORD": PASSWORD})
    finally:
        proxy.stop()
    assert anonymous.returncode == 2
    assert f"registry {proxy.address} refuses an anonymous pull of hello/web" in anonymous.stderr
    assert result.returncode == 0, result.stderr
    assert carried(tmp_path, out, ref)
