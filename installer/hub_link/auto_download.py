"""The opt-in background download (answer `hub-auto-download: true`): after a check-in whose
answer names an update, the cluster service downloads it as `./install update download` would
(the next release, a required one first), never upgrading; the operator runs the upgrade. A
download that fails is said in the service's log and resumed after the next check-in; one done
is not asked for again (`downloaded` in the link state, which `./install status` shows)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from installer.errors import AirliftError
from installer.hub_link.link import read_state
from installer.hub_link.update_download import Options, ask_plan, download
from installer.statedir import StateDir

Say = Callable[[str, str], None]  # (status: info | warn, message)


def fetch_announced(state_dir: Path, interval: int, answer: dict[str, Any], say: Say) -> None:
    """Download the update `answer` (a check-in's) names, unless it was downloaded already."""
    update = answer.get("update")
    if not isinstance(update, dict):
        return
    target = str(update.get("via") or update.get("version"))
    done = read_state(StateDir(state_dir)).get("downloaded") or {}
    if done.get("version") == target and Path(str(done.get("folder"))).is_dir():
        return
    try:
        signed, choice = ask_plan(state_dir, interval)
        if choice is None:
            return
        say("info", f"Downloading {choice.application} {choice.version} from the hub ({choice.kind}, "
                    f"{choice.size} bytes){': ' + choice.reason if choice.reason else ''}")
        got = download(state_dir, signed, choice, Options())
    except AirliftError as e:
        say("warn", f"The background download of the update failed: {e.message} (tried again after the next "
                    "check-in)")
        return
    say("info", f"{choice.application} {choice.version} is downloaded and verified, ready to install: "
                f"cd {got.folder} && ./install upgrade")
