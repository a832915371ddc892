"""The k3s stand-in's version is set per build, so two builds give a runtime upgrade to test."""

import subprocess
import sys

import pytest

from tests.fixtures.build_fixtures import K3S_STANDIN
from tests.fixtures.standin_version import DEFAULT_VERSION, check_version, versioned_source, write_standin


def test_the_stand_in_answers_with_the_version_it_was_given(tmp_path):
    copy = write_standin(K3S_STANDIN, "v1.31.2+k3s1", tmp_path / "k3s")
    out = subprocess.run([sys.executable, str(copy), "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines()[0] == "k3s version v1.31.2+k3s1 (stand-in)"


def test_the_default_is_the_version_in_the_source():
    assert f'VERSION = "{DEFAULT_VERSION}"' in K3S_STANDIN.read_text()
    assert versioned_source(K3S_STANDIN.read_text(), DEFAULT_VERSION) == K3S_STANDIN.read_text()


@pytest.mark.parametrize("bad", ["1.31.2", "v1.31+k3s1", "v1.31.2+k3s1\n", ""])
def test_a_version_not_written_like_a_release_is_refused(bad):
    with pytest.raises(ValueError, match="not a k3s release version"):
        check_version(bad)
