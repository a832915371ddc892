"""Run the manifest's customChecks scripts, each with a timeout, capturing what they print."""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from installer.facts.record import ScriptRun

DEFAULT_TIMEOUT_S = 60.0
OUTPUT_LIMIT = 4000


def run_scripts(scripts: list[tuple[str, str]], timeout: float = DEFAULT_TIMEOUT_S) -> list[ScriptRun]:
    """Run each (description, script text), in a fresh temp folder that is removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="airlift-checks-") as tmp:
        return [_run_one(i, desc, text, Path(tmp), timeout) for i, (desc, text) in enumerate(scripts, 1)]


def _run_one(index: int, description: str, text: str, tmp: Path, timeout: float) -> ScriptRun:
    path = tmp / f"check-{index}"
    path.write_text(text, encoding="utf-8")
    argv = [*_interpreter(text), str(path)]
    start = time.monotonic()
    proc = subprocess.Popen(argv, cwd=tmp, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # the whole group: a script's children die with it
        out, _ = proc.communicate()
        timed_out = True
    output = out.decode("utf-8", errors="replace").strip()[-OUTPUT_LIMIT:]
    return ScriptRun(index, description, None if timed_out else proc.returncode, output,
                     timed_out, round(time.monotonic() - start, 3))


def _interpreter(text: str) -> list[str]:
    """The #! line's interpreter and argument, else /bin/sh.

    The script is handed to its interpreter rather than executed, so a temp dir mounted noexec
    does not stop it.
    """
    first = text.splitlines()[0] if text else ""
    if first.startswith("#!") and first[2:].split():
        return first[2:].split(maxsplit=1)
    return ["/bin/sh"]
