"""The monitoring's generated files: Prometheus's config and targets, the alert rules,
Alertmanager's receivers and the exporter's web config."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import bcrypt
import pytest
import yaml

from installer.monitoring.config import alertmanager_config, prometheus_config, targets_file
from installer.monitoring.exporter import admits, web_config
from installer.monitoring.mounts import mount_point
from installer.monitoring.paths import MonitoringPaths
from installer.monitoring.rules import alert_rules, rules_file
from installer.monitoring.settings import MonitoringSettings
from installer.registry.credentials import Credentials
from installer.statedir import StateDir


def settings(**changes) -> MonitoringSettings:
    base = dict(address="10.0.0.5", agent_port=3012, prometheus_port=9090, alertmanager_port=9093,
                exporter_port=9100, registry_metrics_port=5001, retention="15d", retention_size="2GB",
                alert_for="5m")
    return MonitoringSettings(**{**base, **changes})


def test_prometheus_scrapes_exporters_over_tls_signed_in_the_registry_the_cluster_service_and_alerts(tmp_path):
    paths, state = MonitoringPaths.of(tmp_path), StateDir(tmp_path)
    config = yaml.safe_load(prometheus_config(settings(), paths, state))
    jobs = {j["job_name"]: j for j in config["scrape_configs"]}
    node = jobs["node"]
    assert node["scheme"] == "https" and node["tls_config"] == {"ca_file": str(state.tls_ca_cert)}
    assert node["basic_auth"] == {"username": "airlift", "password_file": str(paths.password_file)}
    assert node["file_sd_configs"][0]["files"] == [str(paths.targets)]
    assert jobs["registry"]["static_configs"][0]["targets"] == ["127.0.0.1:5001"]
    cluster = jobs["airlift-cluster"]
    assert cluster["authorization"] == {"credentials_file": str(paths.metrics_token)}
    assert cluster["static_configs"][0]["targets"] == ["10.0.0.5:3012"]
    assert config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"] == ["127.0.0.1:9093"]
    assert config["rule_files"] == [str(paths.rules)]


def test_targets_name_each_node():
    groups = json.loads(targets_file([("node-2", "10.0.0.6"), ("node-1", "10.0.0.5")], 9101))
    assert groups == [{"targets": ["10.0.0.5:9101"], "labels": {"node": "node-1"}},
                      {"targets": ["10.0.0.6:9101"], "labels": {"node": "node-2"}}]


def test_every_shipped_alert_is_there_with_the_answered_for():
    rules = {r["alert"]: r for r in alert_rules("10s", ["/", "/var/lib/airlift"])}
    assert set(rules) == {"NodeDown", "DiskAlmostFull", "InodesAlmostFull", "MemoryPressure", "RegistryDown",
                          "NodeNotReady", "ClockDrift", "CertificateExpiring", "ClusterServiceDown",
                          "StatusHookFailing"}
    assert all(r["for"] == "10s" and r["annotations"]["summary"] for r in rules.values())
    assert "> 0.85" in rules["DiskAlmostFull"]["expr"] and "> 0.3" in rules["ClockDrift"]["expr"]
    assert "30 * 86400" in rules["CertificateExpiring"]["expr"]


def test_the_disk_rules_watch_exactly_the_given_mount_points_escaped_for_promql():
    text = rules_file("5m", ["/data.d", "/", "/data.d"])
    disk = next(r for r in yaml.safe_load(text)["groups"][0]["rules"] if r["alert"] == "DiskAlmostFull")
    assert 'mountpoint=~"/|/data\\\\.d"' in disk["expr"]  # RE2 `\.` written in a PromQL string


def test_alertmanager_delivers_to_the_webhook_and_mail_only_when_answered():
    silent = yaml.safe_load(alertmanager_config(settings()))
    assert silent["receivers"] == [{"name": "airlift"}] and silent["route"]["receiver"] == "airlift"
    both = yaml.safe_load(alertmanager_config(settings(webhook="https://hooks.example/a", email="ops@example.com",
                                                       smtp="mail.example:25", email_from="airlift@example.com")))
    receiver = both["receivers"][0]
    assert receiver["webhook_configs"] == [{"url": "https://hooks.example/a", "send_resolved": True}]
    assert receiver["email_configs"][0]["smarthost"] == "mail.example:25"


def test_the_exporter_admits_the_install_user_only_and_serves_tls(tmp_path):
    paths = MonitoringPaths.of(tmp_path)
    user = Credentials("airlift", "s3cret")
    text = web_config(paths, user)
    config = yaml.safe_load(text)
    assert config["tls_server_config"]["cert_file"] == str(paths.exporter_cert)
    assert bcrypt.checkpw(b"s3cret", config["basic_auth_users"]["airlift"].encode())
    assert "s3cret" not in text
    assert admits(text, user) and not admits(text, Credentials("airlift", "other")) and not admits("", user)


def test_the_mount_point_of_a_missing_path_is_its_nearest_mounted_ancestor(tmp_path):
    assert mount_point(Path("/")) == "/"
    assert Path(mount_point(tmp_path / "not" / "there")) in (tmp_path / "x").parents


def test_a_failing_status_hook_alerts_on_the_cluster_services_metric():
    rule = next(r for r in alert_rules("2m", ["/"]) if r["alert"] == "StatusHookFailing")
    assert rule["expr"] == "airlift_status_hook_ok == 0" and rule["for"] == "2m"
    assert rule["labels"] == {"severity": "warning"} and "status hook fails" in rule["annotations"]["summary"]


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool is not installed on this machine")
def test_promtool_accepts_the_rules_file_and_the_status_hook_rule_fires_on_a_failed_run(tmp_path):
    (tmp_path / "rules.yml").write_text(rules_file("1m", ["/"]))
    (tmp_path / "test.yml").write_text(yaml.safe_dump({
        "rule_files": ["rules.yml"], "evaluation_interval": "1m",
        "tests": [{"interval": "1m",
                   "input_series": [{"series": 'airlift_status_hook_ok{job="airlift-cluster"}', "values": "1 1 0 0 0 0"}],
                   "alert_rule_test": [
                       {"eval_time": "2m", "alertname": "StatusHookFailing", "exp_alerts": []},
                       {"eval_time": "4m", "alertname": "StatusHookFailing", "exp_alerts": [
                           {"exp_labels": {"severity": "warning", "job": "airlift-cluster"},
                            "exp_annotations": {"summary": "The application's status hook fails: ./install status "
                                                           "shows its log tail"}}]}]}]}))
    checked = subprocess.run(["promtool", "test", "rules", "test.yml"], cwd=tmp_path, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
