"""K3sRuntime against the k3s stand-in, with the real (sealed) registry serving the Jobs' images:
the stand-in pulls over HTTPS trusting the CA and signed in with the credentials registries.yaml
gives it, and fails as containerd does when either is wrong."""

import contextlib
import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import yaml

from installer.errors import AirliftError
from installer.host import Host
from installer.registry import Registry
from installer.runtime import K3sRuntime, RuntimeConfig
from installer.services import manager_for
from installer.tls import ensure_ca
from tests.fixtures.net import free_port, wait_until
from tests.fixtures.oci_layout import LayoutWriter, index_bundle, layer_tar

REPO = Path(__file__).resolve().parents[2]
STANDIN = REPO / "tests" / "k3s-standin" / "k3s"
REGISTRY_BIN = Path("/usr/bin/docker-registry")
HOOK = b'#!/bin/sh\necho "hook ran on $(hostname)"\necho "second line"\n'
PAGE = b"<h1>the page of the image</h1>\n"
pytestmark = pytest.mark.integration  # make test installs docker-registry; a missing one fails


def job(name, image="hello/hook:1.0.0", command=None, backoff_limit=None, counter_dir=None):
    container = {"name": "main", "image": image, **({"command": command} if command else {})}
    pod = {"restartPolicy": "Never", "containers": [container]}
    if counter_dir is not None:  # the node's folder, kept from one attempt to the next
        container["volumeMounts"] = [{"name": "work", "mountPath": "/work"}]
        pod["volumes"] = [{"name": "work", "hostPath": {"path": str(counter_dir), "type": "DirectoryOrCreate"}}]
    spec = {"template": {"spec": pod}, **({"backoffLimit": backoff_limit} if backoff_limit is not None else {})}
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name}, "spec": spec}


def fails_twice_then_succeeds():
    """A hook that fails on its first two attempts and succeeds on the third (valid shell, counting
    its attempts in a file on a hostPath volume as a real pod would)."""
    return ["sh", "-c", 'echo attempt >> /work/count\n'
                        'echo "attempt $(wc -l < /work/count)"\n'
                        '[ "$(wc -l < /work/count)" -ge 3 ] || exit 4\n'
                        'echo "migrated"']


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("runtime")
    writer = LayoutWriter(tmp / "bundle" / "images")
    writer.image("docker.io/hello/hook:1.0.0", [layer_tar({"hook.sh": HOOK})])
    writer.image("docker.io/hello/page:2.0.0", [layer_tar({"hook.sh": HOOK}), layer_tar({"www/index.html": PAGE})])
    writer.finish()
    bundle = index_bundle(tmp / "bundle")
    host = Host(tmp / "root")
    registry = Registry(host, manager_for(host), tmp / "state", port=free_port())
    credentials = registry.install(REGISTRY_BIN.open("rb"))
    registry.start()
    registry.wait_ready(30)
    registry.populate(bundle)
    runtime = K3sRuntime(host, manager_for(host), tmp / "state")
    config = RuntimeConfig(node_name="node-1", node_ip="127.0.0.1", registry_url=registry.url,
                           mirrored_registries=sorted({i.registry for i in bundle.image_contents()}),
                           api_port=free_port(), registry_ca=registry.ca_file.read_text(),
                           registry_user=credentials.username, registry_password=credentials.password)
    airgap = tmp / "k3s-airgap-images-amd64.tar"
    airgap.write_bytes(b"not really images")
    runtime.install(STANDIN.open("rb"), {airgap.name: airgap.open("rb")}, config)
    runtime.start()
    runtime.wait_ready("node-1", 60)
    yield runtime, registry, config
    runtime.uninstall()
    registry.uninstall()
    assert list(host.root.rglob("*")) == [], "uninstall leaves nothing under the root"
    assert list((tmp / "state").rglob("*")) == []


def test_air_gap_files_are_where_k3s_expects_them(cluster):
    runtime, registry, config = cluster
    paths = runtime.paths
    assert stat.S_IMODE(paths.binary.stat().st_mode) == 0o755
    assert (paths.images / "k3s-airgap-images-amd64.tar").is_file()
    registries = yaml.safe_load(paths.registries.read_text())
    assert registries["mirrors"] == {"docker.io": {"endpoint": [registry.url]}}
    assert registry.url.startswith("https://")
    assert registries["configs"][registry.host_port] == {
        "auth": {"username": config.registry_user, "password": config.registry_password},
        "tls": {"ca_file": str(paths.registry_ca)}}
    assert paths.registry_ca.read_text() == registry.ca_file.read_text()
    for secret in (paths.config, paths.registries, paths.data_dir / "agent" / "etc" / "registries.json"):
        assert stat.S_IMODE(secret.stat().st_mode) == 0o600, secret


