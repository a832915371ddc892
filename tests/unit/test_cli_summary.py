"""The install's closing summary: the commands and paths an operator copies from it stay whole on
one line however narrow the console, so a pasted command runs as one command."""

from __future__ import annotations

import io

from rich.console import Console

from installer.cli.reports import print_summary


def test_long_commands_and_paths_are_never_broken_at_the_console_width(tmp_path):
    state = tmp_path / "a rather long folder name an operator chose" / "state"
    kept = state / "installer" / "install"
    snapshot = {"bundle": {"name": "hello", "version": "1.0.0"}, "answers": {"flavor": "one", "profile": "node"},
                "operation": {"started": 100.0, "finished": 160.0}, "nodes": [{"name": "node-1"}],
                "endpoints": [{"name": "web", "url": "https://10.0.0.10:30080/" + "a" * 90}],
                "kubeconfig": str(state / "kubeconfig.yaml"), "answers_file": str(state / "answers.yaml"),
                "state_dir": str(state), "installer": f"{kept} --root {tmp_path / 'root'}"}
    out = io.StringIO()
    print_summary(snapshot, Console(file=out, width=80))
    lines = out.getvalue().splitlines()
    assert f"  status:    {kept} --root {tmp_path / 'root'} status" in lines
    assert f"  uninstall: {kept} --root {tmp_path / 'root'} uninstall" in lines
    assert f"Kubeconfig: {state / 'kubeconfig.yaml'}" in lines
    assert any(line.endswith(f"./install --cli --config {state / 'answers.yaml'}") for line in lines)
    assert f"  web: https://10.0.0.10:30080/{'a' * 90}" in lines
