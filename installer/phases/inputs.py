"""What every phase executor receives: the inputs of an operation's run (the install, or an
expand or remove the cluster controller runs), fixed before it starts.

`PhaseInputs` is frozen: an executor reads it and changes the host, never the inputs. What a
phase finds out is its own result: the host checks the engine ran before the plan are handed to
the /checks phase as an input (`checked`), and the endpoints are read back from the state
directory by whoever shows them (installer.app_documents). What the operator asked of the run
(`--force`) is an input too (`options`), set by whoever builds the inputs for that run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from installer.agent_hub import AgentHub
from installer.answers import Answers
from installer.bundle import Bundle
from installer.events import EventBus
from installer.host import Host
from installer.manifest import Manifest, NodeProfile
from installer.monitoring.server import MonitoringServer
from installer.monitoring.settings import MonitoringSettings
from installer.registry import Registry
from installer.runtime import K3sRuntime
from installer.services import ServiceManager
from installer.statedir import StateDir

if TYPE_CHECKING:
    from installer.phases.checks import CheckRun


@dataclass(frozen=True)
class RunOptions:
    """What the operator asked of this run of an operation (`./install remove N --force`).

    They belong to the run, not to the stored plan: after a remove failed, `./install remove N
    --force` carries the same plan on with --force (the way on that the failure names), so each
    run gives its own options with its inputs, and the executors read them from there."""

    force: bool = False


@dataclass(frozen=True)
class PhaseInputs:
    """The install's inputs, plus the parts (registry, runtime) built from them."""

    bundle: Bundle
    manifest: Manifest
    answers: Answers
    host: Host
    services: ServiceManager  # supervised by the installer kept in state_dir once /bootstrap made it
    state_dir: Path
    bus: EventBus
    node: str
    agents: AgentHub | None = None   # the other nodes' agents, when the flavor has several nodes
    checked: CheckRun | None = None  # this host's checks, when the engine ran them before the plan
    options: RunOptions = field(default_factory=RunOptions)  # what the operator asked of this run
    operation: Path | None = None  # an upgrade's or rollback's folder: what it is (installer/upgrade/record.py)

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
        return Registry(self.host, self.services, self.state_dir, port=self.answers.registry_port,
                        address=self.address, metrics_port=self.answers.registry_metrics_port)

    @cached_property
    def runtime(self) -> K3sRuntime:
        return K3sRuntime(self.host, self.services, self.state_dir)

    @cached_property
    def monitoring(self) -> MonitoringServer:
        """Prometheus and Alertmanager on this host, the first master."""
        return MonitoringServer(self.host, self.services, self.state_dir, MonitoringSettings.from_answers(self.answers))
