"""Differential bundles from the hub: byte for byte what build.py --since writes (signed once the
publisher sends the vendor's signature), made once, against earlier releases only; and every
bundle download resumable with HTTP Range."""

from __future__ import annotations

import io
import tarfile

import pytest
from airlift_build.bundle_writer import BundleMeta, write_bundle
from airlift_build.differential import load_base, split
from airlift_build.files import BundleFile
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.models import Differential
from installer.bundle.signature import sign_index
from tests.unit.hub.bundles import VENDOR_KEY, TinyBundle, commit, upload_all
from tests.unit.hub.test_pages import _sign_in

LAYER = b"layer " * 3000


def _files(version: str, page: bytes, runtime: bytes = b"k3s binary\n" * 500) -> list[BundleFile]:
    """A bundle whose image blobs and runtime the next version partly keeps."""
    return [BundleFile("app.yaml", data=f"name: hello\nversion: {version}\n".encode()),
            BundleFile("install", data=b"#!/bin/sh\n" + version.encode(), mode=0o755),
            BundleFile("images/index.json", data=b'{"schemaVersion": 2, "manifests": []}'),
            BundleFile("images/blobs/sha256/" + "aa" * 32, data=LAYER, compress=True),
            BundleFile("images/blobs/sha256/" + "bb" * 32, data=page),
            BundleFile("runtime/k3s", data=runtime, mode=0o755, compress=True),
            BundleFile("runtime/registry", data=b"registry\n", mode=0o755),
            BundleFile("resources/page.html", data=page)]


def _write(files: list[BundleFile], version: str, key: Ed25519PrivateKey | None,
           base: TinyBundle | None = None, tmp=None) -> bytes:  # type: ignore[no-untyped-def]
    """The tarball build.py writes: full, or with --since the base's index."""
    sign = (lambda data: sign_index(data, key).to_json()) if key else None
    out = io.BytesIO()
    if base is None:
        write_bundle(out, BundleMeta("hello", version, "0.0.test"), files, lambda f: None, sign=sign)
    else:
        (tmp / "base-index.json").write_bytes(base.index_bytes)
        old = load_base(tmp / "base-index.json")
        parts = split(files, old)
        write_bundle(out, BundleMeta("hello", version, "0.0.test", base=old.ref), parts.carried, lambda f: None,
                     parts.from_base, sign)
    return out.getvalue()


def _bundle(tar: bytes) -> TinyBundle:
    with tarfile.open(fileobj=io.BytesIO(tar)) as archive:
        names = archive.getnames()
        index = archive.extractfile(next(n for n in names if n.endswith("/index.json") and n.count("/") == 1))
        sig = next((n for n in names if n.endswith("/signature.json")), None)
        signature = archive.extractfile(sig).read() if sig else None  # type: ignore[union-attr]
        return TinyBundle(tar, index.read(), signature)  # type: ignore[union-attr]


@pytest.fixture
def two(api):  # type: ignore[no-untyped-def]
    """hello 1.0.0 and 1.1.0, both signed and published; 1.1.0 keeps a layer and the registry."""
    old = _bundle(_write(_files("1.0.0", b"<h1>1.0</h1>"), "1.0.0", VENDOR_KEY))
    new_files = _files("1.1.0", b"<h1>1.1</h1>", runtime=b"k3s next\n" * 500)
    new = _bundle(_write(new_files, "1.1.0", VENDOR_KEY))
    for bundle in (old, new):
        upload_all(api, bundle)
        assert commit(api, bundle).status_code == 201
    return {"old": old, "new": new, "new_files": new_files}


URL = "/api/v1/applications/hello/releases/1.1.0"


def test_the_differential_bundle_is_what_build_since_writes(api, two, tmp_path):
    built = _write(two["new_files"], "1.1.0", None, base=two["old"], tmp=tmp_path)
    response = api.get(f"{URL}/differentials/1.0.0/bundle.tar")
    assert response.status_code == 200
    assert response.headers["Content-Length"] == str(len(built))
    assert response.data == built
    index = _bundle(built).index
    assert {e.path for e in index.from_base} == {"images/blobs/sha256/" + "aa" * 32, "runtime/registry"}
    assert index.base is not None and index.base.version == "1.0.0"


