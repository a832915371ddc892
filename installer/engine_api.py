"""The part of the engine a front-end drives: exactly what the wizard calls, as a Protocol.

The wizard is written against this, not against `installer.engine.Engine`, so its fast tests can
run on a stand-in and mypy tells which calls a change to the engine would break. The CLI uses the
full Engine (docs/contracts.md "Engine API for front-ends").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

from installer.checks.result import CheckResult
from installer.events import Event, EventBus


@runtime_checkable
class EngineAPI(Protocol):
    bus: EventBus  # the wizard's relay subscribes a sink to it

    def snapshot(self) -> dict:
        """Everything a screen shows, JSON-able (installer/status/snapshot.py has its shape)."""
        ...

    def events_since(self, seq: int) -> list[Event]:
        """The events after `seq`, for a browser that reconnects or reloads."""
        ...

    def set_answers(self, data: dict) -> None:
        """Keep validated answers; raises AnswersError naming every problem."""
        ...

    def set_licence(self, data: bytes, source: str) -> dict:
        """Check and keep a licence file for the install; raises LicenceError saying why not."""
        ...

    def run_checks(self) -> list[CheckResult]:
        """Run the host checks with the current answers; changes nothing on the host."""
        ...

    def start(self, background: bool = False) -> None:
        """Run the install; refuses a second start with an AirliftError."""
        ...

    def resume(self, background: bool = False) -> None:
        """Continue the stored plan from where it stopped."""
        ...

    def inspect_ssh_node(self, spec: dict) -> dict:
        """The host key an SSH host shows and the secret it needs, before the first login."""
        ...

    def add_ssh_node(self, spec: dict, secret: str | None = None, fingerprint: str | None = None) -> None:
        """Reach one more host over SSH in the background; the secret stays in memory."""
        ...


if TYPE_CHECKING:
    from installer.engine import Engine

    _engine_keeps_the_api: type[EngineAPI] = Engine  # mypy fails here when Engine drifts from it
