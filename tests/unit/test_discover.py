"""Image discovery: every image of every workload kind, hooks, ImageSets and Helm charts, each
with the places that use it; unreadable files and bad references name the file, line and place."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from airlift_build.discover import discover_images

from installer.errors import AirliftError
from installer.manifest import load_manifest

REPO = Path(__file__).resolve().parents[2]

MANIFEST = """apiVersion: bundle.gravitational.io/v2
kind: Bundle
metadata: {name: app, resourceVersion: 1.0.0}
hooks:
  install: {job: "file://hooks/install.yaml"}
"""
HOOK = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "install"},
        "spec": {"template": {"spec": {"containers": [{"name": "i", "image": "vendor/installer:1"}]}}}}
WORKLOADS = """apiVersion: v1
kind: Pod
metadata: {name: pod}
spec:
  initContainers: [{name: init, image: "busybox:1.36"}]
  containers: [{name: main, image: nginx}]
  ephemeralContainers: [{name: debug, image: "registry.local:5000/tools/debug:2"}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec: {template: {spec: {containers: [{name: web, image: "nginx:latest"}]}}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec: {template: {spec: {containers: [{name: db, image: "postgres:16"}]}}}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec: {template: {spec: {containers: [{name: a, image: "quay.io/o/agent:3"}]}}}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: rs}
spec: {template: {spec: {containers: [{name: r, image: "rs/img:1"}]}}}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
spec: {jobTemplate: {spec: {template: {spec: {containers: [{name: c, image: "cron/img:1"}]}}}}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: not-a-workload}
data: {image: "ignored:1"}
---
"""


def make_app(tmp_path: Path, files: dict[str, str]) -> Path:
    (tmp_path / "app.yaml").write_text(MANIFEST)
    (tmp_path / "hooks").mkdir()
    (tmp_path / "hooks" / "install.yaml").write_text(yaml.safe_dump(HOOK))
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path / "app.yaml"


def discover(tmp_path: Path, files: dict[str, str]):
    return discover_images(load_manifest(make_app(tmp_path, files)))


@pytest.fixture
def no_helm(tmp_path_factory, monkeypatch) -> None:
    """A PATH without helm, so charts are read from values and image lines."""
    monkeypatch.setenv("PATH", str(tmp_path_factory.mktemp("empty-path")))


def test_every_workload_kind_and_container_list(tmp_path: Path) -> None:
    found = discover(tmp_path, {"resources/all.yaml": WORKLOADS})
    assert found.images == {
        "docker.io/cron/img:1": ['resources/all.yaml (document 6): CronJob "nightly" '
                                 "spec.jobTemplate.spec.template.spec.containers[0].image"],
        "docker.io/library/busybox:1.36": ['resources/all.yaml (document 1): Pod "pod" spec.initContainers[0].image'],
        "docker.io/library/nginx:latest": [
            'resources/all.yaml (document 1): Pod "pod" spec.containers[0].image',
            'resources/all.yaml (document 2): Deployment "web" spec.template.spec.containers[0].image',
        ],
        "docker.io/library/postgres:16": ['resources/all.yaml (document 3): StatefulSet "db" '
                                          "spec.template.spec.containers[0].image"],
        "docker.io/rs/img:1": ['resources/all.yaml (document 5): ReplicaSet "rs" spec.template.spec.containers[0].image'],
        "docker.io/vendor/installer:1": [
            'hooks/install.yaml: Job "install" spec.template.spec.containers[0].image',
            'hooks.install: Job "install" spec.template.spec.containers[0].image',
        ],
        "quay.io/o/agent:3": ['resources/all.yaml (document 4): DaemonSet "agent" spec.template.spec.containers[0].image'],
        "registry.local:5000/tools/debug:2": ['resources/all.yaml (document 1): Pod "pod" '
                                              "spec.ephemeralContainers[0].image"],
    }
    assert found.warnings == []


def test_hook_given_inline_is_found(tmp_path: Path) -> None:
    (tmp_path / "app.yaml").write_text(MANIFEST.replace('"file://hooks/install.yaml"', json.dumps(yaml.safe_dump(HOOK))))
    found = discover_images(load_manifest(tmp_path / "app.yaml"))
    assert found.images == {"docker.io/vendor/installer:1": ['hooks.install: Job "install" '
                                                             "spec.template.spec.containers[0].image"]}


def test_imageset_and_list(tmp_path: Path) -> None:
    imageset = ("apiVersion: bundle.gravitational.io/v2\nkind: ImageSet\nmetadata: {name: extra}\n"
                "images:\n  - image: alpine:3.19\n  - redis\n")
    listing = yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": [
        {"kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"image": "listed:1"}]}}]})
    found = discover(tmp_path, {"extra/images.yml": imageset, "list.yaml": listing})
    assert found.images["docker.io/library/alpine:3.19"] == ['extra/images.yml: ImageSet "extra" images[0]']
    assert found.images["docker.io/library/redis:latest"] == ['extra/images.yml: ImageSet "extra" images[1]']
    assert found.images["docker.io/library/listed:1"] == ['list.yaml items[0]: Pod "p" spec.containers[0].image']


def test_manifest_hidden_folders_and_other_files_are_not_resources(tmp_path: Path) -> None:
    pod = yaml.safe_dump({"kind": "Pod", "spec": {"containers": [{"image": "hidden:1"}]}})
    found = discover(tmp_path, {".git/pod.yaml": pod, "notes.txt": "image: text:1", "data.json": "{}"})
    assert list(found.images) == ["docker.io/vendor/installer:1"]


def test_a_subfolder_with_a_manifest_of_its_own_is_another_version(tmp_path: Path) -> None:
    pod = yaml.safe_dump({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                          "spec": {"containers": [{"name": "c", "image": "next:2"}]}})
    found = discover(tmp_path, {"next/app.yaml": MANIFEST, "next/resources/pod.yaml": pod,
                                "resources/app.yaml": pod.replace("next:2", "mine:1")})
    assert "docker.io/library/next:2" not in found.images, "next/ holds another version's manifest"
    assert "docker.io/library/mine:1" in found.images, "a resource called app.yaml is still a resource"


def test_bad_yaml_names_the_file_and_line(tmp_path: Path) -> None:
    broken = "apiVersion: v1\nkind: Pod\nspec:\n  containers: [\n    {image: a}\n  oops: 1\n"
    with pytest.raises(AirliftError) as caught:
        discover(tmp_path, {"resources/broken.yaml": broken, "resources/also.yaml": "a: b: c\n"})
    details = caught.value.details
    assert "resources/broken.yaml line 6: not valid YAML" in details
    assert "resources/also.yaml line 1: not valid YAML" in details
    assert "Helm template" in details
    assert caught.value.message == "2 problem(s) finding the images of app 1.0.0"


def test_bad_image_reference_names_the_place(tmp_path: Path) -> None:
    pod = yaml.safe_dump({"kind": "Pod", "metadata": {"name": "p"},
                          "spec": {"containers": [{"image": "Bad Image"}, {"name": "noimage"}]}})
    with pytest.raises(AirliftError) as caught:
        discover(tmp_path, {"pod.yaml": pod})
    assert 'pod.yaml: Pod "p" spec.containers[0].image: "Bad Image" is not a valid image reference' in caught.value.details
    assert 'pod.yaml: Pod "p" spec.containers[1].image: no image given' in caught.value.details


CHART_TEMPLATE = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "x.fullname" . }}
spec:
  template:
    spec:
      containers:
        - name: app
          image: "{{ .Values.app.image.registry }}/{{ .Values.app.image.repository }}:{{ .Values.app.image.tag }}"
        - name: side
          image: {{ .Values.sidecar }}
        - name: computed
          image: {{ include "x.image" . }}
"""
CHART_VALUES = """app:
  image: {registry: quay.io, repository: org/app, tag: "2.0"}
sidecar: envoyproxy/envoy:v1.29
workers:
  - name: w
    image: {repository: org/worker, tag: "3"}
"""


def test_chart_without_helm_reads_values_and_image_lines(tmp_path: Path, no_helm) -> None:
    found = discover(tmp_path, {"charts/x/Chart.yaml": "name: x\nversion: 0.1.0\n",
                                "charts/x/values.yaml": CHART_VALUES,
                                "charts/x/templates/deploy.yaml": CHART_TEMPLATE,
                                "charts/x/charts/sub/Chart.yaml": "name: sub\n",
                                "charts/x/charts/sub/values.yaml": "tag: '1.2'\n",
                                "charts/x/charts/sub/templates/t.yaml": "{{ if .Values.on }}\nkind: Pod\n"
                                                                        "image: sub/img:{{ .Values.tag }}\n{{ end }}\n",
                                ".hidden/chart/Chart.yaml": "name: hidden\n",
                                ".hidden/chart/values.yaml": "image: hidden:1\n"})
    assert found.images["quay.io/org/app:2.0"] == ["charts/x/values.yaml: app.image",
                                                   "charts/x/templates/deploy.yaml line 10"]
    assert found.images["docker.io/envoyproxy/envoy:v1.29"] == ["charts/x/templates/deploy.yaml line 12"]
    assert found.images["docker.io/org/worker:3"] == ["charts/x/values.yaml: workers[0].image"]
    assert found.images["docker.io/sub/img:1.2"] == ["charts/x/charts/sub/templates/t.yaml line 3"]
    assert "docker.io/library/hidden:1" not in found.images
    assert found.warnings == [
        "charts/x: helm is not installed, so the chart's 4 image(s) were read from values.yaml and the image: "
        "lines of its templates; check them with --list-images, or render the chart with helm"]


def test_chart_value_that_is_not_an_image_is_a_warning_not_an_error(tmp_path: Path, no_helm) -> None:
    found = discover(tmp_path, {"chart/values.yaml": "image: Not An Image\n",
                                "chart/templates/t.yaml": "{{ .Values.x }}: ["})
    assert list(found.images) == ["docker.io/vendor/installer:1"]
    assert found.warnings[0].startswith('chart/values.yaml: image: "Not An Image" is not a valid image reference')
    assert found.warnings[1].startswith("chart: helm is not installed, so the chart's 0 image(s)")


@pytest.mark.skipif(shutil.which("helm") is None, reason="helm is not installed on this machine")
def test_chart_rendered_by_helm(tmp_path: Path) -> None:
    chart = {"charts/x/Chart.yaml": "apiVersion: v2\nname: x\nversion: 0.1.0\n",
             "charts/x/values.yaml": "tag: '7'\n",
             "charts/x/templates/pod.yaml": "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n"
                                            "spec: {containers: [{name: c, image: 'redis:{{ .Values.tag }}'}]}\n"}
    found = discover(tmp_path, chart)
    assert found.images["docker.io/library/redis:7"] == ['charts/x (helm template): Pod "p" spec.containers[0].image']
    assert found.warnings == []


def test_hello_example() -> None:
    found = discover_images(load_manifest(REPO / "examples" / "hello" / "app.yaml"))
    assert list(found.images) == ["docker.io/hello/hook:1.0.0", "docker.io/hello/web:1.0.0"]
    assert "hooks.install: Job \"hello-install\" spec.template.spec.containers[0].image" in \
        found.images["docker.io/hello/hook:1.0.0"]
    assert found.warnings == []
