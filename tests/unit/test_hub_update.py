"""`./install update download`, the site's side: which bundle of the hub's plan is taken (full or
differential; a required release first), a download resumed from its .part after a cut (in this
run, or in the next one), and a downloaded tarball refused (tampered, another index than the hub
announced, unsigned on a site that pinned a vendor key) leaving nothing behind."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path
from typing import Any

import pytest
import requests

from installer.bundle.signature import VendorKey
from installer.cli.reports import update_text
from installer.errors import AirliftError
from installer.hub_link.fetch import fetch, meta_path, part_path, resume_offset
from installer.hub_link.unpack import unpack_verified
from installer.hub_link.update_choice import choose
from installer.signer_pin import PinnedKey, save_pin
from tests.unit.hub.bundles import tiny_bundle


def _plan(diff: dict[str, Any] | None = None, **nxt: Any) -> dict[str, Any]:
    full = {"path": "/sites/s/bundles/1.1.0/bundle.tar", "size": 1000, "signed": True, "index_sha256": "f" * 64}
    return {"next": {"application": "hello", "version": "1.1.0", "newest": "1.1.0", "required": False,
                     "reason": None, "full": full, "differential": diff, **nxt}}


DIFF = {"path": "/sites/s/bundles/1.1.0/differentials/1.0.0/bundle.tar", "size": 300, "signed": True,
        "index_sha256": "d" * 64, "base": "1.0.0"}


def test_the_differential_bundle_is_taken_when_signed_or_accepted_else_the_full_one():
    taken = choose(_plan(DIFF), force_full=False, accepts_unsigned=False)
    assert taken is not None and taken.differential and taken.saved == 700 and taken.kind == "differential bundle against 1.0.0"
    forced = choose(_plan(DIFF), force_full=True, accepts_unsigned=True)
    assert forced is not None and not forced.differential and forced.why_full == "--full was given"
    unsigned = {**DIFF, "signed": False}
    pinned = choose(_plan(unsigned), force_full=False, accepts_unsigned=False)
    assert pinned is not None and not pinned.differential and "not signed by the vendor" in (pinned.why_full or "")
    accepted = choose(_plan(unsigned), force_full=False, accepts_unsigned=True)
    assert accepted is not None and accepted.differential
    none = choose(_plan(None), force_full=False, accepts_unsigned=True)
    assert none is not None and "no differential bundle against the installed release" in (none.why_full or "")
    assert choose({"update": None, "next": None}, False, False) is None
    with pytest.raises(AirliftError, match="cannot be read"):
        choose({"next": {"version": "1.1.0"}}, False, False)


def test_a_required_release_on_the_way_is_the_one_chosen_and_status_says_so():
    reason = "1.1.0 is marked required: it may not be skipped, so it comes before 1.2.0"
    taken = choose(_plan(DIFF, newest="1.2.0", required=True, reason=reason), False, False)
    assert taken is not None and (taken.version, taken.newest, taken.required) == ("1.1.0", "1.2.0", True)
    update = {"version": "1.2.0", "required": True, "via": "1.1.0"}
    assert update_text(update, None) == "; update available: 1.2.0 (required 1.1.0 first) (./install update download)"
    ready = update_text({"version": "1.1.0", "required": True, "via": None},
                        {"version": "1.1.0", "folder": "/var/lib/airlift/updates/hello-1.1.0"})
    assert ready == ("; update available: 1.1.0 (required); 1.1.0 is downloaded, ready to install: "
                     "cd /var/lib/airlift/updates/hello-1.1.0 && ./install upgrade")
    assert update_text(None, None) == ""


class Served:
    """A bundle served with Range and If-Range, cut once after `cut_at` bytes of one response."""

    def __init__(self, data: bytes, cut_at: int | None = None, etag: str = '"e1"') -> None:
        self.data, self.cut_at, self.etag, self.asked = data, cut_at, etag, []

    def __call__(self, headers: dict[str, str]) -> requests.Response:
        self.asked.append(dict(headers))
        start = int(headers["Range"].removeprefix("bytes=").rstrip("-")) if "Range" in headers else 0
        if headers.get("If-Range", self.etag) != self.etag:
            start = 0
        response = requests.Response()
        response.status_code = 206 if start else 200
        response.headers["ETag"] = self.etag
        if start:
            response.headers["Content-Range"] = f"bytes {start}-{len(self.data) - 1}/{len(self.data)}"
        body = self.data[start:]
        cut, self.cut_at = self.cut_at, None
        response.raw = _Cut(body, cut) if cut is not None else io.BytesIO(body)
        return response


class _Cut(io.BytesIO):
    def __init__(self, body: bytes, cut: int) -> None:
        super().__init__(body)
        self.cut = cut

    def read(self, n: int | None = -1) -> bytes:  # type: ignore[override]
        if self.tell() >= self.cut:
            raise requests.exceptions.ChunkedEncodingError("connection broken")
        return super().read(min(n if n and n > 0 else self.cut, self.cut - self.tell()))


DATA = bytes(range(256)) * 20000  # 5 MB: several chunks


def test_a_cut_download_resumes_from_its_part_in_the_same_run(tmp_path):
    served = Served(DATA, cut_at=(1 << 20) + 5)
    seen: list[int] = []
    got = fetch(tmp_path / "b.tar", "/p", len(DATA), served, lambda done, total: seen.append(done))
    assert got.path.read_bytes() == DATA and got.cuts == 1 and got.resumed_from == 0
    assert served.asked[1] == {"Range": f"bytes={(1 << 20) + 5}-", "If-Range": '"e1"'}
    assert seen[-1] == len(DATA)
    assert not part_path(tmp_path / "b.tar").exists() and not meta_path(tmp_path / "b.tar").exists()


def test_the_next_run_resumes_the_part_of_the_same_bundle_only(tmp_path):
    target = tmp_path / "b.tar"
    part_path(target).write_bytes(DATA[:1000])
    meta_path(target).write_text(json.dumps({"path": "/p", "size": len(DATA), "etag": '"e1"'}))
    assert resume_offset(target, "/p", len(DATA)) == (1000, '"e1"')
    assert resume_offset(target, "/other", len(DATA)) == (0, None)  # another bundle (full, not differential)
    assert resume_offset(target, "/p", 999) == (0, None)
    served = Served(DATA)
    got = fetch(target, "/p", len(DATA), served)
    assert got.resumed_from == 1000 and got.received == len(DATA) - 1000 and target.read_bytes() == DATA
    part_path(target).write_bytes(b"x" * 1000)  # the hub's bundle changed meanwhile: If-Range gets it whole
    meta_path(target).write_text(json.dumps({"path": "/p", "size": len(DATA), "etag": '"old"'}))
    assert fetch(target, "/p", len(DATA), Served(DATA)).path.read_bytes() == DATA


def test_a_download_that_never_moves_stops_and_says_how_to_resume(tmp_path):
    def dead(headers: dict[str, str]) -> requests.Response:
        raise requests.exceptions.ConnectionError("refused")
    with pytest.raises(AirliftError, match="stopped at byte 0") as refused:
        fetch(tmp_path / "b.tar", "/p", 10, lambda h: _unreachable(dead, h))
    assert "resumes from there" in (refused.value.hint or "")


def _unreachable(send, headers):  # type: ignore[no-untyped-def]
    from installer.hub_link.transport import HubUnreachable
    try:
        return send(headers)
    except requests.RequestException as e:
        raise HubUnreachable(str(e)) from None


def _tar(tmp_path: Path, altered: str | None = None) -> tuple[Path, str]:
    bundle = tiny_bundle("1.1.0")
    out = io.BytesIO()
    with tarfile.open(fileobj=io.BytesIO(bundle.tar)) as src, tarfile.open(fileobj=out, mode="w") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read() if member.isfile() else None  # type: ignore[union-attr]
            if data is not None and altered and member.name.endswith(altered):
                data = bytes([data[0] ^ 1]) + data[1:]
            dst.addfile(member, io.BytesIO(data) if data is not None else None)
    path = tmp_path / "hello-1.1.0.tar"
    path.write_bytes(out.getvalue())
    return path, hashlib.sha256(bundle.index_bytes).hexdigest()


def test_a_verified_bundle_is_unpacked_in_place(tmp_path):
    tar, index_sha256 = _tar(tmp_path)
    state = tmp_path / "state"
    bundle = unpack_verified(tar, tmp_path / "hello-1.1.0", index_sha256, state, False)
    assert bundle.version == "1.1.0" and (tmp_path / "hello-1.1.0" / "app.yaml").is_file()
    assert not tar.exists() and [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@pytest.mark.parametrize(("case", "said"), [
    ("tampered", "resources/page.html: sha256 is"),
    ("another index", "the hub announced"),
    ("unsigned on a pinned site", "is not signed, but this site trusts only bundles signed by key"),
])
def test_a_refused_download_leaves_nothing_behind(tmp_path, case, said):
    tar, index_sha256 = _tar(tmp_path, "page.html" if case == "tampered" else None)
    state = tmp_path / "state"
    if case == "another index":
        index_sha256 = "0" * 64
    if case == "unsigned on a pinned site":
        save_pin(state, PinnedKey(VendorKey(b"k" * 32), "hello 1.0.0"))
    with pytest.raises(AirliftError) as refused:
        unpack_verified(tar, tmp_path / "hello-1.1.0", index_sha256, state, False)
    assert "was refused and removed" in refused.value.message
    assert said in refused.value.render()
    assert sorted(p.name for p in tmp_path.iterdir()) == (["state"] if state.exists() else [])


def test_the_background_download_fetches_an_announced_update_once_and_says_a_failure(tmp_path, monkeypatch):
    from installer.hub_link import auto_download
    from installer.hub_link.link import locked
    from installer.statedir import StateDir

    said: list[tuple[str, str]] = []
    fetched: list[str] = []
    choice = choose(_plan(DIFF), False, False)
    monkeypatch.setattr(auto_download, "ask_plan", lambda state, interval: (None, choice))
    monkeypatch.setattr(auto_download, "download",
                        lambda state, signed, chosen, options: fetched.append(chosen.version) or
                        type("Done", (), {"folder": tmp_path / "hello-1.1.0"})())
    say = lambda status, message: said.append((status, message))  # noqa: E731
    auto_download.fetch_announced(tmp_path, 60, {"update": None}, say)
    assert fetched == [] and said == []
    auto_download.fetch_announced(tmp_path, 60, {"update": {"version": "1.1.0", "via": None}}, say)
    assert fetched == ["1.1.0"] and "ready to install: cd " in said[-1][1]
    (tmp_path / "hello-1.1.0").mkdir()
    with locked(StateDir(tmp_path)) as state:
        state["downloaded"] = {"version": "1.1.0", "folder": str(tmp_path / "hello-1.1.0")}
    auto_download.fetch_announced(tmp_path, 60, {"update": {"version": "1.1.0", "via": None}}, say)
    assert fetched == ["1.1.0"]  # not again

    def cut(*args: Any) -> None:
        raise AirliftError("Cannot reach the hub")
    monkeypatch.setattr(auto_download, "download", cut)
    auto_download.fetch_announced(tmp_path, 60, {"update": {"version": "1.2.0", "via": None}}, say)
    assert said[-1][0] == "warn" and "Cannot reach the hub" in said[-1][1]
