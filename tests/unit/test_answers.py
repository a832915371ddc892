"""Answers: one structure for flags, files and the wizard; every problem reported at once."""

import ipaddress
from pathlib import Path

import pytest

from installer import answers
from installer.errors import AirliftError
from installer.facts.addresses import HostNetwork
from installer.manifest import load_manifest

HELLO = Path(__file__).resolve().parents[2] / "examples" / "hello" / "app.yaml"
NETWORK = HostNetwork(
    (ipaddress.IPv4Interface("127.0.0.1/8"), ipaddress.IPv4Interface("192.168.7.10/24")), "192.168.7.10")


@pytest.fixture(scope="module")
def manifest():
    return load_manifest(HELLO)


def problems(data, manifest, network=NETWORK):
    return {p.path: p.message for p in answers.validate(data, manifest, network)}


def test_defaults_come_from_the_manifest_and_the_default_route(manifest):
    a = answers.resolve({}, manifest, NETWORK)
    assert (a.flavor, a.profile, a.advertise_addr) == ("one", "master", "192.168.7.10")
    assert (a.pod_cidr, a.service_cidr, a.registry_port, a.api_port) == ("10.42.0.0/16", "10.43.0.0/16", 5000, 6443)


def test_every_problem_is_reported_at_once_with_its_path(manifest):
    found = problems({"flavor": "big", "advertise-addr": "10.9.9.9", "pod-cidr": "10.42.0.0/33",
                      "registry-port": 6443, "state-dir": "relative"}, manifest)
    assert found["flavor"] == '"big" is not a flavor of hello; choose one of: one, three, ha'
    assert "is not an address of this host" in found["advertise-addr"] and "192.168.7.10" in found["advertise-addr"]
    assert "not a valid IPv4 network" in found["pod-cidr"]
    assert found["api-port"] == "6443 is already used by registry-port"
    assert "absolute" in found["state-dir"]


def test_unknown_settings_and_wrong_types_are_named(manifest):
    found = problems({"flavour": "one", "api-port": "6443", "skip-checks": "swap"}, manifest)
    assert "unknown setting" in found["flavour"]
    assert found["api-port"] == '"6443" is not a port number'
    assert found["skip-checks"] == "must be a list of check ids"


def test_a_profile_must_belong_to_the_flavor(manifest):
    assert problems({"flavor": "one", "profile": "worker"}, manifest)["profile"].startswith(
        '"worker" is not a node profile of flavor one; choose one of: master')



def test_a_multi_host_flavor_is_accepted_and_this_host_takes_its_first_profile(manifest):
    assert problems({"flavor": "three"}, manifest) == {}
    assert answers.resolve({"flavor": "three"}, manifest, NETWORK).profile == "master"


def test_the_agent_port_is_a_port_of_its_own(manifest):
    assert problems({"agent-port": 5000}, manifest)["agent-port"] == "5000 is already used by registry-port"


def test_cidrs_must_not_overlap_each_other_or_the_host(manifest):
    found = problems({"pod-cidr": "192.168.0.0/16", "service-cidr": "192.168.128.0/20"}, manifest)
    assert "overlaps this host's network 192.168.7.0/24" in found["pod-cidr"]
    assert "overlaps pod-cidr" in found["service-cidr"]


def test_no_default_route_asks_for_an_address(manifest):
    found = problems({}, manifest, HostNetwork(NETWORK.interfaces, None))
    assert "no default route" in found["advertise-addr"]


def test_resolve_raises_with_every_problem(manifest):
    with pytest.raises(answers.AnswersError) as info:
        answers.resolve({"flavor": "big", "pod-cidr": "x"}, manifest, NETWORK)
    assert {p.path for p in info.value.problems} == {"flavor", "pod-cidr"}
    assert "flavor:" in info.value.message and "pod-cidr:" in info.value.message


def test_saved_answers_replay_to_the_same_answers(tmp_path, manifest):
    first = answers.resolve({"flavor": "one", "skip-checks": ["swap"]}, manifest, NETWORK)
    answers.save(first, tmp_path / "answers.yaml")
    text = (tmp_path / "answers.yaml").read_text()
    assert "advertise-addr: 192.168.7.10" in text
    assert answers.resolve(answers.load_file(tmp_path / "answers.yaml"), manifest, NETWORK) == first


