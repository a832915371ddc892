"""The catalog in the browser: applications, releases, channels and promotion, downloads.
Server-rendered forms, no script: every POST carries the session's CSRF token (hub.websession)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, make_response, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse

from hub import catalog, differentials
from hub.context import db, hub
from hub.downloads import bundle_response, differential_response
from hub.models import Application, Channel
from hub.views import human_size, release_view
from hub.websession import (
    COOKIE,
    LOGIN_COOKIE,
    current,
    login_csrf,
    login_csrf_ok,
    set_cookie,
    sign_in,
    sign_out,
    signed_in,
)

bp = Blueprint("pages", __name__)


@bp.app_context_processor
def _globals() -> dict[str, Any]:
    return {"web_session": current(), "human_size": human_size}


@bp.errorhandler(catalog.CatalogError)
def _catalog_error(e: catalog.CatalogError) -> tuple[str, int]:
    return render_template("error.html", message=str(e)), e.status


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | BaseResponse:
    token = login_csrf()
    error = None
    if request.method == "POST":
        session_id = sign_in(request.form.get("name", ""), request.form.get("password", "")) \
            if login_csrf_ok() else None
        if session_id:
            response = redirect(url_for("pages.applications"))
            set_cookie(response, COOKIE, session_id)
            response.delete_cookie(LOGIN_COOKIE)
            return response
        error = "That name and password do not match a user of this hub."
    response = make_response(render_template("login.html", csrf=token, error=error), 401 if error else 200)
    set_cookie(response, LOGIN_COOKIE, token)
    return response


@bp.post("/logout")
@signed_in
def logout() -> BaseResponse:
    sign_out()
    response = redirect(url_for("pages.login"))
    response.delete_cookie(COOKIE)
    return response


@bp.get("/")
@signed_in
def applications() -> str:
    apps = db().scalars(select(Application).order_by(Application.name)).all()
    return render_template("applications.html", apps=apps)


@bp.get("/apps/<name>")
@signed_in
def application(name: str) -> str:
    app = db().scalar(select(Application).where(Application.name == name))
    if app is None:
        abort(404)
    return render_template("application.html", app=app)


@bp.get("/apps/<name>/<version>")
@signed_in
def release(name: str, version: str) -> str:
    found = catalog.get_release(db(), name, version)
    channels = db().scalars(select(Channel.name).order_by(Channel.name)).all()
    return render_template("release.html", view=release_view(db(), found, hub().store), channels=channels)


@bp.post("/apps/<name>/<version>/edit")
@signed_in
def edit(name: str, version: str) -> BaseResponse:
    found = catalog.get_release(db(), name, version)
    catalog.edit(db(), found, request.form.get("notes", ""), request.form.get("required") == "on")
    return redirect(url_for("pages.release", name=name, version=version))


@bp.post("/apps/<name>/<version>/promote")
@signed_in
def promote(name: str, version: str) -> BaseResponse:
    found = catalog.get_release(db(), name, version)
    session = current()
    assert session is not None
    channel = (request.form.get("new_channel") or request.form.get("channel") or "").strip()
    catalog.promote(db(), found, channel, session.user.name)
    return redirect(url_for("pages.release", name=name, version=version))


@bp.get("/apps/<name>/<version>/bundle.tar")
@signed_in
def download(name: str, version: str) -> Response:
    return bundle_response(catalog.get_release(db(), name, version))


@bp.get("/apps/<name>/<version>/differentials/<base>/bundle.tar")
@signed_in
def differential_download(name: str, version: str, base: str) -> Response:
    return differential_response(differentials.differential_of(db(), name, version, base))


@bp.get("/channels")
@signed_in
def channels() -> str:
    found = db().scalars(select(Channel).order_by(Channel.name)).all()
    return render_template("channels.html", channels=found)
