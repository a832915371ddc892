"""The terminal front-end: parsing, exit codes, messages without tracebacks."""

import argparse

import pytest
from rich.console import Console

from installer import cli
from installer.cli import commands
from installer.cli.parser import answer_flags, build_parser
from tests.unit.engine_bundle import make_bundle


@pytest.fixture
def bundle(tmp_path, monkeypatch):
    folder = make_bundle(tmp_path / "hello-1.0.0")
    monkeypatch.setenv("AIRLIFT_BUNDLE_DIR", str(folder))
    return folder


def test_flags_become_answers_in_the_answers_file_form():
    args = build_parser().parse_args(["--cli", "--flavor", "one", "--advertise-addr", "10.0.0.5",
                                      "--skip-check", "swap", "--skip-check", "ram-min", "--api-port", "7443",
                                      "--listen", "10.0.0.5:9000"])
    assert answer_flags(args) == {"flavor": "one", "advertise-addr": "10.0.0.5", "api-port": 7443,
                                  "skip-checks": ["swap", "ram-min"], "wizard-port": 9000}


def test_location_flags_work_before_or_after_the_command():
    parser = build_parser()
    assert parser.parse_args(["--state-dir", "/s", "status"]).state_dir == "/s"
    assert parser.parse_args(["status", "--state-dir", "/t"]).state_dir == "/t"


def test_every_command_but_verify_takes_the_location_flags_last():
    """--state-dir and --root are added once, to every command and every action of a group."""
    parser = build_parser()
    commands = [["check"], ["plan"], ["status"], ["uninstall"], ["join", "10.0.0.1"], ["remove", "n1"], ["upgrade"],
                ["rollback"], ["report"], ["licence", "apply", "F"], ["panel-link"], ["panel-password"],
                ["hub", "connect", "https://h"], ["hub", "disconnect"], ["update", "download"], ["support", "open"],
                ["support", "close"]]
    for argv in commands:
        args = parser.parse_args([*argv, "--state-dir", "/t", "--root", "/r"])
        assert (args.state_dir, args.root) == ("/t", "/r"), argv
    with pytest.raises(SystemExit):
        parser.parse_args(["verify", "--state-dir", "/t"])
    status_help = next(a for a in parser._actions if a.dest == "command").choices["status"].format_help()
    assert status_help.index("--json") < status_help.index("--state-dir") < status_help.index("--root")


def test_verify_passes_on_a_good_bundle(bundle, capsys):
    assert cli.main(["verify"]) == 0
    assert "all 7 files match" in capsys.readouterr().out


def test_verify_names_a_flipped_file_and_exits_1(bundle, capsys):
    path = bundle / "eula.txt"
    path.write_bytes(b"X" + path.read_bytes()[1:])
    assert cli.main(["verify"]) == 1
    out = capsys.readouterr().out
    assert "eula.txt" in out and "What to do:" in out and "Traceback" not in out


