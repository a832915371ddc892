"""The lab itself: nodes are bare Debian hosts with their own addresses, sshd and no Python."""

import socket

import pytest

pytestmark = pytest.mark.lab


def test_nodes_are_bare_hosts_that_reach_each_other(lab_nodes):
    node1, node2 = lab_nodes(2)
    assert node1.address != node2.address
    for node in (node1, node2):
        code, out = node.exec("command -v python3 || command -v python || ls /usr/bin/python*")
        assert code != 0, f"{node.name} has Python: {out}"
        assert node.address in node.check("ip -4 addr show")
    banner = node2.check(f"bash -c 'exec 3<>/dev/tcp/{node1.address}/22; head -c 7 <&3'")
    assert banner == "SSH-2.0"
    node1.put_bytes(b"hello\n", "/tmp/space dir/greeting.txt")
    assert node1.check("cat '/tmp/space dir/greeting.txt'") == "hello\n"


def test_sshd_answers_on_each_node_with_its_own_host_key(lab_nodes):
    nodes = lab_nodes(2)
    banners, keys = [], set()
    for node in nodes:
        with socket.create_connection((node.address, 22), timeout=5) as conn:
            banners.append(conn.recv(64))
        keys.add(node.check("cat /etc/ssh/ssh_host_ed25519_key.pub").split()[1])
    assert all(b.startswith(b"SSH-2.0-OpenSSH") for b in banners)
    assert len(keys) == len(nodes)