def test_server_writes_token_node_token_and_private_kubeconfig(cluster):
    runtime, _, config = cluster
    token_file = runtime.paths.data_dir / "server" / "token"
    text = token_file.read_text()
    assert text == f"{runtime.token()}\n" and text.endswith(f"::server:{runtime.configured_token()}\n")
    ca = (runtime.paths.data_dir / "server" / "tls" / "server-ca.crt").read_bytes()
    assert text.split("::")[0] == "K10" + hashlib.sha256(ca).hexdigest()
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert os.readlink(runtime.paths.data_dir / "server" / "node-token") == "token"
    assert stat.S_IMODE(runtime.kubeconfig.stat().st_mode) == 0o600
    server = yaml.safe_load(runtime.kubeconfig.read_text())["clusters"][0]["cluster"]["server"]
    assert server == f"https://127.0.0.1:{config.api_port}"


def test_token_never_appears_in_the_service_command_or_log(cluster):
    runtime, _, _ = cluster
    token = runtime.configured_token()
    spec = runtime.host.path("/etc/airlift/services/k3s.json").read_text()
    assert token not in spec
    assert token not in Path(runtime.services.log_where("k3s")).read_text()


def test_status_and_get_nodes_show_the_ready_node(cluster):
    runtime, _, _ = cluster
    assert runtime.status()["nodes"] == [{"name": "node-1", "ready": True}]
    table = runtime.kubectl(["get", "nodes"]).splitlines()
    assert table[0].split() == ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]
    assert table[1].split()[:3] == ["node-1", "Ready", "control-plane,master"]


def test_a_hook_job_runs_its_image_script_and_streams_logs(cluster):
    runtime, _, _ = cluster
    lines = []
    runtime.run_job("install", job("install-hook", command=["/bin/sh", "/hook.sh"]), 60, lines.append)
    assert lines == ["hook ran on node-1", "second line"]
    again = []
    runtime.run_job("install", job("install-hook", command=["/bin/sh", "/hook.sh"]), 60, again.append)
    assert again == lines, "running a hook twice is safe"


def test_a_failing_job_is_named_with_its_last_log_lines(cluster):
    runtime, _, _ = cluster
    lines = []
    with pytest.raises(AirliftError) as err:
        runtime.run_job("postInstall", job("post-install", command=["sh", "-c", "echo migrating; exit 1"],
                                           backoff_limit=0), 60, lines.append)
    assert err.value.message.startswith("The postInstall hook failed: Kubernetes gave up on job post-install "
                                        "after 1 failed attempt (BackoffLimitExceeded; backoffLimit 0)")
    assert "migrating" in err.value.details
    assert lines[0] == "migrating" and lines[1].startswith("Attempt 1 of 1 (pod post-install-")
    assert lines[1].endswith("failed (exit code 1)")


def test_a_job_retried_within_its_backoff_limit_succeeds_streaming_every_attempt(cluster, tmp_path):
    runtime, _, _ = cluster
    lines = []
    runtime.run_job("install", job("migrate", command=fails_twice_then_succeeds(), backoff_limit=2,
                                   counter_dir=tmp_path / "work"), 60, lines.append)
    assert [line for line in lines if not line.startswith("Attempt")] == \
        ["attempt 1", "attempt 2", "attempt 3", "migrated"]
    assert [line.split(" (pod")[0] for line in lines if line.startswith("Attempt")] == ["Attempt 1 of 3", "Attempt 2 of 3"]
    status = json.loads(runtime.kubectl(["get", "job", "migrate", "-o", "json"]))["status"]
    assert status["failed"] == 2 and status["succeeded"] == 1
    pods = json.loads(runtime.kubectl(["get", "pods", "-l", "job-name=migrate", "-o", "json"]))["items"]
    assert [p["status"]["phase"] for p in pods] == ["Failed", "Failed", "Succeeded"]


