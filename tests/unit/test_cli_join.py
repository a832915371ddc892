"""The join commands as the terminal prints them: exact, whatever the fingerprint holds."""

import io

from rich.console import Console

from installer.cli.commands import _print_join_commands
from installer.cli.parser import build_parser


def test_join_commands_print_exactly_even_when_the_fingerprint_looks_like_an_emoji_code():
    out = io.StringIO()
    command = "./install join 10.0.0.1 --token T0k3n --fingerprint 7B:CD:A4:[b]:FA --role worker"
    _print_join_commands({"commands": {"master": "unused", "worker": command}, "missing": {"worker": 2}},
                         Console(file=out, width=40))
    assert f"worker (2 needed):  {command}" in out.getvalue().replace("\n", "")
    assert "master" not in out.getvalue()  # no master is missing: no command for one


def test_the_join_command_parses_as_printed():
    args = build_parser().parse_args(["join", "10.0.0.1:4000", "--token", "T", "--fingerprint", "AB:CD",
                                      "--role", "worker", "--advertise-addr", "10.0.0.2"])
    assert (args.command, args.address, args.token, args.fingerprint, args.role, args.advertise_addr) == \
        ("join", "10.0.0.1:4000", "T", "AB:CD", "worker", "10.0.0.2")


def test_only_a_copy_made_over_ssh_is_removed_when_done(tmp_path):
    import tempfile
    from pathlib import Path

    from installer.cli.commands import _remove_provisioned_copy

    out = io.StringIO()
    bundle = tmp_path / "hello-1.0.0"
    bundle.mkdir()
    _remove_provisioned_copy(bundle, Console(file=out))
    assert bundle.is_dir() and "it is not a copy made over SSH" in out.getvalue()
    copy = Path(tempfile.mkdtemp(prefix="airlift.", dir="/tmp"))
    (copy / "bin").mkdir()
    _remove_provisioned_copy(copy, Console(file=out))
    assert not copy.exists()
