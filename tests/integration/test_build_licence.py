"""hello built with `build.py --licence-key PUB` carries the licence key (listed in its index) and
installs only with a licence the key signed: `./install --cli` refuses a missing, forged, other
application's, expired or too small licence before anything changes; a good one installs, is kept
0600 and shown by `status --json`; `./install licence apply` replaces it after the same checks."""

from __future__ import annotations

import datetime as dt
import json
import stat

import pytest

from hub.licences import issue_licence, make_licence_key
from installer.bundle import Bundle, safe_extract
from installer.bundle.licence_key import LICENCE_KEY_NAME, licence_key
from installer.bundle.signature import load_public_key
from tests.fixtures.build_fixtures import HELLO, make_hello_images, run_build
from tests.integration.installer_run import Target

pytestmark = pytest.mark.integration
LATER = dt.date.today() + dt.timedelta(days=30)


@pytest.fixture(scope="module")
def built(tmp_path_factory, frozen_k3s_standin):
    tmp = tmp_path_factory.mktemp("licensed")
    private, public, _ = make_licence_key(tmp / "licence.key")
    result = run_build(HELLO / "app.yaml", "-o", tmp / "hello.tar", "--k3s", frozen_k3s_standin, "--no-k3s-images",
                       "--source", f"oci:{make_hello_images()}", "--licence-key", public)
    assert result.returncode == 0, result.stderr
    safe_extract(tmp / "hello.tar", tmp / "unpacked")
    return {"dir": tmp / "unpacked" / "hello-1.0.0", "key": private, "public": public, "tmp": tmp,
            "summary": result.stderr + result.stdout}


def write(built, name: str, **changes) -> str:
    fields = {"customer": "Acme", "application": "hello", "max_nodes": 3, "expires": LATER} | changes
    path = built["tmp"] / f"{name}.json"
    path.write_bytes(issue_licence(built["key"], **fields))
    return str(path)


def said(result) -> str:  # noqa: ANN001
    return " ".join((result.stdout + result.stderr).split())


def test_the_bundle_carries_the_licence_key_in_its_index(built):
    bundle = Bundle.open(built["dir"])
    assert any(e.path == LICENCE_KEY_NAME for e in bundle.index.files)
    assert licence_key(bundle) == load_public_key(built["public"], "--licence-key")
    assert "required at install, signed by key SHA256:" in " ".join(built["summary"].split())


def forged(built) -> str:
    path = built["tmp"] / "forged.json"
    doc = json.loads(issue_licence(built["key"], "Acme", "hello", 1, LATER))
    doc["licence"]["max_nodes"] = 50
    path.write_text(json.dumps(doc))
    return str(path)


REFUSALS = {
    "none": (lambda b: [], "hello 1.0.0 installs only with a licence signed by the vendor's licence key"),
    "forged": (lambda b: ["--licence", forged(b)], "the licence's signature does not match its contents"),
    "other application": (lambda b: ["--licence", write(b, "other", application="other")],
                          "its application is 'other', not 'hello'"),
    "expired": (lambda b: ["--licence", write(b, "expired", expires=dt.date(2024, 1, 31))],
                "it expired on 2024-01-31"),
    "too few nodes": (lambda b: ["--licence", write(b, "small", max_nodes=1), "--flavor", "three"],
                      "its max_nodes allows 1 node(s), but the flavor three needs 3"),
    "bad file": (lambda b: ["--licence", str(b["public"])], "is not a licence file Airlift can read"),
}


@pytest.mark.parametrize("case", REFUSALS)
def test_the_install_refuses_before_anything_changes(built, tmp_path, case):
    extra, reason = REFUSALS[case]
    target = Target.make(built["dir"], tmp_path)
    target.root.mkdir()
    result = target.install(*extra(built))
    assert result.returncode == 2, result.stdout + result.stderr
    assert reason in said(result) and "Traceback" not in said(result)
    assert not target.state.exists() and list(target.root.iterdir()) == []


@pytest.fixture(scope="module")
def installed(built, tmp_path_factory):
    target = Target.installed(built["dir"], tmp_path_factory.mktemp("licensed-host"),
                              "--licence", write(built, "good", max_nodes=2))
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


def test_licence_apply_checks_then_replaces(built, installed):
    before = (installed.state / "licence.json").read_bytes()
    for path, reason in ((forged(built), "does not match its contents"),
                         (write(built, "old", expires=dt.date(2024, 1, 31)), "it expired on 2024-01-31"),
                         (write(built, "x", application="other"), "not 'hello'")):
        result = installed.run("licence", "apply", path, *installed.location())
        assert result.returncode == 2 and reason in said(result), result.stdout + result.stderr
        assert (installed.state / "licence.json").read_bytes() == before
    result = installed.run("licence", "apply", write(built, "bigger", customer="Acme Ltd", max_nodes=5),
                           *installed.location())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Licence applied" in said(result) and "1 of 5 node(s) in use" in said(result)
    shown = status(installed)["licence"]
    assert (shown["customer"], shown["max_nodes"]) == ("Acme Ltd", 5)
    text = " ".join(installed.run("status", *installed.location()).stdout.split())
    assert "Acme Ltd: 1 of 5 node(s) in use, valid through" in text
