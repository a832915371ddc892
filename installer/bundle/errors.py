"""The error a bundle problem raises: every problem at once, each naming its file."""

from __future__ import annotations

from installer.errors import AirliftError


class BundleError(AirliftError):
    """The bundle is damaged or incomplete; nothing on the host was changed."""

    exit_code = 1

    def __init__(self, problems: list[str], *, hint: str | None = None) -> None:
        shown = problems[:20]
        more = len(problems) - len(shown)
        details = "\n".join(f"  - {p}" for p in shown) + (f"\n  … and {more} more" if more else "")
        super().__init__(
            f"The bundle failed verification ({len(problems)} problem{'s' if len(problems) != 1 else ''})",
            hint=hint or "copy the bundle tarball again from the vendor's original (check its sha256), "
                         "unpack it into an empty folder with `tar xf`, and run ./install again",
            details=details)
        self.problems = problems
