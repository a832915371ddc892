"""The hub with its blobs in an S3 bucket (tests/fixtures/s3.py): publishing and downloading
through the API on SQLite and PostgreSQL, uploads gathered locally and kept in the bucket once
whole, two hub processes on one PostgreSQL and one bucket serving the same release, and errors
that name the bucket and the endpoint."""

from __future__ import annotations

import hashlib
import subprocess

import pytest
from airlift_build.publish import Publisher, PublishTarget
from sqlalchemy.orm import Session

from hub import catalog, migrate
from hub.app import create_app
from hub.blobs_s3 import S3BlobStore
from hub.db import make_engine
from hub.s3 import S3Location
from hub.tokens import create_token
from hub.views import release_view
from tests.fixtures.net import free_port
from tests.integration.hub.conftest import REPO, hub_command, prepare_hub, running_hub
from tests.unit.hub.bundles import commit, tiny_bundle, upload_all

pytestmark = pytest.mark.timeout(300)


@pytest.fixture
def s3_api(hub_database_url, s3_bucket, tmp_path):
    """The hub in-process over the test database, its blobs in the test bucket; a client with a
    publish token."""
    engine = make_engine(hub_database_url)
    migrate.upgrade(engine)
    with Session(engine) as db:
        token = create_token(db, "publish").token
    store = S3BlobStore(s3_bucket, tmp_path / "uploads")
    client = create_app(engine, tmp_path / "data", store).test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    yield client, store, engine
    engine.dispose()


def test_a_release_published_to_s3_storage_downloads_byte_for_byte(s3_api, s3_server, s3_bucket, tmp_path):
    api, store, engine = s3_api
    bundle = tiny_bundle()
    upload_all(api, bundle)
    assert commit(api, bundle, channel="stable").status_code == 201
    s3 = s3_server.client()
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=s3_bucket.bucket)["Contents"]}
    assert keys == {f"hub/blobs/sha256/{d}" for d in bundle.blobs()}
    some = sorted(bundle.blobs())[0]
    assert s3.head_object(Bucket=s3_bucket.bucket, Key=f"hub/blobs/sha256/{some}")["Metadata"] == {"sha256": some}
    assert list((tmp_path / "uploads").iterdir()) == [] and not (tmp_path / "data" / "blobs").exists()
    assert api.get("/api/v1/applications/hello/releases/1.0.0/bundle.tar").data == bundle.tar
    half = len(bundle.tar) // 2 + 777  # a resumed download starts inside a blob kept in the bucket
    rest = api.get("/api/v1/applications/hello/releases/1.0.0/bundle.tar", headers={"Range": f"bytes={half}-"})
    assert rest.status_code == 206 and rest.data == bundle.tar[half:]
    with Session(engine) as db:
        view = release_view(db, catalog.get_release(db, "hello", "1.0.0"), store)
    assert view.images == ["docker.io/library/hello:1.0.0"]  # the catalog page reads the bucket too


def test_an_unfinished_upload_stays_on_local_disk_until_it_is_whole(s3_api, s3_server, s3_bucket, tmp_path):
    api, store, engine = s3_api
    data = b"airlift blob " * 1000
    sha256 = hashlib.sha256(data).hexdigest()
    total = len(data)
    first = api.put(f"/api/v1/blobs/{sha256}", data=data[:100], headers={"Content-Range": f"bytes 0-99/{total}"})
    assert first.json == {"offset": 100, "complete": False}
    assert (tmp_path / "uploads" / f"{sha256}.part").stat().st_size == 100
    assert not store.has(sha256)
    assert "Contents" not in s3_server.client().list_objects_v2(Bucket=s3_bucket.bucket)
    rest = api.put(f"/api/v1/blobs/{sha256}", data=data[100:],
                   headers={"Content-Range": f"bytes 100-{total - 1}/{total}"})
    assert rest.json == {"offset": None, "complete": True}
    assert store.has(sha256) and b"".join(store.read(sha256)) == data
    assert not (tmp_path / "uploads" / f"{sha256}.part").exists()


