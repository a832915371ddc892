"""The nodes Prometheus scrapes, as the install's phases add and remove them."""

from __future__ import annotations

import threading

from installer.host import Host
from installer.monitoring.server import MonitoringServer
from installer.monitoring.settings import MonitoringSettings
from tests.fixtures.net import free_port


def server(state_dir) -> MonitoringServer:  # noqa: ANN001 - a tmp_path
    settings = MonitoringSettings(address="10.0.0.5", agent_port=3012, prometheus_port=free_port(),
                                  alertmanager_port=9093, exporter_port=9100, registry_metrics_port=5001,
                                  retention="15d", retention_size="2GB", alert_for="5m")
    return MonitoringServer(Host(), None, state_dir, settings)  # type: ignore[arg-type]  # no service is run


def test_nodes_added_at_once_are_all_scraped_and_watched(tmp_path):
    # A 12-node flavor sets up its workers' exporters side by side, each phase adding its node.
    names = [f"node-{i}" for i in range(2, 14)]
    start = threading.Barrier(len(names))

    def add(name: str) -> None:
        start.wait()
        server(tmp_path).add_node(name, f"10.0.0.{name.split('-')[1]}", [f"/srv/{name}"])

    threads = [threading.Thread(target=add, args=(n,)) for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    shown = server(tmp_path)
    assert sorted(shown.nodes()) == sorted(names)
    assert shown.nodes()["node-7"] == "10.0.0.7"
    assert shown.watched()["node-13"] == ["/srv/node-13"]


def test_a_removed_node_is_no_longer_scraped_and_the_others_stay(tmp_path):
    s = server(tmp_path)
    for i in (1, 2, 3):
        s.add_node(f"node-{i}", f"10.0.0.{i}", ["/"])
    s.remove_node("node-2")
    assert s.nodes() == {"node-1": "10.0.0.1", "node-3": "10.0.0.3"}
    assert sorted(s.watched()) == ["node-1", "node-3"]
