"""`./install panel-link` and `./install panel-password`: both refuse a state folder without a
completed install, naming where to run them; on one, the link signs in once and the password file
sets the hash."""

from __future__ import annotations

import re

from installer import answers as answers_mod
from installer import cli
from installer.answers import Answers
from installer.panel_access import redeem_link_token, verify_password
from installer.panel_access.password import saved_hash
from installer.plan import PlanStore, build_install_plan


def installed(state) -> None:
    plan = build_install_plan("node-1")
    for phase in plan.phases:
        phase.state = "completed"
    PlanStore(state).create(plan)
    answers_mod.save(Answers(flavor="one", profile="master", advertise_addr="10.0.0.5", panel_port=32010),
                     state / "answers.yaml")


def test_both_refuse_without_a_completed_install(tmp_path, capsys):
    for command in ("panel-link", "panel-password"):
        assert cli.main([command, "--state-dir", str(tmp_path)]) == 2
        out = " ".join(capsys.readouterr().out.split())  # rich wraps long lines
        assert f"No completed install in {tmp_path}" in out and "first master" in out


def test_panel_link_prints_a_link_that_signs_in_once(tmp_path, capsys):
    installed(tmp_path)
    assert cli.main(["panel-link", "--state-dir", str(tmp_path)]) == 0
    token = re.search(r"https://10\.0\.0\.5:32010/link\?token=(\S+)", capsys.readouterr().out).group(1)
    assert redeem_link_token(tmp_path, token) and not redeem_link_token(tmp_path, token)


def test_panel_password_sets_the_hash_from_a_file_and_refuses_a_short_one(tmp_path, capsys):
    installed(tmp_path)
    secret = tmp_path / "secret"
    secret.write_text("short\n")
    assert cli.main(["panel-password", "--panel-password-file", str(secret), "--state-dir", str(tmp_path)]) == 2
    assert "too short" in capsys.readouterr().out and saved_hash(tmp_path) is None
    secret.write_text("correct horse battery\nignored second line\n")
    assert cli.main(["panel-password", "--panel-password-file", str(secret), "--state-dir", str(tmp_path)]) == 0
    assert verify_password("correct horse battery", saved_hash(tmp_path))
