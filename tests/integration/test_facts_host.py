"""Facts gathered on this very machine: real sockets, real processes, real scripts, real disk."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from installer.checks import run_checks
from installer.facts import Facts, PortNeed, gather_facts
from installer.facts.scripts import run_scripts
from installer.host import Host
from installer.manifest.models import CustomCheck, NodeProfile, PortRange, Requirements, Volume
from tests.fixtures.net import free_port

pytestmark = pytest.mark.integration
MB = 1024**2


@pytest.fixture
def listener():
    """A separate process listening on a free TCP port: (port, pid)."""
    port = free_port()
    code = (f"import socket,time;s=socket.socket();s.bind(('127.0.0.1',{port}));s.listen();"
            "print('up',flush=True);time.sleep(60)")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "up"
    yield port, proc.pid
    proc.kill()
    proc.wait()


def test_gather_on_this_host(tmp_path, listener):
    busy_port, holder = listener
    free = free_port()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.bind(("0.0.0.0", 0))
        udp_port = udp.getsockname()[1]
        profile = NodeProfile("master", requirements=Requirements(
            ports=(PortRange("tcp", busy_port, busy_port), PortRange("udp", udp_port, udp_port)),
            volumes=(Volume("/srv/data", name="data", capacity=10 * MB, min_transfer_rate=1 * MB),),
            custom_checks=(CustomCheck("echo fine", "says fine"), CustomCheck("echo broken >&2; exit 4", "breaks")),
        ))
        facts = gather_facts(Host(tmp_path / "root"), profile, tmp_path / "state",
                             ports=[PortNeed("tcp", free, free, "image registry")])

    os_release = Path("/etc/os-release").read_text()
    assert f"ID={facts.os.id}" in os_release
    assert facts.cpu_count >= 1 and facts.ram_bytes > 100 * MB
    assert facts.kernel_release == subprocess.run(["uname", "-r"], capture_output=True, text=True).stdout.strip()
    assert set(facts.modules) == {"overlay", "br_netfilter"}

    ports = {(p.protocol, p.first): p for p in facts.ports}
    assert ports[("tcp", free)].busy == []
    (taken,) = ports[("tcp", busy_port)].busy
    assert taken.holder_pid == holder and taken.holder_name
    assert ports[("udp", udp_port)].busy[0].holder_pid == facts.installer_pid

    (volume,) = facts.volumes
    assert not volume.exists and volume.probed_path == str(tmp_path)
    assert volume.write_bytes_per_s and volume.write_bytes_per_s > 1 * MB
    assert [(r.exit_code, r.output) for r in facts.custom_checks] == [(0, "fine"), (4, "broken")]
    assert facts.state_dir.writable and not (tmp_path / "state").exists()

    results = {r.id: r for r in run_checks(facts, profile)}
    assert results[f"port-tcp-{busy_port}"].status == "fail"
    assert f"PID {holder}" in results[f"port-tcp-{busy_port}"].message
    assert results[f"port-udp-{udp_port}"].status == "pass", "the installer's own socket is no conflict"
    assert results["volume-data"].status == "pass" and results["volume-data-speed"].status == "pass"
    assert results["custom-1"].status == "pass" and results["custom-2"].status == "fail"
    assert "broken" in results["custom-2"].message

    again = Facts.from_dict(json.loads(json.dumps(facts.to_dict())))
    assert again == facts


def test_gather_sees_a_conflicting_process_by_name(tmp_path):
    fake = tmp_path / "kubelet"
    fake.write_text("#!/bin/sh\nsleep 30\n")
    fake.chmod(0o755)
    proc = subprocess.Popen([str(fake)])
    try:
        time.sleep(0.2)
        facts = gather_facts(Host(tmp_path), None, tmp_path / "state", ports=[])
    finally:
        proc.kill()
        proc.wait()
    assert any(p.name == "kubelet" and p.pid == proc.pid for p in facts.processes)
    assert {r.id: r.status for r in run_checks(facts, NodeProfile("node"))}["process-kubelet"] == "fail"


def test_scripts_time_out_with_their_children(tmp_path):
    marker = tmp_path / "child-still-running"
    script = f"#!/bin/sh\necho started\n(sleep 1; touch {marker}) &\nsleep 30\n"
    start = time.monotonic()
    (run,) = run_scripts([("slow", script)], timeout=0.5)
    assert time.monotonic() - start < 5
    assert run.timed_out and run.exit_code is None and run.output == "started"
    time.sleep(1.5)
    assert not marker.exists(), "the script's child must die with it"


def test_scripts_run_with_their_interpreter():
    runs = run_scripts([("py", "#!/usr/bin/env python3\nimport sys\nprint('py', sys.version_info[0])\n"),
                        ("sh", "echo plain sh")])
    assert [(r.index, r.exit_code, r.output) for r in runs] == [(1, 0, "py 3"), (2, 0, "plain sh")]


def test_state_dir_too_small_and_bad_tmpdir_fail(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    monkeypatch.setenv("TMPDIR", str(blocker / "tmp"))
    facts = gather_facts(Host(tmp_path), None, tmp_path / "state", ports=[], state_dir_bytes=2**60)
    results = {r.id: r for r in run_checks(facts, NodeProfile("node"))}
    assert results["state-dir"].status == "fail" and "the install stores" in results["state-dir"].message
    assert results["tempdir"].status == "fail" and str(blocker / "tmp") in results["tempdir"].message
