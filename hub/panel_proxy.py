"""One browser request to a site's control panel forwarded through the support session's
hub-local port, as a panel port of the hub serves it (hub/panel_gateway.py decides who may).

The hub adds no credentials: the site's own panel sign-in is still asked for. The panel is served
at the root of its panel port, so paths are the panel's own. Cookies do not keep ports apart, so
the browser sends a panel port the hub's cookies and every other panel port's too: only this
port's panel cookies (renamed with the port's prefix when set) go to the site, un-prefixed. The
panel sees its own Host and Origin (the gateway refused any other Origin first). Every request is
an audit line under the hub user's name with its bytes each way.
"""

from __future__ import annotations

import http.client
import ssl
from collections.abc import Iterator

from flask import Response, request
from sqlalchemy.orm import Session, sessionmaker

from hub import support

TIMEOUT_S = 60  # a Socket.IO long-poll waits 25 s
CHUNK = 65536
REQUEST_HEADERS = ("Accept", "Accept-Language", "Content-Type", "User-Agent", "X-CSRF-Token", "If-None-Match",
                   "If-Modified-Since", "Cache-Control")
RESPONSE_HEADERS = ("Content-Type", "Content-Length", "Content-Disposition", "Cache-Control", "Retry-After",
                    "ETag", "Last-Modified")


def cookie_prefix(port: int) -> str:
    """The panel's cookies on panel port `port` are kept as `__Host-p<port>.NAME`: a name no other
    port uses, and still a `__Host-` cookie (Secure, Path=/, this host only)."""
    return f"__Host-p{port}."


def send(upstream_port: int, panel_port: int, path: str, body: bytes | None) -> http.client.HTTPResponse:
    """The request as the panel is to see it: its own Host and Origin, its own cookies only."""
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE  # the panel's own certificate; the
    # connection runs inside the site's SSH tunnel, whose host key is pinned both ways
    conn = http.client.HTTPSConnection(support.LOOPBACK, upstream_port, timeout=TIMEOUT_S, context=context)
    own = f"{support.LOOPBACK}:{upstream_port}"
    headers = {name: value for name in REQUEST_HEADERS if (value := request.headers.get(name)) is not None}
    headers.update({"Host": own, "Origin": f"https://{own}"})
    if cookies := panel_cookies(request.cookies, panel_port):
        headers["Cookie"] = cookies
    conn.request(request.method, path, body=body, headers=headers)
    return conn.getresponse()


def panel_cookies(cookies: dict[str, str], panel_port: int) -> str:
    """This port's panel cookies out of all the browser sent (the hub's, the grant and other
    ports' are never sent to a site)."""
    prefix = cookie_prefix(panel_port)
    return "; ".join(f"{name.removeprefix(prefix)}={value}" for name, value in cookies.items()
                     if name.startswith(prefix))


def rewrite_set_cookie(header: str, panel_port: int) -> str:
    """The panel's cookie renamed for its port, and kept to this host, Secure, at Path=/."""
    name_value, *attributes = [part.strip() for part in header.split(";")]
    kept = [a for a in attributes if a.split("=", 1)[0].strip().lower() not in ("path", "domain", "secure")]
    return "; ".join([cookie_prefix(panel_port) + name_value, *kept, "Secure", "Path=/"])


def rewrite_location(location: str) -> str:
    """A redirect of the panel's to its own address stays on the panel port."""
    for own in (f"https://{support.LOOPBACK}:", "https://localhost:"):
        if location.startswith(own):
            return "/" + location.split("/", 3)[3] if location.count("/") >= 3 else "/"
    return location


def response_of(upstream: http.client.HTTPResponse, body: Iterator[bytes], panel_port: int) -> Response:
    """The panel's answer as the browser gets it."""
    response = Response(body, status=upstream.status)
    for name in RESPONSE_HEADERS:
        if (value := upstream.getheader(name)) is not None:
            response.headers[name] = value
    if (location := upstream.getheader("Location")) is not None:
        response.headers["Location"] = rewrite_location(location)
    for cookie in upstream.msg.get_all("Set-Cookie") or []:
        response.headers.add("Set-Cookie", rewrite_set_cookie(cookie, panel_port))
    return response


class Audit:
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
