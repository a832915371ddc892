"""The cluster service's support loop: while a grant is open it keeps one tunnel to the hub up,
reconnecting after a network blip or a hub restart with exponential backoff; once the grant is
closed, past its TTL, or the site unlinked or disconnected by the hub, it drops the tunnel and
tries nothing more (the lesson of tunnels that retried forever)."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from installer.hub_link.link import Link, read_link, read_state
from installer.hub_link.transport import HubRefused
from installer.statedir import StateDir
from installer.support import tunnel as tunnel_mod
from installer.support.grant import Grant, close_grant, event, read_grant, write_grant, write_tunnel_state

log = logging.getLogger("installer.support")

POLL_S = 1.0
BACKOFF_FIRST_S, BACKOFF_CAP_S = 1.0, 60.0
GONE = 410


def backoff(failures: int) -> float:
    return min(BACKOFF_CAP_S, BACKOFF_FIRST_S * 2.0 ** max(0, failures - 1))


class SupportLoop:
    def __init__(self, state_dir: Path, poll_s: float = POLL_S) -> None:
        self.paths, self.poll_s = StateDir(state_dir), poll_s
        self.tunnel: tunnel_mod.Tunnel | None = None
        self.failures = 0

    def serve(self, stop: threading.Event) -> None:
        try:
            while not stop.is_set():
                stop.wait(self.turn())
        finally:
            self._drop()

    def turn(self) -> float:
        """Keep the tunnel as the grant says; seconds to wait before the next turn."""
        grant = read_grant(self.paths)
        link = read_link(self.paths)
        if grant is None or not grant.active():
            if grant is not None and grant.closed_at is None:
                close_grant(self.paths, "its time ran out")
                self._tell_hub(link)
            self._drop(ended=True)
            return self.poll_s
        if link is None or read_state(self.paths).get("disconnected_by_hub"):
            close_grant(self.paths, "the site is no longer linked with the hub")
            self._drop(ended=True)
            return self.poll_s
        if self.tunnel is not None and self.tunnel.alive():
            return self.poll_s
        if self.tunnel is not None:
            event(self.paths, "support: the connection to the hub was lost; reconnecting", "disconnect")
            self._drop()
        try:
            self._connect(grant, link)
        except HubRefused as e:
            if e.status == GONE:
                close_grant(self.paths, f"the hub refused it: {e.message}")
                return self.poll_s
            return self._failed(e.message)
        except Exception as e:  # a network blip, a hub restart: retried while the grant holds
            return self._failed(getattr(e, "message", None) or str(e) or type(e).__name__)
        self.failures = 0
        write_tunnel_state(self.paths, {"state": "connected", "session": grant.session.get("session")})
        event(self.paths, f"support: connected to the hub as session {grant.session.get('session')}", "connect")
        return self.poll_s

    def _connect(self, grant: Grant, link: Link) -> None:
        if not grant.session:
            grant.session = tunnel_mod.request_session(self.paths, link, grant)
            write_grant(self.paths, grant)
        self.tunnel = tunnel_mod.Tunnel(self.paths, link, grant)
        try:
            self.tunnel.open()
        except tunnel_mod.TunnelRefused:
            self.tunnel = None
            grant.session = {}  # the hub ended that session: ask for a new one, within the grant
            write_grant(self.paths, grant)
            raise

    def _tell_hub(self, link: Link | None) -> None:
        """Close the session on the hub too, once; the hub's own TTL ends it if this fails."""
        if link is None:
            return
        try:
            tunnel_mod.close_session(self.paths, link)
        except Exception as e:  # the hub ends it at its TTL anyway; nothing here retries
            log.warning("support session: the hub was not told of its end (%s)", e)

    def _failed(self, why: str) -> float:
        self.failures += 1
        self.tunnel = None
        wait = backoff(self.failures)
        write_tunnel_state(self.paths, {"state": "reconnecting", "error": why, "failures": self.failures})
        log.warning("support tunnel: %s; trying again in %.0f s", why, wait)
        return wait

    def _drop(self, ended: bool = False) -> None:
        if self.tunnel is not None:
            self.tunnel.close()
            self.tunnel = None
            if ended:
                event(self.paths, "support: the connection to the hub is closed", "disconnect")
                write_tunnel_state(self.paths, {"state": "closed"})
