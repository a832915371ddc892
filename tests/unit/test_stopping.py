"""SIGINT and SIGTERM stop the installer whatever it inherited (a background job inherits SIGINT
ignored), and the terminal says how it stopped."""

import signal

import pytest

from installer import cli
from installer.cli import commands
from installer.stopping import Terminated, handle_stop_signals, stop_signals


def test_an_inherited_ignored_sigint_is_replaced_and_sigterm_stops_like_ctrl_c():
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    handle_stop_signals()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    with pytest.raises(Terminated):
        signal.raise_signal(signal.SIGTERM)
    with pytest.raises(KeyboardInterrupt):
        signal.raise_signal(signal.SIGINT)


def test_stop_signals_gives_the_previous_handlers_back():
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    with stop_signals():
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


@pytest.mark.parametrize(("stop", "code", "said"), [(KeyboardInterrupt(), 130, "Interrupted."),
                                                    (Terminated(), 143, "Stopped (SIGTERM).")])
def test_a_stopped_command_says_how_without_a_traceback(monkeypatch, tmp_path, capsys, stop, code, said):
    def stopped(args, console):
        raise stop

    monkeypatch.setattr(commands, "cmd_plan", stopped)
    assert cli.main(["plan", "--state-dir", str(tmp_path)]) == code
    out = capsys.readouterr().out
    assert out.strip() == said and "Traceback" not in out
