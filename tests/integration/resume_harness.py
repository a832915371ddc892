"""Runs the installer and SIGKILLs it inside one phase, at a point where that phase has already
changed the host (the harness, not the product, decides where: product code has no test hooks).

    python tests/integration/resume_harness.py /registry --cli --root R --state-dir S ...
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from installer import cli  # noqa: E402
from installer.cluster_service import service  # noqa: E402
from installer.phases import bootstrap  # noqa: E402
from installer.phases.table import PHASES  # noqa: E402
from installer.registry import Registry  # noqa: E402
from installer.runtime import K3sRuntime  # noqa: E402


def die(*args: object, **kwargs: object) -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def arm(phase: str) -> None:
    """Kill points: after the phase recorded in_progress and did part of its work."""
    if phase == "/checks":
        PHASES["/checks"] = die
    elif phase == "/bootstrap":
        bootstrap.create_volumes = die  # resources already copied
    elif phase == "/registry":
        Registry.verify = die  # service started, storage populated
    elif phase == "/runtime":
        K3sRuntime.wait_ready = die  # k3s installed and started
    elif phase == "/app":
        K3sRuntime.run_job = die  # resources applied, hook not run
    elif phase == "/cluster-service":
        start = service.start

        def start_then_die(*args: object) -> None:
            start(*args)  # type: ignore[arg-type]
            die()
        service.start = start_then_die  # the cluster service started, the phase not recorded
    else:
        raise SystemExit(f"unknown phase {phase}")


if __name__ == "__main__":
    arm(sys.argv[1])
    sys.exit(cli.main(sys.argv[2:]))