def test_a_job_that_spends_its_backoff_limit_fails_naming_hook_job_attempts_and_log(cluster, tmp_path):
    runtime, _, _ = cluster
    with pytest.raises(AirliftError) as err:
        runtime.run_job("install", job("migrate-short", command=fails_twice_then_succeeds(), backoff_limit=1,
                                       counter_dir=tmp_path / "work"), 60, lambda line: None)
    assert err.value.message == ("The install hook failed: Kubernetes gave up on job migrate-short after "
                                 "2 failed attempts (BackoffLimitExceeded; backoffLimit 1)")
    assert err.value.details.splitlines()[1:] == ["attempt 2"]
    assert "describe job migrate-short" in err.value.hint
    status = json.loads(runtime.kubectl(["get", "job", "migrate-short", "-o", "json"]))["status"]
    failed = [c for c in status["conditions"] if c["type"] == "Failed"]
    assert status["failed"] == 2 and failed[0]["status"] == "True" and failed[0]["reason"] == "BackoffLimitExceeded"


def test_a_job_whose_image_is_not_in_the_registry_fails_to_pull(cluster):
    runtime, _, _ = cluster
    with pytest.raises(AirliftError) as err:
        runtime.run_job("install", job("missing", image="hello/absent:9.9"), 60, lambda line: None)
    assert "ImagePullBackOff" in err.value.message
    assert "hello/absent:9.9" in err.value.details


def _crictl_pull(runtime, data_dir: Path, image: str = "hello/hook:1.0.0") -> subprocess.CompletedProcess:
    return subprocess.run([str(runtime.paths.binary), "crictl", "pull", image], capture_output=True, text=True,
                          timeout=60, env={**os.environ, "K3S_DATA_DIR": str(data_dir)})


def _node_with(runtime, tmp_path: Path, name: str, change) -> Path:
    """A node's data dir whose recorded registries config is this node's, changed by `change`."""
    recorded = yaml.safe_load((runtime.paths.data_dir / "agent" / "etc" / "registries.json").read_text())
    change(next(iter(recorded["configs"].values())), recorded)
    record = tmp_path / name / "agent" / "etc" / "registries.json"
    record.parent.mkdir(parents=True)
    record.write_text(json.dumps(recorded))
    return tmp_path / name


def test_crictl_pulls_over_https_trusting_the_ca_and_signed_in(cluster):
    runtime, _, _ = cluster
    pulled = _crictl_pull(runtime, runtime.paths.data_dir)
    assert pulled.returncode == 0 and pulled.stdout.startswith("Image is up to date for sha256:"), pulled.stderr


def test_a_node_with_another_ca_fails_as_containerd_does(cluster, tmp_path):
    runtime, _, _ = cluster
    other = tmp_path / "other-ca.crt"
    other.write_text(ensure_ca(tmp_path / "other").pem)
    node = _node_with(runtime, tmp_path, "wrong-ca", lambda entry, _: entry["tls"].update(ca_file=str(other)))
    pulled = _crictl_pull(runtime, node)
    assert pulled.returncode == 1
    assert "x509: certificate signed by unknown authority" in pulled.stderr, pulled.stderr


def test_a_node_with_a_wrong_password_or_none_is_refused(cluster, tmp_path):
    runtime, _, _ = cluster
    wrong = _node_with(runtime, tmp_path, "wrong-pw", lambda entry, _: entry["auth"].update(password="guess"))
    anonymous = _node_with(runtime, tmp_path, "anonymous", lambda entry, _: entry.pop("auth"))
    for node in (wrong, anonymous):
        pulled = _crictl_pull(runtime, node)
        assert pulled.returncode == 1 and "401 Unauthorized" in pulled.stderr, pulled.stderr


def test_a_node_pulling_over_plain_http_is_refused(cluster, tmp_path):
    runtime, registry, _ = cluster

    def plain(_entry, recorded):
        recorded["mirrors"]["docker.io"]["endpoint"] = [registry.url.replace("https://", "http://")]
    pulled = _crictl_pull(runtime, _node_with(runtime, tmp_path, "plain", plain))
    assert pulled.returncode == 1 and "400 Bad Request" in pulled.stderr, pulled.stderr


def test_apply_rolls_out_a_deployment_from_the_registry(cluster, tmp_path):
    runtime, _, _ = cluster
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                  "spec": {"replicas": 2, "template": {"spec": {"containers": [
                      {"name": "web", "image": "docker.io/hello/hook:1.0.0"}]}}}}
    resources = tmp_path / "web.yaml"
    resources.write_text(yaml.safe_dump(deployment))
    runtime.apply([tmp_path])
    runtime.kubectl(["wait", "--for=condition=available", "deployment/web", "--timeout=30s"])


