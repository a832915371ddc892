"""The preflight families' hints carry the exact fix: the command, the file and its line."""

from __future__ import annotations

from installer.checks import run_checks
from installer.facts.host_record import ClusterSettings, InterfaceAddress, Leftovers, Route
from tests.unit.checks_cases import facts, profile
from tests.unit.preflight_cases import BASE, dns, left, limits, net, sec


def hint(check_id: str, **changes) -> str:
    result = {r.id: r for r in run_checks(facts(**changes), profile())}[check_id]
    assert result.status != "pass", result
    return result.hint


def test_default_route_fix_is_k3s_s_dummy_interface_route():
    fix = hint("default-route", **net(routes=BASE.network.routes[1:]))
    assert "ip route add default via ROUTER" in fix
    assert ("ip link add dummy0 type dummy && ip link set dummy0 up && ip addr add 203.0.113.254/31 dev dummy0 "
            "&& ip route add default via 203.0.113.255 dev dummy0 metric 1000") in fix
    assert "--advertise-addr" in fix and "blackhole" not in fix


def test_a_black_hole_default_route_is_replaced():
    fix = hint("default-route", **net(routes=[Route("0.0.0.0/0", "*"), *BASE.network.routes[1:]]))
    assert fix.startswith("Remove it (ip route del default). Add one through an interface")


def test_a_clashing_range_gets_a_free_one_suggested():
    taken = net(addresses=[*BASE.network.addresses, InterfaceAddress("eth1", "10.42.0.1/16"),
                           InterfaceAddress("eth2", "10.44.0.1/16")])
    assert "--pod-cidr 10.45.0.0/16 (pod-cidr: in the answers file)" in hint("cidr-pod", **taken)


def test_firewalld_fix_opens_every_port_and_the_ranges():
    fix = hint("firewall", **sec(daemons=["firewalld"]))
    assert "firewall-cmd --permanent --add-port=2379-2380/tcp --add-port=6443/tcp " in fix
    assert "--add-source=10.42.0.0/16 --add-source=10.43.0.0/16" in fix and "systemctl disable --now firewalld" in fix


def test_an_agent_opens_no_etcd_port():
    agent = {"cluster": ClusterSettings(advertise_addr="10.0.0.5", server=False)}
    assert "2379" not in hint("firewall", **sec(ufw_enabled=True), **agent)


def test_selinux_fix_names_the_package():
    assert "k3s-selinux-*.rpm" in hint("selinux", **sec(selinux="enforcing"))


def test_limits_fix_is_the_sysctl_line():
    fix = hint("limits-inotify", **limits(fs__inotify__max_user_watches="8192"))
    assert fix.startswith("Run: sysctl -w fs.inotify.max_user_watches=524288 && ")
    assert "/etc/sysctl.d/90-airlift-inotify.conf" in fix and "max_user_instances" not in fix


def test_network_manager_fix_is_the_config_file():
    fix = hint("network-manager", **sec(daemons=["NetworkManager"], nm_unmanaged=["interface-name:cni0"]))
    assert "/etc/NetworkManager/conf.d/k3s.conf" in fix
    assert "unmanaged-devices=interface-name:cni0;interface-name:flannel*" in fix


def test_cni_fix_deletes_each_interface():
    fix = hint("cni-interfaces", **net(links=["cali12ab", "cni0", "eth0"]))
    assert fix.startswith("Remove them: ip link delete cali12ab && ip link delete cni0 ")


def test_node_name_fix_suggests_a_valid_name():
    assert "hostnamectl set-hostname db-01.example" in hint("node-name", hostname="DB_01.example")


def test_loopback_resolver_fix_names_the_k3s_drop_in():
    assert "/etc/rancher/k3s/config.yaml.d/50-resolv.yaml" in hint("dns-resolver", **dns(nameservers=["127.0.0.11"]))


def test_leftovers_name_the_uninstall_that_clears_them():
    assert hint("leftover-files", **left(paths=["/var/lib/rancher/k3s"])).endswith(
        "./install uninstall (it removes what k3s-killall.sh and k3s-uninstall.sh remove)")
    scripted = left(paths=["/var/lib/rancher/k3s"], uninstallers=["/usr/local/bin/k3s-killall.sh",
                                                                  "/usr/local/bin/k3s-uninstall.sh"])
    assert hint("leftover-files", **scripted).endswith("/usr/local/bin/k3s-uninstall.sh")
    other = left(paths=["/var/lib/airlift"], chains=["KUBE-SERVICES"])
    assert "./install uninstall --state-dir /var/lib/airlift" in hint("leftover-iptables", **other)
    assert "xargs -r umount" in hint("leftover-mounts", leftovers=Leftovers(mounts=["/run/k3s/containerd/x"]))


def test_an_agent_measures_no_disk_latency():
    ids = {r.id for r in run_checks(facts(fsync=[]), profile())}
    assert not any(i.startswith("disk-latency") for i in ids)
