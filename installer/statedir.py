"""Every path under a state directory, named once.

The installer host and every node keep what they know in a state directory (default
DEFAULT_STATE_DIR; `--state-dir` or AIRLIFT_STATE_DIR moves it). Code asks `StateDir(folder).answers`
and never spells a file name, so the layout is read, and changed, in this one place. The layout of
a folder inside (the kept installer, the registry, the blob store) belongs to the module that owns
that folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DEFAULT_STATE_DIR = "/var/lib/airlift"
JOIN_TOKEN = "join-token"  # also the token's name beside an installer copied over SSH
ADMIN_TOKEN = "admin-token"


@dataclass(frozen=True)
class RunFolder:
    """A folder a plan runs in: the state directory for the install, `operations/<id>/` for a day-2
    operation. Both keep the plan, its change log and the events under the same names."""

    root: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root))

    @property
    def plan(self) -> Path:
        return self.root / "plan.json"

    @property
    def plan_log(self) -> Path:
        """The append-only log of phase changes (installer/plan/store.py)."""
        return self.root / "plan-log.jsonl"

    @property
    def events(self) -> Path:
        """The JSONL event log: the truth, and the replay for a client that reconnects."""
        return self.root / "events.jsonl"


@dataclass(frozen=True)
class OperationFolder(RunFolder):
    """One day-2 operation's folder."""

    @property
    def meta(self) -> Path:
        """What the operation is: {id, kind, node, created} (an upgrade adds installer/upgrade/record.py's keys)."""
        return self.root / "operation.json"

    @property
    def target(self) -> Path:
        """An upgrade's new version as it was when the upgrade began: its manifest and resources,
        which a rollback reads (its rollback hook, the resources to remove) once the bundle is gone."""
        return self.root / "target"