def web(image: str, env: dict) -> dict:
    """A Deployment whose container writes its page (unless its image carries one), then serves."""
    script = ("[ -f /www/index.html ] || printf '<h1>%s</h1>\\n' \"$GREETING\" > /www/index.html\n"
              'echo "web $GREETING: serving"\nexec /bin/busybox httpd -f -p 8080 -h /www')
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "page"},
            "spec": {"replicas": 1, "template": {"metadata": {"labels": {"app": "page"}}, "spec": {"containers": [
                {"name": "web", "image": image, "command": ["/bin/busybox", "sh", "-c"], "args": [script],
                 "env": [{"name": "GREETING", **env}]}]}}}}


def kubectl(runtime: K3sRuntime, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(runtime.paths.binary), "kubectl", "--kubeconfig", str(runtime.paths.kubeconfig),
                           *args], capture_output=True, text=True, timeout=30)


def page(runtime: K3sRuntime) -> str:
    return kubectl(runtime, "exec", "deployment/page", "--", "cat", "/www/index.html").stdout


def logs(runtime: K3sRuntime) -> str:
    return kubectl(runtime, "logs", "deployment/page").stdout


def test_a_changed_deployment_pulls_its_new_image_and_serves_the_new_pods_page(cluster, tmp_path):
    runtime, _, _ = cluster
    resources = tmp_path / "page.yaml"

    def roll_out(deployment: dict, *others: dict) -> None:
        resources.write_text(yaml.safe_dump_all([deployment, *others]))
        runtime.apply([resources])

    roll_out(web("docker.io/hello/hook:1.0.0", {"value": "one"}))
    assert wait_until(lambda: page(runtime) == "<h1>one</h1>\n", timeout=30), page(runtime)
    assert logs(runtime).strip() == "web one: serving"

    roll_out(web("docker.io/hello/page:2.0.0", {"value": "two"}))  # a new image carrying the page
    assert wait_until(lambda: page(runtime) == PAGE.decode(), timeout=30), page(runtime)

    # A pod that cannot start (its ConfigMap is missing, its image is not in the registry) leaves the
    # running pods serving, and starts once it can.
    from_settings = {"valueFrom": {"configMapKeyRef": {"name": "page-settings", "key": "greeting"}}}
    roll_out(web("docker.io/hello/hook:1.0.0", from_settings))
    assert wait_until(lambda: 'configmap "page-settings" not found' in logs(runtime), timeout=30), logs(runtime)
    assert page(runtime) == PAGE.decode()
    settings = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "page-settings"},
                "data": {"greeting": "three"}}
    roll_out(web("docker.io/hello/hook:1.0.0", from_settings), settings)
    assert wait_until(lambda: page(runtime) == "<h1>three</h1>\n", timeout=30), page(runtime)
    roll_out(web("docker.io/hello/absent:1.0.0", {"value": "four"}))
    assert wait_until(lambda: "Failed to pull image" in logs(runtime), timeout=30), logs(runtime)
    assert page(runtime) == "<h1>three</h1>\n"
    missing = kubectl(runtime, "exec", "deployment/page", "--", "cat", "/nowhere")
    assert missing.returncode == 1 and "can't open '/nowhere'" in missing.stderr
    runtime.kubectl(["delete", "deployment", "page"])


