"""tests/fixtures/net.py free_port: the ports of one install (asked for before anything listens)
are never the same port twice, even when the kernel offers one twice in a row."""

from __future__ import annotations

import socket

from tests.fixtures import net


class _Offers:
    """A socket whose bind(0) is given the kernel's offers in turn."""

    offers = iter([47001, 47001, 47002])

    def __init__(self, *_args: object) -> None:
        self.port = 0

    def __enter__(self) -> _Offers:
        return self

    def __exit__(self, *_exc: object) -> None:
        return None

    def bind(self, _address: tuple[str, int]) -> None:
        self.port = next(self.offers)

    def getsockname(self) -> tuple[str, int]:
        return "127.0.0.1", self.port


def test_a_port_offered_twice_in_a_row_is_handed_out_once(monkeypatch):
    monkeypatch.setattr(net.socket, "socket", _Offers)
    assert [net.free_port(), net.free_port()] == [47001, 47002]


def test_free_ports_are_bindable_and_distinct():
    ports = [net.free_port() for _ in range(50)]
    assert len(set(ports)) == 50
    with socket.socket() as s:
        s.bind(("127.0.0.1", ports[-1]))
