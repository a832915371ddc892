"""Publishing through the API: only missing blobs are asked for, uploads resume at the offset the
hub holds, every blob is checked against its sha256, releases never change, channels and the
editable fields, and the full bundle streamed back byte for byte."""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import tarfile

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.orm import Session

from hub.tokens import create_token
from installer.bundle.signature import public_key_of
from tests.unit.hub.bundles import VENDOR_KEY, commit, signed, tiny_bundle, upload_all


def test_the_hub_asks_only_for_the_blobs_it_lacks(api):
    bundle = tiny_bundle()
    digests = sorted(bundle.blobs())
    assert api.post("/api/v1/blobs/missing", json={"sha256": digests}).json["missing"] == digests
    upload_all(api, bundle)
    assert api.post("/api/v1/blobs/missing", json={"sha256": digests}).json["missing"] == []
    newer = tiny_bundle("1.1.0", page=b"<h1>hello again</h1>\n")
    missing = api.post("/api/v1/blobs/missing", json={"sha256": sorted(newer.blobs())}).json["missing"]
    changed = {e.sha256 for e in newer.index.files} - {e.sha256 for e in bundle.index.files}
    assert set(missing) == changed and len(changed) == 3  # app.yaml, the page, the images index


def test_an_upload_cut_short_goes_on_from_the_offset_the_hub_holds(api):
    data = tiny_bundle().stored("resources/page.html") * 3
    sha256 = hashlib.sha256(data).hexdigest()
    total = len(data)
    first = api.put(f"/api/v1/blobs/{sha256}", data=data[:10], headers={"Content-Range": f"bytes 0-9/{total}"})
    assert first.status_code == 200 and first.json == {"offset": 10, "complete": False}
    assert api.get(f"/api/v1/blobs/{sha256}/upload").json == {"offset": 10, "complete": False}
    assert api.post("/api/v1/blobs/missing", json={"sha256": [sha256]}).json == {"missing": [sha256],
                                                                                "held": {sha256: 10}}
    again = api.put(f"/api/v1/blobs/{sha256}", data=data, headers={"Content-Range": f"bytes 0-{total - 1}/{total}"})
    assert again.status_code == 409 and again.json["offset"] == 10
    rest = api.put(f"/api/v1/blobs/{sha256}", data=data[10:],
                   headers={"Content-Range": f"bytes 10-{total - 1}/{total}"})
    assert rest.json == {"offset": None, "complete": True}
    assert api.get(f"/api/v1/blobs/{sha256}/upload").json["complete"]
    assert api.get("/api/v1/stats").json == {"blob_bytes_received": total, "blob_requests": 2}


def test_bytes_that_do_not_hash_to_their_name_are_thrown_away(api):
    sha256 = hashlib.sha256(b"the real bytes").hexdigest()
    response = api.put(f"/api/v1/blobs/{sha256}", data=b"other bytes!!!", headers={"Content-Range": "bytes 0-13/14"})
    assert response.status_code == 422 and "send it again from byte 0" in response.json["error"]
    assert api.get(f"/api/v1/blobs/{sha256}/upload").json == {"offset": 0, "complete": False}


def test_a_release_is_taken_once_every_file_is_there_and_then_never_changes(api):
    bundle = tiny_bundle()
    refused = commit(api, bundle)
    assert refused.status_code == 409 and "upload them before the release" in refused.json["error"]
    upload_all(api, bundle)
    first = commit(api, bundle, channel="beta")
    assert first.status_code == 201, first.json
    assert first.json["created"] and first.json["channels"] == ["beta"]
    assert first.json["size"] == sum(e.size for e in bundle.index.files)
    again = commit(api, bundle)
    assert again.status_code == 200 and not again.json["created"]
    other = tiny_bundle(page=b"<h1>changed without a new version</h1>\n")
    upload_all(api, other)
    changed = commit(api, other)
    assert changed.status_code == 409 and "releases never change" in changed.json["error"]
    resigned = commit(api, bundle, signature=signed(bundle, Ed25519PrivateKey.generate()))
    assert resigned.status_code == 409 and "another signature" in resigned.json["error"]


def test_a_signature_is_kept_byte_for_byte_and_its_key_shown(api):
    bundle = tiny_bundle()
    upload_all(api, bundle)
    signature = signed(bundle)
    assert commit(api, bundle, signature=signature).json["signature_key_id"] == public_key_of(VENDOR_KEY).key_id
    tar = api.get("/api/v1/applications/hello/releases/1.0.0/bundle.tar").data
    assert tar.find(signature) > tar.find(b'"format": "airlift-bundle/1"')


