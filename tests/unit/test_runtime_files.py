"""The files Airlift writes for k3s: config.yaml and registries.yaml."""

import io

import yaml

from installer.host import Host
from installer.runtime import K3sRuntime, RuntimeConfig
from installer.runtime.k3s_files import K3sPaths, join_token, new_token, render_config, render_registries
from installer.services import manager_for


def _config(**kw):
    base = dict(node_name="node-1", node_ip="10.0.0.5", registry_url="http://10.0.0.5:5000",
                mirrored_registries=["docker.io", "quay.io"], api_port=16443)
    return RuntimeConfig(**{**base, **kw})


def test_every_path_stays_under_the_root(tmp_path):
    paths = K3sPaths.of(Host(tmp_path))
    for path in (paths.binary, paths.config, paths.registries, paths.kubeconfig, paths.images, *paths.cleanup):
        assert tmp_path.resolve() in path.parents
    assert paths.binary == tmp_path.resolve() / "usr/local/bin/k3s"
    assert paths.images == tmp_path.resolve() / "var/lib/rancher/k3s/agent/images"


def test_server_config_has_token_node_cidrs_and_explicit_paths(tmp_path):
    paths = K3sPaths.of(Host(tmp_path))
    values = yaml.safe_load(render_config(_config(pod_cidr="10.50.0.0/16"), paths, "s3cret"))
    assert values["token"] == "s3cret"
    assert values["node-ip"] == "10.0.0.5" and values["node-name"] == "node-1"
    assert values["cluster-cidr"] == "10.50.0.0/16" and values["service-cidr"] == "10.43.0.0/16"
    assert values["https-listen-port"] == 16443 and values["write-kubeconfig-mode"] == "0600"
    assert values["data-dir"] == str(paths.data_dir)
    assert values["private-registry"] == str(paths.registries)
    assert values["write-kubeconfig"] == str(paths.kubeconfig)
    assert values["disable-default-registry-endpoint"] is True


def test_agent_config_joins_and_leaves_out_server_only_keys(tmp_path):
    paths = K3sPaths.of(Host(tmp_path))
    config = _config(role="agent", server_url="https://10.0.0.4:6443", token="t")
    values = yaml.safe_load(render_config(config, paths, "t"))
    assert values["server"] == "https://10.0.0.4:6443"
    for key in ("cluster-cidr", "service-cidr", "write-kubeconfig", "https-listen-port"):
        assert key not in values


def test_registries_mirror_every_registry_to_the_local_one(tmp_path):
    paths = K3sPaths.of(Host(tmp_path))
    config = _config(mirrored_registries=["quay.io", "docker.io", "docker.io"], registry_url="https://10.0.0.5:5000")
    values = yaml.safe_load(render_registries(config, paths))
    assert values == {"mirrors": {"docker.io": {"endpoint": ["https://10.0.0.5:5000"]},
                                  "quay.io": {"endpoint": ["https://10.0.0.5:5000"]}}}


def test_registries_trust_the_install_ca_and_sign_in_under_configs(tmp_path):
    paths = K3sPaths.of(Host(tmp_path))
    config = _config(registry_url="https://10.0.0.5:5000", registry_ca="-----BEGIN CERTIFICATE-----\n",
                     registry_user="airlift", registry_password="pw")
    values = yaml.safe_load(render_registries(config, paths))
    assert values["configs"] == {"10.0.0.5:5000": {"auth": {"username": "airlift", "password": "pw"},
                                                   "tls": {"ca_file": str(paths.registry_ca)}}}
    assert paths.registry_ca.parent == paths.config_dir, "removed with the config folder by uninstall"
    assert "pw" not in repr(config)


def test_tokens_are_random_and_not_in_the_config_repr():
    assert new_token() != new_token() and len(new_token()) >= 32
    assert "s3cret" not in repr(_config(token="s3cret"))


def test_an_empty_node_ip_is_left_for_k3s_to_detect(tmp_path):
    values = yaml.safe_load(render_config(_config(node_ip=""), K3sPaths.of(Host(tmp_path)), "t"))
    assert "node-ip" not in values


def test_the_first_server_of_a_cluster_that_may_grow_starts_embedded_etcd(tmp_path):
    paths = K3sPaths.of(Host(tmp_path))
    assert yaml.safe_load(render_config(_config(cluster_init=True), paths, "t"))["cluster-init"] is True
    assert "cluster-init" not in yaml.safe_load(render_config(_config(), paths, "t")), "SQLite by default"
    joining = _config(cluster_init=True, server_url="https://10.0.0.4:6443")
    assert "cluster-init" not in yaml.safe_load(render_config(joining, paths, "t")), "a joining server joins etcd"


def test_the_join_token_is_the_full_one_the_running_server_wrote(tmp_path):
    paths = K3sPaths.of(Host(tmp_path))
    assert join_token(paths) is None, "none before the server ran"
    paths.server_token.parent.mkdir(parents=True)
    full = "K10" + "ab" * 32 + "::server:s3cret"
    paths.server_token.write_text(full + "\n")
    assert join_token(paths) == full
    assert paths.server_token == tmp_path.resolve() / "var/lib/rancher/k3s/server/token"


def test_installing_another_release_removes_the_air_gap_archives_of_the_one_before(tmp_path):
    host = Host(tmp_path)
    k3s = K3sRuntime(host, manager_for(host, tmp_path / "state"), tmp_path / "state")
    config = _config(token="t" * 20)
    k3s.install(io.BytesIO(b"old k3s"), {"k3s-airgap-images-amd64.tar.zst": io.BytesIO(b"v1.30")}, config)
    operator_file = k3s.paths.images / "site-extra.tar"
    operator_file.write_bytes(b"the site's own archive")
    k3s.install(io.BytesIO(b"new k3s"), {"k3s-airgap-images-amd64.tar": io.BytesIO(b"v1.31")}, config)
    assert sorted(p.name for p in k3s.paths.images.iterdir()) == ["k3s-airgap-images-amd64.tar", "site-extra.tar"]
    k3s.install(io.BytesIO(b"k3s"), {}, config)  # a bundle built without air-gap images
    assert [p.name for p in k3s.paths.images.iterdir()] == ["site-extra.tar"]
