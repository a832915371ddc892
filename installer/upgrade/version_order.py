"""Which of two application versions is newer, so an upgrade never goes back by mistake.

Manifests carry free-form versions (`metadata.resourceVersion`). Versions shaped like SemVer
(`1.10.0`, `2.0.0-rc.1`, `1.0.0+build5`) compare by SemVer's rules: numbers as numbers, a
pre-release before its release, build metadata ignored. Anything else compares piece by piece,
runs of digits as numbers (`2024.02` after `2024.1`).
"""

from __future__ import annotations

import re

_SEMVER = re.compile(r"^v?(\d+(?:\.\d+)*)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$")
_PIECES = re.compile(r"\d+|[^\d.+_-]+")


def compare_versions(a: str, b: str) -> int:
    """-1 when `a` is older than `b`, 0 when they are the same version, 1 when `a` is newer."""
    sa, sb = _SEMVER.match(a), _SEMVER.match(b)
    if sa and sb:
        core = _compare_pieces(sa.group(1).split("."), sb.group(1).split("."))
        return core or _compare_prerelease(sa.group(2), sb.group(2))
    return _compare_pieces(_PIECES.findall(a), _PIECES.findall(b))


def _compare_prerelease(a: str | None, b: str | None) -> int:
    """A release is newer than any of its pre-releases; two pre-releases compare by pieces."""
    if a is None or b is None:
        return (a is None) - (b is None)
    return _compare_pieces(a.split("."), b.split("."))


def _compare_pieces(a: list[str], b: list[str]) -> int:
    """Piece by piece: numbers numerically and before words; a missing piece counts as 0 when
    the other is a number (`1.0` = `1.0.0`), else the shorter list is older."""
    for i in range(max(len(a), len(b))):
        x, y = (a[i] if i < len(a) else None), (b[i] if i < len(b) else None)
        if x is None or y is None:
            rest = y if x is None else x
            if rest is not None and rest.isdigit() and int(rest) == 0:
                continue
            return -1 if x is None else 1
        key_x, key_y = _key(x), _key(y)
        if key_x != key_y:
            return -1 if key_x < key_y else 1
    return 0


def _key(piece: str) -> tuple[int, int, str]:
    return (0, int(piece), "") if piece.isdigit() else (1, 0, piece)
