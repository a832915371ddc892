"""What a hub user may do by role. Least privilege by default: a new user is a viewer, who sees
sites' status and nothing more; reaching into a site (its control panel, a kubeconfig, ssh)
takes an operator; changing users' roles takes an admin (or the hub host's shell)."""

from __future__ import annotations

from installer.errors import AirliftError

ROLES = ("viewer", "operator", "admin")
DEFAULT_ROLE = "viewer"
SUPPORT = "support"  # open a site's control panel, get a kubeconfig, ssh to a node
AUDIT = "audit"  # read the audit page
_NEEDS = {SUPPORT: "operator", AUDIT: "operator"}


def may(role: str | None, action: str) -> bool:
    if role not in ROLES:
        return False
    return ROLES.index(role) >= ROLES.index(_NEEDS[action])


def needed(action: str) -> str:
    """The least role that may do `action`."""
    return _NEEDS[action]


class NotAllowed(AirliftError):
    """A hub user whose role does not allow the action."""


def require(name: str, role: str | None, action: str, what: str) -> None:
    if not may(role, action):
        raise NotAllowed(f"Hub user {name} is a {role or 'user without a role'} and may not {what}",
                         hint=f"an admin raises the role with: python -m hub user role {name} {_NEEDS[action]}")