def test_an_agent_joins_with_the_token_and_a_wrong_token_is_refused(cluster, tmp_path):
    runtime, _, config = cluster
    url = f"https://127.0.0.1:{config.api_port}"
    common = [sys.executable, str(STANDIN), "agent", "--server", url,
              "--private-registry", str(runtime.paths.registries), "--config", str(tmp_path / "none.yaml")]
    refused = subprocess.run([*common, "--token", "wrong", "--node-name", "intruder", "--data-dir", str(tmp_path / "x")],
                             capture_output=True, text=True, timeout=30)
    assert refused.returncode == 1 and "token" in refused.stderr
    full = runtime.token()
    forged = "K10" + "0" * 64 + "::server:" + runtime.configured_token()
    assert forged != full
    refused = subprocess.run([*common, "--token", forged, "--node-name", "intruder", "--data-dir", str(tmp_path / "y")],
                             capture_output=True, text=True, timeout=30)
    assert refused.returncode == 1, "a full token must carry this server's CA hash"
    assert f"Failed to validate connection to cluster at {url}: token CA hash does not match the Cluster CA " \
           f"certificate hash: {'0' * 64} != {full[3:67]}" in refused.stderr, refused.stderr
    agents = [subprocess.Popen([*common, "--token", token, "--node-name", name, "--data-dir", str(tmp_path / name)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
              for name, token in (("node-2", runtime.configured_token()), ("node-3", full))]
    try:
        runtime.wait_ready("node-2", 30)
        runtime.wait_ready("node-3", 30)
        names = {n["name"] for n in runtime.status()["nodes"]}
        assert names == {"node-1", "node-2", "node-3"}
        pulled = _crictl_pull(runtime, tmp_path / "node-2")
        assert pulled.returncode == 0, f"an agent pulls through its own registries.yaml: {pulled.stderr}"
    finally:
        for agent in agents:
            agent.terminate()
            agent.wait(10)


def test_a_server_cannot_join_a_server_without_cluster_init(cluster, tmp_path):
    """The module's server runs on SQLite (no cluster-init): a second server is refused with
    k3s's error, and the first logs k3s's warning; the node never registers."""
    runtime, _, config = cluster
    url = f"https://127.0.0.1:{config.api_port}"
    refused = subprocess.run([sys.executable, str(STANDIN), "server", "--server", url, "--token", runtime.token(),
                              "--node-name", "second", "--data-dir", str(tmp_path / "second"),
                              "--config", str(tmp_path / "none.yaml")], capture_output=True, text=True, timeout=30)
    assert refused.returncode == 1
    assert "level=fatal" in refused.stderr and f"Error: preparing server: failed to bootstrap cluster data: " \
           f"{url}/v1-k3s/server-bootstrap: 400 Bad Request" in refused.stderr, refused.stderr
    log = Path(runtime.services.log_where("k3s")).read_text()
    assert "Received HTTP bootstrap request from 127.0.0.1:" in log and "but embedded etcd is not enabled." in log
    assert "second" not in {n["name"] for n in runtime.status()["nodes"]}


def etcd_runtime(tmp: Path, name: str = "node-1") -> tuple[K3sRuntime, RuntimeConfig]:
    host = Host(tmp / "root")
    runtime = K3sRuntime(host, manager_for(host), tmp / "state")
    config = RuntimeConfig(node_name=name, node_ip="127.0.0.1", registry_url="http://127.0.0.1:1",
                           mirrored_registries=["docker.io"], api_port=free_port(), cluster_init=True)
    runtime.install(STANDIN.open("rb"), {}, config)
    runtime.start()
    runtime.wait_ready(name, 60)
    return runtime, config


def test_servers_join_a_first_server_started_with_cluster_init(tmp_path):
    """With cluster-init the first server runs embedded etcd: a second server joins through
    K3sRuntime with the full token, and both show as etcd masters."""
    first, config = etcd_runtime(tmp_path / "first")
    host = Host(tmp_path / "second" / "root")
    second = K3sRuntime(host, manager_for(host), tmp_path / "second" / "state")
    try:
        assert "cluster-init: true" in first.paths.config.read_text()
        second.install(STANDIN.open("rb"), {}, RuntimeConfig(
            node_name="node-2", node_ip="127.0.0.1", registry_url="http://127.0.0.1:1",
            mirrored_registries=["docker.io"], role="server", server_url=f"https://127.0.0.1:{config.api_port}",
            token=first.token()))
        assert second.configured_token().startswith("K10"), "the joining server was given the full token"
        second.start()
        first.wait_ready("node-2", 30)
        table = first.kubectl(["get", "nodes"]).splitlines()[1:]
        assert sorted(line.split()[2] for line in table) == ["control-plane,etcd,master"] * 2, table
    finally:
        second.uninstall()
        first.uninstall()


def test_a_joining_server_refuses_a_server_whose_ca_does_not_match_the_token(tmp_path):
    """The node checks the CA the server presents against the token's hash before it sends the
    password: another server answering at that address (here a second cluster) is refused."""
    first, config = etcd_runtime(tmp_path / "first")
    other, _ = etcd_runtime(tmp_path / "other")
    try:
        mismatched = "K10" + other.token()[3:67] + "::server:" + first.configured_token()
        refused = subprocess.run(
            [sys.executable, str(STANDIN), "server", "--server", f"https://127.0.0.1:{config.api_port}",
             "--token", mismatched, "--node-name", "node-2", "--data-dir", str(tmp_path / "node-2"),
             "--config", str(tmp_path / "none.yaml")], capture_output=True, text=True, timeout=30)
        assert refused.returncode == 1
        assert "failed to validate token: token CA hash does not match the Cluster CA certificate hash: " \
               f"{other.token()[3:67]} != {first.token()[3:67]}" in refused.stderr, refused.stderr
        assert "node-2" not in {n["name"] for n in first.status()["nodes"]}
    finally:
        other.uninstall()
        first.uninstall()


def test_a_node_that_never_becomes_ready_times_out_clearly(tmp_path, monkeypatch):
    monkeypatch.setenv("K3S_STANDIN_NEVER_READY", "1")
    host = Host(tmp_path / "root")
    runtime = K3sRuntime(host, manager_for(host), tmp_path / "state")
    config = RuntimeConfig(node_name="slow", node_ip="127.0.0.1", registry_url="http://127.0.0.1:1",
                           mirrored_registries=["docker.io"], api_port=free_port())
    try:
        runtime.install(STANDIN.open("rb"), {}, config)
        runtime.start()
        began = time.monotonic()
        with pytest.raises(AirliftError) as err:
            runtime.wait_ready("slow", 4)
        assert time.monotonic() - began < 20
        assert "slow did not become Ready within 4s" in err.value.message
        assert "timed out" in err.value.details
    finally:
        runtime.uninstall()
    assert list(host.root.rglob("*")) == []


def _exe(pid: int) -> str:
    try:
        return os.readlink(f"/proc/{pid}/exe")
    except OSError:
        return ""


def _ended(proc: psutil.Process) -> bool:
    try:
        return proc.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _fake_shim(folder: Path, address: str) -> tuple[subprocess.Popen, list[psutil.Process]]:
    """A process named containerd-shim-runc-v2 (a copy of /bin/sh, from outside any k3s folder) whose
    pod is a tree of programs from elsewhere: sleep, and sh with its own sleep. Its command line names
    its containerd socket as real shims do; returns the shim and its descendants, once all started."""
    program = folder / "containerd-shim-runc-v2"
    if not program.exists():
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy("/bin/sh", program)
    shim = subprocess.Popen([str(program), "-c", "sleep 300 & /bin/sh -c 'sleep 300 & wait' & wait",
                             "containerd-shim-runc-v2", "-namespace", "k8s.io", "-address", address])
    assert wait_until(lambda: len(psutil.Process(shim.pid).children(recursive=True)) == 3, 10)
    return shim, psutil.Process(shim.pid).children(recursive=True)


def test_uninstall_ends_every_shim_tree_of_the_install_and_nothing_else(tmp_path):
    host = Host(tmp_path / "root")
    runtime = K3sRuntime(host, manager_for(host), tmp_path / "state")
    bundled = runtime.paths.data_dir / "data" / "abc123" / "bin" / "containerd-shim-runc-v2"
    bundled.parent.mkdir(parents=True)
    shutil.copy("/bin/sleep", bundled)
    socket = host.path("/run/k3s/containerd/containerd.sock")
    shim, pod = _fake_shim(tmp_path / "elsewhere", str(socket))
    other_shim, other_pod = _fake_shim(tmp_path / "elsewhere", "/run/containerd/containerd.sock")
    bystander = subprocess.Popen(["sleep", "60"])
    from_data_dir = subprocess.Popen([str(bundled), "60"])
    # Popen returns once forked; the process runs the program only after its exec.
    assert wait_until(lambda: _exe(from_data_dir.pid) == str(bundled), 10), "the bundled shim did not start"
    try:
        runtime.uninstall()
        assert from_data_dir.wait(10) == -9, "a program from k3s's data dir is ended like k3s-killall.sh does"
        assert shim.wait(10) == -9, "the shim naming this install's containerd socket is ended"
        assert wait_until(lambda: all(_ended(p) for p in pod), 10), "its whole tree is ended too"
        assert other_shim.poll() is None and not any(_ended(p) for p in other_pod), \
            "another containerd's shim (Docker's) is left alone"
        assert bystander.poll() is None, "processes from elsewhere are left alone"
    finally:
        for proc in (*pod, *other_pod):
            with contextlib.suppress(psutil.Error):
                proc.kill()
        for proc in (from_data_dir, shim, other_shim, bystander):
            proc.kill()
            proc.wait()
    assert list(host.root.rglob("*")) == []


def test_applying_a_missing_file_names_it(cluster, tmp_path):
    runtime, _, _ = cluster
    with pytest.raises(AirliftError) as err:
        runtime.apply([tmp_path / "absent.yaml"])
    assert "absent.yaml" in err.value.details
