"""Sizes, transfer rates and port ranges as manifests write them."""

from __future__ import annotations

import pytest

from installer.manifest import parse_port_range, parse_rate, parse_size


@pytest.mark.parametrize(("text", "size"), [
    ("2GB", 2 * 1024**3), ("500MB", 500 * 1024**2), ("512Mi", 512 * 1024**2), ("1.5GiB", int(1.5 * 1024**3)),
    ("100", 100), ("10 kb", 10 * 1024), ("1T", 1024**4), ("7b", 7), ("3g", 3 * 1024**3),
])
def test_sizes(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["2XB", "", "GB", "-1GB", "1..5GB", "one"])
def test_bad_sizes_name_the_text(text: str) -> None:
    with pytest.raises(ValueError, match=f'"{text}" is not a size'):
        parse_size(text)


@pytest.mark.parametrize(("text", "rate"), [("10MB/s", 10 * 1024**2), ("1GB", 1024**3), ("5 kb/s", 5 * 1024)])
def test_rates(text: str, rate: int) -> None:
    assert parse_rate(text) == rate


def test_bad_rate() -> None:
    with pytest.raises(ValueError, match='"fast/s" is not a transfer rate'):
        parse_rate("fast/s")


@pytest.mark.parametrize(("text", "first_last"), [("8080", (8080, 8080)), ("8000-8010", (8000, 8010)),
                                                  ("1-65535", (1, 65535)), (" 53 ", (53, 53))])
def test_port_ranges(text: str, first_last: tuple[int, int]) -> None:
    assert parse_port_range(text) == first_last


@pytest.mark.parametrize(("text", "why"), [
    ("0", "ports must be between 1 and 65535"), ("65536", "ports must be between 1 and 65535"),
    ("10-5", "the range starts after it ends"), ("1-2-3", "is not a port or port range"),
    ("http", "is not a port or port range"), ("", "is not a port or port range"),
])
def test_bad_port_ranges(text: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        parse_port_range(text)
