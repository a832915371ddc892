"""The vendor key a site trusts: pinned from its first signed bundle, required of every later one.

Trust on first use, as ssh does with host keys: the install's /bootstrap records the key that
signed the bundle in `<state>/vendor-key.json` (StateDir.vendor_key). From then on a bundle signed
by another key, or not signed at all, is refused unless the operator says otherwise
(`./install upgrade --allow-other-signer`, logged in the operation's events). A site installed
from an unsigned bundle pins the key of the first signed bundle it is upgraded to, and a signer
the operator accepted in place of the pinned one is trusted from then on (the vendor changed its
key). The rule itself (`SignerCheck`) reads no files, so any way a bundle reaches the site
(a carried-in bundle, a download) can ask it.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from installer.bundle import Bundle
from installer.bundle.signature import ALGORITHM, FORMAT, RAW_KEY_SIZE, VendorKey
from installer.errors import AirliftError
from installer.statedir import StateDir

ALLOW_FLAG = "--allow-other-signer"


@dataclass(frozen=True)
class PinnedKey:
    """The key the site trusts, and the bundle ("<name> <version>") it was pinned from."""

    key: VendorKey
    source: str


@dataclass(frozen=True)
class SignerCheck:
    """A bundle's signer (None: unsigned; its signature already checked) against the site's pin."""

    pinned: PinnedKey | None
    signer: VendorKey | None

    @property
    def trusted(self) -> bool:
        """True when the bundle may be installed without the operator's say-so."""
        return self.pinned is None or self.signer == self.pinned.key

    @property
    def new_pin(self) -> VendorKey | None:
        """The key the site trusts once this bundle is installed, when that is a change."""
        changed = self.signer is not None and (self.pinned is None or self.signer != self.pinned.key)
        return self.signer if changed else None

    def describe(self) -> str:
        """One line for the operator: who signed, and what the site makes of it."""
        if self.signer is None:
            return ("Not signed; this site trusts no vendor key yet" if self.pinned is None
                    else f"Not signed, but this site trusts only bundles signed by key {self.pinned.key.key_id}")
        if self.pinned is None:
            return (f"Signed by key {self.signer.key_id}; this site trusts no vendor key yet and will trust this "
                    "one from now on")
        if self.trusted:
            return f"Signed by key {self.signer.key_id}, the vendor key this site trusts"
        return f"Signed by key {self.signer.key_id}, not by key {self.pinned.key.key_id} that this site trusts"

    def refusal(self, bundle: str) -> AirliftError | None:
        """Why `bundle` ("<name> <version>") is refused without the operator's say-so; None if it is not."""
        if self.pinned is None or self.trusted:
            return None
        pinned = f"key {self.pinned.key.key_id} (pinned by {self.pinned.source})"
        if self.signer is None:
            return AirliftError(
                f"This bundle of {bundle} is not signed, but this site trusts only bundles signed by {pinned}",
                hint=f"ask the vendor for the signed bundle; to use this one anyway, run the command again with "
                     f"{ALLOW_FLAG} (logged; the site keeps trusting key {self.pinned.key.key_id})")
        return AirliftError(
            f"This bundle of {bundle} is signed by key {self.signer.key_id}, but this site trusts only {pinned}",
            details="a bundle signed by another key may not come from the vendor who made the installed version",
            hint=f"ask the vendor for the bundle signed with key {self.pinned.key.key_id}; if the vendor changed "
                 f"its key (confirm key {self.signer.key_id} with the vendor), run the command again with "
                 f"{ALLOW_FLAG} (logged; the site then trusts key {self.signer.key_id})")

    def override_note(self) -> str:
        """What the operator's ALLOW_FLAG let through, for the events and the terminal."""
        assert self.pinned is not None, "only a pinned site overrides"
        what = ("an unsigned bundle" if self.signer is None
                else f"a bundle signed by key {self.signer.key_id}")
        after = (f"this site trusts key {self.signer.key_id} from now on" if self.signer is not None
                 else f"this site keeps trusting key {self.pinned.key.key_id}")
        return f"The operator accepted {what} in place of key {self.pinned.key.key_id} ({ALLOW_FLAG}); {after}"


def check_signer(bundle: Bundle, state_dir: Path) -> SignerCheck:
    """The bundle's signer (a SignatureError if its signature does not check out) against the pin."""
    return SignerCheck(load_pin(state_dir), bundle.signer())


def refuse_untrusted(bundle: Bundle, state_dir: Path, allowed: bool) -> None:
    """Raise the refusal of a bundle signed by another key than the pinned one, or unsigned, unless
    the operator `allowed` it."""
    refusal = check_signer(bundle, state_dir).refusal(f"{bundle.name} {bundle.version}")
    if refusal is not None and not allowed:
        raise refusal


def pin_new_signer(check: SignerCheck, state_dir: Path, source: str) -> str | None:
    """Record the key the site trusts after installing `source` ("<name> <version>"); a line for the
    operator when the pin changed, else None."""
    key = check.new_pin
    if key is None:
        return None
    save_pin(state_dir, PinnedKey(key, source))
    return f"This site now trusts vendor key {key.key_id} (pinned in {StateDir(state_dir).vendor_key})"


def pin_at_install(bundle: Bundle, state_dir: Path) -> str:
    """Pin the signer of the bundle being installed unless the site has a pin already (a resumed
    install keeps it); the line to log."""
    check = check_signer(bundle, state_dir)
    note = pin_new_signer(check, state_dir, f"{bundle.name} {bundle.version}") if check.pinned is None else None
    return note or check.describe()


def load_pin(state_dir: Path) -> PinnedKey | None:
    """The pinned key; None when the site has none (installed unsigned, or before signing existed)."""
    path = StateDir(state_dir).vendor_key
    try:
        doc = json.loads(path.read_bytes())
        key = VendorKey(base64.b64decode(doc["public_key"], validate=True))
        if len(key.public_key) != RAW_KEY_SIZE or doc["key_id"] != key.key_id:
            raise ValueError("public_key and key_id do not agree")
        return PinnedKey(key, str(doc.get("source", "an earlier install")))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, binascii.Error) as e:
        raise AirliftError(f"The vendor key this site trusts cannot be read from {path} ({e})",
                           hint=f"restore {path} from a backup of the state directory; deleting it makes the "
                                "site trust the signer of the next signed bundle") from None


def save_pin(state_dir: Path, pin: PinnedKey) -> None:
    """Write the pin atomically: an interrupted write leaves the old pin, never half a file."""
    path = StateDir(state_dir).vendor_key
    doc = {"format": FORMAT, "algorithm": ALGORITHM, "key_id": pin.key.key_id,
           "public_key": pin.key.public_key_b64, "source": pin.source,
           "pinned": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)
