"""A site's control panel opened from the hub ("Open control panel"): the hub forwards the
browser's requests under /sites/SITE/panel/ to the panel through the support session's
hub-local port, for hub users whose role allows reaching into a site (operator, admin).

The hub adds no credentials: the site's own panel sign-in is still asked for. What the proxy
changes is only what keeps the panel and the hub apart in one browser origin: the hub's cookies
never reach the site (only the panel's own, kept under this site's path with a `site.` prefix,
go back), the panel's redirects stay under the prefix, and the Origin the panel checks is the
panel's own only for requests that came from the hub's pages (the hub's session cookie is
SameSite=Strict, and a foreign Origin is refused here). Every request is audited under the hub
user's name with its bytes each way.
"""

from __future__ import annotations

import http.client
import ssl
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, redirect, render_template, request, url_for
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.wrappers import Response as BaseResponse

from hub import support
from hub.context import db, hub
from hub.roles import SUPPORT, may, needed
from hub.support_cli import session_for
from hub.websession import current
from installer.errors import AirliftError

bp = Blueprint("panel_proxy", __name__)

COOKIE_PREFIX = "site."
TIMEOUT_S = 60  # a Socket.IO long-poll waits 25 s
CHUNK = 65536
REQUEST_HEADERS = ("Accept", "Accept-Language", "Content-Type", "User-Agent", "X-CSRF-Token", "If-None-Match",
                   "If-Modified-Since", "Cache-Control")
RESPONSE_HEADERS = ("Content-Type", "Content-Length", "Content-Disposition", "Cache-Control", "Retry-After",
                    "ETag", "Last-Modified")


def prefix(site_id: str) -> str:
    return f"/sites/{site_id}/panel"


@bp.get("/sites/<site_id>/panel")
def bare(site_id: str) -> BaseResponse:
    return redirect(prefix(site_id) + "/", 308)


@bp.route("/sites/<site_id>/panel/", defaults={"rest": ""}, methods=["GET", "POST"])
@bp.route("/sites/<site_id>/panel/<path:rest>", methods=["GET", "POST"])
def proxy(site_id: str, rest: str) -> Any:
    session = current()
    if session is None:
        return redirect(url_for("pages.login"))
    user = session.user
    what = "open a site's control panel"
    if not may(user.role, SUPPORT):
        support.audit(db(), user.name, "refused", f"{what} of {site_id} refused: role {user.role}", site_id)
        db().commit()
        return _refusal(f"Hub user {user.name} is a {user.role}: to {what} takes the role {needed(SUPPORT)} (or "
                        f"admin). An admin raises it with: python -m hub user role {user.name} {needed(SUPPORT)}", 403)
    if not _from_hub_page():
        support.audit(db(), user.name, "refused", f"{request.method} /{rest} to {site_id}'s panel refused: it came "
                      f"from another origin ({request.headers.get('Origin')})", site_id)
        db().commit()
        return _refusal("Refused: this request did not come from a page of this hub.", 403)
    try:
        found, port = session_for(db(), site_id, "panel")
    except AirliftError as e:
        return _refusal(f"{e.message}: {e.hint}" if e.hint else e.message, 409)
    path = "/" + rest + (f"?{request.query_string.decode('latin-1')}" if request.query_string else "")
    body = request.get_data() if request.method == "POST" else None
    try:
        upstream = _send(port, path, body)
    except OSError as e:
        support.audit(db(), user.name, "panel", f"{request.method} {path} to {site_id}'s panel failed: {e}",
                      site_id, found.id, bytes_out=len(body or b""))
        db().commit()
        return _refusal(f"Site {site_id}'s control panel does not answer through its support session ({e}). The "
                        "site's tunnel may be reconnecting: try again in a minute.", 502)
    audited = _Audit(hub().sessions, user.name, site_id, found.id, f"{request.method} {path}", len(body or b""))
    response = Response(audited.stream(upstream), status=upstream.status)
    for name in RESPONSE_HEADERS:
        if (value := upstream.getheader(name)) is not None:
            response.headers[name] = value
    if (location := upstream.getheader("Location")) is not None:
        response.headers["Location"] = rewrite_location(location, site_id)
    for cookie in upstream.msg.get_all("Set-Cookie") or []:
        response.headers.add("Set-Cookie", rewrite_set_cookie(cookie, site_id))
    return response


