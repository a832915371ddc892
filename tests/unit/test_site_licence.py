"""The site's licence (installer/site_licence.py): kept 0600 and checked against the installed
version's licence key; a join beyond max_nodes refused by the cluster controller; an expired
licence refusing upgrades (one of installer/upgrade/refusals.py); `licence apply` refusing a
licence for fewer nodes than are installed; status saying when it expired."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import stat

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from installer import site_licence
from installer.bundle import Bundle, BundleError, Index, IndexEntry
from installer.bundle.licence_key import LICENCE_KEY_NAME, licence_key, licence_key_file
from installer.bundle.signature import public_key_of
from installer.cluster_service.controller import Controller
from installer.cluster_service.kept import keep_bundle
from installer.host import Host
from installer.licence import LicenceError, new_licence, sign_licence
from installer.statedir import StateDir
from installer.upgrade.installed import find_installed
from installer.upgrade.refusals import check_upgrade
from tests.unit.test_cluster_expand import installed_state
from tests.unit.upgrade_cases import V1, V2, install_state, make_bundle, write_index

KEY = Ed25519PrivateKey.generate()
OTHER = Ed25519PrivateKey.generate()
TODAY = site_licence.today()


def licence(key=KEY, application="hello", max_nodes=3, expires=TODAY + dt.timedelta(days=30)) -> bytes:
    return sign_licence(new_licence("Acme", application, max_nodes, expires, dt.datetime.now(dt.UTC)), key)


def licensed(bundle: Bundle, key=KEY) -> Bundle:
    """`bundle` rebuilt as if by build.py --licence-key: licence-key.json listed in its index."""
    (bundle.root / LICENCE_KEY_NAME).write_bytes(licence_key_file(public_key_of(key)))
    write_index(bundle.root, V1 if bundle.version == V1.version else V2)
    return Bundle.open(bundle.root)


def kept_key_only(state, key=KEY) -> None:
    """A kept bundle part holding only the licence key, as /cluster-service keeps it."""
    data = licence_key_file(public_key_of(key))
    folder = StateDir(state).bundle
    folder.mkdir(parents=True, exist_ok=True)
    (folder / LICENCE_KEY_NAME).write_bytes(data)
    entry = IndexEntry(LICENCE_KEY_NAME, len(data), hashlib.sha256(data).hexdigest(), 0o644)
    (folder / "index.json").write_bytes(Index("hello", "1.0.0", "0.1.0", (entry,)).to_json())


@pytest.fixture
def site(tmp_path):
    """hello 1.0.0 built with a licence key, installed on one node with a licence for 3 nodes."""
    v1 = licensed(make_bundle(tmp_path / "hello-1.0.0", V1))
    paths = install_state(tmp_path / "state", v1)
    keep_bundle(v1, paths.root)
    site_licence.save(paths.root, licence())
    return v1, paths


def test_the_licence_key_is_kept_with_the_bundle_and_checked_against_the_index(site):
    v1, paths = site
    assert licence_key(Bundle.open(paths.bundle)) == public_key_of(KEY)
    assert stat.S_IMODE(paths.licence.stat().st_mode) == 0o600
    (v1.root / LICENCE_KEY_NAME).write_bytes(licence_key_file(public_key_of(OTHER)))
    with pytest.raises(BundleError) as refused:
        licence_key(v1)
    assert refused.value.problems == [f"{LICENCE_KEY_NAME}: does not match its sha256 in index.json"]


def test_a_hand_edited_kept_licence_grants_nothing(site):
    _, paths = site
    doc = json.loads(paths.licence.read_bytes())
    doc["licence"]["max_nodes"] = 99
    paths.licence.write_text(json.dumps(doc))
    with pytest.raises(LicenceError, match="signature does not match"):
        site_licence.site_licence(paths.root)
    assert "signature does not match" in site_licence.status(paths.root, 1)["error"]


def test_a_join_beyond_max_nodes_is_refused_naming_the_licence(tmp_path):
    state = installed_state(tmp_path)
    kept_key_only(state)
    site_licence.save(state, licence(max_nodes=1))
    controller = Controller(state, Host(tmp_path / "root"))
    with pytest.raises(LicenceError) as refused:
        controller.profile_for("worker")
    assert "Adding this node would make 2 nodes, but the licence of hello (Acme" in refused.value.message
    assert "allows 1 (its max_nodes)" in refused.value.message and "licence apply" in refused.value.hint
    site_licence.save(state, licence(max_nodes=2))
    assert controller.profile_for("worker") == "worker"


def test_an_expired_licence_refuses_the_upgrade(site, tmp_path):
    _, paths = site
    site_licence.save(paths.root, licence(expires=TODAY - dt.timedelta(days=1)))
    v2 = licensed(make_bundle(tmp_path / "hello-1.1.0", V2))
    with pytest.raises(LicenceError) as refused:
        check_upgrade(v2, find_installed(paths.root))
    assert f"expired on {(TODAY - dt.timedelta(days=1)).isoformat()}, so no upgrade is installed" in refused.value.message
    assert "keeps running" in refused.value.message and "--licence FILE" in refused.value.hint
    check_upgrade(v2, find_installed(paths.root), licence=(licence(), "new.json"))  # a new one given with it


def test_a_valid_licence_lets_the_upgrade_through(site, tmp_path):
    _, paths = site
    check_upgrade(licensed(make_bundle(tmp_path / "hello-1.1.0", V2)), find_installed(paths.root))


def test_a_version_that_requires_a_licence_needs_one_its_key_signed(tmp_path):
    v1 = make_bundle(tmp_path / "hello-1.0.0", V1)
    paths = install_state(tmp_path / "state", v1)
    v2 = licensed(make_bundle(tmp_path / "hello-1.1.0", V2), OTHER)
    with pytest.raises(LicenceError, match="hello 1.1.0 installs only with a licence, and this site has none"):
        check_upgrade(v2, find_installed(paths.root))
    with pytest.raises(LicenceError, match="not by the licence key"):
        check_upgrade(v2, find_installed(paths.root), licence=(licence(KEY), "new.json"))
    check_upgrade(v2, find_installed(paths.root), licence=(licence(OTHER), "new.json"))


@pytest.mark.parametrize(("data", "reason"), [
    (lambda: licence(max_nodes=2), "its max_nodes allows 2 node(s), but the cluster installed here needs 3"),
    (lambda: licence(expires=TODAY - dt.timedelta(days=3)), "it expired on"),
    (lambda: licence(application="other"), "its application is 'other', not 'hello'"),
    (lambda: licence(OTHER), "not by the licence key"),
    (lambda: b"{}", "is not a licence file Airlift can read"),
])
def test_apply_refuses_what_the_install_would_and_keeps_the_old_licence(tmp_path, data, reason):
    v1 = licensed(make_bundle(tmp_path / "hello-1.0.0", V1))
    paths = install_state(tmp_path / "state", v1, joined=("node-2", "node-3"))
    keep_bundle(v1, paths.root)
    site_licence.save(paths.root, before := licence())
    with pytest.raises(LicenceError) as refused:
        site_licence.apply(paths.root, data(), "new.json", "hello", 3)
    assert reason in refused.value.message
    assert paths.licence.read_bytes() == before


def test_apply_replaces_the_licence_and_status_shows_it(site):
    _, paths = site
    expired = licence(max_nodes=5, expires=TODAY - dt.timedelta(days=1))
    site_licence.save(paths.root, expired)
    view = site_licence.status(paths.root, 1)
    assert view["expired"] is True and view["max_nodes"] == 5 and view["customer"] == "Acme"
    applied = site_licence.apply(paths.root, licence(max_nodes=4), "new.json", "hello", 1)
    assert applied.max_nodes == 4
    view = site_licence.status(paths.root, 1)
    assert (view["expired"], view["nodes"], view["max_nodes"]) == (False, 1, 4)


def test_a_site_without_a_licence_key_takes_no_licence(tmp_path):
    v1 = make_bundle(tmp_path / "hello-1.0.0", V1)
    paths = install_state(tmp_path / "state", v1)
    assert site_licence.status(paths.root, 1) is None
    with pytest.raises(Exception, match="built without a licence key"):
        site_licence.apply(paths.root, licence(), "new.json", "hello", 1)
