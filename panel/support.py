"""The Support screen's report: one seam between the panel and the support report's code
(`./install report`), so the panel never holds a collector of its own.

`produce_report` is the only call the panel makes. This build does not carry the report's code,
so it produces nothing (None) and the screen says so; a build that carries it plugs its function
in as REPORT_WRITER, `(state_dir, folder) -> the report file written in folder`.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

ReportWriter = Callable[[Path, Path], Path]

REPORT_WRITER: ReportWriter | None = None
UNAVAILABLE = "The support report is not available in this build of the installer."


def available() -> bool:
    return REPORT_WRITER is not None


def produce_report(state_dir: Path, folder: Path) -> Path | None:
    """Write a support report of the site in `state_dir` into `folder` and return its path; None
    when this build cannot make one."""
    if REPORT_WRITER is None:
        return None
    return REPORT_WRITER(state_dir, folder)


def discard(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
