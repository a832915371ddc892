"""The systemd path on a host that boots systemd as PID 1, as most sites run.

The hello bundle (frozen installer, frozen k3s stand-in) installs there; the registry, k3s and the
cluster service must then be systemd units that systemd restarts after a crash and brings back
after a reboot, their logs in the journal, and uninstall must leave no unit behind.
"""

import time

import pytest

from tests.fixtures.lab import LabNode
from tests.fixtures.lab_systemd import unit_states, wait_booted
from tests.lab.steps import INSTALL, STATE, unpack, wait_for

pytestmark = pytest.mark.lab

UNITS = ("airlift-registry.service", "k3s.service", "airlift-cluster.service")
KEPT = f"{STATE}/installer/install"


def main_pid(node: LabNode, unit: str) -> int:
    return int(node.check(f"systemctl show --property MainPID --value {unit}").strip())


def all_active(node: LabNode) -> bool:
    return all(node.exec(f"systemctl is-active --quiet {unit}")[0] == 0 for unit in UNITS)


def test_install_runs_as_systemd_units_that_survive_crash_and_reboot_and_uninstall_removes_them(
        systemd_node, frozen_hello_bundle):
    node = systemd_node
    assert node.check("cat /proc/1/comm").strip() == "systemd"
    unpack(node, frozen_hello_bundle)
    done = node.check(f"{INSTALL} --cli --flavor one --accept-eula", workdir="/")
    assert "Installed hello 1.0.0" in done

    for unit in UNITS:
        status = node.check(f"systemctl status --no-pager {unit}")
        assert "Active: active (running)" in status, status
        assert node.check(f"test -f /etc/systemd/system/{unit} && echo unit").strip() == "unit"
    assert node.exec("ls /etc/airlift/services 2>/dev/null")[1].strip() == "", \
        "under systemd no service is left to Airlift's own supervisor"
    assert node.check("journalctl --unit k3s.service --no-pager --output cat").strip(), \
        "k3s's output goes to the journal"

    # A crash of the registry: systemd restarts it (RestartSec=5s) and it answers again.
    crashed = main_pid(node, "airlift-registry.service")
    node.check(f"kill -9 {crashed}")
    wait_for(node, "systemctl show --property MainPID --value airlift-registry.service",
             lambda out: out.strip() not in ("", "0", str(crashed)), 30)
    wait_for(node, f"{KEPT} status", lambda out: "✓ registry answering" in out, 60)

    # A reboot: every unit is enabled, so all come back and the install is healthy.
    node.container.restart(timeout=30)
    assert wait_booted(node) in ("running", "degraded")
    deadline = time.monotonic() + 60
    while not all_active(node) and time.monotonic() < deadline:
        time.sleep(1)
    assert all_active(node), node.exec("systemctl --no-pager status " + " ".join(UNITS))[1]
    status = wait_for(node, f"{KEPT} status", lambda out: "✓ k3s running" in out and "✓ registry answering" in out, 90)
    assert "Traceback" not in status

    assert "Uninstalled" in node.check(f"{KEPT} uninstall --yes", workdir="/")
    leftovers = node.exec("ls /etc/systemd/system /etc/systemd/system/*.wants | grep -E '^(airlift-|k3s)'")[1]
    assert leftovers.strip() == "", f"unit files left behind:\n{leftovers}"
    assert unit_states(node, "airlift-*") == {} and unit_states(node, "k3s*") == {}
    assert node.exec(f"test -e {STATE} || command -v k3s")[0] != 0


def test_a_unit_that_keeps_failing_is_explained_with_its_journal(systemd_node, frozen_hello_bundle):
    """The failure details come from `journalctl -u k3s.service`: the line k3s printed is shown."""
    node = systemd_node
    unpack(node, frozen_hello_bundle)
    # A drop-in made ahead of the install replaces k3s's command with one that prints and exits.
    node.put_bytes(b"[Service]\nExecStart=\nExecStart=/bin/sh -c 'echo k3s-fails: no such device eth9; exit 1'\n",
                   "/etc/systemd/system/k3s.service.d/broken.conf")
    code, out = node.exec(f"COLUMNS=250 {INSTALL} --cli --flavor one --accept-eula", workdir="/")
    assert code != 0, out
    assert "k3s keeps exiting" in out and "k3s-fails: no such device eth9" in out, out
    assert "journalctl -u k3s.service" in out and "Traceback" not in out, out

    node.check("rm -r /etc/systemd/system/k3s.service.d")
    assert "Uninstalled" in node.check(f"{INSTALL} uninstall --yes", workdir="/")
    assert unit_states(node, "airlift-*") == {} and unit_states(node, "k3s*") == {}
