"""The hello bundle installed on this machine (temp root + state dir): the real registry from the
bundle, the k3s stand-in, the real Docker engine pulling every image back (signed in with the
install's credentials, refused without them); then uninstalled."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from installer.bundle import Bundle
from tests.integration.installer_run import Target, files_under, hold_port, leftover_processes

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def installed(hello_bundle_dir, tmp_path_factory):
    target = Target.make(hello_bundle_dir, tmp_path_factory.mktemp("install-host"))
    target.root.mkdir()
    result = target.install()
    yield target, result
    target.uninstall()


def test_install_completes_and_prints_the_summary(installed):
    target, result = installed
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "Installed hello 1.0.0" in out
    assert "Web: http://127.0.0.1:30080" in out
    assert f"Kubeconfig: {target.root}/etc/rancher/k3s/k3s.yaml" in out
    assert "hello install hook" in out  # the hook Job's log, streamed
    saved = (target.state / "answers.yaml").read_text()
    assert "flavor: one" in saved and f"registry-port: {target.registry_port}" in saved


def test_plan_and_status_show_a_healthy_install(installed):
    target, _ = installed
    plan = target.run("plan", *target.location())
    assert plan.returncode == 0 and plan.stdout.count("completed") >= 5
    status = target.run("status", *target.location())
    assert status.returncode == 0, status.stdout
    assert "✓ registry answering" in status.stdout and "✓ k3s running" in status.stdout
    assert "(v1.30.6+k3s1, carried by the bundle)" in status.stdout, status.stdout
    images = len(Bundle.open(target.state / "bundle").images())
    assert f"✓ registry serves all {images} image(s) of the bundle" in status.stdout, status.stdout
    assert "Ready" in status.stdout and "http://127.0.0.1:30080" in status.stdout


def test_status_names_an_image_the_registry_no_longer_serves(installed):
    target, _ = installed
    tags = target.state / "registry" / "storage" / "docker" / "registry" / "v2" / "repositories" / "hello" / "web"
    moved = tags.with_name("web.away")
    tags.rename(moved)
    try:
        status = target.run("status", *target.location())
    finally:
        moved.rename(tags)
    assert status.returncode == 1
    assert "✗ registry serves all" in status.stdout and "docker.io/hello/web:1.0.0" in status.stdout, status.stdout


def test_docker_pulls_every_image_back_with_identical_digests(installed, hello_bundle_dir, tmp_path):
    target, _ = installed
    env = {**os.environ, "DOCKER_CONFIG": str(tmp_path / "docker")}  # the login stays in this test
    credentials = json.loads((target.state / "registry-credentials.json").read_text())
    anonymous = subprocess.run(["docker", "pull", f"127.0.0.1:{target.registry_port}/hello/web:1.0.0"],
                               capture_output=True, text=True, timeout=120, env=env)
    assert anonymous.returncode != 0
    subprocess.run(["docker", "login", "-u", credentials["username"], "--password-stdin",
                    f"127.0.0.1:{target.registry_port}"], input=credentials["password"], text=True, env=env,
                   check=True, capture_output=True, timeout=60)
    for image in Bundle.open(hello_bundle_dir).images():
        name = image.ref.split("/", 1)[1]  # docker.io/hello/web:1.0.0 -> hello/web:1.0.0
        local = f"127.0.0.1:{target.registry_port}/{name}"
        pulled = subprocess.run(["docker", "pull", local], capture_output=True, text=True, timeout=120, env=env)
        try:
            assert pulled.returncode == 0, pulled.stderr
            inspect = subprocess.run(["docker", "image", "inspect", "--format", "{{json .RepoDigests}}", local],
                                     capture_output=True, text=True, check=True)
            repo = local.rsplit(":", 1)[0]
            assert f"{repo}@{image.digest}" in json.loads(inspect.stdout)
        finally:
            subprocess.run(["docker", "rmi", "-f", local], capture_output=True)


def test_no_token_in_any_log_or_output(installed):
    target, result = installed
    token = (target.root / "var/lib/rancher/k3s/server/token").read_text().strip()
    password = token.rsplit(":", 1)[-1]
    registry_password = json.loads((target.state / "registry-credentials.json").read_text())["password"]
    texts = [result.stdout, result.stderr, (target.state / "events.jsonl").read_text()]
    texts += [p.read_text(errors="replace") for p in (target.state / "logs").glob("*")]
    for text in texts:
        assert token not in text and password not in text and registry_password not in text


def test_a_second_start_is_refused(installed):
    target, _ = installed
    again = target.install()
    assert again.returncode == 2
    assert "already exists" in again.stdout and "--resume" in again.stdout


def test_uninstall_leaves_nothing_behind_and_is_idempotent(installed):
    target, _ = installed
    first = target.uninstall()
    assert first.returncode == 0, first.stdout + first.stderr
    assert files_under(target.root) == []
    assert not target.state.exists()
    assert leftover_processes(target.root, target.state) == []
    again = target.uninstall()
    assert again.returncode == 0


def test_a_taken_port_stops_the_install_before_any_change(hello_bundle_dir, tmp_path):
    target = Target.make(hello_bundle_dir, tmp_path)
    target.root.mkdir()
    holder = hold_port(target.registry_port)
    try:
        result = target.install()
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 1, result.stdout
    assert f"port-tcp-{target.registry_port}" in result.stdout and "What to do:" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    assert files_under(target.root) == [] and not target.state.exists()


def test_check_runs_alone_and_prints_a_table(hello_bundle_dir, tmp_path):
    target = Target.make(hello_bundle_dir, tmp_path)
    result = target.run("check", *target.answer_args())
    assert result.returncode == 0, result.stdout
    assert "Host checks" in result.stdout and f"port-tcp-{target.registry_port}" in result.stdout
    assert "ready for the install" in result.stdout and not target.state.exists()
    listed = target.run("check", "--list")
    assert listed.returncode == 0 and "ports" in listed.stdout and "clock-drift" in listed.stdout


def failing_hook_bundle(bundle: Path, tmp: Path) -> Path:
    """A copy of the hello bundle whose install hook exits 3 (index updated, as a vendor's build would)."""
    copy = tmp / "hello-1.0.0"
    shutil.copytree(bundle, copy, copy_function=os.link)
    manifest = yaml.safe_load((copy / "app.yaml").read_text())
    job = manifest["hooks"]["install"]["job"]
    done = '              echo "hello install hook: done"'
    assert done in job
    manifest["hooks"]["install"]["job"] = job.replace(done, '              echo "hello install hook: failing"\n'
                                                            "              exit 3")
    (copy / "app.yaml").unlink()  # a hard link: never write through it into the shared bundle
    data = yaml.safe_dump(manifest, sort_keys=False).encode()
    (copy / "app.yaml").write_bytes(data)
    index = json.loads((copy / "index.json").read_text())
    for entry in index["files"]:
        if entry["path"] == "app.yaml":
            entry.update(size=len(data), sha256=hashlib.sha256(data).hexdigest())
    (copy / "index.json").unlink()
    (copy / "index.json").write_text(json.dumps(index))
    return copy


def test_a_failing_hook_job_fails_the_app_phase_with_its_log(hello_bundle_dir, tmp_path):
    target = Target.make(failing_hook_bundle(hello_bundle_dir, tmp_path / "bundle"), tmp_path)
    target.root.mkdir()
    try:
        result = target.install()
        assert result.returncode == 2, result.stdout + result.stderr
        out = result.stdout
        assert "hello install hook: failing" in out  # streamed before the failure
        assert "Phase /app failed" in out and "hello-install" in out
        assert "What to do:" in out and "--resume" in out and "Traceback" not in out
        plan = target.run("plan", *target.location()).stdout
        assert plan.count("completed") == 4 and "failed" in plan
    finally:
        assert target.uninstall().returncode == 0
    assert files_under(target.root) == [] and leftover_processes(target.root, target.state) == []


def test_a_state_folder_without_room_stops_the_install_before_any_change(hello_bundle_dir, tmp_path):
    target = Target.make(hello_bundle_dir, tmp_path)
    target.root.mkdir()
    small = tmp_path / "small"
    small.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "airlift-test-small", str(small)], check=True)
    target.state = small / "state"
    try:
        result = target.install()
        assert result.returncode == 1, result.stdout
        assert "state-dir" in result.stdout and "What to do:" in result.stdout
        assert files_under(small) == [] and files_under(target.root) == []
    finally:
        subprocess.run(["umount", str(small)], check=True)
