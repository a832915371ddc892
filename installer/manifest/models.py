"""The parsed manifest: what the installer acts on, with sizes in bytes and ports as ranges, so
no later stage parses manifest strings again."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class PortRange:
    """Ports first..last (inclusive) of one protocol that a node must have free."""

    protocol: str
    first: int
    last: int


@dataclass(frozen=True)
class OSRequirement:
    """An accepted operating system: ID from /etc/os-release and VERSION_IDs (any if empty)."""

    name: str
    versions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Volume:
    """A directory the node must provide, with its free space and filesystem demands."""

    path: str
    name: str | None = None
    capacity: int | None = None
    filesystems: tuple[str, ...] = ()
    create_if_missing: bool = True
    skip_if_missing: bool = False
    min_transfer_rate: int | None = None
    uid: int | None = None
    gid: int | None = None
    mode: int | None = None


@dataclass(frozen=True)
class Device:
    """A device file the node must have (e.g. a GPU)."""

    path: str
    permissions: str = "rw"
    file_mode: str = "0666"
    uid: int = 0
    gid: int = 0


@dataclass(frozen=True)
class CustomCheck:
    """A vendor's shell script run on the node; a non-zero exit fails the node."""

    script: str
    description: str = ""


@dataclass(frozen=True)
class Requirements:
    """Hardware and OS demands of a node profile; None means "no demand"."""

    cpu_min: int | None = None
    cpu_max: int | None = None
    ram_min: int | None = None
    ram_max: int | None = None
    os: tuple[OSRequirement, ...] = ()
    min_transfer_rate: int | None = None
    ports: tuple[PortRange, ...] = ()
    volumes: tuple[Volume, ...] = ()
    devices: tuple[Device, ...] = ()
    custom_checks: tuple[CustomCheck, ...] = ()


@dataclass(frozen=True)
class Taint:
    """A Kubernetes taint put on every node of a profile."""

    key: str
    effect: str
    value: str = ""


@dataclass(frozen=True)
class NodeProfile:
    """A role a host can take (`nodeProfiles[]`)."""

    name: str
    description: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    taints: tuple[Taint, ...] = ()
    service_role: str | None = None
    requirements: Requirements = field(default_factory=Requirements)
    expand_policy: str = ""  # "fixed": no node of this profile joins after the install

    @property
    def expandable(self) -> bool:
        """Whether nodes of this profile may join the installed cluster (`./install join`)."""
        return self.expand_policy != "fixed"


@dataclass(frozen=True)
class FlavorNode:
    """`count` nodes of profile `profile`."""

    profile: str
    count: int


@dataclass(frozen=True)
class Flavor:
    """A cluster shape the operator can pick (`installer.flavors.items[]`)."""

    name: str
    description: str = ""
    nodes: tuple[FlavorNode, ...] = ()

    @property
    def node_count(self) -> int:
        """How many hosts this flavor needs in all."""
        return sum(n.count for n in self.nodes)
