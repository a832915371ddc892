"""Where `join` takes its token from, and the command line it restarts with: never the token."""

import os

import pytest

from installer.cli.join_token import TOKEN_ENV, argv_without_token, join_token
from installer.cli.parser import build_parser
from installer.errors import AirliftError


def test_the_restart_command_line_drops_the_token_and_keeps_the_rest():
    argv = ["join", "10.0.0.1", "--token", "T0k", "--fingerprint", "AB", "--role", "worker"]
    assert argv_without_token(argv, "T0k") == ["join", "10.0.0.1", "--fingerprint", "AB", "--role", "worker"]
    assert argv_without_token(["join", "10.0.0.1", "--token=T0k", "--role", "T0k"], "T0k") == \
        ["join", "10.0.0.1", "--role", "T0k"]


def test_a_token_file_wins_over_the_environment_which_is_then_emptied(tmp_path, monkeypatch):
    monkeypatch.setenv(TOKEN_ENV, "from-env")
    (tmp_path / "t").write_text("from-file\n")
    assert join_token(str(tmp_path / "t")) == "from-file"
    assert TOKEN_ENV not in os.environ  # the agent's children do not inherit it
    monkeypatch.setenv(TOKEN_ENV, " from-env\n")
    assert join_token(None) == "from-env"


def test_no_token_or_an_unreadable_file_is_named(tmp_path, monkeypatch):
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    with pytest.raises(AirliftError, match="No join token") as err:
        join_token(None)
    assert "--token-file" in (err.value.hint or "") and TOKEN_ENV in (err.value.hint or "")
    with pytest.raises(AirliftError, match=f"Cannot read the join token file {tmp_path}/nope"):
        join_token(str(tmp_path / "nope"))
    (tmp_path / "empty").write_text("\n")
    with pytest.raises(AirliftError, match="is empty"):
        join_token(str(tmp_path / "empty"))


def test_token_and_token_file_exclude_each_other(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["join", "10.0.0.1", "--token", "T", "--token-file", "/f"])
    assert "not allowed with argument" in capsys.readouterr().err
    assert "AIRLIFT_JOIN_TOKEN" in build_parser()._subparsers._group_actions[0].choices["join"].format_help()


def test_a_new_token_parses_as_the_value_of_token(tmp_path):
    from installer.agent_hub.token import load_or_create

    token = load_or_create(tmp_path)
    assert len(token) >= 40 and not token.startswith("-")  # a leading "-" reads as an option
    assert all(c in "0123456789abcdef" for c in token)
    assert build_parser().parse_args(["join", "10.0.0.1", "--token", token]).token == token
    assert load_or_create(tmp_path) == token and (tmp_path / "join-token").stat().st_mode & 0o777 == 0o600


def test_the_admin_token_is_its_own_secret_kept_0600(tmp_path):
    from installer.agent_hub.token import load_or_create, load_or_create_admin

    join, admin = load_or_create(tmp_path), load_or_create_admin(tmp_path)
    assert admin != join and len(admin) >= 40
    assert load_or_create_admin(tmp_path) == admin
    assert (tmp_path / "admin-token").stat().st_mode & 0o777 == 0o600


def test_bearer_check_accepts_only_the_exact_token():
    from installer.bearer import bearer_matches

    assert bearer_matches("abc123", "Bearer abc123")
    assert not bearer_matches("abc123", "Bearer abc12")
    assert not bearer_matches("abc123", "Bearer abc1234")
    assert not bearer_matches("abc123", None)
    assert not bearer_matches("", "Bearer ")  # an unset token never lets anyone in
