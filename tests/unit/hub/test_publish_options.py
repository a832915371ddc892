"""build.py's publish options are checked before anything is built."""

from __future__ import annotations

import argparse

import pytest
from airlift_build.publish import normalise_fingerprint
from airlift_build.publish_args import add_publish_arguments, publish_target

from installer.errors import AirliftError

HEX = "c488532aec0ee63be9439a97589866d4d7bf8e517388a4b81ee50771508ff66f"


def _args(*argv: str) -> argparse.Namespace:
    p = argparse.ArgumentParser()
    p.add_argument("--since")
    add_publish_arguments(p)
    return p.parse_args(argv)


@pytest.mark.parametrize("given", [f"SHA256:{HEX}", HEX, HEX.upper(),
                                   ":".join(HEX.upper()[i:i + 2] for i in range(0, 64, 2))])
def test_a_fingerprint_is_taken_as_the_hub_prints_it(given):
    assert normalise_fingerprint(given) == HEX


def test_a_fingerprint_of_another_length_is_refused():
    with pytest.raises(AirliftError, match="not a SHA-256 fingerprint"):
        normalise_fingerprint("SHA256:abcd")


def test_publish_options_are_checked_up_front(monkeypatch):
    monkeypatch.delenv("AIRLIFT_HUB_TOKEN", raising=False)
    assert publish_target(_args()) is None
    with pytest.raises(AirliftError, match="--channel without --publish"):
        publish_target(_args("--channel", "beta"))
    with pytest.raises(AirliftError, match="needs the hub's publish token"):
        publish_target(_args("--publish", "https://hub.example"))
    with pytest.raises(AirliftError, match="full bundles only"):
        publish_target(_args("--publish", "https://hub.example", "--hub-token", "t", "--since", "old.tar"))
    monkeypatch.setenv("AIRLIFT_HUB_TOKEN", "from-env")
    target = publish_target(_args("--publish", "https://hub.example", "--channel", "beta"))
    assert target is not None and (target.token, target.channel) == ("from-env", "beta")
