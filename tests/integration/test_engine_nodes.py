"""The engine with a flavor of several hosts: it listens for nodes once that flavor is chosen,
follows the operator's later choices (address, port, flavor), and keeps its token secret."""

from __future__ import annotations

import shlex
import stat

import pytest

from installer.engine import Engine
from tests.fixtures.net import free_port

pytestmark = pytest.mark.integration


def answers(**extra) -> dict:
    return {"advertise-addr": "127.0.0.1", "accept-eula": True, **extra}


def test_choosing_three_hosts_listens_for_nodes_and_shows_the_join_command(hello_bundle_dir, tmp_path):
    state = tmp_path / "state"
    engine = Engine(hello_bundle_dir, state, tmp_path / "root")
    engine.set_answers(answers(flavor="one"))
    assert engine.agents is None and engine.snapshot()["join"] is None and not state.exists()

    first_port, second_port = free_port(), free_port()
    engine.set_answers(answers(flavor="three", **{"agent-port": first_port}))
    join = engine.snapshot()["join"]
    assert join["missing"] == {"worker": 2} and join["port"] == first_port
    argv = shlex.split(join["commands"]["worker"])
    assert argv[2] == f"127.0.0.1:{first_port}" and argv[-2:] == ["--role", "worker"]
    token = argv[argv.index("--token") + 1]
    assert stat.S_IMODE((state / "join-token").stat().st_mode) == 0o600
    assert [p.id for p in engine.plan().phases][0] == "/checks"

    # The operator moves the agent port before any node joined: the join command follows.
    engine.set_answers(answers(flavor="three", **{"agent-port": second_port}))
    assert shlex.split(engine.snapshot()["join"]["commands"]["worker"])[2] == f"127.0.0.1:{second_port}"
    assert token in engine.snapshot()["join"]["commands"]["worker"]  # the same token
    engine.bus.log_line(f"a line that mentions {token}")
    assert token not in (state / "events.jsonl").read_text()

    engine.set_answers(answers(flavor="one"))  # back to a single host: no longer listening
    assert engine.agents is None and engine.snapshot()["join"] is None
