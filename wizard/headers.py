"""The security headers of every page and API answer the wizard and the hub's catalog send: their
requests stay on this host (CSP 'self' only, every asset vendored), no Referer carries an access
token or link out, no frame holds a page, and no cache keeps one."""

from __future__ import annotations

from flask import Flask, Response

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'")


def add_security_headers(app: Flask) -> None:
    """Every answer of `app` gets the headers (a response that set its own Cache-Control keeps it)."""
    app.after_request(_headers)


def _headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers.setdefault("Cache-Control", "no-store")
    return response
