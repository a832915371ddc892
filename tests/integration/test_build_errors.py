"""Bad input gives a clear error, a non-zero exit, and no file at the output path."""

import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from tests.fixtures.build_fixtures import HELLO, HELLO_OCI, REPO, k3s_binary, make_hello_images, run_build
from tests.integration.build_helpers import free_port, hello_variant


@pytest.fixture(autouse=True, scope="module")
def images():
    make_hello_images()


def assert_failed_cleanly(result, out_dir, *phrases):
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    for phrase in phrases:
        assert phrase in result.stderr
    assert not out_dir.exists() or list(out_dir.iterdir()) == []


def test_missing_image_names_it_and_every_place_using_it(tmp_path):
    app = hello_variant(tmp_path, {"hello/hook:1.0.0": "hello/nowhere:9"})
    out = tmp_path / "out"
    result = run_build(app, "-o", out / "b.tar", "--k3s", k3s_binary(tmp_path), "--no-k3s-images", "--source", f"oci:{HELLO_OCI}")
    assert_failed_cleanly(result, out, "docker.io/hello/nowhere:9", "install-hook.yaml",
                          f"oci:{HELLO_OCI}: not found")


def test_docker_daemon_not_running(tmp_path):
    out = tmp_path / "out"
    result = subprocess.run([sys.executable, str(REPO / "build.py"), str(HELLO / "app.yaml"), "-o",
                             str(out / "b.tar"), "--k3s", str(k3s_binary(tmp_path)), "--no-k3s-images", "--source", "docker"],
                            capture_output=True, text=True, timeout=120,
                            env={**os.environ, "DOCKER_HOST": "unix:///nonexistent"})
    assert_failed_cleanly(result, out, "The Docker daemon at unix:///nonexistent is not reachable")


def test_registry_unreachable(tmp_path):
    ref = f"127.0.0.1:{free_port()}/hello/web:1.0.0"
    app = hello_variant(tmp_path, {"hello/web:1.0.0": ref})
    out = tmp_path / "out"
    result = run_build(app, "-o", out / "b.tar", "--k3s", k3s_binary(tmp_path), "--no-k3s-images", "--source", "registry",
                       "--source", f"oci:{HELLO_OCI}")
    assert_failed_cleanly(result, out, ref, "registry 127.0.0.1:", "is not reachable")


def test_missing_runtime_says_what_and_how(tmp_path):
    out = tmp_path / "out"
    result = run_build(HELLO / "app.yaml", "-o", out / "b.tar", "--registry-bin", tmp_path / "nope",
                       "--source", f"oci:{HELLO_OCI}")
    assert_failed_cleanly(result, out, "missing the k3s binary: give it with --k3s PATH",
                          f"{tmp_path / 'nope'} is not an executable file")


@pytest.fixture
def tmpfs(tmp_path):
    mounts = []

    def mount(options: str):
        path = tmp_path / f"mnt{len(mounts)}"
        path.mkdir()
        subprocess.run(["mount", "-t", "tmpfs", "-o", options, "airlift-build-test", str(path)], check=True)
        mounts.append(path)
        return path

    yield mount
    for path in mounts:
        subprocess.run(["umount", str(path)], check=True)


def test_output_folder_not_writable(tmp_path, tmpfs):
    ro = tmpfs("ro,size=1m")
    result = run_build(HELLO / "app.yaml", "-o", ro / "b.tar", "--k3s", k3s_binary(tmp_path), "--no-k3s-images",
                       "--source", f"oci:{HELLO_OCI}")
    assert_failed_cleanly(result, ro, f"Cannot write the bundle to {ro}")


def test_full_disk_leaves_nothing(tmp_path, tmpfs):
    small = tmpfs("size=1m")
    result = run_build(HELLO / "app.yaml", "-o", small / "b.tar", "--k3s", k3s_binary(tmp_path), "--no-k3s-images",
                       "--source", f"oci:{HELLO_OCI}")
    assert_failed_cleanly(result, small, "No space left on the device while building")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_build_leaves_nothing(tmp_path, sig):
    """A registry that accepts connections and never answers keeps the build busy; Ctrl-C
    (or a SIGTERM) then."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        ref = f"127.0.0.1:{silent.getsockname()[1]}/hello/web:1.0.0"
        app = hello_variant(tmp_path, {"hello/web:1.0.0": ref})
        out = tmp_path / "out"
        proc = subprocess.Popen([sys.executable, str(REPO / "build.py"), str(app), "-o", str(out / "b.tar"),
                                 "--k3s", str(k3s_binary(tmp_path)), "--no-k3s-images", "--source", "registry", "-q"],
                                stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 30
        while not (out.exists() and list(out.iterdir())) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert list(out.iterdir()), "the build should have started writing"
        time.sleep(0.5)
        proc.send_signal(sig)
        _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert "interrupted: no bundle was written" in stderr
    assert list(out.iterdir()) == []


def test_bad_manifest_reports_every_problem(tmp_path):
    app = hello_variant(tmp_path, {})
    text = app.read_text().replace("count: 2", "count: -2").replace('min: "512MB"', 'min: "2XB"', 1)
    app.write_text(text + "bogus: 1\n")
    out = tmp_path / "out"
    result = run_build(app, "-o", out / "b.tar", "--k3s", k3s_binary(tmp_path), "--no-k3s-images", "--source", f"oci:{HELLO_OCI}")
    assert_failed_cleanly(result, out, "3 problems in the manifest", "bogus: unknown field",
                          "count: -2 is negative", '"2XB" is not a size')
