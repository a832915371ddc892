"""Runs an upgrade or a rollback through installer.upgrade.run, optionally SIGKILLed inside a phase
at a point where that phase has already changed the host (the harness decides where: product
code has no test hooks).

    python tests/integration/upgrade_harness.py upgrade BUNDLE STATE ROOT [--runtime-changed] [--kill PHASE]
    python tests/integration/upgrade_harness.py rollback STATE ROOT
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from installer.errors import AirliftError  # noqa: E402
from installer.events import EventBus  # noqa: E402
from installer.phases import upgrade_versions  # noqa: E402
from installer.registry import Registry  # noqa: E402
from installer.runtime import K3sRuntime  # noqa: E402
from installer.upgrade import run  # noqa: E402


def die(*args: object, **kwargs: object) -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def arm(phase: str) -> None:
    if phase == "/previous":
        upgrade_versions.keep_previous = die  # nothing kept yet
    elif phase == "/registry":
        Registry.populate = lambda self, bundle, progress=None: die()  # the registry checked, nothing verified
    elif phase.startswith("/runtime/"):
        K3sRuntime.wait_ready = die  # k3s stopped, its files replaced and started again
    elif phase == "/app":
        K3sRuntime.run_job = die  # the new resources applied, the update hook not run
    elif phase == "/installer":
        keep = upgrade_versions.keep_bundle

        def keep_then_die(*args: object) -> None:
            keep(*args)  # type: ignore[arg-type]
            die()
        upgrade_versions.keep_bundle = keep_then_die  # the new installer and bundle index kept, not recorded
    elif phase == "/gc":
        upgrade_versions.collect = die
    else:
        raise SystemExit(f"unknown phase {phase}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("action", choices=("upgrade", "rollback"))
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--runtime-changed", action="store_true")
    parser.add_argument("--kill")
    args = parser.parse_args(argv)
    if args.kill:
        arm(args.kill)
    bus = EventBus()
    bus.add_sink(lambda e: print(f"{e.phase or ''} {e.status} {e.message}", flush=True) if e.kind != "progress" else None)
    try:
        if args.action == "upgrade":
            bundle, state, root = map(Path, args.paths)
            run.upgrade(bundle, state, root, bus, SimpleNamespace(runtime_changed=args.runtime_changed))
        else:
            state, root = map(Path, args.paths)
            run.rollback(state, root, bus)
    except AirliftError as exc:
        print(f"Error: {exc.message}\n{exc.details or ''}\nWhat to do: {exc.hint}", flush=True)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
