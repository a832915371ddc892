"""The installer's side of multi-node installs: nodes join by token and run work through agents."""

from installer.agents.hub import DEFAULT_AGENT_PORT, AgentHub
from installer.agents.nodes import Node, NodeRegistry

__all__ = ["DEFAULT_AGENT_PORT", "AgentHub", "Node", "NodeRegistry"]
