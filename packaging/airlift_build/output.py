"""The bundle file is written under a temporary name and renamed only when complete.

An error, a full disk or Ctrl-C therefore never leaves a half-written bundle at the output path.
The temporary file is created first thing, so an unwritable output folder fails the build
before any image is fetched.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from installer.errors import AirliftError


class AtomicOutput:
    """Context manager: `.file` to write to; renamed to `path` by commit(), removed otherwise."""

    def __init__(self, path: Path) -> None:
        self.path = path.absolute()
        self.tmp = self.path.with_name(f".{self.path.name}.partial-{os.getpid()}")
        self.file: BinaryIO

    def __enter__(self) -> AtomicOutput:
        if self.path.is_dir():
            raise AirliftError(f"Output {self.path} is a folder", hint="give a file name, e.g. -o app-1.0.0.tar")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.file = open(self.tmp, "w+b")  # noqa: SIM115 - closed in commit/__exit__
        except OSError as e:
            raise AirliftError(f"Cannot write the bundle to {self.path.parent} ({e.strerror})",
                               hint="choose an output folder you can write to (-o DIR/NAME.tar)") from None
        return self

    def commit(self) -> None:
        """Flush to disk and move into place."""
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        os.replace(self.tmp, self.path)

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if not self.file.closed:
            self.file.close()
        self.tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
            raise AirliftError(f"No space left on the device while building {self.path}",
                               hint="free some space in the output folder and in TMPDIR (where images "
                                    "are gathered), or choose other folders; nothing was left at the "
                                    "output path") from None
