"""The security headers of every page and API answer the wizard and the hub's catalog send: their
requests stay on this host (CSP 'self' only, every asset vendored), no Referer carries an access
token or link out, no frame holds a page, and no cache keeps one."""

from __future__ import annotations

from functools import partial

from flask import Flask, Response

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'")


def add_security_headers(app: Flask, referrer: str = "no-referrer") -> None:
    """Every answer of `app` gets the headers (a response that set its own Cache-Control or
    Content-Security-Policy keeps it). `referrer` "same-origin" is for pages whose own forms must
    send their Origin (with "no-referrer" Chromium sends `Origin: null`)."""
    app.after_request(partial(_headers, referrer=referrer))


def _headers(response: Response, referrer: str) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers["Referrer-Policy"] = referrer
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers.setdefault("Cache-Control", "no-store")
    return response
