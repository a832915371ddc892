"""Which first master starts k3s with embedded etcd: one whose cluster may ever get a second
master, since a server on k3s's default SQLite datastore can never be joined by another."""

from dataclasses import replace
from pathlib import Path

from installer.manifest import load_manifest
from installer.manifest.models import Flavor, FlavorNode
from installer.phases.runtime import may_have_several_masters

HELLO = Path(__file__).resolve().parents[2] / "examples" / "hello" / "app.yaml"


def _fixed_masters():
    """hello with its master profile fixed: no master joins after the install."""
    manifest = load_manifest(HELLO)
    profiles = {**manifest.profiles, "master": replace(manifest.profiles["master"], expand_policy="fixed")}
    return replace(manifest, profiles=profiles)


def test_a_flavor_of_several_masters_needs_etcd():
    assert may_have_several_masters(_fixed_masters(), "ha")


def test_one_fixed_master_keeps_sqlite_whatever_the_workers():
    manifest = _fixed_masters()
    assert not may_have_several_masters(manifest, "one")
    assert not may_have_several_masters(manifest, "three")


def test_an_expandable_master_profile_needs_etcd_even_for_one_node():
    """A master may join the installed cluster later (`./install join --role master`)."""
    assert may_have_several_masters(load_manifest(HELLO), "one")


def test_masters_counted_across_the_flavors_entries():
    manifest = _fixed_masters()
    split = Flavor("split", nodes=(FlavorNode("master", 1), FlavorNode("worker", 1), FlavorNode("master", 1)))
    assert may_have_several_masters(replace(manifest, flavors=[*manifest.flavors, split]), "split")
