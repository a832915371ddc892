"""The checks across nodes without sockets: the ports each node opens (sampled ranges), who dials
what, the bandwidth ring, the verdicts, and the rounds of /checks/network run through a fake `call`."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from installer.checks import network as net
from installer.manifest import load_manifest
from installer.manifest.models import NodeProfile, PortRange, Requirements
from installer.phases.network_checks import members_of, probe_cluster

MB = 1024 * 1024


def member(name: str, ports=(("tcp", 30080),), rate=None) -> net.Member:
    return net.Member(name, f"10.0.0.{name[-1]}", tuple(ports), rate)


@pytest.mark.parametrize(("first", "last", "expected"), [
    (30080, 30080, [30080]),
    (8000, 8004, [8000, 8001, 8002, 8003, 8004]),          # up to 5 ports: every one
    (8000, 8005, [8000, 8001, 8002, 8004, 8005]),          # 6: first, last and three between
    (30000, 32767, [30000, 30692, 31384, 32075, 32767]),   # a NodePort range: 5 of 2768
])
def test_large_ranges_are_sampled_at_their_ends_and_between(first, last, expected):
    assert net.sample_ports([PortRange("tcp", first, last)]) == tuple(("tcp", p) for p in expected)


def test_sampling_keeps_protocols_apart_and_drops_duplicates():
    ranges = [PortRange("udp", 8472, 8472), PortRange("tcp", 8472, 8472), PortRange("udp", 8472, 8472)]
    assert net.sample_ports(ranges) == (("udp", 8472), ("tcp", 8472))


def test_node_ports_add_the_kubelet_flannel_and_exporter_everywhere_and_the_api_and_registry_where_they_run():
    profile = NodeProfile(name="worker", requirements=Requirements(ports=(PortRange("tcp", 30080, 30080),)))
    worker = net.node_ports(profile, master=False, first=False, registry_port=5001, api_port=6444, exporter_port=9101)
    assert worker == [PortRange("tcp", 30080, 30080), PortRange("tcp", 10250, 10250), PortRange("udp", 8472, 8472),
                      PortRange("tcp", 9101, 9101)]
    first = net.node_ports(profile, master=True, first=True, registry_port=5001, api_port=6444)
    assert PortRange("tcp", 5001, 5001) in first and PortRange("tcp", 6444, 6444) in first
    other_master = net.node_ports(profile, master=True, first=False, registry_port=5001, api_port=6444)
    assert PortRange("tcp", 6444, 6444) in other_master and PortRange("tcp", 5001, 5001) not in other_master
    assert all(r.first != 61009 for r in first), "the wizard is for the operator, not for the other nodes"


def test_each_node_dials_every_port_the_others_listen_on():
    a, b, c = member("n1"), member("n2"), member("n3")
    targets = net.dial_targets([a, b, c], {"n1": [("tcp", 1)], "n2": [("udp", 2), ("tcp", 3)], "n3": []})
    assert targets["n1"] == [{"node": "n2", "address": "10.0.0.2", "ports": [["udp", 2], ["tcp", 3]]}]
    assert [t["node"] for t in targets["n3"]] == ["n1", "n2"]  # n3 opened nothing: nobody dials it


def test_the_ring_measures_every_link_once_in_each_direction():
    nodes = [member(f"n{i}") for i in range(1, 5)]
    assert [(s.name, r.name) for s, r in net.ring(nodes)] == [("n1", "n2"), ("n2", "n3"), ("n3", "n4"), ("n4", "n1")]
    assert [(s.name, r.name) for s, r in net.ring(nodes[:2])] == [("n1", "n2"), ("n2", "n1")]
    assert net.ring(nodes[:1]) == []


def test_one_unreachable_port_names_both_nodes_the_port_and_the_fix():
    result = net.ports_result([net.Unreachable("node-3", "node-2", ("tcp", 10250), "connection timed out")], 12, 3)
    assert (result.id, result.status) == ("network-ports", "fail")
    assert result.message == ("node-3 cannot reach node-2 on tcp/10250: connection timed out — open this port "
                              "between the nodes in the firewall")
    assert "--skip-check network-ports" in result.hint


def test_many_unreachable_ports_show_a_few_and_count_the_rest():
    failures = [net.Unreachable("node-1", f"node-{i}", ("udp", 8472), "no answer") for i in range(2, 9)]
    result = net.ports_result(failures, 40, 8)
    assert result.message.count("cannot reach") == net.SHOWN and result.message.endswith("; and 4 more")
    assert "on udp/8472" in result.message


def test_every_port_reached_passes_with_the_count():
    result = net.ports_result([], 12, 3)
    assert result.status == "pass" and "12 connections" in result.message and "3 nodes" in result.message


def test_bandwidth_is_not_required_when_no_profile_sets_it():
    result = net.bandwidth_result([], [member("n1"), member("n2")])
    assert result.status == "pass" and "not required" in result.message


def test_a_slow_link_fails_naming_both_nodes_the_measured_and_the_required_rate():
    nodes = [member("n1", rate=10 * MB), member("n2"), member("n3")]
    transfers = [net.Transfer("n1", "n2", 40 * MB, 2.0), net.Transfer("n2", "n3", 2 * MB, 2.0),
                 net.Transfer("n3", "n1", 8 * MB, 2.0)]
    result = net.bandwidth_result(transfers, nodes)
    assert result.status == "fail"
    # n2 -> n3: neither profile asks for a rate; n3 -> n1 is held to n1's 10 MiB/s.
    assert result.message == "n3 sends to n1 at 4.0 MiB/s, below the required 10.0 MiB/s"


def test_a_transfer_that_could_not_run_fails_and_a_fast_ring_passes():
    nodes = [member("n1", rate=MB), member("n2", rate=MB)]
    failed = net.bandwidth_result([net.Transfer("n1", "n2", error="connection refused"),
                                   net.Transfer("n2", "n1", 4 * MB, 1.0)], nodes)
    assert failed.status == "fail" and failed.message == "n1 could not send to n2: connection refused"
    ok = net.bandwidth_result([net.Transfer("n1", "n2", 3 * MB, 1.0), net.Transfer("n2", "n1", 4 * MB, 1.0)], nodes)
    assert ok.status == "pass" and "the slowest, n1 to n2, at 3.0 MiB/s" in ok.message


def test_clock_drift_between_every_pair_of_nodes():
    # Each node within 300 ms of the installer, but node-2 and node-3 are 400 ms apart.
    result = net.clock_pairs_result({"node-1": 0.0, "node-2": 0.2, "node-3": -0.2})
    assert (result.id, result.status) == ("clock-drift-pairs", "fail")
    assert result.message == "the clocks of node-2 and node-3 are 400 ms apart (at most 300 ms allowed)"
    ok = net.clock_pairs_result({"node-1": 0.0, "node-2": 0.1, "node-3": -0.05})
    assert ok.status == "pass" and "150 ms (node-2, node-3)" in ok.message


# --- the rounds, through a fake `call` ------------------------------------------------------------

class FakeNodes:
    """Answers each round as the nodes would: `blocked` (source, target, port) fail to connect."""

    def __init__(self, blocked=(), rates=None, offsets=None, refused=()):
        self.blocked, self.rates, self.offsets, self.refused = set(blocked), rates or {}, offsets or {}, set(refused)
        self.calls: list[tuple[str, str]] = []

    def __call__(self, m: net.Member, args: dict) -> dict:
        self.calls.append((m.name, args["action"]))
        if args["action"] == "listen":
            ports = [tuple(p) for p in args["ports"]]
            return {"listening": [list(p) for p in ports if (m.name, p) not in self.refused],
                    "refused": [[*p, "Address already in use"] for p in ports if (m.name, p) in self.refused],
                    "bandwidth_port": 9 if args["bandwidth"] else None,
                    "clock_offset_s": self.offsets.get(m.name, 0.0)}
        if args["action"] == "dial":
            return {"dials": [{"node": t["node"], "protocol": p, "port": n,
                               "error": "connection timed out" if (m.name, t["node"], (p, n)) in self.blocked else None}
                              for t in args["targets"] for p, n in t["ports"]]}
        if args["action"] == "send":
            return {"bytes": self.rates.get(m.name, 100 * MB), "seconds": 1.0}
        return {}


def run(nodes, fake, skip=()):
    lines: list[str] = []
    results = probe_cluster(nodes, fake, set(skip), lambda msg, *a, **k: lines.append(msg))
    return {r.id: r for r in results}, lines


def test_the_rounds_find_one_blocked_udp_port_and_close_every_listener():
    nodes = [member("n1", [("tcp", 30080), ("udp", 8472)]), member("n2", [("udp", 8472)]), member("n3", [("udp", 8472)])]
    fake = FakeNodes(blocked={("n3", "n2", ("udp", 8472))})
    results, _ = run(nodes, fake)
    assert results["network-ports"].message.startswith("n3 cannot reach n2 on udp/8472: connection timed out")
    assert results["network-bandwidth"].message.endswith("not required by any node profile.")
    assert results["clock-drift-pairs"].status == "pass"
    assert [c for c in fake.calls if c[1] == "close"] == [("n1", "close"), ("n2", "close"), ("n3", "close")]
    assert not [c for c in fake.calls if c[1] == "send"], "no profile sets a rate: nothing is sent"


def test_a_port_a_node_cannot_open_is_left_to_its_own_check():
    nodes = [member("n1"), member("n2")]
    results, lines = run(nodes, FakeNodes(refused={("n2", ("tcp", 30080))}))
    assert results["network-ports"].status == "pass" and "1 connection tried" in results["network-ports"].message
    assert lines == ["n2 could not listen on tcp/30080 (Address already in use); its own port check covers it",
                     "Each of the 2 nodes dials the ports of the others (1 connection)"]


def test_the_bandwidth_ring_runs_when_a_profile_sets_a_rate():
    nodes = [member("n1", rate=50 * MB), member("n2"), member("n3")]
    results, _ = run(nodes, FakeNodes(rates={"n2": 10 * MB}))
    assert results["network-bandwidth"].status == "pass", "n2 -> n3 is not held to n1's rate"
    slow, _ = run(nodes, FakeNodes(rates={"n3": 10 * MB}))
    assert slow["network-bandwidth"].message == "n3 sends to n1 at 10.0 MiB/s, below the required 50.0 MiB/s"


def test_skipped_checks_are_listed_as_skipped_and_not_probed():
    nodes = [member("n1", rate=MB), member("n2")]
    fake = FakeNodes(blocked={("n1", "n2", ("tcp", 30080))}, offsets={"n2": 5.0})
    results, _ = run(nodes, fake, skip={"network-ports", "network-bandwidth", "clock-drift-pairs"})
    assert {r.status for r in results.values()} == {"skipped"}
    assert {action for _, action in fake.calls} == {"listen", "close"}


def test_clock_offsets_from_the_listen_round_give_the_pairs():
    nodes = [member("n1"), member("n2"), member("n3")]
    results, _ = run(nodes, FakeNodes(offsets={"n2": 0.25, "n3": -0.25}))
    assert results["clock-drift-pairs"].message.startswith("the clocks of n2 and n3 are 500 ms apart")


def test_a_node_that_fails_a_round_fails_the_phase_and_the_others_still_close():
    nodes = [member("n1"), member("n2")]
    fake = FakeNodes()

    def call(m, args):
        if m.name == "n2" and args["action"] == "dial":
            raise RuntimeError("node n2 lost contact")
        return fake(m, args)
    with pytest.raises(RuntimeError, match="lost contact"):
        probe_cluster(nodes, call, set(), lambda *a, **k: None)
    assert ("n1", "close") in fake.calls and ("n2", "close") in fake.calls


def test_the_members_are_this_host_first_then_the_joined_nodes_with_their_profiles_ports():
    manifest = load_manifest(Path(__file__).resolve().parents[2] / "examples" / "hello" / "app.yaml")
    ctx = SimpleNamespace(manifest=manifest, node="node-1", address="10.0.0.1",
                          answers=SimpleNamespace(profile="master", registry_port=5000, api_port=6443,
                                                  exporter_port=9100))
    hub = SimpleNamespace(nodes=SimpleNamespace(nodes=lambda: [
        SimpleNamespace(name="node-2", address="10.0.0.2", profile="worker")]))
    first, worker = members_of(ctx, hub)
    assert (first.name, first.address, worker.name, worker.address) == ("node-1", "10.0.0.1", "node-2", "10.0.0.2")
    assert first.ports == (("tcp", 30080), ("tcp", 5000), ("tcp", 6443), ("tcp", 10250), ("udp", 8472),
                           ("tcp", 9100), ("tcp", 2379), ("tcp", 2380))
    assert worker.ports == (("tcp", 30080), ("tcp", 10250), ("udp", 8472), ("tcp", 9100))
    assert first.min_rate is None and worker.min_rate is None
    assert first.master and not worker.master


def test_masters_open_etcd_and_only_masters_dial_it():
    profile = NodeProfile(name="any")
    master = net.node_ports(profile, master=True, first=False, registry_port=5000, api_port=6443)
    assert PortRange("tcp", 2379, 2380) in master
    assert PortRange("tcp", 2379, 2380) not in net.node_ports(profile, master=False, first=False,
                                                               registry_port=5000, api_port=6443)
    etcd = [("tcp", 2379), ("tcp", 2380)]
    m1, m2 = (net.Member(n, f"10.0.0.{n[-1]}", (("tcp", 6443), *etcd), master=True) for n in ("m1", "m2"))
    w3 = net.Member("w3", "10.0.0.3", (("tcp", 10250),))
    listening = {"m1": [("tcp", 6443), *etcd], "m2": [("tcp", 6443), *etcd], "w3": [("tcp", 10250)]}
    targets = net.dial_targets([m1, m2, w3], listening)
    assert targets["m1"][0] == {"node": "m2", "address": "10.0.0.2", "ports": [["tcp", 6443], ["tcp", 2379],
                                                                               ["tcp", 2380]]}
    assert [t["ports"] for t in targets["w3"]] == [[["tcp", 6443]], [["tcp", 6443]]], "a worker never dials etcd"
    joining = net.dial_targets([m1, w3, m2], {"m2": [("tcp", 6443), *etcd]}, running=["m1", "w3"])
    assert joining["m2"][0] == {"node": "m1", "address": "10.0.0.1", "ports": [["tcp", 6443], ["tcp", 2379],
                                                                              ["tcp", 2380]], "connect_only": True}
    assert joining["w3"] == [{"node": "m2", "address": "10.0.0.2", "ports": [["tcp", 6443]]}]


def test_adding_a_node_the_running_nodes_are_connected_to_on_tcp_only_and_not_among_themselves():
    nodes = [member("n1", [("tcp", 6443), ("udp", 8472)]), member("n2", [("tcp", 10250), ("udp", 8472)]),
             member("n4", [("tcp", 30080), ("udp", 8472)])]
    listening = {"n4": [("tcp", 30080), ("udp", 8472)]}
    targets = net.dial_targets(nodes, listening, running=["n1", "n2"])
    assert targets["n1"] == [{"node": "n4", "address": "10.0.0.4", "ports": [["tcp", 30080], ["udp", 8472]]}]
    assert targets["n2"] == targets["n1"]
    assert targets["n4"] == [
        {"node": "n1", "address": "10.0.0.1", "ports": [["tcp", 6443]], "connect_only": True},
        {"node": "n2", "address": "10.0.0.2", "ports": [["tcp", 10250]], "connect_only": True}]
    assert net.untested_udp(nodes, ["n1", "n2"]) == 2


def test_a_running_node_refusing_a_port_shows_the_path_open_but_a_timeout_fails():
    dials = [{"node": "n1", "protocol": "tcp", "port": 30080, "error": "connection refused", "connect_only": True},
             {"node": "n1", "protocol": "tcp", "port": 10250, "error": "connection timed out", "connect_only": True},
             {"node": "n2", "protocol": "tcp", "port": 30080, "error": "connection refused", "connect_only": False}]
    failures, closed = net.unreachable("n4", dials)
    assert closed == 1
    assert [f.line().split(" —")[0] for f in failures] == [
        "n4 cannot reach n1 on tcp/10250: connection timed out", "n4 cannot reach n2 on tcp/30080: connection refused"]
    ok = net.ports_result([], 6, 3, closed=1, udp_untested=2)
    assert ok.status == "pass"
    assert "1 port of running nodes refused the connection" in ok.message
    assert "2 UDP ports of running nodes not tested" in ok.message


def test_adding_a_node_its_clock_is_compared_with_every_node_but_theirs_with_each_other_are_not():
    offsets = {"n1": 0.0, "n2": 0.35, "n4": 0.1}
    assert net.clock_pairs_result(offsets).status == "fail"  # n1 and n2 are 350 ms apart
    added = net.clock_pairs_result(offsets, running=["n1", "n2"])
    assert added.status == "pass" and "(n2, n4)" in added.message
    late = net.clock_pairs_result({"n1": 0.0, "n2": 0.0, "n4": 0.4}, running=["n1", "n2"])
    assert late.status == "fail" and "the clocks of n1 and n4 are 400 ms apart" in late.message


def test_adding_a_node_only_it_listens_and_the_bandwidth_is_measured_with_the_first_master():
    nodes = [member("n1", [("tcp", 6443)], rate=MB), member("n2", [("tcp", 10250)], rate=MB),
             member("n4", [("tcp", 30080), ("udp", 8472)])]
    fake = FakeNodes(blocked={("n1", "n4", ("tcp", 30080))}, offsets={"n2": 1.0})
    results = {r.id: r for r in probe_cluster(nodes, fake, set(), lambda *a, **k: None, running=["n1", "n2"])}
    assert results["network-ports"].message.startswith("n1 cannot reach n4 on tcp/30080: connection timed out")
    assert results["clock-drift-pairs"].status == "fail"  # n4 against n2, 1 s apart
    assert "n1 and n2" not in results["clock-drift-pairs"].message
    assert results["network-bandwidth"].status == "pass"
    assert sorted(c for c in fake.calls if c[1] == "send") == [("n1", "send"), ("n4", "send")]