def test_a_blob_whose_bucket_is_out_of_reach_stays_local_and_the_publisher_is_told(hub_database_url, tmp_path,
                                                                                    s3_bucket):
    engine = make_engine(hub_database_url)
    migrate.upgrade(engine)
    with Session(engine) as db:
        token = create_token(db, "publish").token
    gone = S3Location("nowhere", "", "http://127.0.0.1:9")  # the discard port: nothing listens
    api = create_app(engine, tmp_path / "data", S3BlobStore(gone, tmp_path / "uploads")).test_client()
    data = b"kept for the next try"
    sha256 = hashlib.sha256(data).hexdigest()
    response = api.put(f"/api/v1/blobs/{sha256}", data=data, headers={
        "Content-Range": f"bytes 0-{len(data) - 1}/{len(data)}", "Authorization": f"Bearer {token}"})
    assert response.status_code == 503
    assert "Cannot reach bucket nowhere at http://127.0.0.1:9" in response.json["error"]
    assert (tmp_path / "uploads" / f"{sha256}.part").read_bytes() == data
    engine.dispose()


@pytest.mark.parametrize("hub_database_url", ["postgresql"], indirect=True)
def test_two_hub_processes_on_one_database_and_one_bucket_serve_the_same_release(hub_database_url, s3_bucket,
                                                                                 tmp_path):
    s3 = ("--s3-bucket", s3_bucket.bucket, "--s3-prefix", s3_bucket.prefix, "--s3-endpoint", s3_bucket.endpoint)
    token = prepare_hub(tmp_path / "a", hub_database_url)
    bundle = tiny_bundle()
    path = tmp_path / "hello-1.0.0.tar"
    path.write_bytes(bundle.tar)
    with running_hub(tmp_path / "a", hub_database_url, token, *s3) as first, \
            running_hub(tmp_path / "b", hub_database_url, token, *s3) as second:
        done = Publisher(PublishTarget(first.url, token, "stable", first.fingerprint)).publish(path)
        assert done.created and done.sent_files == len(bundle.blobs())
        again = Publisher(PublishTarget(second.url, token, None, second.fingerprint)).publish(path)
        assert (again.sent_files, again.created) == (0, False)
        download = second.session().get(f"{second.url}/api/v1/applications/hello/releases/1.0.0/bundle.tar",
                                         timeout=30)
        assert download.status_code == 200 and download.content == bundle.tar
        assert second.stats()["blob_bytes_received"] == 0
        assert not (tmp_path / "b" / "blobs").exists()


def test_serve_names_the_bucket_and_endpoint_it_cannot_use(tmp_path, s3_bucket, monkeypatch):
    database = f"sqlite:///{tmp_path / 'hub.sqlite3'}"

    def serve(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(hub_command("serve", "--listen", f"127.0.0.1:{free_port()}", *extra, data=tmp_path / "data",
                                          database=database), cwd=REPO, capture_output=True, text=True, timeout=60)

    unreachable = serve("--s3-bucket", "releases", "--s3-endpoint", "http://127.0.0.1:9")
    assert unreachable.returncode == 2
    assert "Cannot reach bucket releases at http://127.0.0.1:9" in unreachable.stderr
    missing = serve("--s3-bucket", "no-such-bucket", "--s3-endpoint", s3_bucket.endpoint)
    assert f"There is no bucket no-such-bucket at {s3_bucket.endpoint}" in missing.stderr
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wrong")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "stranger")
    denied = serve("--s3-bucket", s3_bucket.bucket, "--s3-endpoint", s3_bucket.endpoint)
    assert f"Access to bucket {s3_bucket.bucket} at {s3_bucket.endpoint} is denied" in denied.stderr
    no_bucket = serve("--s3-endpoint", s3_bucket.endpoint)
    assert "--s3-endpoint and --s3-prefix need --s3-bucket" in no_bucket.stderr
