"""Install links in the browser and on the target host: a signed-in vendor makes one on a release
or channel page (shown once, with the command and the script's full text); the target host
fetches the script (`GET /install/<token>`, text/plain) and the bundle it names
(`GET /install/<token>/<version>/bundle.tar`, resumable). A refused link answers 404 or 410 with
a message that is also a shell script printing it and exiting 1, so `curl --fail-with-body … | sh`
shows it and fails."""

from __future__ import annotations

import datetime
import shlex

from flask import Blueprint, Response, render_template, request
from sqlalchemy import select

from hub import catalog
from hub.context import db, hub
from hub.downloads import bundle_response
from hub.install_links import (
    LinkRefused,
    LinkRequest,
    bundle_sha256,
    installs,
    link_args,
    make_link,
    open_link,
    parse_args,
)
from hub.models import Application, InstallLink, Release
from hub.tarstream import tar_size
from hub.websession import current, signed_in
from installer.bundle.index import Index

bp = Blueprint("install_pages", __name__)
CERT_FILE = "airlift-hub.pem"


@bp.app_template_filter("sh")
def _shell_quoted(value: object) -> str:
    return shlex.quote(str(value))


@bp.errorhandler(LinkRefused)
def _refused(e: LinkRefused) -> Response:
    text = str(e)
    body = f"# Airlift Hub: {text}\nprintf '%s\\n' {shlex.quote('airlift: ' + text)} >&2\nexit 1\n"
    return Response(body, status=e.status, mimetype="text/plain")


@bp.errorhandler(catalog.CatalogError)
def _catalog_error(e: catalog.CatalogError) -> tuple[str, int]:
    return render_template("error.html", message=str(e)), e.status


@bp.post("/apps/<name>/<version>/install-link")
@signed_in
def release_link(name: str, version: str) -> str:
    found = catalog.get_release(db(), name, version)
    return _made(found.application, found)


@bp.post("/channels/<channel>/<name>/install-link")
@signed_in
def channel_link(channel: str, name: str) -> str:
    app = db().scalar(select(Application).where(Application.name == name))
    if app is None:
        raise catalog.CatalogError(f"no application {name} on this hub", 404)
    return _made(app, None, channel)


@bp.get("/install/<token>")
def script(token: str) -> Response:
    link, release = open_link(db(), token)
    return Response(render_script(link, release, token), mimetype="text/plain")


@bp.get("/install/<token>/<version>/bundle.tar")
def bundle(token: str, version: str) -> Response:
    link, _ = open_link(db(), token)
    release = installs(db(), link, version)
    if release is None:
        raise LinkRefused(f"This install link does not install {link.application.name} {version}.", 404)
    return bundle_response(release)


def render_script(link: InstallLink, release: Release, token: str) -> str:
    tls = hub().tls
    return render_template("install.sh", hub_url=hub_url(), token=token, app=release.application.name,
                           version=release.version, size=_size(release),
                           bundle_sha256=bundle_sha256(db(), release, hub().store), mode=link.mode,
                           install_args=link_args(link), fingerprint=f"SHA256:{tls.fingerprint}" if tls else "",
                           cert_pem=tls.cert_pem.strip() if tls and tls.self_signed else None)


def hub_url() -> str:
    return request.host_url.rstrip("/")


def _size(release: Release) -> int:
    return tar_size(Index.from_json(release.index_json), release.index_json, release.signature_json)


def _made(app: Application, release: Release | None, channel: str | None = None) -> str:
    session = current()
    assert session is not None
    form = request.form
    try:
        uses = int(form.get("uses") or 1)
        days = int(form.get("expires_days") or 7)
    except ValueError:
        raise catalog.CatalogError("give the number of sites and the days as whole numbers") from None
    if not 1 <= days <= 365:
        raise catalog.CatalogError("a link lasts 1 to 365 days")
    asked = LinkRequest(uses=uses or None, expires_in=datetime.timedelta(days=days),
                        channel=channel or (form.get("channel") or "stable").strip(),
                        mode=form.get("mode") or "cli", install_args=parse_args(form.get("install_args", "")))
    made = make_link(db(), app, release, asked, session.user.name)
    link, installed = open_link(db(), made.token)
    tls = hub().tls
    url = f"{hub_url()}/install/{made.token}"
    cacert = f"--cacert {CERT_FILE} " if tls and tls.self_signed else ""
    return render_template("install_link.html", link=link, release=installed, url=url, tls=tls, cert_file=CERT_FILE,
                           install_args=shlex.join(link_args(link)),
                           command=f"curl --fail-with-body -sSL {cacert}{url} | sh",
                           script=render_script(link, installed, made.token))
