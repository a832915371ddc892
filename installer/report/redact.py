"""Removing secrets from the support report, and saying what was removed where (never the value).

Three sources of secrets, applied to every file:
  known     the values the install holds (tokens, passwords, keys; secrets.py), replaced wherever
            they appear, whatever surrounds them;
  patterns  what looks like a secret even when the install does not know it: PEM private key
            blocks, bearer tokens, k3s tokens, `password=`/`token:` fields, credentials in URLs,
            kubeconfig key data;
  vendor    the manifest's `report.redact` regular expressions.
Whole blocks (a private key, a k3s token) go first, so a known value inside one does not leave
the rest of it behind; then the known values, so they are counted by name; then the other shapes.
Each removal leaves `[redacted: <kind>]`, so whoever reads the report sees that something was there.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

MIN_SECRET_LEN = 6  # a shorter "secret" would match ordinary text everywhere
SKIP_VALUES = {"", "ask", "null", "none", "true", "false", "***", "[redacted"}


def mark(kind: str) -> str:
    return f"[redacted: {kind}]"


@dataclass(frozen=True)
class Pattern:
    """A kind of secret found by its shape; `keep` is the group left in place (a field's name)."""

    kind: str
    regex: re.Pattern[str]
    keep: int = 0


WHOLE: tuple[Pattern, ...] = (
    Pattern("private key", re.compile(
        r"-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----.*?(-----END \1PRIVATE KEY-----|\Z)", re.S)),
    Pattern("k3s token", re.compile(r"K10[0-9a-fA-F]{16,}::[A-Za-z0-9_.-]+:[^\s\"',;]+")),
)
SHAPES: tuple[Pattern, ...] = (
    Pattern("bearer token", re.compile(r"(\b[Bb]earer\s+)(?!\[redacted)[A-Za-z0-9._~+/=-]{8,}"), keep=1),
    Pattern("URL credentials", re.compile(r"(\b[a-z][a-z0-9+.-]*://[^\s:/@\"']+:)(?!\[redacted)[^\s@/\"']+(?=@)"),
            keep=1),
    Pattern("kubeconfig key data", re.compile(
        r"((?:client-key-data|client-certificate-data)\s*[:=]\s*\"?)(?!\[redacted)[A-Za-z0-9+/=]{16,}"), keep=1),
    Pattern("password or token field", re.compile(
        r"((?<![A-Za-z0-9_-])[\"']?[A-Za-z0-9_-]*(?:password|passwd|passphrase|secret|token|api[_-]?key)"
        r"[\"']?\s*[:=]\s*[\"']?)((?!\[redacted)[^\s\"',;}{]+)", re.I), keep=1),
)


class Redactor:
    """Masks secrets in the report's files and counts each kind removed per file."""

    def __init__(self, known: Iterable[tuple[str, str]] = (), vendor: Iterable[str] = ()) -> None:
        values = {value: kind for kind, value in known if value and len(value) >= MIN_SECRET_LEN}
        self._known = sorted(values.items(), key=lambda item: -len(item[0]))  # longest first
        self._vendor = [Pattern("vendor pattern", re.compile(p)) for p in vendor]
        self.counts: Counter[tuple[str, str]] = Counter()

    def text(self, text: str, where: str) -> str:
        """`text` (of the report's file `where`) with every secret masked."""
        for pattern in WHOLE:
            text = self._apply(pattern, text, where)
        for value, kind in self._known:
            found = text.count(value)
            if found:
                text = text.replace(value, mark(kind))
                self.counts[(kind, where)] += found
        for pattern in (*SHAPES, *self._vendor):
            text = self._apply(pattern, text, where)
        return text

    def _apply(self, pattern: Pattern, text: str, where: str) -> str:
        def replace(match: re.Match[str]) -> str:
            kept = match.group(pattern.keep) if pattern.keep else ""
            value = match.group(0)[len(kept):] if pattern.keep else match.group(0)
            if value.strip("\"'").lower() in SKIP_VALUES:
                return match.group(0)
            self.counts[(pattern.kind, where)] += 1
            return kept + mark(pattern.kind)
        return pattern.regex.sub(replace, text)

    def note(self, kind: str, where: str, count: int = 1) -> None:
        """Record a removal made elsewhere (a node's own pass, a Kubernetes Secret's data)."""
        if count > 0:
            self.counts[(kind, where)] += count

    def records(self) -> list[dict]:
        """[{kind, file, count}], sorted: what `redactions.txt` lists, safe to send (no values)."""
        return [{"kind": kind, "file": where, "count": n} for (kind, where), n in sorted(self.counts.items())]

    def listing(self) -> str:
        """The text of redactions.txt."""
        head = ("What was removed from this report, by kind and file (the values never are in it).\n"
                "Each removal reads [redacted: <kind>] in its file.\n\n")
        if not self.counts:
            return head + "Nothing was removed.\n"
        lines = [f"{r['kind']:<26} {r['count']:>5}  {r['file']}" for r in self.records()]
        return head + f"{'KIND':<26} {'COUNT':>5}  FILE\n" + "\n".join(lines) + "\n"
