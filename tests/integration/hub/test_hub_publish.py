"""Publishing a bundle built by build.py to a hub served as a real process over HTTPS: the
release and its channel, nothing re-sent the second time, an upload cut half way that resumes,
and the full bundle downloaded byte for byte."""

from __future__ import annotations

import hashlib
import tarfile

import pytest
from airlift_build.publish import SMALL, Publisher, PublishTarget
from airlift_build.publish_batch import batches

from installer.bundle.index import Index
from installer.errors import AirliftError
from tests.fixtures.build_fixtures import HELLO, make_hello_images, run_build
from tests.integration.hub.cutting_proxy import CuttingProxy

pytestmark = pytest.mark.timeout(900)


def _unique_size(index: Index) -> int:
    """What the bundle's files weigh, each content counted once (the hub stores it once)."""
    return sum({e.sha256: e.size for e in index.files}.values())


class _Sized:
    def __init__(self, size: int) -> None:
        self.offset, self.size = 0, size


def _index(tar_path) -> Index:  # type: ignore[no-untyped-def]
    with tarfile.open(tar_path) as tar:
        member = next(m for m in tar if m.name.endswith("/index.json") and m.name.count("/") == 1)
        handle = tar.extractfile(member)
        assert handle is not None
        return Index.from_json(handle.read())


def test_build_publishes_and_publishing_again_sends_nothing(hub_process, tmp_path, frozen_k3s_standin):
    out = tmp_path / "hello.tar"
    built = run_build(HELLO / "app.yaml", "-o", out, "--k3s", frozen_k3s_standin, "--no-k3s-images",
                      "--source", f"oci:{make_hello_images()}", "--publish", hub_process.url,
                      "--hub-token", hub_process.token, "--channel", "beta",
                      "--hub-fingerprint", hub_process.fingerprint)
    assert built.returncode == 0, built.stderr
    assert "hello 1.0.0 published at" in built.stdout and "channels: beta" in built.stdout
    carried = _unique_size(_index(out))
    assert hub_process.stats()["blob_bytes_received"] == carried

    target = PublishTarget(hub_process.url, hub_process.token, "stable", hub_process.fingerprint)
    again = Publisher(target).publish(out)
    assert (again.sent_files, again.sent_bytes, again.created) == (0, 0, False)
    assert again.channels == ["beta", "stable"]
    assert hub_process.stats()["blob_bytes_received"] == carried  # not one byte more

    session = hub_process.session()
    download = session.get(f"{hub_process.url}/api/v1/applications/hello/releases/1.0.0/bundle.tar",
                           stream=True, timeout=60)
    digest = hashlib.sha256()
    for chunk in download.iter_content(1 << 20):
        digest.update(chunk)
    assert digest.hexdigest() == hashlib.sha256(out.read_bytes()).hexdigest()


def test_an_upload_cut_half_way_resumes_where_it_stopped(hub_process, hello_bundle_tar):
    index = _index(hello_bundle_tar)
    carried = _unique_size(index)
    proxy = CuttingProxy(int(hub_process.url.rsplit(":", 1)[1]), cut_after=carried // 2)
    try:
        target = PublishTarget(f"https://127.0.0.1:{proxy.port}", hub_process.token, None, hub_process.fingerprint)
        done = Publisher(target, sleep=lambda s: None).publish(hello_bundle_tar)
    finally:
        proxy.close()
    assert proxy.cuts == 1 and done.created
    stats = hub_process.stats()
    # Every byte arrived once: the part before the cut was kept, the rest sent after it.
    assert stats["blob_bytes_received"] == carried
    # The small files went in batches, each big one on its own, and one request more for the cut.
    sizes = {e.sha256: e.size for e in index.files}
    small = [(d, e) for d, e in sizes.items() if e < SMALL]
    batched = len(list(batches([(d, _Sized(e)) for d, e in small])))
    assert stats["blob_requests"] == batched + len(sizes) - len(small) + 1
    direct = PublishTarget(hub_process.url, hub_process.token, None, hub_process.fingerprint)
    assert Publisher(direct).publish(hello_bundle_tar).sent_files == 0


def test_a_hub_whose_certificate_is_not_the_pinned_one_is_refused(hub_process, hello_bundle_tar):
    wrong = "SHA256:" + "0" * 64
    with pytest.raises(AirliftError, match="shows another certificate than --hub-fingerprint pins"):
        Publisher(PublishTarget(hub_process.url, hub_process.token, None, wrong)).publish(hello_bundle_tar)
    with pytest.raises(AirliftError, match="no CA of this host vouches for"):
        Publisher(PublishTarget(hub_process.url, hub_process.token)).publish(hello_bundle_tar)
    assert hub_process.stats()["blob_requests"] == 0
