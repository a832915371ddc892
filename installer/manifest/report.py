"""The manifest's `report` section: what the vendor adds to the support report's redaction.

    report:
      redact:
        - "customer-id: \\S+"      # each a Python regular expression; every match is removed

A pattern that does not compile is a problem with its path (`report.redact[1]`) and the reason,
found when the bundle is built, so a vendor never ships a report that fails on a customer's site.
"""

from __future__ import annotations

import re
from typing import Any

from installer.manifest.problems import Problems
from installer.manifest.shapes import as_dict, as_list


def parse_report_redactions(raw: Any, problems: Problems) -> list[str]:
    """The vendor's redaction patterns, each checked to compile."""
    patterns: list[str] = []
    for i, pattern in enumerate(as_list(as_dict(raw).get("redact"))):
        if not isinstance(pattern, str):
            continue  # the schema check reported it
        path = f"report.redact[{i}]"
        if not pattern:
            problems.add(path, "is empty (it would match everywhere); remove it or give a pattern")
            continue
        try:
            compiled = re.compile(pattern)
        except re.error as exc:
            problems.add(path, f'"{pattern}" is not a valid regular expression ({exc}); '
                               "write it in Python's re syntax, escaping special characters with \\")
            continue
        if compiled.match(""):
            problems.add(path, f'"{pattern}" matches the empty text, so it would remove nothing useful; '
                               "make it match at least one character")
            continue
        patterns.append(pattern)
    return patterns