def test_an_answers_file_must_be_a_mapping(tmp_path):
    (tmp_path / "a.yaml").write_text("- one\n- two\n")
    with pytest.raises(AirliftError, match="must be a mapping"):
        answers.load_file(tmp_path / "a.yaml")
    (tmp_path / "b.yaml").write_text("flavor: [\n")
    with pytest.raises(AirliftError, match="not valid YAML"):
        answers.load_file(tmp_path / "b.yaml")


def test_flags_win_over_the_file_but_absent_flags_do_not_erase_it():
    assert answers.merged({"flavor": "one", "api-port": 7443}, {"flavor": "three", "api-port": None}) == \
        {"flavor": "three", "api-port": 7443}


def test_timeouts_and_licence_acceptance_are_typed_answers(manifest):
    found = problems({"ready-timeout": 0, "hook-timeout": "10m", "accept-eula": "yes"}, manifest)
    assert found["ready-timeout"] == '"0" is not a number of seconds (a whole number, 1 or more)'
    assert "not a number of seconds" in found["hook-timeout"]
    assert found["accept-eula"] == '"yes" must be true or false'
    a = answers.resolve({"ready-timeout": 5, "hook-timeout": 30, "accept-eula": True}, manifest, NETWORK)
    assert (a.ready_timeout, a.hook_timeout, a.accept_eula) == (5, 30, True)
    assert (answers.Answers().ready_timeout, answers.Answers().hook_timeout) == (300, 600)


def test_the_status_interval_is_a_bounded_number_of_seconds(manifest):
    for bad in (4, 86401, "1m", True):
        assert problems({"status-interval": bad}, manifest)["status-interval"] == \
            f'"{bad}" is not a number of seconds from 5 to 86400'
    assert answers.resolve({"status-interval": 5}, manifest, NETWORK).status_interval == 5
    assert answers.Answers().status_interval == 60 and answers.Answers().to_dict()["status-interval"] == 60


def test_a_licence_must_be_accepted_naming_the_flag(manifest):
    with pytest.raises(AirliftError) as info:
        answers.require_eula(answers.resolve({}, manifest, NETWORK), manifest)
    assert "licence of hello 1.0.0 has not been accepted" in info.value.message
    assert "--accept-eula" in info.value.hint and "accept-eula: true" in info.value.hint
    answers.require_eula(answers.resolve({"accept-eula": True}, manifest, NETWORK), manifest)


def test_ssh_nodes_are_checked_entry_by_entry(manifest):
    good = {"nodes": [{"address": "10.0.0.3", "user": "root", "key": "/root/.ssh/id", "role": "worker"}]}
    assert problems(good, manifest) == {}
    found = problems({"nodes": [{"address": "10.0.0.3", "port": "22", "pasword": "x"}, "10.0.0.4"]}, manifest)
    assert found == {"nodes[0].pasword": "unknown setting; known: address, user, key, password, role, port",
                     "nodes[0].port": '"22" must be a port number',
                     "nodes[0].key": "is required (or password: ask, to log in with a password)",
                     "nodes[1]": "must be a mapping such as {address: 10.0.0.2, user: root, key: /root/.ssh/id_ed25519}"}


def test_an_ssh_password_is_asked_never_written(manifest):
    asked = {"nodes": [{"address": "10.0.0.3", "user": "admin", "password": "ask", "port": 2222}]}
    assert problems(asked, manifest) == {}
    found = problems({"nodes": [{"address": "10.0.0.3", "password": "hunter2-secret"},
                                {"address": "10.0.0.4", "password": "ask", "key": "/root/.ssh/id"},
                                {"address": "10.0.0.5", "password": 1234, "port": 70000}]}, manifest)
    assert found == {
        "nodes[0].password": "must be `ask`: a password is never written in the answers; it is asked for when "
                             "the install starts",
        "nodes[1].password": "give either key or password, not both",
        "nodes[2].password": "this value must be text",
        "nodes[2].port": "70000 is not a port number (1-65535)"}
    assert "hunter2" not in repr(answers.validate({"nodes": [{"address": "10.0.0.3", "password": "hunter2"}]},
                                                   manifest, NETWORK))


def test_an_ssh_node_is_listed_once(manifest):
    twice = {"nodes": [{"address": "10.0.0.3", "key": "/k"}, {"address": "10.0.0.3", "password": "ask"}]}
    assert problems(twice, manifest) == {"nodes[1].address": "10.0.0.3 is already nodes[0]"}
