"""What every phase executor receives: the inputs of the install, fixed before it starts."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from installer.agent_hub import AgentHub
from installer.answers import Answers
from installer.bundle import Bundle
from installer.events import EventBus
from installer.host import Host
from installer.installer_copy import kept_launcher
from installer.manifest import Manifest, NodeProfile
from installer.registry import Registry
from installer.runtime import K3sRuntime
from installer.statedir import StateDir


@dataclass(frozen=True)
class RunOptions:
    """What the operator asked of this run of an operation (`./install remove N --force`).

    They belong to the run, not to the stored plan: after a remove failed, `./install remove N
    --force` carries the same plan on with --force (the way on that the failure names), so each
    run gives its own options with its context, and the executors read them from there."""

    force: bool = False


@dataclass
class PhaseContext:
    """A snapshot of the install's inputs, plus the parts (registry, runtime) built from them."""

    bundle: Bundle
    manifest: Manifest
    answers: Answers
    host: Host
    state_dir: Path
    bus: EventBus
    node: str
    check_results: list[Any] | None = None
    facts: Any = None
    endpoints: list[dict] = field(default_factory=list)
    agents: AgentHub | None = None   # the other nodes' agents, when the flavor has several nodes
    options: RunOptions = field(default_factory=RunOptions)

    def __post_init__(self) -> None:
        # A resumed install supervises its services with the installer bootstrap kept.
        if self.host.installer is None:
            self.host.installer = kept_launcher(self.state_dir)

    @property
    def app_dir(self) -> Path:
        """The application's resources as the install applies them (copied out of the bundle)."""
        return StateDir(self.state_dir).app

    @property
    def address(self) -> str:
        """This host's advertise address (always set once the answers are resolved)."""
        return str(self.answers.advertise_addr)

    @property
    def profile(self) -> NodeProfile:
        return self.manifest.profiles[str(self.answers.profile)]

    @cached_property
    def registry(self) -> Registry:
        return Registry(self.host, self.state_dir, port=self.answers.registry_port, address=self.address)

    @cached_property
    def runtime(self) -> K3sRuntime:
        return K3sRuntime(self.host, self.state_dir)
