"""Remote-support sessions on the hub: opened only by the enrolled site's signed document, with
what it allowed and within the TTL bounds; refusals (no SSH endpoint, unknown services, a
replay, another site's route); close, TTL and disconnection end a session; roles."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import support
from hub.models import AuditEvent, SupportSession
from hub.roles import NotAllowed, may, require
from tests.unit.hub.sites_helpers import FakeSite
from tests.unit.hub.test_sites import _token

SSH = {"port": 2222, "host_key": "ssh-ed25519 AAAA", "fingerprint": "SHA256:x"}


@pytest.fixture
def site(client, hub_engine) -> FakeSite:  # type: ignore[no-untyped-def]
    client.application.config["SSH_ENDPOINT"] = SSH
    s = FakeSite()
    assert s.enroll(client, _token(hub_engine)).status_code == 201
    return s


def _open(client, site: FakeSite, **extra):  # type: ignore[no-untyped-def]
    body = site.sealed("support-open", **({"allow": ["panel", "kube"], "ttl_s": 3600} | extra))
    return client.post(f"/api/v1/sites/{site.id}/support", data=body)


def test_a_site_opens_a_session_with_loopback_ports_for_what_it_allowed(client, hub_engine, site):
    answer = _open(client, site)
    assert answer.status_code == 201, answer.json
    assert set(answer.json["forwards"]) == {"panel", "kube"} and answer.json["ssh"] == SSH
    with Session(hub_engine) as db:
        assert support.open_for_site(db, site.id) is not None
        assert [a.action for a in db.scalars(select(AuditEvent))] == ["open"]


@pytest.mark.parametrize("extra, says", [({"allow": ["panel", "shell"]}, "name one or more"),
                                         ({"allow": []}, "name one or more"),
                                         ({"ttl_s": 10}, "lasts 60 s"), ({"ttl_s": 30 * 86400}, "lasts 60 s")])
def test_unknown_services_and_ttls_out_of_bounds_are_refused(client, site, extra, says):
    answer = _open(client, site, **extra)
    assert answer.status_code == 400 and says in answer.json["error"]


def test_another_sites_route_a_replay_and_a_hub_without_ssh_are_refused(client, hub_engine, site):
    other = FakeSite()
    other.enroll(client, _token(hub_engine))
    body = other.sealed("support-open", allow=["panel"], ttl_s=600)
    assert client.post(f"/api/v1/sites/{site.id}/support", data=body).status_code == 400
    body = site.sealed("support-open", allow=["panel"], ttl_s=600)
    assert client.post(f"/api/v1/sites/{site.id}/support", data=body).status_code == 201
    assert client.post(f"/api/v1/sites/{site.id}/support", data=body).status_code == 409
    client.application.config["SSH_ENDPOINT"] = None
    assert _open(client, site).status_code == 503


def test_a_new_session_replaces_the_open_one_and_close_ends_it(client, hub_engine, site):
    first = _open(client, site).json["session"]
    second = _open(client, site).json["session"]
    with Session(hub_engine) as db:
        assert support.usable(db, first) is None and support.usable(db, second) is not None
    closed = client.post(f"/api/v1/sites/{site.id}/support/close", data=site.sealed("support-close"))
    assert closed.json == {"closed": 1}
    with Session(hub_engine) as db:
        assert support.usable(db, second) is None


def test_the_ttl_and_a_disconnection_end_a_session(client, hub_engine, site):
    session_id = _open(client, site, ttl_s=60).json["session"]
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=61)
    with Session(hub_engine) as db:
        assert support.usable(db, session_id, later) is None
        assert support.expire_due(db, later) == [session_id]
        assert db.get(SupportSession, session_id).closed_by == "its time ran out"
    again = _open(client, site).json["session"]
    assert client.post(f"/api/v1/sites/{site.id}/disconnect", data=site.sealed("disconnect")).status_code == 200
    with Session(hub_engine) as db:
        assert support.usable(db, again) is None
        assert db.get(SupportSession, again).closed_by == "the site disconnected from the hub"


def test_a_viewer_may_not_reach_into_a_site():
    assert not may("viewer", "support") and may("operator", "support") and may("admin", "support")
    assert not may(None, "support") and not may("root", "support")
    with pytest.raises(NotAllowed, match="viewer and may not get a kubeconfig"):
        require("vic", "viewer", "support", "get a kubeconfig")


def _pem(tmp_path) -> str:  # type: ignore[no-untyped-def]
    from installer.tls import ensure_self_signed
    return ensure_self_signed(tmp_path / "ca.crt", tmp_path / "ca.key", "127.0.0.1", "cluster").cert_path.read_text()


def test_the_kubeconfig_checks_the_apis_certificate_against_the_cluster_ca_the_site_sent(client, hub_engine, site,
                                                                                         tmp_path):
    import base64

    import yaml

    from hub.support_cli import kubeconfig
    from installer.errors import AirliftError
    assert _open(client, site, kube_ca="not a certificate").status_code == 400
    pem = _pem(tmp_path)
    session_id = _open(client, site, kube_ca=pem).json["session"]
    with Session(hub_engine) as db:
        session = db.get(SupportSession, session_id)
        cluster = yaml.safe_load(kubeconfig(session, 4443))["clusters"][0]["cluster"]
        assert base64.b64decode(cluster["certificate-authority-data"]).decode() == pem
        assert "insecure-skip-tls-verify" not in cluster
    without = _open(client, site).json["session"]
    with Session(hub_engine) as db, pytest.raises(AirliftError, match="carries no cluster CA"):
        kubeconfig(db.get(SupportSession, without), 4443)


def test_ssh_to_a_node_needs_the_host_key_the_site_saw(client, hub_engine, site):
    import asyncssh

    from hub.support_cli import key_fingerprint, ssh_command
    key = asyncssh.generate_private_key("ssh-ed25519").export_public_key("openssh").decode().strip()
    assert _open(client, site, allow=["ssh"]).status_code == 400  # the site names its nodes
    assert _open(client, site, allow=["ssh:node-1"]).status_code == 400
    assert _open(client, site, allow=["ssh:node-1"], host_keys={"ssh:node-1": "ssh-ed25519 garbage"}).status_code == 400
    assert _open(client, site, allow=["ssh:../x"], host_keys={"ssh:../x": key}).status_code == 400
    opened = _open(client, site, allow=["ssh:node-1"], host_keys={"ssh:node-1": key, "ssh:node-2": key})
    assert opened.status_code == 201 and set(opened.json["forwards"]) == {"ssh:node-1"}
    with Session(hub_engine) as db:
        assert support.host_keys_of(db.get(SupportSession, opened.json["session"])) == {"ssh:node-1": key}
    assert key_fingerprint(key).startswith("SHA256:")
    command = ssh_command("ssh", Path("/k"), 4022, "root")
    assert "StrictHostKeyChecking=yes" in command and "UserKnownHostsFile=/k" in command