@dataclass(frozen=True)
class StateDir(RunFolder):
    """The state directory `root` of the installer host or of a node."""

    @property
    def lock(self) -> Path:
        """Held while a plan runs, so one install at a time owns the folder."""
        return self.root / "install.lock"

    @property
    def answers(self) -> Path:
        """The answers the install ran with; `./install --cli --config` replays them."""
        return self.root / "answers.yaml"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def installer_log(self) -> Path:
        """The install's log, and the traceback of an internal error."""
        return self.logs / "installer.log"

    @property
    def facts(self) -> Path:
        """What was probed on this host for the checks."""
        return self.root / "facts.json"

    def node_facts(self, node: str) -> Path:
        """What node `node` reported of itself (kept by the installer)."""
        return self.root / "facts" / f"{node}.json"

    @property
    def app(self) -> Path:
        """The application's manifest and Kubernetes documents, copied from the bundle."""
        return self.root / "app"

    @property
    def app_manifest(self) -> Path:
        return self.app / "app.yaml"

    @property
    def received_manifest(self) -> Path:
        """The manifest a node's agent received from the installer."""
        return self.root / "app.yaml"

    @property
    def bundle(self) -> Path:
        """The part of the bundle kept for day two (first master), or received by a node."""
        return self.root / "bundle"

    @property
    def blobs(self) -> Path:
        """The blob store the nodes share the bundle's files through."""
        return self.root / "blobs"

    @property
    def registry(self) -> Path:
        """The local registry's binary, config and storage."""
        return self.root / "registry"

    @property
    def registry_storage(self) -> Path:
        """The registry's filesystem storage: every image blob the site serves, by content sha256."""
        return self.registry / "storage"

    @property
    def jobs(self) -> Path:
        """The hook Jobs' documents, as given to kubectl."""
        return self.root / "jobs"

    @property
    def status_hook(self) -> Path:
        """The application's status hook: its last result and log tail, as the cluster service
        last wrote it (installer/status/status_hook.py)."""
        return self.root / "status-hook.json"

    @property
    def created_volumes(self) -> Path:
        """The volume folders the install created, which uninstall removes."""
        return self.root / "created-volumes.json"

    @property
    def join_token(self) -> Path:
        """The secret nodes join with (0600)."""
        return self.root / JOIN_TOKEN

    @property
    def admin_token(self) -> Path:
        """The first master's credential for administrative actions (removing a node; 0600). It
        never leaves that host: the join token, which every node holds, does not admit them."""
        return self.root / ADMIN_TOKEN

    @property
    def nodes(self) -> Path:
        """The nodes that joined, known by identity."""
        return self.root / "nodes.json"

    @property
    def known_hosts(self) -> Path:
        """The SSH host keys of the nodes reached over SSH, in OpenSSH's format."""
        return self.root / "known_hosts"

    @property
    def operations(self) -> Path:
        return self.root / "operations"

    def operation(self, op_id: str) -> OperationFolder:
        return OperationFolder(self.operations / op_id)

    @property
    def installer(self) -> Path:
        """The kept installer, which runs the services, `status` and `uninstall` without the bundle."""
        return self.root / "installer"

    @property
    def vendor_key(self) -> Path:
        """The vendor key this site trusts: the signer of its first signed bundle, pinned by the
        install's /bootstrap or by the upgrade that brought the first signed bundle
        (installer/signer_pin.py)."""
        return self.root / "vendor-key.json"

    @property
    def licence(self) -> Path:
        """The licence the site runs under (0600), as the vendor's hub issued it: accepted at the
        install or by `./install licence apply`, checked against the licence key of the kept bundle
        (installer/site_licence.py)."""
        return self.root / "licence.json"

    @property
    def previous(self) -> Path:
        """The version before the last upgrade, kept for `./install rollback` (installer/upgrade)."""
        return self.root / "previous"

    @property
    def previous_stage(self) -> Path:
        """Where the previous version is gathered before it replaces `previous`."""
        return self.root / ".previous.new"

    @property
    def previous_bundle(self) -> Path:
        """The previous version's kept bundle part (what `bundle` held before the upgrade)."""
        return self.previous / "bundle"

    @property
    def previous_app(self) -> Path:
        """The previous version's manifest and resources (what `app` held before the upgrade)."""
        return self.previous / "app"

    @property
    def previous_installer(self) -> Path:
        """The previous version's kept installer."""
        return self.previous / "installer"

    @property
    def installer_stage(self) -> Path:
        """Where a new kept installer is staged before it replaces the old one."""
        return self.root / ".installer.new"

    @property
    def tls(self) -> Path:
        """The certificate the wizard, the agent API and the cluster controller serve, and the
        install's CA."""
        return self.root / "tls"

    @property
    def tls_cert(self) -> Path:
        return self.tls / "tls.crt"

    @property
    def tls_key(self) -> Path:
        return self.tls / "tls.key"

    @property
    def tls_ca_cert(self) -> Path:
        """The install's own CA, which signs the registry's certificate; every node is given it."""
        return self.tls / "ca.crt"

    @property
    def tls_ca_key(self) -> Path:
        return self.tls / "ca.key"

    @property
    def registry_credentials(self) -> Path:
        """The username and password nodes pull from the registry with (0600)."""
        return self.root / "registry-credentials.json"

    @property
    def monitoring(self) -> Path:
        """Prometheus, Alertmanager and node_exporter: binaries, configs, certificates, data
        (installer/monitoring owns the layout inside)."""
        return self.root / "monitoring"

    @property
    def monitoring_credentials(self) -> Path:
        """The user Prometheus signs in to every node's exporter as (0600)."""
        return self.root / "monitoring-credentials.json"

    @property
    def peer_cert(self) -> Path:
        """A node's own certificate for its blob server, made by its agent at join; the other
        nodes pin its fingerprint, which the installer hands out."""
        return self.tls / "peer.crt"

    @property
    def peer_key(self) -> Path:
        return self.tls / "peer.key"

    @property
    def wizard(self) -> Path:
        return self.root / "wizard"

    @property
    def wizard_log(self) -> Path:
        return self.wizard / "wizard.log"

    @property
    def wizard_url(self) -> Path:
        """The wizard's sign-in address with a fresh one-time token (0600)."""
        return self.wizard / "url"

    @property
    def panel(self) -> Path:
        """The control panel's folder on the first master (0700): its password hash, its sign-in
        links and its log."""
        return self.root / "panel"

    @property
    def panel_password(self) -> Path:
        """The admin password's scrypt hash, never the password (0600; installer/panel_access)."""
        return self.panel / "password"

    @property
    def panel_links(self) -> Path:
        """The one-time sign-in links `./install panel-link` made, as hashes with their expiry (0600)."""
        return self.panel / "links.json"

    @property
    def panel_log(self) -> Path:
        """Sign-ins, refusals (with the source address) and the actions taken in the panel."""
        return self.panel / "panel.log"

    @property
    def node_id(self) -> Path:
        """A node's identity when /etc/machine-id gives none."""
        return self.root / "node-id"

    @property
    def hub_link_dir(self) -> Path:
        """The site's link to the vendor's hub (installer/hub_link), 0700: its key, the link and
        the check-in state; `./install hub disconnect` removes the folder."""
        return self.root / "hub"

    @property
    def hub_key(self) -> Path:
        """The site's Ed25519 private key (0600), its public half beside it as `site.key.pub`; the
        hub knows the site by it."""
        return self.hub_link_dir / "site.key"

    @property
    def hub_link(self) -> Path:
        """{url, fingerprint, site_id, channel, connected_at}: the hub this site checks in with."""
        return self.hub_link_dir / "link.json"

    @property
    def hub_state(self) -> Path:
        """{seq, last_check_in, update, last_report, disconnected_by_hub}: written by every check-in
        and report file, read by `./install status`."""
        return self.hub_link_dir / "state.json"

    @property
    def hub_lock(self) -> Path:
        """Held while a sequence number is taken, so the cluster service and a command never sign two
        documents with the same one."""
        return self.hub_link_dir / ".lock"

    @property
    def updates(self) -> Path:
        """Bundles `./install update download` fetched from the hub: `<name>-<version>/`, unpacked
        and verified, each upgraded to with `cd <folder> && ./install upgrade`; a download under
        way is `<name>-<version>.tar.part` beside it (with `.part.json`: what it is, to resume)."""
        return self.root / "updates"

    def update_folder(self, name: str, version: str) -> Path:
        return self.updates / f"{name}-{version}"

    @property
    def installer_fingerprint(self) -> Path:
        """The installer certificate's fingerprint a node pinned on first contact."""
        return self.root / "installer-fingerprint"
