"""Entry point of the frozen installer (`bin/airlift` in a bundle): the installer's command line
with the browser wizard as its default front-end, the same as `python -m wizard` from the sources.
The engine (installer/) never imports the wizard; this entry plugs it in."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from installer.cli import main

if TYPE_CHECKING:
    from installer.engine import Engine


def serve_wizard(engine: Engine, listen: str | None, state_dir: Path) -> None:
    """Flask and Socket.IO load only when the wizard starts, so `status`, `uninstall` and the
    services' supervisor (`_supervise`) start without them."""
    from wizard import serve

    serve(engine, listen, state_dir)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], wizard=serve_wizard))
