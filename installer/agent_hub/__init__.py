"""The installer's side of multi-node installs: nodes join by token and run work through agents."""

from installer.agent_hub.hub import AgentHub
from installer.agent_hub.nodes import JoinedNodes, Node

__all__ = ["AgentHub", "Node", "JoinedNodes"]
