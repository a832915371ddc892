"""The systemd unit and environment file Airlift writes where systemd is PID 1."""

from installer.services.systemd import render_env, render_unit


def test_unit_runs_the_command_and_restarts_like_k3s_units():
    unit = render_unit("k3s", ["/usr/local/bin/k3s", "server", "--config", "/etc/rancher/k3s/config.yaml"], True)
    assert "ExecStart=/usr/local/bin/k3s server --config /etc/rancher/k3s/config.yaml" in unit
    assert "Restart=always" in unit and "RestartSec=5s" in unit
    assert "KillMode=process" in unit
    assert "EnvironmentFile=-/etc/systemd/system/k3s.env" in unit
    assert "WantedBy=multi-user.target" in unit


def test_unit_quotes_arguments_with_spaces_and_can_disable_restart():
    unit = render_unit("airlift-registry", ["/opt/my app/registry", "serve", "/x/config.yml"], False)
    assert "ExecStart='/opt/my app/registry' serve /x/config.yml" in unit
    assert "Restart=no" in unit


def test_only_k3s_units_leave_their_children_running_when_stopped():
    assert "KillMode=process" in render_unit("k3s-agent", ["/usr/local/bin/k3s", "agent"], True)
    registry = render_unit("airlift-registry", ["/usr/bin/registry", "serve"], True)
    assert "KillMode" not in registry and "Delegate" not in registry


def test_env_file_escapes_quotes_and_backslashes():
    text = render_env({"B": 'say "hi"', "A": "c:\\path"})
    assert text == 'A="c:\\\\path"\nB="say \\"hi\\""\n'
    assert render_env({}) == ""
