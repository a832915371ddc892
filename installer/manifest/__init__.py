"""The application manifest (app.yaml): Gravity's v2 format, loaded, validated and resolved.

    m = load_manifest(Path("app.yaml"))   # raises ManifestError listing every Problem
"""

from installer.manifest.loader import KINDS, load_manifest
from installer.manifest.manifest import Manifest
from installer.manifest.models import (
    CustomCheck,
    Device,
    Flavor,
    FlavorNode,
    NodeProfile,
    OSRequirement,
    PortRange,
    Requirements,
    Taint,
    Volume,
)
from installer.manifest.problems import ManifestError, Problem
from installer.manifest.units import parse_port_range, parse_rate, parse_size

__all__ = [
    "KINDS", "CustomCheck", "Device", "Flavor", "FlavorNode", "Manifest", "ManifestError", "NodeProfile",
    "OSRequirement", "PortRange", "Problem", "Requirements", "Taint", "Volume", "load_manifest",
    "parse_port_range", "parse_rate", "parse_size",
]
