"""A host and port as links and logs print them."""

from installer.hostport import host_port
from installer.panel_access.address import panel_url


def test_an_ipv6_address_is_bracketed_and_ipv4_and_names_are_not():
    assert host_port("fd00::5", 443) == "[fd00::5]:443"
    assert host_port("10.0.0.5", 8443) == "10.0.0.5:8443"
    assert host_port("hub.example", "8443") == "hub.example:8443"


def test_a_panel_link_on_ipv6_opens_in_a_browser():
    assert panel_url("fd00::5", 32009) == "https://[fd00::5]:32009/"
