"""One small module per phase (or per family of phases: remote.py, removal.py); table.py maps
phase ids to them."""

from installer.phases.context import PhaseContext, RunOptions

__all__ = ["PhaseContext", "RunOptions"]