def test_a_signed_release_is_served_unsigned_until_the_vendor_signs_its_differential(api, two, tmp_path):
    listed = api.get(f"{URL}/differentials").json["differentials"]
    assert listed == [{"base": "1.0.0", "made": False, "size": None, "signed": False, "index_sha256": None,
                       "needs_signature": True}]
    index = api.get(f"{URL}/differentials/1.0.0/index.json").data
    other = api.put(f"{URL}/differentials/1.0.0/signature", data=sign_index(index, Ed25519PrivateKey.generate())
                    .to_json())
    assert other.status_code == 422 and "sign with the release's own key" in other.json["error"]
    wrong = api.put(f"{URL}/differentials/1.0.0/signature", data=sign_index(index + b" ", VENDOR_KEY).to_json())
    assert wrong.status_code == 422 and "does not match" in wrong.json["error"]
    assert api.put(f"{URL}/differentials/1.0.0/signature", data=sign_index(index, VENDOR_KEY).to_json()).json[
        "signed"]
    built = _write(two["new_files"], "1.1.0", VENDOR_KEY, base=two["old"], tmp=tmp_path)
    assert api.get(f"{URL}/differentials/1.0.0/bundle.tar").data == built
    assert api.get(f"{URL}/differentials").json["differentials"][0]["needs_signature"] is False


def test_a_differential_is_made_once_and_only_against_an_earlier_release(api, two, hub_engine):
    for _ in range(2):
        assert api.get(f"{URL}/differentials/1.0.0/bundle.tar").status_code == 200
    with Session(hub_engine) as db:
        assert db.scalar(select(func.count()).select_from(Differential)) == 1
    later = api.get("/api/v1/applications/hello/releases/1.0.0/differentials/1.1.0/bundle.tar")
    assert later.status_code == 409 and "against an earlier release" in later.json["error"]
    assert api.get(f"{URL}/differentials/1.1.0/bundle.tar").status_code == 409
    assert api.get(f"{URL}/differentials/0.9.0/bundle.tar").status_code == 404
    assert api.get("/api/v1/applications/hello/releases/1.0.0/differentials").json == {"differentials": []}


@pytest.mark.parametrize("path", ["bundle.tar", "differentials/1.0.0/bundle.tar"])
def test_a_cut_download_resumes_with_range(api, two, path):
    whole = api.get(f"{URL}/{path}")
    data, etag = whole.data, whole.headers["ETag"]
    assert whole.headers["Accept-Ranges"] == "bytes"
    for start, stop in ((0, 1), (700, 9000), (len(data) // 2, len(data)), (513, 1024), (len(data) - 1, len(data))):
        part = api.get(f"{URL}/{path}", headers={"Range": f"bytes={start}-{stop - 1}", "If-Range": etag})
        assert part.status_code == 206
        assert part.headers["Content-Range"] == f"bytes {start}-{stop - 1}/{len(data)}"
        assert part.data == data[start:stop]
    assert api.get(f"{URL}/{path}", headers={"Range": "bytes=-100"}).data == data[-100:]
    past = api.get(f"{URL}/{path}", headers={"Range": f"bytes={len(data)}-"})
    assert past.status_code == 416 and past.headers["Content-Range"] == f"bytes */{len(data)}"
    changed = api.get(f"{URL}/{path}", headers={"Range": "bytes=10-", "If-Range": '"another"'})
    assert changed.status_code == 200 and changed.data == data


def test_the_release_page_offers_a_differential_from_each_earlier_release(api, client, user, two):
    _sign_in(client)
    page = client.get("/apps/hello/1.1.0").data.decode()
    assert "Download the full bundle" in page and "Download from 1.0.0" in page
    assert "--allow-other-signer" in page and "known after the first download" in page
    download = client.get("/apps/hello/1.1.0/differentials/1.0.0/bundle.tar")
    assert download.status_code == 200 and download.data == api.get(f"{URL}/differentials/1.0.0/bundle.tar").data
    assert "known after the first download" not in client.get("/apps/hello/1.1.0").data.decode()
    assert "Download from" not in client.get("/apps/hello/1.0.0").data.decode()