def test_install_needs_root_but_plan_does_not(bundle, monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(commands.os, "geteuid", lambda: 1000)
    assert cli.main(["--cli", "--state-dir", str(tmp_path / "s")]) == 2
    assert "needs root" in capsys.readouterr().out
    assert cli.main(["plan", "--state-dir", str(tmp_path / "s")]) == 0
    out = capsys.readouterr().out
    assert "/registry" in out and "unstarted" in out


def test_an_internal_error_shows_no_traceback_but_the_log_has_it(bundle, monkeypatch, tmp_path, capsys):
    def broken(args, console):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(commands, "cmd_plan", broken)
    (tmp_path / "s" / "logs").mkdir(parents=True)
    assert cli.main(["plan", "--state-dir", str(tmp_path / "s")]) == 3
    out = capsys.readouterr().out
    assert "Internal error" in out and "Traceback" not in out
    assert "ZeroDivisionError: boom" in (tmp_path / "s" / "logs" / "installer.log").read_text()


def test_version_names_the_bundle(bundle, capsys):
    assert cli.main(["--version"]) == 0
    out = capsys.readouterr().out
    assert "Airlift" in out and "hello 1.0.0" in out


def test_status_with_nothing_installed(tmp_path, capsys):
    assert cli.main(["status", "--state-dir", str(tmp_path / "none")]) == 1
    assert "Nothing is installed" in capsys.readouterr().out


def test_bad_answers_list_every_problem(bundle, monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(commands.os, "geteuid", lambda: 0)
    code = cli.main(["--cli", "--flavor", "big", "--pod-cidr", "nope", "--state-dir", str(tmp_path / "s"),
                     "--root", str(tmp_path / "r")])
    out = capsys.readouterr().out
    assert code == 2
    assert 'flavor: "big" is not a flavor of hello; choose one of: one, three, ha' in out and "pod-cidr" in out
    assert not (tmp_path / "s").exists()


def test_without_a_terminal_an_unaccepted_licence_is_refused_naming_the_flag(bundle, monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(commands.os, "geteuid", lambda: 0)
    monkeypatch.setattr(commands.sys.stdin, "isatty", lambda: False)
    code = cli.main(["--cli", "--advertise-addr", "127.0.0.1", "--state-dir", str(tmp_path / "s"),
                     "--root", str(tmp_path / "r")])
    out = capsys.readouterr().out
    assert code == 2, out
    assert "licence of hello 1.0.0 has not been accepted" in out and "--accept-eula" in out
    assert not (tmp_path / "s").exists() and not (tmp_path / "r").exists()


@pytest.mark.parametrize("reply, accepted", [("y\n", True), ("\n", False)])
def test_on_a_terminal_the_licence_is_shown_and_asked(bundle, monkeypatch, capsys, reply, accepted):
    from rich.console import Console

    from installer.manifest import load_manifest

    monkeypatch.setattr(commands.sys.stdin, "isatty", lambda: True)
    monkeypatch.setattr(commands, "typed_line", lambda: reply.strip())
    manifest = load_manifest(bundle / "app.yaml")
    if accepted:
        assert commands._asked_eula(manifest, {}, Console()) is True
    else:
        with pytest.raises(cli.AirliftError, match="not accepted, so nothing was installed"):
            commands._asked_eula(manifest, {}, Console())
    out = capsys.readouterr().out
    assert manifest.eula.strip().splitlines()[0] in out and "Do you accept the licence? [y/N]" in out
    assert commands._asked_eula(manifest, {"accept-eula": True}, Console()) is False


def test_the_kept_installer_without_a_bundle_says_where_to_resume(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(commands.os, "geteuid", lambda: 0)
    monkeypatch.delenv("AIRLIFT_BUNDLE_DIR", raising=False)
    monkeypatch.setenv("AIRLIFT_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("COLUMNS", "300")
    monkeypatch.chdir(tmp_path)
    assert cli.main(["--resume"]) == 2
    out = capsys.readouterr().out
    assert f"The installer kept in {tmp_path / 'state'} shows status and uninstalls; to resume the install" in out
    assert "run ./install from the folder the bundle tarball unpacked to" in out


def test_the_wizard_is_the_front_end_its_entry_plugs_in(bundle, monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(commands.os, "geteuid", lambda: 0)
    served = []
    args = ["--listen", "127.0.0.1:9999", "--advertise-addr", "127.0.0.1", "--state-dir", str(tmp_path / "s"),
            "--root", str(tmp_path / "r")]
    assert cli.main(args, wizard=lambda engine, listen, state_dir: served.append((listen, state_dir))) == 0
    assert served == [("127.0.0.1:9999", tmp_path / "s")]


def test_without_a_wizard_plugged_in_the_default_front_end_says_how_to_start_one(bundle, monkeypatch, tmp_path,
                                                                                  capsys):
    monkeypatch.setattr(commands.os, "geteuid", lambda: 0)
    monkeypatch.setenv("COLUMNS", "300")
    assert cli.main(["--state-dir", str(tmp_path / "s"), "--root", str(tmp_path / "r")]) == 2
    out = capsys.readouterr().out
    assert "The browser wizard is not part of this entry point" in out
    assert "python -m wizard" in out and "--cli" in out


def test_a_question_is_asked_only_on_a_terminal_without_yes(monkeypatch, capsys):
    """declined(): --yes or no terminal asks nothing; on a terminal only y or yes goes on; no,
    Ctrl-C or Ctrl-D at the question stop with the command's exit code, saying nothing was done."""
    console = Console(force_terminal=False)
    replies = iter(["y", " YES ", "n", "", KeyboardInterrupt(), EOFError()])

    def typed():
        reply = next(replies)
        if isinstance(reply, BaseException):
            raise reply
        return reply

    monkeypatch.setattr(commands, "typed_line", typed)
    yes, no = argparse.Namespace(yes=True), argparse.Namespace()
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    assert commands.declined(no, console, "Go?", "Nothing done.") is None
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    assert commands.declined(yes, console, "Go?", "Nothing done.") is None
    assert [commands.declined(no, console, "Go?", "Nothing done.") for _ in range(6)] == [None, None, 1, 1, 130, 130]
    out = capsys.readouterr().out
    assert out.count("Nothing done.") == 4 and out.count("Interrupted. Nothing done.") == 2
