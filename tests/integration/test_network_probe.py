"""The probe of the checks across nodes with real sockets on loopback: three "nodes" on 127.0.0.1-3
each listening on free ports, dialling each other (TCP and UDP), sending for bandwidth, closing."""

from __future__ import annotations

import socket
import threading

import pytest

from installer.checks import network as net
from installer.network_probe import Listeners, ProbeSession, dial_tcp, dial_udp, send
from installer.phases.network_checks import probe_cluster
from tests.fixtures.net import free_port, wait_until

pytestmark = pytest.mark.integration


def bindable(address: str, protocol: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM if protocol == "tcp" else socket.SOCK_DGRAM) as s:
        try:
            s.bind((address, port))
        except OSError:
            return False
    return True


def test_three_nodes_on_loopback_reach_each_other_and_measure_the_ring():
    tcp, udp = free_port(), free_port(socket.SOCK_DGRAM)
    nodes = [net.Member(f"node-{i}", f"127.0.0.{i}", (("tcp", tcp), ("udp", udp)), 1024 * 1024) for i in (1, 2, 3)]
    sessions = {m.name: ProbeSession(m.address) for m in nodes}
    seen: list[dict] = []

    def call(m: net.Member, args: dict) -> dict:
        seen.append(args)
        return sessions[m.name].handle(args)

    results = {r.id: r for r in probe_cluster(nodes, call, set(), lambda *a, **k: None)}
    assert results["network-ports"].status == "pass", results["network-ports"]
    assert "12 connections" in results["network-ports"].message  # 3 nodes x 2 others x 2 ports
    assert results["network-bandwidth"].status == "pass", results["network-bandwidth"]
    assert results["clock-drift-pairs"].status == "pass"
    sends = [a for a in seen if a["action"] == "send"]
    assert [a["address"] for a in sends] == ["127.0.0.2", "127.0.0.3", "127.0.0.1"] and {a["port"] for a in sends} == {tcp}
    # Closed: every port is free again for what the install starts next.
    assert all(bindable(m.address, p, n) for m in nodes for p, n in m.ports)


def test_dials_say_why_a_port_cannot_be_reached():
    port = free_port()
    assert dial_tcp("127.0.0.1", port) == "connection refused"
    assert dial_udp("127.0.0.1", free_port(socket.SOCK_DGRAM)) == "port unreachable (nothing listens there, or a firewall rejects it)"
    with socket.socket() as other:  # another program holds the port and says something else
        other.bind(("127.0.0.1", 0))
        other.listen()

        def serve() -> None:
            conn, _ = other.accept()
            with conn:
                conn.sendall(b"HTTP/1.0 400 Bad Request\r\n\r\n")
        threading.Thread(target=serve, daemon=True).start()
        assert dial_tcp("127.0.0.1", other.getsockname()[1]) == "connected, but another program answered"
        # a port a running node's own service holds: the connection is all that is asked
        assert dial_tcp("127.0.0.1", other.getsockname()[1], connect_only=True) is None
    assert dial_tcp("127.0.0.1", port, connect_only=True) == "connection refused"


def test_a_transfer_is_bounded_in_bytes_and_counted_by_the_receiver():
    listeners = Listeners("127.0.0.1", [])
    try:
        port = listeners.spare_tcp()
        measured = send("127.0.0.1", port, seconds=5.0, max_bytes=4 * 1024 * 1024)
    finally:
        listeners.close()
    assert measured["bytes"] == 4 * 1024 * 1024 and 0 < measured["seconds"] < 5


def test_listeners_close_by_themselves_if_the_installer_never_says_so():
    port = free_port()
    listeners = Listeners("127.0.0.1", [("tcp", port)], hold_s=0.3)
    assert listeners.listening == [("tcp", port)] and dial_tcp("127.0.0.1", port) is None
    assert wait_until(lambda: bindable("127.0.0.1", "tcp", port), timeout=5)


def test_a_port_already_taken_is_reported_not_listened_on():
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        session = ProbeSession("127.0.0.1")
        opened = session.handle({"action": "listen", "ports": [["tcp", taken]], "bandwidth": True})
        session.close()
    assert opened["listening"] == [] and opened["refused"] == [("tcp", taken, "Address already in use")]
    assert opened["bandwidth_port"] not in (None, taken), "the transfer gets a port of its own"


def test_an_advertise_address_that_is_not_local_listens_on_every_address():
    port = free_port()
    listeners = Listeners("192.0.2.10", [("tcp", port)])  # TEST-NET-1: never one of this host's
    try:
        assert listeners.listening == [("tcp", port)] and dial_tcp("127.0.0.1", port) is None
    finally:
        listeners.close()
