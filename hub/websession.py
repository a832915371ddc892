"""Sign-in for the catalog pages: a random session id in a Secure, HttpOnly, SameSite=Strict
cookie, whose sha256 is the web_sessions row; each session has its CSRF token, which every form
carries back. The sign-in form, before any session, uses a double-submit cookie instead."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, g, redirect, request, url_for
from sqlalchemy import delete, select
from werkzeug.wrappers import Response

from hub.context import db
from hub.models import User, WebSession, aware, utcnow
from hub.passwords import check_password

COOKIE = "hub_session"
LOGIN_COOKIE = "hub_login"
LIFETIME = datetime.timedelta(hours=12)


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def sign_in(name: str, password: str) -> str | None:
    """A new session id for a right name and password, else None."""
    session = db()
    user = session.scalar(select(User).where(User.name == name))
    if user is None or not check_password(password, user.password_hash):
        return None
    session_id = secrets.token_urlsafe(32)
    session.execute(delete(WebSession).where(WebSession.expires_at < utcnow()))
    session.add(WebSession(id_hash=_hash(session_id), user=user, csrf_token=secrets.token_urlsafe(32),
                           expires_at=utcnow() + LIFETIME))
    session.commit()
    return session_id


def sign_out() -> None:
    session_id = request.cookies.get(COOKIE)
    if session_id:
        db().execute(delete(WebSession).where(WebSession.id_hash == _hash(session_id)))
        db().commit()


def current() -> WebSession | None:
    """This request's live session, if it has one."""
    if "web_session" not in g:
        session_id = request.cookies.get(COOKIE)
        row = db().get(WebSession, _hash(session_id)) if session_id else None
        g.web_session = row if row is not None and aware(row.expires_at) > utcnow() else None
    found: WebSession | None = g.web_session
    return found


def set_cookie(response: Response, name: str, value: str) -> None:
    response.set_cookie(name, value, secure=True, httponly=True, samesite="Strict",
                        max_age=int(LIFETIME.total_seconds()))


def signed_in(view: Callable[..., Any]) -> Callable[..., Any]:
    """Pages for signed-in users; a POST must carry the session's CSRF token."""
    @wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        session = current()
        if session is None:
            return redirect(url_for("pages.login"))
        if request.method == "POST" and not same_origin_form():
            abort(403, "Refused: this form was not sent from a page of this hub.")
        if request.method == "POST" and not hmac.compare_digest(
                request.form.get("csrf", ""), session.csrf_token):
            abort(400, "The form is out of date: reload the page and send it again.")
        return view(*args, **kwargs)
    return checked


def same_origin_form() -> bool:
    """A form POST from the hub's own pages, by the browser's Fetch metadata (absent from tools).
    A site's panel served on a panel port of this host is same-site with the hub (ports do not
    make sites), so SameSite cookies reach the hub from its pages: they must not post forms here."""
    return request.headers.get("Sec-Fetch-Site") in (None, "same-origin")


def login_csrf() -> str:
    """The sign-in form's token: the one in its cookie, or a new one."""
    return request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(32)


def login_csrf_ok() -> bool:
    cookie, form = request.cookies.get(LOGIN_COOKIE, ""), request.form.get("csrf", "")
    return bool(cookie) and hmac.compare_digest(cookie, form) and same_origin_form()
