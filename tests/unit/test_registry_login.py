"""Where the build finds a registry's credentials: the command line, then the Docker config."""

from __future__ import annotations

import argparse
import base64
import json
from pathlib import Path

import pytest
from airlift_build.registry_login import (
    DOCKER_HUB_KEY,
    Credentials,
    CredentialStore,
    add_login_arguments,
    registry_credentials,
    server_key,
)

from installer.errors import AirliftError


def parse(*argv: str) -> argparse.Namespace:
    p = argparse.ArgumentParser()
    add_login_arguments(p)
    return p.parse_args(argv)


def store(tmp_path: Path, config: dict, explicit: dict | None = None) -> CredentialStore:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    return CredentialStore(explicit or {}, path)


def test_docker_hub_is_keyed_by_its_v1_url_and_others_bare() -> None:
    for name in ("docker.io", "registry-1.docker.io", "https://index.docker.io/v1/"):
        assert server_key(name) == DOCKER_HUB_KEY
    assert server_key("https://reg.example.com:5000") == "reg.example.com:5000"


def test_auths_in_either_form_are_decoded(tmp_path: Path) -> None:
    auth = base64.b64encode(b"me:pa:ss").decode()
    creds = store(tmp_path, {"auths": {"https://reg.example.com": {"auth": auth},
                                       "https://index.docker.io/v1/": {"auth": auth}}})
    assert creds.lookup("reg.example.com") == Credentials("me", "pa:ss")
    assert creds.lookup("docker.io") == Credentials("me", "pa:ss")
    assert creds.lookup("other.example.com") is None


def test_the_command_line_wins_over_the_docker_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    monkeypatch.setenv("AIRLIFT_REGISTRY_PASSWORD", "from-env")
    (tmp_path / "config.json").write_text(json.dumps(
        {"auths": {"reg.example.com": {"auth": base64.b64encode(b"old:old").decode()}}}))
    creds = registry_credentials(parse("--registry-login", "reg.example.com", "--registry-username", "new"))
    assert creds.lookup("reg.example.com") == Credentials("new", "from-env")


def test_a_username_without_a_password_or_a_registry_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AIRLIFT_REGISTRY_PASSWORD", raising=False)
    with pytest.raises(AirliftError, match="No password for me at reg.example.com"):
        registry_credentials(parse("--registry-login", "reg.example.com", "--registry-username", "me"))
    with pytest.raises(AirliftError, match="go together"):
        registry_credentials(parse("--registry-username", "me"))


def test_passwords_never_show_in_a_repr() -> None:
    assert "s3cret" not in repr(Credentials("me", "s3cret"))


def test_a_broken_auth_entry_names_the_registry(tmp_path: Path) -> None:
    with pytest.raises(AirliftError, match="reg.example.com"):
        store(tmp_path, {"auths": {"reg.example.com": {"auth": "not base64!"}}}).lookup("reg.example.com")
