"""The site's support grant: --ttl and --allow parsing, TTL expiry, closing for good, the status
line, and the loop's backoff and refusal to dial without an open grant."""

from __future__ import annotations

import datetime

import pytest

from installer.errors import AirliftError
from installer.statedir import StateDir
from installer.support.grant import (
    close_grant,
    open_grant,
    parse_allow,
    parse_ttl,
    read_grant,
    status_line,
    support_status,
)
from installer.support.loop import BACKOFF_CAP_S, SupportLoop, backoff

TARGETS = {"panel": "127.0.0.1:32009", "kube": "127.0.0.1:6443", "ssh": "127.0.0.1:22"}


def test_ttl_and_allow_are_parsed_and_bounded():
    assert parse_ttl("4h") == 14400 and parse_ttl("30m") == 1800 and parse_ttl("1d") == 86400
    for bad in ("4", "0m", "8d", "4 hours"):
        with pytest.raises(AirliftError):
            parse_ttl(bad)
    assert parse_allow("panel,kube,panel") == ["panel", "kube"]
    for bad in ("", "panel,shell", "docker"):
        with pytest.raises(AirliftError):
            parse_allow(bad)


def test_a_grant_holds_its_targets_until_its_ttl(tmp_path):
    paths = StateDir(tmp_path)
    now = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    grant = open_grant(paths, ["panel"], 3600, TARGETS, "alice", now)
    assert grant.targets == {"panel": "127.0.0.1:32009"}  # only what was allowed
    assert grant.active(now + datetime.timedelta(minutes=59))
    assert not grant.active(now + datetime.timedelta(minutes=60))
    assert "support" in paths.events.read_text() and "alice" in paths.events.read_text()


def test_closing_is_for_good_and_status_says_so(tmp_path):
    paths = StateDir(tmp_path)
    assert support_status(paths) is None
    open_grant(paths, ["panel", "kube"], 3600, TARGETS, "alice")
    assert "support session open until" in (status_line(support_status(paths)) or "")
    assert close_grant(paths, "closed by alice") is not None
    assert close_grant(paths, "again") is None
    grant = read_grant(paths)
    assert grant is not None and not grant.active()
    assert status_line(support_status(paths)) == "support session closed (closed by alice)"


def test_the_loop_dials_nothing_without_an_open_grant(tmp_path, monkeypatch):
    dialed = []
    monkeypatch.setattr("installer.support.loop.tunnel_mod.request_session", lambda *a: dialed.append(a))
    loop = SupportLoop(tmp_path)
    loop.turn()
    open_grant(StateDir(tmp_path), ["panel"], 3600, TARGETS, "alice")
    loop.turn()  # no hub link: the grant is closed, nothing dialed
    assert not dialed and read_grant(StateDir(tmp_path)).closed_by == "the site is no longer linked with the hub"


def test_backoff_doubles_up_to_a_cap():
    assert [backoff(n) for n in (1, 2, 3, 4)] == [1, 2, 4, 8]
    assert backoff(50) == BACKOFF_CAP_S


def test_the_cluster_ca_is_read_from_the_sites_kubeconfig_and_a_missing_one_is_said(tmp_path):
    import base64

    from installer.host import Host
    from installer.support.cluster_ca import cluster_ca
    from installer.tls import ensure_self_signed
    root = tmp_path / "root"
    with pytest.raises(AirliftError, match="cannot be read from .*k3s.yaml"):
        cluster_ca(Host(root))
    pem = ensure_self_signed(tmp_path / "ca.crt", tmp_path / "ca.key", "127.0.0.1", "k3s").cert_path.read_bytes()
    kubeconfig = root / "etc" / "rancher" / "k3s" / "k3s.yaml"
    kubeconfig.parent.mkdir(parents=True)
    kubeconfig.write_text("clusters:\n- name: default\n  cluster:\n    server: https://127.0.0.1:6443\n"
                          f"    certificate-authority-data: {base64.b64encode(pem).decode()}\n")
    assert cluster_ca(Host(root)) == pem.decode()
    paths = StateDir(tmp_path / "state")
    open_grant(paths, ["kube"], 600, TARGETS, "test", kube_ca=pem.decode())
    assert read_grant(paths).kube_ca == pem.decode()


def test_ssh_is_expanded_to_the_joined_nodes_and_an_unknown_node_is_refused(tmp_path):
    import json

    from installer.support.node_ssh import expand
    paths = StateDir(tmp_path / "state")
    paths.root.mkdir(parents=True)
    assert parse_allow("panel,ssh:node-2") == ["panel", "ssh:node-2"]
    with pytest.raises(AirliftError, match="ssh:NODE"):
        parse_allow("ssh:../etc")
    with pytest.raises(AirliftError, match="no node has joined"):
        expand(paths, ["ssh"])
    paths.nodes.write_text(json.dumps([{"name": "node-1", "address": "10.0.0.5"},
                                       {"name": "node-2", "address": "10.0.0.6"}]))
    assert expand(paths, ["panel", "ssh"]) == (["panel", "ssh:node-1", "ssh:node-2"],
                                               {"ssh:node-1": "10.0.0.5:22", "ssh:node-2": "10.0.0.6:22"})
    assert expand(paths, ["ssh:node-2"]) == (["ssh:node-2"], {"ssh:node-2": "10.0.0.6:22"})
    with pytest.raises(AirliftError, match="no node node-9") as refused:
        expand(paths, ["ssh:node-9"])
    assert refused.value.hint == "nodes: node-1, node-2"


def test_the_panel_is_reached_on_the_advertise_address_it_listens_on():
    from installer.support.grant import default_targets
    assert default_targets(32009, 6443, "10.0.0.5") == {"panel": "10.0.0.5:32009", "kube": "127.0.0.1:6443"}
    assert default_targets(32009, 6443, "fd00::5")["panel"] == "[fd00::5]:32009"
