"""One small module per install phase, and the table that maps phase ids to them."""

from installer.phases import app, bootstrap, checks, cluster_service, network_checks, registry, runtime
from installer.phases.inputs import PhaseInputs

EXECUTORS = {
    "/checks": checks.execute,
    "/checks/network": network_checks.execute,
    "/bootstrap": bootstrap.execute,
    "/registry": registry.execute,
    "/runtime": runtime.execute,
    "/app": app.execute,
    "/cluster-service": cluster_service.execute,
}

__all__ = ["EXECUTORS", "PhaseInputs"]
