"""The frozen installer on bare hosts: lab nodes from the Debian minbase image, with no Python.

The bundle is copied to the node as the operator would (one tar), unpacked into a folder whose
path has spaces, and run from another folder.
"""

from pathlib import Path

import pytest

import installer
from tests.fixtures.lab import LabNode

pytestmark = pytest.mark.lab

PARENT = "/opt/my bundles"
INSTALL = f"'{PARENT}/hello-1.0.0/install'"


def unpack(node: LabNode, tar: Path, parent: str = PARENT) -> str:
    """Copy the bundle tar to the node and unpack it into `parent` with the node's tar.

    The copy lands in /root first: Docker cannot copy into a tmpfs mount such as a noexec /tmp.
    """
    node.put(tar, "/root")
    node.check(f"mkdir -p '{parent}' && tar -C '{parent}' -xf '/root/{tar.name}'")
    return f"{parent}/hello-1.0.0"


def test_the_frozen_installer_installs_on_a_host_without_python(lab_nodes, frozen_hello_bundle):
    (node,) = lab_nodes(1)
    assert node.exec("command -v python3 || command -v python")[0] != 0
    unpack(node, frozen_hello_bundle)

    assert "--cli" in node.check(f"{INSTALL} --help", workdir="/")
    version = node.check(f"{INSTALL} --version", workdir="/")
    assert f"Airlift {installer.__version__}" in version and "hello 1.0.0" in version
    assert "match the index" in node.check(f"{INSTALL} verify", workdir="/")
    code, out = node.exec(f"{INSTALL} check", workdir="/")
    assert code in (0, 1) and "cpu-min" in out and "Traceback" not in out, out

    done = node.check(f"{INSTALL} --cli --flavor one --accept-eula", workdir="/")
    assert "Installed hello 1.0.0" in done and "Web: http://" in done
    # The services outlive the installer: the registry and the stand-in k3s still answer.
    status = node.check(f"{INSTALL} status", workdir="/")
    assert "Traceback" not in status and "internal error" not in status
    assert node.check("command -v k3s").strip()
    assert "Ready" in node.check("k3s kubectl get nodes")

    # The operator deletes the unpacked bundle: the installer kept with the install still works.
    node.check(f"rm -rf '{PARENT}' /root/*.tar")
    kept = "/var/lib/airlift/installer/install"
    status = node.check(f"{kept} status", workdir="/")
    assert "✓ registry answering" in status and "✓ k3s running" in status
    assert "Uninstalled" in node.check(f"{kept} uninstall --yes", workdir="/")
    assert node.exec("test -e /var/lib/airlift || command -v k3s")[0] != 0


def test_a_non_root_user_is_told_root_is_needed_while_check_works(lab_nodes, frozen_hello_bundle):
    (node,) = lab_nodes(1)
    unpack(node, frozen_hello_bundle)
    node.check("useradd -m alice")

    code, out = node.exec(f"{INSTALL} --cli --flavor one", user="alice", workdir="/tmp")
    assert code == 2, out
    assert "needs root" in out and "sudo ./install --cli --flavor one" in out
    assert "Traceback" not in out
    assert node.exec("test -e /var/lib/airlift")[0] != 0, "a refused install left a state folder"

    code, out = node.exec(f"{INSTALL} check --state-dir /tmp/state", user="alice", workdir="/tmp")
    assert code in (0, 1) and "cpu-min" in out and "Traceback" not in out, out
    assert "Bundle hello 1.0.0" in node.check(f"{INSTALL} --version", user="alice")


def test_the_bundle_runs_from_a_read_only_folder(lab_nodes, frozen_hello_bundle):
    (node,) = lab_nodes(1)
    unpack(node, frozen_hello_bundle)
    node.check(f"mount --bind '{PARENT}' '{PARENT}' && mount -o remount,ro,bind '{PARENT}'")
    assert node.exec(f"touch '{PARENT}/hello-1.0.0/x'")[0] != 0

    assert "hello 1.0.0" in node.check(f"{INSTALL} --version", workdir="/")
    assert "match the index" in node.check(f"{INSTALL} verify", workdir="/")
    done = node.check(f"{INSTALL} --cli --flavor one --accept-eula", workdir="/")
    assert "Installed hello 1.0.0" in done


def test_a_noexec_tmp_does_not_matter_and_a_noexec_bundle_folder_is_explained(lab_nodes, frozen_hello_bundle):
    (node,) = lab_nodes(1, tmpfs={"/tmp": "rw,noexec,nosuid,size=512m"})
    assert "noexec" in node.check("grep ' /tmp ' /proc/mounts")
    # Nothing is unpacked at start, so a noexec TMPDIR is fine.
    unpack(node, frozen_hello_bundle)
    env = {"TMPDIR": "/tmp"}
    assert "hello 1.0.0" in node.check(f"{INSTALL} --version", env=env, workdir="/tmp")
    code, out = node.exec(f"{INSTALL} check", env=env, workdir="/tmp")
    assert code in (0, 1) and "cpu-min" in out and "Traceback" not in out, out

    # A bundle unpacked on the noexec /tmp cannot run; started through sh, it says why.
    bundle = unpack(node, frozen_hello_bundle, parent="/tmp/bundles")
    code, out = node.exec(f"sh '{bundle}/install' --version", workdir="/")
    assert code != 0
    assert "noexec" in out and "What to do:" in out
