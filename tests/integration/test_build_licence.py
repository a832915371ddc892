"""hello built with `build.py --licence-key PUB` carries the licence key (listed in its index) and
installs only with a licence the key signed: `./install --cli` refuses a missing, forged, other
application's, expired or too small licence before anything changes; a good one installs, is kept
0600 and shown by `status --json`; `./install licence apply` replaces it after the same checks."""

from __future__ import annotations

import json
import stat

import pytest

from installer.bundle import Bundle
from installer.bundle.licence_key import LICENCE_KEY_NAME, licence_key
from installer.bundle.signature import load_public_key
from tests.fixtures.licence_fixtures import EXPIRED, LATER, forged_licence, licence_file
from tests.integration.installer_run import Target

pytestmark = pytest.mark.integration


def write(bundle, name: str, **changes) -> str:
    return str(licence_file(bundle, name, **changes))


def said(result) -> str:  # noqa: ANN001
    return " ".join((result.stdout + result.stderr).split())


def test_the_bundle_carries_the_licence_key_in_its_index(licensed_hello):
    bundle = Bundle.open(licensed_hello.dir)
    assert any(e.path == LICENCE_KEY_NAME for e in bundle.index.files)
    assert licence_key(bundle) == load_public_key(licensed_hello.public, "--licence-key")
    assert "required at install, signed by key SHA256:" in " ".join(licensed_hello.summary.split())


REFUSALS = {
    "none": (lambda b: [], "hello 1.0.0 installs only with a licence signed by the vendor's licence key"),
    "forged": (lambda b: ["--licence", str(forged_licence(b))], "the licence's signature does not match its contents"),
    "other application": (lambda b: ["--licence", write(b, "other", application="other")],
                          "its application is 'other', not 'hello'"),
    "expired": (lambda b: ["--licence", write(b, "expired", expires=EXPIRED)],
                "it expired on 2024-01-31"),
    "too few nodes": (lambda b: ["--licence", write(b, "small", max_nodes=1), "--flavor", "three"],
                      "its max_nodes allows 1 node(s), but the flavor three needs 3"),
    "bad file": (lambda b: ["--licence", str(b.public)], "is not a licence file Airlift can read"),
}


@pytest.mark.parametrize("case", REFUSALS)
def test_the_install_refuses_before_anything_changes(licensed_hello, tmp_path, case):
    extra, reason = REFUSALS[case]
    target = Target.make(licensed_hello.dir, tmp_path)
    target.root.mkdir()
    result = target.install(*extra(licensed_hello))
    assert result.returncode == 2, result.stdout + result.stderr
    assert reason in said(result) and "Traceback" not in said(result)
    assert not target.state.exists() and list(target.root.iterdir()) == []


@pytest.fixture(scope="module")
def installed(licensed_hello, tmp_path_factory):
    target = Target.installed(licensed_hello.dir, tmp_path_factory.mktemp("licensed-host"),
                              "--licence", write(licensed_hello, "good", max_nodes=2))
    yield target
    target.uninstall()


def status(target: Target) -> dict:
    return json.loads(target.run("status", "--json", *target.location()).stdout)


def test_the_accepted_licence_is_kept_and_shown(installed):
    kept = installed.state / "licence.json"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    shown = status(installed)["licence"]
    assert (shown["customer"], shown["nodes"], shown["max_nodes"], shown["expired"]) == ("Acme", 1, 2, False)
    assert shown["expires"] == LATER.isoformat()


def test_licence_apply_checks_then_replaces(licensed_hello, installed):
    before = (installed.state / "licence.json").read_bytes()
    for path, reason in ((str(forged_licence(licensed_hello)), "does not match its contents"),
                         (write(licensed_hello, "old", expires=EXPIRED), "it expired on 2024-01-31"),
                         (write(licensed_hello, "x", application="other"), "not 'hello'")):
        result = installed.run("licence", "apply", path, *installed.location())
        assert result.returncode == 2 and reason in said(result), result.stdout + result.stderr
        assert (installed.state / "licence.json").read_bytes() == before
    result = installed.run("licence", "apply", write(licensed_hello, "bigger", customer="Acme Ltd", max_nodes=5),
                           *installed.location())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Licence applied" in said(result) and "1 of 5 node(s) in use" in said(result)
    shown = status(installed)["licence"]
    assert (shown["customer"], shown["max_nodes"]) == ("Acme Ltd", 5)
    text = " ".join(installed.run("status", *installed.location()).stdout.split())
    assert "Acme Ltd: 1 of 5 node(s) in use, valid through" in text
