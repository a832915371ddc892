"""`python -m hub migrate | user add | token create`, and what `serve` checks before it listens."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import migrate
from hub.cli import main
from hub.db import make_engine
from hub.models import ApiToken, User
from hub.passwords import check_password
from hub.server import ServeOptions, certificate, parse_listen, ready_database
from hub.tokens import check_token
from installer.bundle.signature import load_public_key
from installer.errors import AirliftError
from installer.licence import read_licence


def _hub(args: list[str], url: str, tmp_path) -> list[str]:  # type: ignore[no-untyped-def]
    extra = [] if url.startswith("sqlite") else ["--database", url]
    return [*args, "--data", str(tmp_path / "data"), *extra]


def test_user_add_reads_the_password_from_stdin_and_keeps_its_hash(hub_database_url, tmp_path, monkeypatch, capsys):
    url = hub_database_url if not hub_database_url.startswith("sqlite") else f"sqlite:///{tmp_path / 'data' / 'hub.sqlite3'}"
    monkeypatch.setattr("sys.stdin", io.StringIO("a long passphrase\n"))
    assert main(_hub(["user", "add", "alice"], hub_database_url, tmp_path)) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(_hub(["user", "add", "bob"], hub_database_url, tmp_path)) == 2
    monkeypatch.setattr("sys.stdin", io.StringIO("another long one\n"))
    assert main(_hub(["user", "add", "alice"], hub_database_url, tmp_path)) == 2
    assert "already exists" in capsys.readouterr().err
    engine = make_engine(url)
    with Session(engine) as db:
        users = db.scalars(select(User)).all()
        assert [u.name for u in users] == ["alice"]
        assert check_password("a long passphrase", users[0].password_hash)
    engine.dispose()


def test_token_create_shows_the_token_once(hub_database_url, tmp_path, capsys):
    url = hub_database_url if not hub_database_url.startswith("sqlite") else f"sqlite:///{tmp_path / 'data' / 'hub.sqlite3'}"
    assert main(_hub(["token", "create", "--scope", "enroll", "--expires", "2h"], hub_database_url, tmp_path)) == 0
    token = capsys.readouterr().out.strip().splitlines()[-1]
    assert main(_hub(["token", "create", "--scope", "publish", "--expires", "soon"], hub_database_url, tmp_path)) == 2
    engine = make_engine(url)
    with Session(engine) as db:
        assert check_token(db, token, "enroll")
        assert token not in str([r.secret_hash for r in db.scalars(select(ApiToken))])
    engine.dispose()


def test_serve_migrates_its_own_sqlite_but_not_a_shared_database(hub_database_url):
    if hub_database_url.startswith("sqlite"):
        ready_database(hub_database_url)
        engine = make_engine(hub_database_url)
        assert migrate.current(engine) == migrate.head()
        engine.dispose()
        return
    with pytest.raises(AirliftError, match="not at the hub's schema") as e:
        ready_database(hub_database_url)
    assert e.value.hint is not None and "python -m hub migrate" in e.value.hint


def test_the_self_signed_certificate_is_kept_across_starts(tmp_path):
    options = ServeOptions(tmp_path, "sqlite://", "127.0.0.1", 8443)
    first = certificate(options)
    assert certificate(options).fingerprint == first.fingerprint
    given = certificate(ServeOptions(tmp_path, "sqlite://", "127.0.0.1", 8443, first.cert_path, first.key_path))
    assert given.fingerprint == first.fingerprint
    with pytest.raises(AirliftError, match="go together"):
        certificate(ServeOptions(tmp_path, "sqlite://", "127.0.0.1", 8443, first.cert_path))


def test_listen_addresses():
    assert parse_listen("0.0.0.0:9443") == ("0.0.0.0", 9443)
    assert parse_listen("[::1]:9443") == ("::1", 9443)
    assert parse_listen("10.0.0.5") == ("10.0.0.5", 8443)
    with pytest.raises(AirliftError):
        parse_listen("10.0.0.5:http")


@pytest.mark.parametrize("seconds", ["0", "abc", "7200"])
def test_serve_refuses_a_client_timeout_out_of_range_before_it_listens(tmp_path, capsys, seconds):
    with pytest.raises(SystemExit) as refused:
        main(["serve", "--data", str(tmp_path / "data"), "--client-timeout", seconds])
    assert refused.value.code == 2
    assert f"--client-timeout: '{seconds}' is not a number of seconds from 1 to 3600" in capsys.readouterr().err
    assert not (tmp_path / "data").exists()


def test_licence_keygen_then_issue_writes_a_licence_the_site_reads_with_the_public_half(tmp_path, capsys):
    key = tmp_path / "licence-key"
    assert main(["licence", "keygen", "-o", str(key)]) == 0
    out = tmp_path / "acme.lic"
    assert main(["licence", "issue", "--key", str(key), "--customer", "ACME", "--application", "hello",
                 "--max-nodes", "3", "--expires", "2027-12-31", "--features", "sso, audit", "-o", str(out)]) == 0
    assert f"./install licence apply {out}" in capsys.readouterr().out
    public = load_public_key(key.with_name(key.name + ".pub"), "--licence-key")
    licence = read_licence(out.read_bytes(), str(out), public)
    assert (licence.customer, licence.application, licence.max_nodes, licence.features) == (
        "ACME", "hello", 3, ("sso", "audit"))
    assert main(["licence", "issue", "--key", str(key), "--customer", "ACME", "--application", "hello",
                 "--max-nodes", "3", "--expires", "2027-12-31", "-o", str(out)]) == 2  # never overwrites
    assert main(["licence", "issue", "--key", str(key), "--customer", "ACME", "--application", "hello",
                 "--max-nodes", "0", "--expires", "2027-12-31", "-o", str(tmp_path / "zero.lic")]) == 2
    assert "--max-nodes 0" in capsys.readouterr().err and not (tmp_path / "zero.lic").exists()
