"""The one family of expected, operator-fixable errors.

Anything raised that is not an AirliftError is a bug: front-ends show "internal error" and the
log path instead of a traceback.
"""

from __future__ import annotations


class AirliftError(Exception):
    """A problem the operator can fix: what is wrong, and what to do about it."""

    exit_code = 2

    def __init__(self, message: str, *, hint: str | None = None, details: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.details = details

    def render(self) -> str:
        """The text a front-end shows: the problem, its details, then what to do."""
        lines = [self.message]
        if self.details:
            lines.append(self.details)
        if self.hint:
            lines.append(f"What to do: {self.hint}")
        return "\n".join(lines)
