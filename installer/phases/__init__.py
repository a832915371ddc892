"""One small module per phase (or per family of phases: remote.py, removal.py); table.py maps
phase ids to them."""

from installer.phases.inputs import PhaseInputs, RunOptions

__all__ = ["PhaseInputs", "RunOptions"]
