"""Phase /runtime: k3s by its air-gap procedure, started, and this node Ready.

Every registry the bundle's images name is mirrored to the local registry, which the node trusts
through the install's CA and signs in to. The cluster token the runtime generates and the
registry's password are registered as secrets with the event bus, so they can never appear in a
log line or on screen. When the cluster may ever hold a second master, this first one starts
k3s with embedded etcd (cluster-init): a server on k3s's default SQLite datastore can never be
joined by another server.
"""

from __future__ import annotations

from contextlib import ExitStack

from installer.bundle import Bundle
from installer.errors import AirliftError
from installer.imageref import parse_image
from installer.manifest import Manifest
from installer.phases.inputs import PhaseInputs
from installer.runtime import Runtime, RuntimeConfig

PHASE = "/runtime"
K3S_BINARY = "runtime/k3s"
AIRGAP_PREFIX = "runtime/k3s-airgap-images"


def mirrored_registries(bundle: Bundle) -> list[str]:
    """Every registry the bundle's images name: each is mirrored to the local registry."""
    return sorted({parse_image(image.ref).registry for image in bundle.images()})


def may_have_several_masters(manifest: Manifest, flavor: str | None) -> bool:
    """Whether a second k3s server may ever join: the flavor has more than one master, or a
    master profile is expandable (nodes of it may join the installed cluster later)."""
    masters = {p.name for p in manifest.profiles.values() if p.service_role == "master"}
    if any(manifest.profiles[name].expandable for name in masters):
        return True
    nodes = manifest.flavor(flavor).nodes if flavor else ()
    return sum(n.count for n in nodes if n.profile in masters) > 1


def registry_access(ctx: PhaseInputs) -> dict[str, str]:
    """The RuntimeConfig fields through which a node pulls from the local registry: its URL, the
    install's CA and the credentials (the password registered as a secret)."""
    registry = ctx.registry
    credentials = registry.credentials()
    if credentials is None or not registry.ca_file.is_file():
        raise AirliftError("The local registry has no CA or credentials yet, so no node could pull from it",
                           hint="run ./install --resume: the /registry phase makes them")
    ctx.bus.add_secret(credentials.password)
    return {"registry_url": registry.url, "registry_ca": registry.ca_file.read_text(),
            "registry_user": credentials.username, "registry_password": credentials.password}


def runtime_config(ctx: PhaseInputs) -> RuntimeConfig:
    a = ctx.answers
    return RuntimeConfig(
        node_name=ctx.node,
        node_ip=ctx.address,
        mirrored_registries=mirrored_registries(ctx.bundle),
        pod_cidr=a.pod_cidr,
        service_cidr=a.service_cidr,
        api_port=a.api_port,
        cluster_init=may_have_several_masters(ctx.manifest, a.flavor),
        **registry_access(ctx),
    )


def install(runtime: Runtime, bundle: Bundle, config: RuntimeConfig) -> None:
    """Install the runtime from the bundle's binary and air-gap images (any node, any role)."""
    with ExitStack() as stack:
        binary = stack.enter_context(bundle.open_file(K3S_BINARY))
        images = {e.path.rsplit("/", 1)[1]: stack.enter_context(bundle.open_file(e.path))
                  for e in bundle.files(AIRGAP_PREFIX)}
        runtime.install(binary, images, config)


def execute(ctx: PhaseInputs) -> None:
    runtime = ctx.runtime
    install(runtime, ctx.bundle, runtime_config(ctx))
    ctx.bus.add_secret(runtime.configured_token() or "")
    runtime.start()
    timeout = ctx.answers.ready_timeout
    ctx.bus.log_line(f"Waiting up to {timeout}s (answer ready-timeout) for node {ctx.node} to be Ready",
                     phase=PHASE)
    runtime.wait_ready(ctx.node, timeout)
    ctx.bus.add_secret(runtime.token() or "")
    ctx.bus.log_line(f"Node {ctx.node} is Ready", phase=PHASE)
