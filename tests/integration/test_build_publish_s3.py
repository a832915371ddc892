"""`build.py --sign KEY --publish s3://BUCKET/PREFIX/ --s3-endpoint URL` against the local S3
server (tests/fixtures/s3.py): the bundle, its index and signature land under the prefix; a
downloader fetches the index and signature first, checks them, then the tarball, unpacks it and
runs `./install verify`. Publishing again sends nothing; other bytes under the same version are
refused before anything is sent."""

from __future__ import annotations

import io
import re
import subprocess
import tarfile

import pytest
from airlift_build.publish_s3 import publish_to_s3

from hub.s3 import S3Location
from installer.bundle import safe_extract
from installer.bundle.signature import parse_signature, verify_signature
from installer.errors import AirliftError
from tests.fixtures.build_fixtures import HELLO, make_hello_images, run_build

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]


def _without_signature(signed_tar: bytes) -> bytes:
    """The same bundle as a tarball without its signature.json: other bytes, same index."""
    out = io.BytesIO()
    with tarfile.open(fileobj=io.BytesIO(signed_tar)) as src, tarfile.open(fileobj=out, mode="w") as dst:
        for member in src:
            if not member.name.endswith("/signature.json"):
                dst.addfile(member, src.extractfile(member) if member.isfile() else None)
    return out.getvalue()


def test_a_bundle_published_to_s3_downloads_and_verifies(s3_server, s3_bucket, tmp_path, frozen_k3s_standin):
    key = tmp_path / "vendor.key"
    assert run_build("keygen", "-o", key).returncode == 0
    out = tmp_path / "hello-1.0.0.tar"
    built = run_build(HELLO / "app.yaml", "-o", out, "--k3s", frozen_k3s_standin, "--no-k3s-images",
                      "--source", f"oci:{make_hello_images()}", "--sign", key,
                      "--publish", f"s3://{s3_bucket.bucket}/releases/hello/", "--s3-endpoint", s3_bucket.endpoint)
    assert built.returncode == 0, built.stderr
    base = f"s3://{s3_bucket.bucket}/releases/hello/hello-1.0.0"
    assert f"hello 1.0.0 published to s3://{s3_bucket.bucket}/releases/hello/: sent 3 of 3 objects" in built.stdout
    for url in (f"{base}.tar", f"{base}/signature.json", f"{base}/index.json"):
        assert url in built.stdout
    assert f"{s3_bucket.endpoint}/{s3_bucket.bucket}/releases/hello/hello-1.0.0.tar" in built.stdout

    s3 = s3_server.client()

    def fetch(name: str) -> bytes:
        return bytes(s3.get_object(Bucket=s3_bucket.bucket, Key=f"releases/hello/{name}")["Body"].read())

    index, signature = fetch("hello-1.0.0/index.json"), parse_signature(fetch("hello-1.0.0/signature.json"))
    verify_signature(index, signature)  # before the tarball is fetched
    (tmp_path / "download.tar").write_bytes(fetch("hello-1.0.0.tar"))
    assert (tmp_path / "download.tar").read_bytes() == out.read_bytes()
    safe_extract(tmp_path / "download.tar", tmp_path / "site")
    bundle = tmp_path / "site" / "hello-1.0.0"
    assert (bundle / "index.json").read_bytes() == index
    verified = subprocess.run([str(bundle / "install"), "verify"], capture_output=True, text=True, timeout=300)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert signature.key.key_id in re.sub(r"\s+", "", verified.stdout)

    again = publish_to_s3(S3Location(s3_bucket.bucket, "releases/hello/", s3_bucket.endpoint), out)
    assert (again.sent, again.sent_bytes) == ([], 0)

    other = tmp_path / "other" / "hello-1.0.0.tar"
    other.parent.mkdir()
    other.write_bytes(_without_signature(out.read_bytes()))
    with pytest.raises(AirliftError, match=r"hello-1.0.0.tar already holds other bytes .*nothing was sent"):
        publish_to_s3(S3Location(s3_bucket.bucket, "releases/hello/", s3_bucket.endpoint), other)
    assert fetch("hello-1.0.0.tar") == out.read_bytes()
