"""Shared test set-up. Session fixtures live in plugin modules, one per owner, so that the
expensive things (the hello bundle, the minbase image, the frozen installer) are built once per
run and shared by every test that needs them."""

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from xdist.scheduler import LoadScopeScheduling

from tests.fixtures import cachelock

REPO = Path(__file__).resolve().parent.parent
# packaging/ must not be importable as `packaging` (it would shadow PyPI's); its code is the
# `airlift_build` package inside it.
sys.path.insert(0, str(REPO / "packaging"))
sys.path.insert(0, str(REPO))

pytest_plugins = [
    "tests.fixtures.build_fixtures",
    "tests.fixtures.lab_fixtures",
    "tests.fixtures.licence_fixtures",
    "tests.fixtures.postgres",
    "tests.fixtures.s3",
]

# `make test` runs the suite on two workers (pytest-xdist). Each module runs whole on one worker,
# so its module fixtures (an installed site, a built bundle) are made once. Modules that install
# onto this machine use Airlift's fixed ports (registry 5000, API 6443, panel 32009, ...), so they
# take turns in one group; so do the modules that build network namespaces of sites, and the lab's
# containers. Everything else spreads over both workers.
HOST_FREE = {  # integration and browser modules that bind no fixed port and install nothing here
    "test_build_differential", "test_build_errors", "test_build_hello", "test_build_publish_s3",
    "test_build_registry_auth", "test_build_runtime", "test_build_signed", "test_build_sources",
    "test_hub_differential", "test_hub_catalog", "test_hub_install_link", "test_hub_support",
    "test_hub_connections", "test_hub_publish", "test_hub_s3", "test_agents",
}
NETNS = {"test_network_netns", "test_transfer_netns", "test_site_netns", "test_site_offline_netns",
         "test_support_netns"}


def turn_group(nodeid: str) -> str:
    """The group a test runs in (see above), from its node id (`tests/unit/test_x.py::test_y`)."""
    path = Path(nodeid.split("::", 1)[0])
    parts, module = path.parts[1:], path.stem
    if parts[0] == "lab":
        return "lab"
    if module in NETNS:
        return "netns"
    if parts[0] in ("integration", "browser") and module not in HOST_FREE:
        return "host"
    return str(path)


class TurnScheduling(LoadScopeScheduling):
    """xdist's scope scheduling with the groups above as its scopes (its own `xdist_group` mark
    does not group with this pytest: it renames node ids the way pytest 9 no longer reads)."""

    def _split_scope(self, nodeid: str) -> str:
        return turn_group(nodeid)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The host group's browser tests last in their group: the other worker runs the lab early,
    whose tests hold the network lock (below) for minutes each, and a browser test waits them out."""
    items.sort(key=lambda item: turn_group(item.nodeid) == "host" and item.nodeid.startswith("tests/browser/"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Iterator[None]:
    """Chromium drops its connections when the machine's network interfaces change
    (net::ERR_NETWORK_CHANGED), which the lab's containers and the netns sites do as they start
    and stop. A browser test and those never run at the same time: browser tests share the lock,
    lab and netns tests (their module and session fixtures too, set up and torn down inside a
    test's protocol) each hold it alone."""
    group = turn_group(item.nodeid)
    if group not in ("lab", "netns") and not item.nodeid.startswith("tests/browser/"):
        yield
        return
    with cachelock.held("network", shared=group not in ("lab", "netns")):
        yield


@pytest.hookimpl(optionalhook=True)  # `-p no:xdist` runs the suite in one process
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> TurnScheduling | None:
    return TurnScheduling(config, log) if config.getvalue("dist") == "loadscope" else None
