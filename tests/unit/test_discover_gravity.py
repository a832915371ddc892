"""Gravity's own example applications load unchanged and their images, hook images included,
are discovered; `build.py --list-images` lists them."""

from __future__ import annotations

from pathlib import Path

import pytest
from airlift_build.cli import main as build_main
from airlift_build.discover import discover_images

from installer.manifest import load_manifest

GRAVITY = Path(__file__).resolve().parents[1] / "fixtures" / "gravity"
APPS = {
    "wordpress": {"hooks": {"install": "quay.io/gravitational/debian-tall:buster",
                            "update": "quay.io/gravitational/debian-tall:buster"},
                  "chart": {"docker.io/library/mysql:5.7", "docker.io/library/wordpress:5.4-apache"}},
    "robot-shop-app": {"hooks": {"install": "quay.io/gravitational/debian-tall:buster",
                                 "update": "quay.io/gravitational/debian-tall:buster"},
                       "chart": {"docker.io/robotshop/rs-web:0.4.20", "docker.io/library/redis:4.0.6",
                                 "docker.io/library/rabbitmq:3.7-management-alpine", "docker.io/robotshop/rs-cart:latest"}},
    "tensorflow-resnet": {"hooks": {"install": "quay.io/gravitational/debian-tall:buster",
                                    "update": "quay.io/gravitational/debian-tall:stretch"},
                          "chart": {"docker.io/bitnami/tensorflow-serving:2.1.0-debian-10-r75",
                                    "docker.io/bitnami/tensorflow-resnet:2.1.0-debian-10-r82"}},
}


@pytest.fixture(autouse=True)
def no_helm(tmp_path_factory, monkeypatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path_factory.mktemp("empty-path")))


@pytest.mark.parametrize("name", APPS)
def test_gravity_example_loads_unchanged(name: str) -> None:
    m = load_manifest(GRAVITY / name / "resources" / "app.yaml")
    assert m.kind == "Cluster"
    assert set(m.hooks) == {"install", "update"}
    assert all(job["kind"] == "Job" for job in m.hooks.values())
    assert m.default_flavor in {f.name for f in m.flavors}


@pytest.mark.parametrize("name", APPS)
def test_discovery_lists_hook_and_chart_images(name: str) -> None:
    found = discover_images(load_manifest(GRAVITY / name / "resources" / "app.yaml"))
    for hook, image in APPS[name]["hooks"].items():
        assert f'hooks.{hook}: Job "{"install" if hook == "install" else "upgrade"}" ' \
               "spec.template.spec.containers[0].image" in found.images[image]
    assert APPS[name]["chart"] <= set(found.images)
    assert len(found.warnings) == 1 and "helm is not installed" in found.warnings[0]


@pytest.mark.parametrize("name", APPS)
def test_list_images_prints_every_image(name: str, capsys) -> None:
    assert build_main([str(GRAVITY / name / "resources" / "app.yaml"), "--list-images"]) == 0
    out = capsys.readouterr().out
    listed = {line.split("\t")[0] for line in out.splitlines()}
    assert set(APPS[name]["hooks"].values()) | APPS[name]["chart"] <= listed
