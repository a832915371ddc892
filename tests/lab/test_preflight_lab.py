"""Hosts built to fail the checks of what breaks real k3s installs: no default route, a route
inside the pod range, a loopback resolver. `./install check` and the install refuse each (or
warn, for the resolver) with the fix, and the fix makes the check pass.

Each case gets a fresh lab node with the session's bundle. The lab's kernel has no dummy
interfaces, so the no-route case takes the hint's first fix (a route via the network's router,
here the lab bridge); the unit tests pin the dummy-interface line of the hint.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from tests.fixtures.lab import LabNetwork, LabNode
from tests.lab.steps import INSTALL, STATE, unpack

pytestmark = pytest.mark.lab

# Wide enough that the checks table wraps no cell: the assertions read whole messages.
WIDE = {"COLUMNS": "2000"}
PREFLIGHT_FAMILIES = ("default-route", "address-ranges", "disk-latency", "kernel", "time-sync", "dns", "security",
                      "limits", "interfaces", "leftovers")
DUMMY_ROUTE = ("ip link add dummy0 type dummy && ip link set dummy0 up && ip addr add 203.0.113.254/31 dev dummy0 "
               "&& ip route add default via 203.0.113.255 dev dummy0 metric 1000")


@dataclass
class Row:
    """One row of `./install check`'s table: ✓, ! or ✗, the result and what to do."""

    mark: str
    message: str
    hint: str


def rows(out: str) -> dict[str, Row]:
    """The checks table by check id; a cell's continuation lines are joined back."""
    found: dict[str, Row] = {}
    last: Row | None = None
    for line in out.splitlines():
        cells = [c.strip() for c in line.split("│")]
        if len(cells) != 6 or cells[2] == "check":
            continue
        mark, check_id, message, hint = cells[1:5]
        if check_id:
            last = found[check_id] = Row(mark, message, hint)
        elif last is not None:
            last.message = f"{last.message} {message}".strip()
            last.hint = f"{last.hint} {hint}".strip()
    return found


def run(node: LabNode, args: str) -> tuple[int, str]:
    return node.exec(f"{INSTALL} {args}", env=WIDE, workdir="/")


def failed(table: dict[str, Row]) -> set[str]:
    return {check_id for check_id, row in table.items() if row.mark == "✗"}


@pytest.fixture
def node(lab_nodes, frozen_hello_bundle) -> LabNode:
    (fresh,) = lab_nodes(1)
    unpack(fresh, frozen_hello_bundle)
    return fresh


def test_check_list_describes_the_preflight_families(node):
    code, out = run(node, "check --list")
    assert code == 0, out
    listed = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    for family in PREFLIGHT_FAMILIES:
        assert family in listed, f"./install check --list does not describe {family}:\n{out}"
    assert "dns-resolver, hostname-resolves, node-name" in listed["dns"]
    assert "cidr-pod, cidr-service" in listed["address-ranges"]
    assert "black-hole" in listed["default-route"]


def test_no_default_route_is_refused_with_the_route_to_add(node, lab_network: LabNetwork):
    node.check("ip route del default")
    # Without a default route the answers have no address to default to, before any check runs.
    code, out = run(node, "check")
    assert code == 2, out
    assert "advertise-addr: this host has no default route; give the address other hosts reach it on" in out

    code, out = run(node, f"check --advertise-addr {node.address}")
    table = rows(out)
    assert code == 1 and failed(table) == {"default-route"}, out
    assert table["default-route"].message.startswith("This host has no default route: k3s needs one")
    assert "ip route add default via ROUTER" in table["default-route"].hint
    assert DUMMY_ROUTE in table["default-route"].hint

    code, out = run(node, f"--cli --flavor one --advertise-addr {node.address} --accept-eula")
    assert code == 1, out
    assert "Error: 1 host check(s) failed" in out
    assert "default-route: This host has no default route" in out and DUMMY_ROUTE in out
    assert node.exec(f"test -e {STATE}")[0] != 0, "a refused install left its state folder"

    # A black-hole route is no fix: the kernel refuses connections through it outright, so
    # kube-proxy's rules never see the host's connections to service addresses.
    node.check("ip route add blackhole default metric 1000")
    assert "Invalid argument" in node.exec("timeout 5 bash -c 'echo > /dev/tcp/10.43.0.1/443'")[1]
    code, out = run(node, f"check --advertise-addr {node.address}")
    row = rows(out)["default-route"]
    assert code == 1 and row.mark == "✗", out
    assert "only default route is a black-hole route" in row.message
    assert row.hint.startswith("Remove it (ip route del default). Add one through an interface")

    # The hint's first fix: a route via the network's router (the lab's bridge).
    node.check(f"ip route del default && ip route add default via {lab_network.gateway}")
    code, out = run(node, "check")
    assert code == 0 and "This host is ready for the install." in out, out
    assert rows(out)["default-route"] == Row("✓", f"Default route via {lab_network.gateway} (eth0).", "")


