"""The support report's redaction: every kind of secret removed, counted by kind and file, and the
listing never holding a value; the manifest's `report.redact` patterns checked and applied."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml

from installer.host import Host
from installer.manifest import ManifestError, load_manifest
from installer.report.kube import mask_secret
from installer.report.redact import Redactor
from installer.report.secrets import known_secrets
from installer.statedir import StateDir
from tests.unit.test_manifest import BASE, write

KEY = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBvP0xq5pZ\nq1w2e3r4t5y6u7i8o9p0\n-----END EC PRIVATE KEY-----"
SHAPES = [
    ("private key", f"key:\n{KEY}\nafter", "MHcCAQEEIBvP0xq5pZ"),
    ("private key", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjE\n-----END OPENSSH PRIVATE KEY-----",
     "b3BlbnNzaC1rZXktdjE"),
    ("k3s token", "joining with K10" + "ab" * 32 + "::server:f00dfeedcafe1234 now", "f00dfeedcafe1234"),
    ("bearer token", "Authorization: Bearer eyJhbGciOiJFUzI1NiJ9.payload.sig", "eyJhbGciOiJFUzI1NiJ9"),
    ("URL credentials", "pulling https://airlift:Sup3rS3cret@10.0.0.1:5000/v2/", "Sup3rS3cret"),
    ("kubeconfig key data", "    client-key-data: LS0tLS1CRUdJTiBFQyBQUklWQVRFIEtFWS0t", "LS0tLS1CRUdJTiBFQyBQ"),
    ("password or token field", 'password=hunter2hunter', "hunter2hunter"),
    ("password or token field", '{"registry_password": "pa55word!x"}', "pa55word!x"),
    ("password or token field", "smtp-password: s3cr3t-value", "s3cr3t-value"),
    ("password or token field", "api_key = 0123abcd", "0123abcd"),
]


@pytest.mark.parametrize(("kind", "text", "secret"), SHAPES, ids=[f"{k}-{i}" for i, (k, _, _) in enumerate(SHAPES)])
def test_each_shape_of_secret_is_removed_and_counted(kind: str, text: str, secret: str) -> None:
    redactor = Redactor()
    out = redactor.text(text, "nodes/a/logs/x.log")
    assert secret not in out and f"[redacted: {kind}]" in out
    assert {"kind": kind, "file": "nodes/a/logs/x.log", "count": 1} in redactor.records()


@pytest.mark.parametrize("text", ["password: ask", "token_file: /var/lib/airlift/join-token", "secret: ***",
                                  "tokens were counted", "no-secret-here"])
def test_what_only_looks_like_a_field_stays(text: str) -> None:
    redactor = Redactor()
    assert redactor.text(text, "f") == text and redactor.records() == []


def test_known_values_are_removed_wherever_they_appear_and_named_by_kind() -> None:
    redactor = Redactor([("admin token", "a" * 48), ("join token", "b" * 48), ("registry password", "Zq9xPw2e"),
                         ("too short", "abc")])
    text = f"x{'a' * 48}y {'b' * 48} registry said Zq9xPw2e twice: Zq9xPw2e; abc stays"
    out = redactor.text(text, "state/events.jsonl")
    assert "a" * 48 not in out and "b" * 48 not in out and "Zq9xPw2e" not in out and "abc stays" in out
    counts = {r["kind"]: r["count"] for r in redactor.records()}
    assert counts == {"admin token": 1, "join token": 1, "registry password": 2}


def test_a_known_token_inside_a_k3s_token_takes_the_whole_token_with_it() -> None:
    password = "c0ffee" * 4
    redactor = Redactor([("k3s token", password)])
    out = redactor.text(f"K10{'12' * 32}::server:{password}", "f")
    assert password not in out and "::server" not in out


def test_vendor_patterns_are_applied() -> None:
    redactor = Redactor(vendor=[r"customer-\d{4}", r"licen[cs]e=\S+"])
    out = redactor.text("customer-1234 has license=ABC-DEF", "cluster/pods.yaml")
    assert out == "[redacted: vendor pattern] has [redacted: vendor pattern]"
    assert redactor.records() == [{"kind": "vendor pattern", "file": "cluster/pods.yaml", "count": 2}]


def test_the_listing_names_kinds_and_files_never_values() -> None:
    redactor = Redactor([("join token", "j" * 40)])
    redactor.text("token: " + "j" * 40, "nodes/n1/state/answers.yaml")
    redactor.note("Kubernetes Secret data", "cluster/", 3)
    listing = redactor.listing()
    assert "join token" in listing and "nodes/n1/state/answers.yaml" in listing and "Kubernetes Secret data" in listing
    assert "j" * 40 not in listing
    assert "Nothing was removed" in Redactor().listing()


def test_a_secrets_values_and_last_applied_copy_are_masked() -> None:
    secret = {"kind": "Secret", "data": {"password": "aHVudGVyMg=="}, "stringData": {"k": "v"},
              "metadata": {"annotations": {"kubectl.kubernetes.io/last-applied-configuration": '{"data": "x"}'}}}
    assert mask_secret(secret) == 3
    assert "aHVudGVyMg==" not in json.dumps(secret)
    assert mask_secret({"kind": "ConfigMap", "data": {"a": "b"}}) == 0


def test_known_secrets_are_read_from_the_state_and_k3s_files(tmp_path: Path) -> None:
    host, state = Host(tmp_path / "root"), tmp_path / "state"
    paths = StateDir(state)
    state.mkdir()
    paths.admin_token.write_text("admintoken0123456789\n")
    paths.join_token.write_text("jointoken0123456789\n")
    paths.registry_credentials.write_text(json.dumps({"username": "airlift", "password": "regpass0123"}))
    k3s = tmp_path / "root/etc/rancher/k3s"
    k3s.mkdir(parents=True)
    (k3s / "config.yaml").write_text(yaml.safe_dump({"token": "K10" + "ab" * 16 + "::server:k3spass0123"}))
    (k3s / "k3s.yaml").write_text(yaml.safe_dump({"users": [{"user": {"token": "kubetoken0123"}}]}))
    found = dict((v, k) for k, v in known_secrets(host, state))
    assert found["admintoken0123456789"] == "admin token" and found["jointoken0123456789"] == "join token"
    assert found["regpass0123"] == "registry password" and found["k3spass0123"] == "k3s token"
    assert found["kubetoken0123"] == "kubeconfig credential"


def test_the_manifest_takes_report_patterns(tmp_path: Path) -> None:
    doc = copy.deepcopy(BASE)
    doc["report"] = {"redact": [r"customer-\d+"]}
    assert load_manifest(write(tmp_path, doc)).report_redact == [r"customer-\d+"]


@pytest.mark.parametrize(("pattern", "expected"), [
    ("customer-(\\d+", 'report.redact[0]: "customer-(\\d+" is not a valid regular expression'),
    ("", "report.redact[0]: is empty"),
    ("x*", 'report.redact[0]: "x*" matches the empty text'),
])
def test_a_bad_report_pattern_is_named_with_its_path(tmp_path: Path, pattern: str, expected: str) -> None:
    doc = copy.deepcopy(BASE)
    doc["report"] = {"redact": [pattern]}
    with pytest.raises(ManifestError) as caught:
        load_manifest(write(tmp_path, doc))
    assert any(str(p).startswith(expected) for p in caught.value.problems), caught.value.problems


def test_an_unknown_report_field_is_refused(tmp_path: Path) -> None:
    doc = copy.deepcopy(BASE)
    doc["report"] = {"metrics": True}
    with pytest.raises(ManifestError) as caught:
        load_manifest(write(tmp_path, doc))
    assert any("report.metrics" in str(p) for p in caught.value.problems)


class _Services:
    def log_tail(self, name: str, lines: int = 15) -> str:
        return f"{name} started with token=plainsecret99" if name == "airlift-agent" else ""

    def log_where(self, name: str) -> str:
        return f"/var/log/airlift/{name}.log"


def test_a_nodes_agent_removes_its_secrets_before_its_files_leave_it(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from installer.node_agent.tasks import report
    from installer.report.archive import unpack_files

    state = tmp_path / "state"
    state.mkdir()
    StateDir(state).events.write_text('{"message": "joined with ' + "t" * 48 + '"}\n')
    ctx = SimpleNamespace(host=Host(tmp_path / "root"), services=_Services(), state_dir=state, token="t" * 48)
    answer = report(ctx, {"profile": "node", "redact": [r"node-\d+"]})  # type: ignore[arg-type]
    files = unpack_files(answer["files"])
    assert "state/events.jsonl" in files and "logs/airlift-agent.log" in files and "system/disk.json" in files
    everything = "".join(files.values())
    assert "t" * 48 not in everything and "plainsecret99" not in everything
    kinds = {(r["kind"], r["file"]) for r in answer["redactions"]}
    assert ("join token", "state/events.jsonl") in kinds and ("password or token field", "logs/airlift-agent.log") in kinds
