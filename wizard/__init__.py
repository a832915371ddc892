"""The install wizard: a browser front-end to the installer engine.

It holds no install logic. Every screen reads the engine's snapshot, answers go through the
engine's own validation, and the engine's events are relayed to browsers over Socket.IO.
"""

from wizard.app import create_app
from wizard.server import serve

__all__ = ["create_app", "serve"]
