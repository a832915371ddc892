"""Entry point of the frozen installer (`bin/airlift` in a bundle): the installer's command line
with the browser wizard as its default front-end, the same as `python -m wizard` from the sources,
and `_panel`, the control panel the `airlift-panel` service runs (`python -m panel` from the
sources). The engine (installer/) never imports either front-end; this entry plugs them in. The
installer kept in the state directory runs this entry too, from the sources as well."""

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


def run(argv: list[str]) -> int:
    if argv[:1] == ["_panel"]:
        from panel.main import main as serve_panel

        return serve_panel(argv[1:])
    return main(argv, wizard=serve_wizard)


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
