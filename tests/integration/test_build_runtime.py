"""The runtime a real bundle needs: k3s's air-gap images always, and a k3s recent enough."""

import gzip
import re
import shutil

import pytest

from installer.bundle import Bundle, safe_extract
from installer.manifest import load_manifest
from tests.fixtures.build_fixtures import HELLO, K3S_STANDIN, make_hello_images, run_build
from tests.integration.build_helpers import airgap_tar, fake_k3s


def build(tmp_path, *runtime):
    out = tmp_path / "out"
    result = run_build(HELLO / "app.yaml", "-o", out / "b.tar", *runtime, "--source", f"oci:{make_hello_images()}", "-q")
    return result, out


def refused(result, out, *phrases):
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    for phrase in phrases:
        assert phrase in result.stderr, result.stderr
    assert not out.exists() or list(out.iterdir()) == []


def test_a_real_looking_k3s_without_air_gap_images_is_refused_naming_both_flags(tmp_path):
    result, out = build(tmp_path, "--k3s", fake_k3s(tmp_path, "v1.29.1+k3s1"))
    refused(result, out, "missing the k3s air-gap images", "--k3s-images ARCHIVE", "--no-k3s-images")


def test_images_and_no_images_contradict(tmp_path):
    archive = tmp_path / "k3s-airgap-images-amd64.tar"
    archive.write_bytes(airgap_tar(tmp_path))
    result, _ = build(tmp_path, "--k3s", K3S_STANDIN, "--k3s-images", archive, "--no-k3s-images")
    assert result.returncode == 2 and "not allowed with argument" in result.stderr


@pytest.mark.parametrize("name, content, phrase", [
    ("images.tar", b"", "the name is not k3s's (k3s-airgap-images-amd64.tar, .tar.gz or .tar.zst)"),
    ("k3s-airgap-images-arm64.tar.zst", b"", "is for arm64, but Airlift builds for amd64"),
    ("k3s-airgap-images-amd64.tar.zst", b"plain text, renamed", "cannot be read as a .tar.zst archive"),
    ("k3s-airgap-images-amd64.tar.gz", b"\x1f\x8b cut short", "cannot be read as a .tar.gz archive"),
])
def test_a_wrong_air_gap_archive_is_refused(tmp_path, name, content, phrase):
    archive = tmp_path / name
    archive.write_bytes(content)
    result, out = build(tmp_path, "--k3s", K3S_STANDIN, "--k3s-images", archive)
    refused(result, out, phrase)


def test_a_missing_air_gap_archive_is_refused(tmp_path):
    result, out = build(tmp_path, "--k3s", K3S_STANDIN, "--k3s-images", tmp_path / "k3s-airgap-images-amd64.tar")
    refused(result, out, "does not exist or is not a file")


def test_a_gzip_archive_is_carried_as_it_is(tmp_path):
    archive = tmp_path / "k3s-airgap-images-amd64.tar.gz"
    archive.write_bytes(gzip.compress(airgap_tar(tmp_path)))
    result, out = build(tmp_path, "--k3s", fake_k3s(tmp_path, "v1.28.6+k3s2"), "--k3s-images", archive)
    assert result.returncode == 0, result.stderr
    safe_extract(out / "b.tar", tmp_path / "x")
    bundle = Bundle.open(tmp_path / "x" / "hello-1.0.0")
    assert bundle.read_bytes("runtime/k3s-airgap-images-amd64.tar.gz") == archive.read_bytes()
    assert bundle.index.k3s_version == "v1.28.6+k3s2"


@pytest.mark.parametrize("version, minimum", [
    ("v1.29.0+k3s1", "v1.29.1"), ("v1.28.5+k3s1", "v1.28.6"), ("v1.26.12+k3s1", "v1.26.13"),
    ("v1.25.16+k3s4", "v1.26.13"),
])
def test_a_k3s_too_old_is_refused_naming_the_version_and_the_minimum(tmp_path, version, minimum):
    result, out = build(tmp_path, "--k3s", fake_k3s(tmp_path, version), "--no-k3s-images")
    refused(result, out, f"k3s {version} is too old", f"the minimum is {minimum}")


def test_the_k3s_stand_in_answers_like_a_release_that_passes(tmp_path):
    result, _ = build(tmp_path, "--k3s", K3S_STANDIN, "--no-k3s-images")
    assert result.returncode == 0, result.stderr


def test_a_program_that_is_not_k3s_is_refused(tmp_path):
    impostor = tmp_path / "k3s"
    impostor.write_text("#!/bin/sh\necho hello\n")
    impostor.chmod(0o755)
    result, out = build(tmp_path, "--k3s", impostor, "--no-k3s-images")
    refused(result, out, "does not answer --version like k3s", "'hello'")


def test_version_and_name_override_a_templated_manifest_and_name_the_output(tmp_path):
    """As with tele build: resourceVersion "GRAVITY_VERSION" builds once --version gives the version."""
    app = tmp_path / "app"
    shutil.copytree(HELLO, app, ignore=shutil.ignore_patterns(".images", "images"))
    manifest = app / "app.yaml"
    manifest.write_text(re.sub(r"resourceVersion: .*", 'resourceVersion: "GRAVITY_VERSION"', manifest.read_text()))
    images = make_hello_images()
    plain = run_build(manifest, "--k3s", K3S_STANDIN, "--no-k3s-images", "--source", f"oci:{images}", "-q",
                      cwd=tmp_path)
    assert plain.returncode == 2 and '"GRAVITY_VERSION" is not a semantic version' in plain.stderr
    result = run_build(manifest, "--version", "2.5.0", "--name", "greeter", "--k3s", K3S_STANDIN,
                       "--no-k3s-images", "--source", f"oci:{images}", "-q", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    safe_extract(tmp_path / "greeter-2.5.0.tar", tmp_path / "x")
    bundle = Bundle.open(tmp_path / "x" / "greeter-2.5.0")
    assert (bundle.name, bundle.version) == ("greeter", "2.5.0")
    assert load_manifest(bundle.manifest_path).version == "2.5.0"
