"""The control panel's secrets: the admin password kept only as an scrypt hash, and one-time
sign-in links that work once, for a short time, and are stored only as hashes."""

import json
import stat

import pytest

from installer.panel_access import (
    LINK_SECONDS,
    PasswordError,
    hash_password,
    make_link_token,
    redeem_link_token,
    save_password,
    saved_hash,
    verify_password,
)
from installer.statedir import StateDir


def test_a_password_hash_verifies_the_password_only_and_never_holds_it():
    stored = hash_password("correct horse battery")
    assert stored.startswith("scrypt$32768$8$1$") and "correct horse" not in stored
    assert verify_password("correct horse battery", stored)
    assert not verify_password("correct horse batterY", stored)
    assert not verify_password("", stored)


def test_two_hashes_of_one_password_differ_by_their_salt():
    assert hash_password("correct horse battery") != hash_password("correct horse battery")


@pytest.mark.parametrize("stored", ["", "plain", "md5$1$2$3$4$5", "scrypt$x$8$1$AA==$AA==", "scrypt$16$8$1$!!$AA=="])
def test_a_malformed_hash_matches_nothing(stored):
    assert not verify_password("anything at all", stored)


def test_a_short_password_is_refused_naming_the_rule():
    with pytest.raises(PasswordError, match="too short") as refused:
        hash_password("short")
    assert "at least 10 characters" in refused.value.hint


def test_the_hash_is_saved_readable_by_root_only(tmp_path):
    path = save_password(tmp_path, hash_password("correct horse battery"))
    assert path == StateDir(tmp_path).panel_password
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert verify_password("correct horse battery", saved_hash(tmp_path))


def test_no_password_chosen_reads_as_none(tmp_path):
    assert saved_hash(tmp_path) is None


def test_a_link_token_works_once(tmp_path):
    token = make_link_token(tmp_path)
    assert redeem_link_token(tmp_path, token)
    assert not redeem_link_token(tmp_path, token)


def test_a_link_token_expires(tmp_path):
    now = [1000.0]
    token = make_link_token(tmp_path, clock=lambda: now[0])
    now[0] += LINK_SECONDS + 1
    assert not redeem_link_token(tmp_path, token, clock=lambda: now[0])


def test_the_links_file_holds_hashes_only_and_is_private(tmp_path):
    token = make_link_token(tmp_path)
    path = StateDir(tmp_path).panel_links
    assert token not in path.read_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(json.loads(path.read_text())) == 1


def test_wrong_and_empty_tokens_are_refused_and_spend_nothing(tmp_path):
    token = make_link_token(tmp_path)
    assert not redeem_link_token(tmp_path, "")
    assert not redeem_link_token(tmp_path, token[:-1] + ("A" if token[-1] != "A" else "B"))
    assert redeem_link_token(tmp_path, token)


def test_no_links_file_refuses_without_making_one(tmp_path):
    assert not redeem_link_token(tmp_path, "anything")
    assert not StateDir(tmp_path).panel_links.exists()


def test_expired_links_are_dropped_when_a_new_one_is_made(tmp_path):
    now = [1000.0]
    make_link_token(tmp_path, clock=lambda: now[0])
    now[0] += LINK_SECONDS + 1
    fresh = make_link_token(tmp_path, clock=lambda: now[0])
    assert len(json.loads(StateDir(tmp_path).panel_links.read_text())) == 1
    assert redeem_link_token(tmp_path, fresh, clock=lambda: now[0])
