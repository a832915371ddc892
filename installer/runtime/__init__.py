"""The Kubernetes runtime: what brings up Kubernetes on a node.

Callers use the `Runtime` protocol only, so another distribution can drop in; `K3sRuntime` carries
out k3s's air-gap procedure.
"""

from installer.runtime.base import Runtime, RuntimeConfig
from installer.runtime.k3s import K3sRuntime

__all__ = ["K3sRuntime", "Runtime", "RuntimeConfig"]
