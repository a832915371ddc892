"""The clock-drift check of a node against the installer: table of offsets and outcomes."""

import pytest

from installer.agent_hub.clock import drift_check


@pytest.mark.parametrize(("offset", "status", "words"), [
    (0.0, "pass", "within 0 ms"),
    (0.299, "pass", "within 299 ms"),
    (-0.3, "pass", "within 300 ms"),
    (0.301, "fail", "301 ms ahead of the installer's (at most 300 ms allowed)"),
    (-2.5, "fail", "2500 ms behind the installer's"),
])
def test_drift_against_the_installer(offset, status, words):
    result = drift_check("node-2", offset)
    assert (result.id, result.severity, result.status) == ("clock-drift", "fail", status)
    assert "node node-2" in result.message and words in result.message
    assert (result.hint is not None) == (status == "fail")
