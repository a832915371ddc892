"""The licence a site runs under: accepted at the install, kept in `<state>/licence.json` (0600),
checked offline when a node joins, before an upgrade, and by `./install status`; replaced by
`./install licence apply FILE`.

The kept file is checked again at every use against the licence key of the kept bundle part
(`<state>/bundle/licence-key.json`, which an upgrade or a rollback replaces with its version's),
so a hand-edited licence grants nothing. The rules themselves are installer/licence.py's.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from installer.bundle import Bundle
from installer.bundle.licence_key import licence_key
from installer.bundle.signature import VendorKey
from installer.errors import AirliftError
from installer.host import Host
from installer.licence import ASK_VENDOR, Licence, LicenceError, check_licence, read_licence
from installer.statedir import StateDir

APPLY = "./install licence apply FILE"
INSTALLED = "the cluster installed here"


def today() -> dt.date:
    """The date licences are judged by: this host's clock, in UTC."""
    return dt.datetime.now(dt.UTC).date()


def read_file(path: Path) -> bytes:
    """A licence file the operator named; a LicenceError naming it when it cannot be read."""
    try:
        return Path(path).read_bytes()
    except OSError as e:
        raise LicenceError(f"Cannot read the licence file {path} ({e.strerror})",
                           hint="give the path of the licence file the vendor sent") from None


def for_install(bundle: Bundle, data: bytes, source: str, nodes: int | None, nodes_for: str = "") -> Licence:
    """The licence in `data` if it lets `bundle` run on `nodes` nodes (`nodes_for` says whose count:
    "the flavor three") today."""
    key = licence_key(bundle)
    if key is None:
        raise LicenceError(f"{bundle.name} {bundle.version} was built without a licence key, so it takes no licence",
                           hint="install without --licence")
    return check_licence(read_licence(data, source, key), bundle.name, today(), nodes, nodes_for, source)


def require_for(bundle: Bundle) -> None:
    """Refuse to install a bundle that requires a licence when none was given."""
    key = licence_key(bundle)
    if key is not None:
        raise LicenceError(f"{bundle.name} {bundle.version} installs only with a licence signed by the vendor's "
                           f"licence key {key.key_id}, and none was given",
                           hint=f"{ASK_VENDOR}; then pass it with --licence FILE (or on the wizard's Licence screen)")


def save(state_dir: Path, data: bytes) -> None:
    """Keep the licence file (0600) atomically: an interrupted write leaves the old one."""
    Host().write_file(StateDir(state_dir).licence, data, mode=0o600)


def kept_key(state_dir: Path) -> VendorKey | None:
    """The licence key of the installed version (None: it takes no licence, or nothing is kept yet)."""
    folder = StateDir(state_dir).bundle
    return licence_key(Bundle.open(folder)) if (folder / "index.json").is_file() else None


def site_licence(state_dir: Path) -> Licence | None:
    """The site's licence, its signature checked against the installed version's licence key; None
    when the site has none; LicenceError when it does not check out."""
    path = StateDir(state_dir).licence
    if not path.is_file():
        return None
    key = kept_key(state_dir)
    if key is None:
        raise LicenceError(f"The licence {path} cannot be checked: the installed version carries no licence key "
                           "(or the install has not kept its bundle yet)")
    return read_licence(path.read_bytes(), str(path), key)


def refuse_join(state_dir: Path, application: str, nodes_after: int) -> None:
    """Refuse a node whose join would take the cluster to `nodes_after` nodes, beyond the licence."""
    licence = site_licence(state_dir)
    if licence is not None and nodes_after > licence.max_nodes:
        raise LicenceError(f"Adding this node would make {nodes_after} nodes, but the licence of {application} "
                           f"({licence.customer}, {licence.id}) allows {licence.max_nodes} (its max_nodes)",
                           hint=f"{ASK_VENDOR} for more nodes and apply it on the first master ({APPLY}), "
                                "then run the join command again")


def apply(state_dir: Path, data: bytes, source: str, application: str, nodes: int) -> Licence:
    """Replace the site's licence after the install's checks (signed by the installed version's
    licence key, this application, not expired, at least `nodes` nodes); the new licence."""
    key = kept_key(state_dir)
    if key is None:
        raise AirliftError(f"The installed {application} was built without a licence key, so it takes no licence",
                           hint="nothing to apply: this site needs no licence")
    licence = check_licence(read_licence(data, source, key), application, today(), nodes,
                            INSTALLED, source)
    save(state_dir, data)
    return licence


def status(state_dir: Path, nodes: int) -> dict | None:
    """`./install status`'s licence: None without one; {customer, id, nodes, max_nodes, expires,
    expired, channel, features} for a licence that checks out; {error} for one that does not."""
    try:
        licence = site_licence(state_dir)
    except (AirliftError, OSError) as e:
        return {"error": e.message if isinstance(e, AirliftError) else str(e)}
    if licence is None:
        return None
    view = licence.to_dict()
    return {"customer": view["customer"], "id": view["id"], "nodes": nodes, "max_nodes": licence.max_nodes,
            "expires": view["expires"], "expired": licence.expired(today()), "channel": licence.channel,
            "features": view["features"]}


def upgrade_refusal(new: Bundle, state_dir: Path, nodes: int, offered: tuple[bytes, str] | None) -> LicenceError | None:
    """Why `new` may not upgrade a site of `nodes` nodes for licence reasons, or None. An expired
    licence refuses every upgrade (the installed version keeps running); a version that requires a
    licence needs one signed by its own licence key. `offered` (data, source) is a new licence
    given with the upgrade (`--licence FILE`), kept once the upgrade is done."""
    if offered is not None:
        for_install(new, *offered, nodes, INSTALLED)
        return None
    current = site_licence(state_dir)
    hint = f"{ASK_VENDOR}; apply it with {APPLY}, or give it to the upgrade with --licence FILE"
    if current is not None and current.expired(today()):
        return LicenceError(f"The licence of {new.name} ({current.customer}, {current.id}) expired on "
                            f"{current.expires.isoformat()}, so no upgrade is installed: {new.version} is refused "
                            "(the installed version keeps running)", hint=hint)
    key = licence_key(new)
    if key is None:
        return None
    if current is None:
        return LicenceError(f"{new.name} {new.version} installs only with a licence, and this site has none",
                            hint=hint)
    try:
        read_licence(StateDir(state_dir).licence.read_bytes(), "this site's licence", key)
    except LicenceError as e:
        return LicenceError(f"{e.message}; {new.name} {new.version} checks licences with key {key.key_id}",
                            hint=hint)
    return None