def _refusal(message: str, status: int) -> tuple[str, int]:
    return render_template("error.html", message=message), status


def _hub_origin() -> str:
    return request.host_url.rstrip("/")


def _from_hub_page() -> bool:
    """A GET the browser sent without an Origin, or a request from this hub's own pages. A form
    POST from a page sent with no-referrer carries `Origin: null`: its Fetch metadata tells."""
    origin = request.headers.get("Origin")
    if origin == _hub_origin():
        return True
    if origin is None and request.method == "GET":
        return True
    return origin in (None, "null") and request.headers.get("Sec-Fetch-Site") == "same-origin"


def _send(port: int, path: str, body: bytes | None) -> http.client.HTTPResponse:
    """The request as the panel is to see it: its own Host and Origin (the request passed
    _from_hub_page, and the hub's session cookie is SameSite=Strict), its own cookies only."""
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE  # the panel's own certificate; the
    # connection runs inside the site's SSH tunnel, whose host key is pinned both ways
    conn = http.client.HTTPSConnection(support.LOOPBACK, port, timeout=TIMEOUT_S, context=context)
    own = f"https://{support.LOOPBACK}:{port}"
    headers = {name: value for name in REQUEST_HEADERS if (value := request.headers.get(name)) is not None}
    headers.update({"Host": f"{support.LOOPBACK}:{port}", "Origin": own})
    cookies = panel_cookies(request.cookies)
    if cookies:
        headers["Cookie"] = cookies
    conn.request(request.method, path, body=body, headers=headers)
    return conn.getresponse()


def panel_cookies(cookies: dict[str, str]) -> str:
    """The panel's own cookies out of the browser's (the hub's are never sent to a site)."""
    return "; ".join(f"{name.removeprefix(COOKIE_PREFIX)}={value}" for name, value in cookies.items()
                     if name.startswith(COOKIE_PREFIX))


def rewrite_set_cookie(header: str, site_id: str) -> str:
    """The panel's cookie kept for this site's prefix only: renamed (a `__Host-` cookie must have
    Path=/, which would give it to the whole hub) and scoped to the prefix's path."""
    name_value, *attributes = [part.strip() for part in header.split(";")]
    kept = [a for a in attributes if a.split("=", 1)[0].strip().lower() not in ("path", "domain")]
    return "; ".join([COOKIE_PREFIX + name_value, *kept, f"Path={prefix(site_id)}/"])


def rewrite_location(location: str, site_id: str) -> str:
    """A redirect of the panel's stays under the prefix."""
    for own in (f"https://{support.LOOPBACK}:", "https://localhost:"):
        if location.startswith(own):
            location = "/" + location.split("/", 3)[3] if location.count("/") >= 3 else "/"
    if location.startswith("/") and not location.startswith("//"):
        return prefix(site_id) + location
    return location


class _Audit:
    """One proxied request's audit line, written when its response has been sent (or cut)."""

    def __init__(self, sessions: sessionmaker[Session], actor: str, site_id: str, session_id: str, what: str,
                 sent: int) -> None:
        self.sessions, self.actor, self.site_id, self.session_id = sessions, actor, site_id, session_id
        self.what, self.sent = what, sent

    def stream(self, upstream: http.client.HTTPResponse) -> Iterator[bytes]:
        received = 0
        try:
            while chunk := upstream.read1(CHUNK):
                received += len(chunk)
                yield chunk
        finally:
            upstream.close()
            with self.sessions() as s:
                support.audit(s, self.actor, "panel", f"{self.what} through the support session -> "
                              f"{upstream.status}", self.site_id, self.session_id, bytes_in=received,
                              bytes_out=self.sent)
                s.commit()