def test_a_route_inside_the_pod_range_is_refused_with_a_free_range(node, lab_network: LabNetwork):
    node.check("ip route add 10.42.7.0/24 dev eth0")
    code, out = run(node, "check")
    table = rows(out)
    assert code == 1 and failed(table) == {"cidr-pod"}, out
    assert table["cidr-pod"].message == ("The pod range 10.42.0.0/16 (pod-cidr) overlaps the route to 10.42.7.0/24 "
                                         "(eth0): pods would hide those hosts.")
    suggested = re.search(r"--pod-cidr (\S+) \(pod-cidr: in the answers file\)", table["cidr-pod"].hint)
    assert suggested, table["cidr-pod"].hint

    code, out = run(node, "--cli --flavor one --accept-eula")
    assert code == 1, out
    assert "cidr-pod: The pod range 10.42.0.0/16 (pod-cidr) overlaps the route to 10.42.7.0/24" in out
    assert f"--pod-cidr {suggested[1]}" in out
    assert node.exec(f"test -e {STATE}")[0] != 0, "a refused install left its state folder"

    # The range the hint suggests clears the check.
    code, out = run(node, f"check --pod-cidr {suggested[1]}")
    assert code == 0, out
    assert rows(out)["cidr-pod"].message == f"The pod range {suggested[1]} (pod-cidr) overlaps no network of this host."

    # A pod range over the host's own network: the answers refuse it before any check runs.
    over_lab = lab_network.subnet.supernet(new_prefix=16)
    code, out = run(node, f"--cli --flavor one --pod-cidr {over_lab} --accept-eula")
    assert code == 2, out
    assert f"pod-cidr: {over_lab} overlaps this host's network {lab_network.subnet}; choose another range" in out
    assert "Host checks" not in out and node.exec(f"test -e {STATE}")[0] != 0


def test_a_loopback_resolver_warns_with_its_fix_and_does_not_block(node, lab_network: LabNetwork):
    node.check("echo 'nameserver 127.0.0.53' > /etc/resolv.conf")
    code, out = run(node, "check")
    row = rows(out)["dns-resolver"]
    assert code == 0 and "This host is ready for the install." in out, out
    assert row.mark == "!" and row.message.startswith(
        "/etc/resolv.conf lists no nameserver pods can reach (listed: 127.0.0.53)")
    assert ("write `resolv-conf: /etc/k3s-resolv.conf` to /etc/rancher/k3s/config.yaml.d/50-resolv.yaml and that "
            "nameserver line to /etc/k3s-resolv.conf") in row.hint

    code, out = run(node, "--cli --flavor one --accept-eula")
    assert code == 0 and "Installed hello 1.0.0" in out, out
    assert re.search(r"! (\[node-\d\] )?dns-resolver: /etc/resolv.conf lists no nameserver pods can reach", out), out

    # The fix k3s takes: its own resolv-conf, in a drop-in next to the config the install wrote.
    node.check("mkdir -p /etc/rancher/k3s/config.yaml.d && "
               "echo 'resolv-conf: /etc/k3s-resolv.conf' > /etc/rancher/k3s/config.yaml.d/50-resolv.yaml && "
               f"echo 'nameserver {lab_network.gateway}' > /etc/k3s-resolv.conf")
    row = rows(run(node, "check")[1])["dns-resolver"]
    assert row == Row("✓", "k3s takes the nameservers of /etc/k3s-resolv.conf (resolv-conf).", "")
