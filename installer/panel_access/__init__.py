"""Who may sign in to the control panel (the `panel/` front-end): the admin password, kept only as
an scrypt hash, and the one-time sign-in links `./install panel-link` prints for root.

Both live in the state directory (`<state>/panel/`, 0700, files 0600), because the install (CLI or
wizard) and `./install panel-link` write them and the `airlift-panel` service reads them.
"""

from installer.panel_access.links import LINK_SECONDS, make_link_token, redeem_link_token
from installer.panel_access.password import (
    PasswordError,
    check_password,
    hash_password,
    save_password,
    saved_hash,
    verify_password,
)

__all__ = ["LINK_SECONDS", "PasswordError", "check_password", "hash_password", "make_link_token",
           "redeem_link_token", "save_password", "saved_hash", "verify_password"]
