"""The command line: `./install [--cli] [answers flags]` installs; subcommands do one thing each.

The answers flags are the keys of answers.yaml with `--` in front, so a flag and a file line
read the same (`--advertise-addr 10.0.0.5` / `advertise-addr: 10.0.0.5`).
"""

from __future__ import annotations

import argparse

from installer import __version__
from installer.ports import (
    AGENT_PORT,
    ALERTMANAGER_PORT,
    API_PORT,
    EXPORTER_PORT,
    MONITORING_PORT,
    PANEL_PORT,
    REGISTRY_METRICS_PORT,
    REGISTRY_PORT,
    WIZARD_PORT,
)
from installer.statedir import DEFAULT_STATE_DIR

COMMANDS = ("verify", "check", "plan", "status", "uninstall", "join", "remove", "upgrade", "rollback", "report",
            "licence", "panel-link", "panel-password", "hub", "update", "support")
UNLOCATED = ("verify",)  # reads the bundle beside it only, never a state directory


def _location(p: argparse.ArgumentParser) -> None:
    p.add_argument("--state-dir", metavar="DIR", help=f"where the install keeps its state (default {DEFAULT_STATE_DIR})")
    p.add_argument("--root", metavar="DIR", help="install under this root prefix instead of /")


def _answers(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", metavar="ANSWERS.yaml", help="read the answers from this file (flags win)")
    p.add_argument("--flavor", help="the cluster shape to install (see the bundle's app.yaml)")
    p.add_argument("--profile", help="this host's node profile (default: the flavor's first)")
    p.add_argument("--advertise-addr", metavar="IP", help="the address of this host others reach it on")
    p.add_argument("--pod-cidr", metavar="CIDR", help="pod network (default 10.42.0.0/16)")
    p.add_argument("--service-cidr", metavar="CIDR", help="service network (default 10.43.0.0/16)")
    p.add_argument("--registry-port", type=int, metavar="PORT", help=f"local registry port (default {REGISTRY_PORT})")
    p.add_argument("--api-port", type=int, metavar="PORT", help=f"Kubernetes API port (default {API_PORT})")
    p.add_argument("--agent-port", type=int, metavar="PORT", help=f"port other nodes join on (default {AGENT_PORT})")
    p.add_argument("--panel-port", type=int, metavar="PORT",
                   help=f"the control panel's HTTPS port on this host after the install (default {PANEL_PORT})")
    p.add_argument("--skip-check", action="append", metavar="ID", dest="skip_checks",
                   help="skip a host check by id (repeatable; `./install check --list` lists them)")
    p.add_argument("--accept-eula", action="store_true", default=None,
                   help="accept the application's licence (asked on a terminal when not given)")
    p.add_argument("--ready-timeout", type=int, metavar="SECONDS", help="wait this long for the node to be Ready (default 300)")
    p.add_argument("--hook-timeout", type=int, metavar="SECONDS", help="wait this long for each hook Job (default 600)")
    p.add_argument("--status-interval", type=int, metavar="SECONDS",
                   help="run the application's status hook this often once installed (default 60)")
    p.add_argument("--hub-interval", type=int, metavar="SECONDS",
                   help="check in with the vendor's hub this often once connected (default 300; "
                        "./install hub connect)")
    p.add_argument("--hub-auto-download", action="store_true", default=None,
                   help="once connected to the vendor's hub, download each new release it announces in the "
                        "background, ready for ./install upgrade (never upgrades on its own)")
    _monitoring_answers(p)


def _monitoring_answers(p: argparse.ArgumentParser) -> None:
    for flag, default, what in (("--exporter-port", EXPORTER_PORT, "node_exporter port on every node"),
                                ("--monitoring-port", MONITORING_PORT, "Prometheus port (loopback)"),
                                ("--alertmanager-port", ALERTMANAGER_PORT, "Alertmanager port (loopback)"),
                                ("--registry-metrics-port", REGISTRY_METRICS_PORT,
                                 "the registry's metrics port (loopback)")):
        p.add_argument(flag, type=int, metavar="PORT", help=f"{what} (default {default})")
    p.add_argument("--monitoring-retention", metavar="DURATION", help="how long Prometheus keeps metrics (default 15d)")
    p.add_argument("--monitoring-retention-size", metavar="SIZE", help="most disk Prometheus uses (default 2GB)")
    p.add_argument("--alert-for", metavar="DURATION", help="how long a condition lasts before it alerts (default 5m)")
    p.add_argument("--alert-webhook", metavar="URL", help="where Alertmanager posts firing alerts")
    p.add_argument("--alert-email", metavar="ADDRESS", help="where Alertmanager mails firing alerts")
    p.add_argument("--alert-smtp", metavar="HOST:PORT", help="the mail relay for --alert-email")
    p.add_argument("--alert-email-from", metavar="ADDRESS", help="the sender of alert mails")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="install",
        description="Install this bundle's application on this host. Without --cli, opens the browser wizard.",
    )
    parser.add_argument("--version", action="store_true", help="print the Airlift and bundle versions")
    parser.add_argument("--cli", action="store_true", help="install headless, in this terminal")
    parser.add_argument("--resume", action="store_true", help="continue an interrupted or failed install")
    parser.add_argument("--listen", metavar="ADDR:PORT", help=f"where the wizard listens (default ADDR:{WIZARD_PORT})")
    parser.add_argument("--licence", metavar="FILE",
                        help="the licence file the vendor issued (required when the bundle was built with a "
                             "licence key; the wizard asks for it otherwise)")
    _panel_password(parser)
    _answers(parser)
    _location(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _command(sub, "verify", "check every file of the bundle against its index")
    check = _command(sub, "check", "run the host checks and print a table; changes nothing")
    check.add_argument("--list", action="store_true", help="list every check id and what it checks")
    _answers(check)
    _command(sub, "plan", "print the plan of the install (or of the running or last upgrade or rollback) and each "
                          "phase's state")
    status = _command(sub, "status", "versions, plan state, health of the registry and Kubernetes, nodes, endpoints")
    status.add_argument("--json", action="store_true", help="print one JSON document instead of the tables")
    uninstall = _command(sub, "uninstall", "remove everything the install created")
    _yes(uninstall)
    _join(sub)
    _remove(sub)
    _upgrade(sub)
    rollback = _command(sub, "rollback", "take the cluster back to the version before the last upgrade, whether it "
                                         "completed or not (run as root on the first master)")
    _yes(rollback)
    _report(sub)
    _licence(sub)
    _panel(sub)
    _hub(sub)
    _update(sub)
    _support(sub)
    _locate(sub)
    return parser


def _command(sub: argparse._SubParsersAction, name: str, help: str) -> argparse.ArgumentParser:
    """A subcommand, or an action of one. It suppresses its defaults, so `./install --state-dir X
    status` keeps X."""
    parser: argparse.ArgumentParser = sub.add_parser(name, argument_default=argparse.SUPPRESS, help=help)
    return parser


def _actions(command: argparse.ArgumentParser, dest: str) -> argparse._SubParsersAction:
    """The actions of a command that is a group of them (`hub connect`, `support open`)."""
    return command.add_subparsers(dest=dest, metavar="ACTION", required=True)


def _locate(sub: argparse._SubParsersAction) -> None:
    """--state-dir and --root, last in its help, on every command that does something (a group of
    actions takes them on each action) but those in UNLOCATED."""
    for name, command in sub.choices.items():
        groups = [a for a in command._actions if isinstance(a, argparse._SubParsersAction)]
        for group in groups:
            _locate(group)
        if not groups and name not in UNLOCATED:
            _location(command)


def _yes(p: argparse.ArgumentParser, help: str = "do not ask for confirmation") -> None:
    p.add_argument("--yes", action="store_true", help=help)


def _update(sub: argparse._SubParsersAction) -> None:
    update = _command(sub, "update", "fetch the next release from the vendor's hub this site is connected to (run "
                                     "as root on the first master); ./install upgrade installs it")
    actions = _actions(update, "update_action")
    download = _command(actions, "download", "download, verify and unpack the next release (the differential "
                                             "bundle against the installed one when the hub has it), resuming a cut "
                                             "download")
    download.add_argument("--full", action="store_true", help="the full bundle, even when a differential one would do")
    download.add_argument("-o", "--output", metavar="DIR",
                          help="the folder to download into (default <state>/updates)")
    download.add_argument("--allow-other-signer", action="store_true",
                          help="download a bundle the site's pinned vendor key did not sign (logged; the upgrade "
                               "asks for the flag again)")


def _hub(sub: argparse._SubParsersAction) -> None:
    hub = _command(sub, "hub", "link this site with the vendor's hub, which it then checks in with (run as root "
                               "on the first master); ./install status shows the link")
    actions = _actions(hub, "hub_action")
    connect = _command(actions, "connect", "enroll this site with the hub at URL and check in once")
    connect.add_argument("url", metavar="URL", help="the hub's address, https://HOST[:PORT]")
    connect.add_argument("--token", help="an enroll token from the hub (or the environment variable AIRLIFT_HUB_TOKEN)")
    connect.add_argument("--fingerprint", metavar="SHA256",
                         help="the hub's certificate fingerprint, as it printed it (without it: the one seen is "
                              "pinned and shown, trusted on first use)")
    disconnect = _command(actions, "disconnect", "end the link on both sides: the hub refuses this site from then "
                                                 "on, and its key is removed here")
    disconnect.add_argument("--local-only", action="store_true",
                            help="when the hub cannot be reached, forget the link here all the same")


def _support(sub: argparse._SubParsersAction) -> None:
    support = _command(sub, "support", "let the vendor in through the hub for a while (run as root on the first "
                                       "master of a site connected with ./install hub connect); ./install status "
                                       "shows it")
    actions = _actions(support, "support_action")
    opening = _command(actions, "open", "the cluster service dials out to the hub and forwards what --allow names, "
                                        "until --ttl passes or ./install support close")
    opening.add_argument("--ttl", default="4h", help="how long (e.g. 30m, 4h, 1d; default 4h, at most 7d)")
    opening.add_argument("--allow", default="panel",
                         help="comma-separated: panel (the control panel), kube (the Kubernetes API), ssh "
                              "(every node's sshd), ssh:NODE (that node's sshd only); default panel")
    _command(actions, "close", "end the support session now; nothing reconnects after this")


def _licence(sub: argparse._SubParsersAction) -> None:
    licence = _command(sub, "licence", "replace the site's licence with a new one from the vendor (run as root on "
                                       "the first master); ./install status shows the current one")
    actions = _actions(licence, "licence_action")
    apply = _command(actions, "apply", "check FILE (signature, application, expiry, enough nodes for those "
                                       "installed) and make it the site's licence")
    apply.add_argument("file", metavar="FILE", help="the licence file the vendor issued")


def _report(sub: argparse._SubParsersAction) -> None:
    report = _command(sub, "report", "write a support report (.tar.gz, secrets removed) to send the vendor: on the "
                                     "first master from every node, elsewhere from this node (run as root)")
    report.add_argument("-o", "--output", metavar="FILE",
                        help="where to write it (default ./airlift-report-<node>-<time>.tar.gz; given a folder, "
                             "that name inside it)")
    report.add_argument("--for-hub", action="store_true",
                        help="write instead the signed report an offline site carries to its hub (status, events "
                             "since the last one, blob inventory; default -o site.airlift)")
    report.add_argument("--timeout", type=int, metavar="SECONDS",
                        help="how long each other node has to answer (default 60); one that does not is "
                             "named in the report")


def _panel_password(p: argparse.ArgumentParser) -> None:
    p.add_argument("--panel-password-file", metavar="FILE",
                   help="the control panel's admin password, on the first line of FILE (asked on a terminal "
                        "when not given; without one, sign in with ./install panel-link)")


def _panel(sub: argparse._SubParsersAction) -> None:
    _command(sub, "panel-link", "print a one-time sign-in link to the control panel (run as root on the first "
                                "master)")
    password = _command(sub, "panel-password", "set or change the control panel's admin password (run as root on "
                                               "the first master)")
    _panel_password(password)


def _upgrade(sub: argparse._SubParsersAction) -> None:
    upgrade = _command(sub, "upgrade", "move the installed application to this bundle's version: shows what "
                                       "changes, asks, then upgrades node by node (run as root on the first master)")
    _yes(upgrade, "do not ask before upgrading")
    upgrade.add_argument("--dry-run", action="store_true", help="show what would change, then stop")
    upgrade.add_argument("--allow-other-signer", action="store_true",
                         help="accept a bundle signed by another vendor key than the one this site pinned, or "
                              "not signed (logged; a new signer is trusted from then on)")
    upgrade.add_argument("--licence", metavar="FILE",
                         help="a new licence from the vendor, checked against this bundle and kept once the "
                              "upgrade is done (when the site's licence expired or the new version needs another)")


def _remove(sub: argparse._SubParsersAction) -> None:
    remove = _command(sub, "remove", "drain a node and take it out of the installed cluster (run as root on the "
                                     "first master)")
    remove.add_argument("node", metavar="NODE", help="the node's name, as ./install status lists it")
    remove.add_argument("--force", action="store_true",
                        help="take the node out even if its agent cannot be reached or it cannot be drained "
                             "(then clean that host by hand with ./install uninstall)")
    _yes(remove)


def _join(sub: argparse._SubParsersAction) -> None:
    join = _command(sub, "join", "join this host to an install running on another host (run as root)")
    join.add_argument("address", metavar="ADDR[:PORT]", help=f"the installer's address (port default {AGENT_PORT})")
    given = join.add_mutually_exclusive_group()
    given.add_argument("--token", help="the join token the installer printed (the agent restarts at once "
                                       "without it on its command line)")
    given.add_argument("--token-file", metavar="FILE",
                       help="read the join token from FILE; without --token or --token-file it comes "
                            "from the environment variable AIRLIFT_JOIN_TOKEN")
    join.add_argument("--fingerprint", metavar="SHA256",
                      help="the installer's certificate fingerprint (without it: trusted on first use)")
    join.add_argument("--role", metavar="PROFILE", help="the node profile this host takes")
    join.add_argument("--advertise-addr", metavar="IP", help="the address of this host others reach it on")
    join.add_argument("--remove-when-done", action="store_true",
                      help="remove the folder this installer runs from once the install is over "
                           "(for a copy the installer made over SSH)")
    join.add_argument("--stay", action="store_true", help=argparse.SUPPRESS)  # the airlift-agent service


def version_text(bundle_name: str | None, bundle_version: str | None) -> str:
    text = f"Airlift {__version__}"
    if bundle_name:
        text += f"\nBundle {bundle_name} {bundle_version}"
    return text


def answer_flags(args: argparse.Namespace) -> dict:
    """The answers given as flags, in answers.yaml form (flags not given are left out)."""
    keys = ("flavor", "profile", "advertise_addr", "pod_cidr", "service_cidr", "registry_port", "api_port", "agent_port",
            "panel_port", "accept_eula", "ready_timeout", "hook_timeout", "status_interval", "exporter_port", "monitoring_port",
            "alertmanager_port", "registry_metrics_port", "monitoring_retention", "monitoring_retention_size",
            "alert_for", "alert_webhook", "alert_email", "alert_smtp", "alert_email_from", "hub_interval",
            "hub_auto_download")
    out = {k.replace("_", "-"): getattr(args, k, None) for k in keys}
    out["skip-checks"] = getattr(args, "skip_checks", None) or None
    listen = getattr(args, "listen", None)
    if listen and listen.rpartition(":")[2].isdigit():
        out["wizard-port"] = int(listen.rpartition(":")[2])
    return {k: v for k, v in out.items() if v is not None}