def test_a_signature_that_does_not_match_the_index_is_refused(api):
    bundle, other = tiny_bundle(), tiny_bundle(version="2.0.0")
    upload_all(api, bundle)
    forged = commit(api, bundle, signature=signed(other))  # a real signature, of another index
    assert forged.status_code == 422 and "does not match index.json" in forged.json["error"], forged.json
    garbage = commit(api, bundle, signature=b'{"key_id": "vendor"}')
    assert garbage.status_code == 422 and "signature.json" in garbage.json["error"], garbage.json
    assert commit(api, bundle).status_code == 201  # nothing was recorded: unsigned, it is accepted


def test_a_differential_bundle_is_refused(api):
    bundle = tiny_bundle()
    doc = json.loads(bundle.index_bytes)
    doc["base"] = {"name": "hello", "version": "0.9.0", "index_sha256": "00" * 32}
    response = api.post("/api/v1/releases", json={"index": json.dumps(doc), "signature": None})
    assert response.status_code == 400 and "differential" in response.json["error"]


def test_promotion_adds_a_channel_and_notes_and_required_stay_editable(api):
    bundle = tiny_bundle()
    upload_all(api, bundle)
    commit(api, bundle)
    url = "/api/v1/applications/hello/releases/1.0.0"
    assert api.post(f"{url}/promotions", json={"channel": "stable"}).json["channels"] == ["stable"]
    assert api.post(f"{url}/promotions", json={"channel": "lts-2027"}).json["channels"] == ["lts-2027", "stable"]
    assert api.post(f"{url}/promotions", json={"channel": "stable"}).json["channels"] == ["lts-2027", "stable"]
    assert api.post(f"{url}/promotions", json={"channel": "Bad Name"}).status_code == 400
    edited = api.patch(url, json={"notes": "Fixes the page.", "required": True}).json
    assert edited["notes"] == "Fixes the page." and edited["required"]
    channels = {c["name"]: c["releases"] for c in api.get("/api/v1/channels").json["channels"]}
    assert [r["version"] for r in channels["stable"]] == ["1.0.0"] and channels["beta"] == []
    assert api.get("/api/v1/applications/hello/releases/9.9.9").status_code == 404


def test_the_full_bundle_downloads_byte_for_byte_as_it_was_built(api):
    bundle = tiny_bundle()
    upload_all(api, bundle)
    commit(api, bundle)
    response = api.get("/api/v1/applications/hello/releases/1.0.0/bundle.tar")
    assert response.status_code == 200
    assert int(response.headers["Content-Length"]) == len(bundle.tar)
    assert response.data == bundle.tar


def test_without_a_live_publish_token_the_api_refuses(client, hub_engine):
    assert client.get("/api/v1/ping").status_code == 200
    assert client.get("/api/v1/applications").status_code == 401
    with Session(hub_engine) as db:
        enroll = create_token(db, "enroll").token
        expired = create_token(db, "publish", datetime.timedelta(seconds=-1)).token
        live = create_token(db, "publish").token
    for token in (enroll, expired, live[:-1] + ("A" if live[-1] != "A" else "B"), "hub_nothing_here", ""):
        response = client.get("/api/v1/applications", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, token
    assert client.get("/api/v1/applications", headers={"Authorization": f"Bearer {live}"}).status_code == 200


def _tar(blobs: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data in blobs.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def test_small_blobs_go_in_one_request_and_bytes_under_another_name_are_refused(api):
    blobs = tiny_bundle().blobs()
    forged = hashlib.sha256(b"the real bytes").hexdigest()
    answer = api.post("/api/v1/blobs", data=_tar(blobs | {forged: b"other bytes"}),
                      headers={"Content-Type": "application/x-tar"})
    assert answer.status_code == 200, answer.json
    assert sorted(answer.json["kept"]) == sorted(blobs) and answer.json["refused"] == [forged]
    assert api.post("/api/v1/blobs/missing", json={"sha256": [*blobs, forged]}).json["missing"] == [forged]
    size = sum(len(d) for d in blobs.values()) + len(b"other bytes")
    assert api.get("/api/v1/stats").json == {"blob_bytes_received": size, "blob_requests": 1}


def test_a_batch_cut_short_or_not_a_tar_keeps_nothing(api):
    blobs = tiny_bundle().blobs()
    body = _tar(blobs)
    cut = api.post("/api/v1/blobs", data=body[:len(body) // 2 + 100])
    assert cut.status_code == 400
    assert api.post("/api/v1/blobs/missing", json={"sha256": sorted(blobs)}).json["missing"] == sorted(blobs)
    assert api.post("/api/v1/blobs", data=b"not a tar at all" * 100).status_code == 400
    named = api.post("/api/v1/blobs", data=_tar({"../etc/passwd": b"x"}))
    assert named.status_code == 400 and "sha256" in named.json["error"]
