"""This host's network: the default route's interface, and the addresses offered to the operator."""

import ipaddress

from installer.facts.addresses import HostNetwork, default_route_iface


def test_default_route_interface_is_read_from_the_route_table(tmp_path):
    table = tmp_path / "route"
    table.write_text("Iface\tDestination\tGateway\n"
                     "docker0\t000011AC\t00000000\n"
                     "eth0\t00000000\t0107A8C0\n")
    assert default_route_iface(table) == "eth0"
    assert default_route_iface(tmp_path / "missing") is None


def test_a_black_hole_or_half_table_route_is_not_the_default_route(tmp_path):
    table = tmp_path / "route"
    table.write_text("Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\n"
                     "*\t00000000\t00000000\t0001\t0\t0\t1000\t00000000\n"
                     "tun0\t00000000\t0100000A\t0003\t0\t0\t0\t00000080\n"
                     "eth1\t00000000\t0107A8C0\t0003\t0\t0\t100\t00000000\n")
    assert default_route_iface(table) == "eth1"


def test_the_addresses_offered_leave_out_loopback_and_put_the_default_route_first():
    network = HostNetwork((ipaddress.IPv4Interface("127.0.0.1/8"), ipaddress.IPv4Interface("10.0.0.9/24"),
                           ipaddress.IPv4Interface("192.168.7.10/24"), ipaddress.IPv4Interface("10.0.0.5/24")),
                          "192.168.7.10")
    assert network.reachable_addresses() == ["192.168.7.10", "10.0.0.5", "10.0.0.9"]
    assert HostNetwork(network.interfaces, None).reachable_addresses() == ["10.0.0.5", "10.0.0.9", "192.168.7.10"]
