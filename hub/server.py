"""`python -m hub serve`: the hub over HTTPS until Ctrl-C or SIGTERM.

Without --cert/--key the hub makes a self-signed certificate in DATA/tls at first start and keeps
it, so the fingerprint printed at start (which publishers pin with --hub-fingerprint) stays the
same across restarts.
"""

from __future__ import annotations

import socket
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from cryptography import x509
from flask import Flask
from sqlalchemy.orm import Session, sessionmaker

from hub import migrate, wsgi_server
from hub.app import create_app
from hub.blobs_s3 import S3BlobStore
from hub.blobstore import BlobStore, FolderBlobStore
from hub.context import HubTls
from hub.db import make_engine
from hub.s3 import S3Location
from hub.tunnel_ssh import TunnelServer
from installer.errors import AirliftError
from installer.tls import Certificate, ensure_self_signed, fingerprint

DEFAULT_PORT = 8443


@dataclass(frozen=True)
class ServeOptions:
    data_dir: Path
    database_url: str
    host: str
    port: int
    cert: Path | None = None
    key: Path | None = None
    s3: S3Location | None = None  # blobs in this bucket instead of DATA/blobs
    ssh: tuple[str, int] | None = None  # the SSH endpoint for remote support (hub/tunnel_ssh.py)


def parse_listen(text: str) -> tuple[str, int]:
    """`ADDR:PORT`, `ADDR` or `[V6]:PORT` -> (host, port)."""
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = rest.removeprefix(":") or str(DEFAULT_PORT)
    else:
        host, _, port = text.rpartition(":") if text.count(":") == 1 else (text, "", str(DEFAULT_PORT))
    if not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise AirliftError(f'--listen "{text}" is not ADDR:PORT', hint="for example --listen 0.0.0.0:8443")
    return host, int(port)


def certificate(options: ServeOptions) -> Certificate:
    """The given certificate, or the hub's own self-signed one in DATA/tls."""
    if options.cert and options.key:
        try:
            cert = x509.load_pem_x509_certificate(options.cert.read_bytes())
        except (OSError, ValueError) as e:
            raise AirliftError(f"--cert {options.cert} cannot be read as a PEM certificate ({e})",
                               hint="give the certificate file (PEM) and its key with --key") from None
        return Certificate(options.cert, options.key, fingerprint(cert))
    if options.cert or options.key:
        raise AirliftError("--cert and --key go together", hint="give both, or neither for a self-signed certificate")
    tls = options.data_dir / "tls"
    return ensure_self_signed(tls / "hub.crt", tls / "hub.key", options.host, f"Airlift Hub {options.host}")


def ready_database(url: str) -> None:
    """The embedded SQLite database is brought to the newest schema; a shared database must
    already be (several hub processes must not migrate it at once)."""
    engine = make_engine(url)
    try:
        if url.startswith("sqlite"):
            migrate.upgrade(engine)
        elif migrate.current(engine) != migrate.head():
            raise AirliftError(f"The database {engine.url.render_as_string(hide_password=True)} is not at the "
                               f"hub's schema ({migrate.current(engine) or 'empty'}, not {migrate.head()})",
                               hint="run python -m hub migrate --database URL once, then start the hub again")
    finally:
        engine.dispose()


def blob_store(options: ServeOptions) -> BlobStore:
    """The folder DATA/blobs, or the bucket, checked before the hub says it is up."""
    if options.s3 is None:
        return FolderBlobStore(options.data_dir)
    store = S3BlobStore(options.s3, options.data_dir / "uploads")
    store.check()
    return store


def start_tunnel(options: ServeOptions, sessions: sessionmaker[Session]) -> TunnelServer | None:
    """The SSH endpoint sites open support sessions to, with its host key in DATA/ssh."""
    if options.ssh is None:
        return None
    tunnel = TunnelServer(sessions, options.data_dir / "ssh" / "host_ed25519", *options.ssh)
    try:
        tunnel.start()
    except OSError as e:
        raise AirliftError(f"The hub cannot listen for SSH on {options.ssh[0]}:{options.ssh[1]}: {e.strerror or e}",
                           hint="choose another with --ssh-listen ADDR:PORT") from None
    return tunnel


def serve(options: ServeOptions, out: TextIO | None = None) -> None:
    """Serve until SIGINT or SIGTERM (hub/wsgi_server.py); the start-up lines go to `out` once
    the worker takes requests."""
    out = out or sys.stdout
    options.data_dir.mkdir(parents=True, exist_ok=True)
    ready_database(options.database_url)
    cert = certificate(options)
    store = blob_store(options)
    tls = HubTls(cert.cert_path.read_text(), cert.fingerprint.replace(":", "").lower(), options.cert is None)
    app = create_app(make_engine(options.database_url), options.data_dir, store, tls)
    family = socket.AF_INET6 if ":" in options.host else socket.AF_INET
    try:
        listener = socket.create_server((options.host, options.port), family=family, backlog=1024)
    except OSError as e:
        raise AirliftError(f"The hub cannot listen on {options.host}:{options.port}: {e.strerror or e}",
                           hint="another program may use the port, or the address is not on this host; "
                                "choose another with --listen ADDR:PORT") from None
    tunnels: list[TunnelServer] = []

    def started(served: Flask) -> None:
        tunnel = start_tunnel(options, served.extensions["hub"].sessions)
        if tunnel is not None:
            tunnels.append(tunnel)
            served.config["SSH_ENDPOINT"] = tunnel.endpoint()
        print(_banner(options, cert, tunnel), file=out, flush=True)

    def stopping() -> None:
        while tunnels:
            tunnels.pop().stop()

    try:
        wsgi_server.run(app, wsgi_server.Listener(listener.detach(), str(cert.cert_path), str(cert.key_path),
                                                  started, stopping))
    except KeyboardInterrupt:
        pass
    print("Hub stopped.", file=out, flush=True)


def _banner(options: ServeOptions, cert: Certificate, tunnel: TunnelServer | None) -> str:
    shown = f"[{options.host}]" if ":" in options.host else options.host
    blobs = f"; blobs in {options.s3.url()} at {options.s3.endpoint or 'AWS S3'}" if options.s3 else ""
    return (f"Airlift Hub at https://{shown}:{options.port}/ (data in {options.data_dir}{blobs})\n"
            f"Certificate fingerprint (SHA-256):\n  {cert.fingerprint}\n"
            f"Publishers pin it with --hub-fingerprint SHA256:{cert.fingerprint.replace(':', '').lower()}\n"
            + (f"Remote support: SSH on {options.ssh[0]}:{tunnel.port}, host key {tunnel.fingerprint}\n"
               if tunnel and options.ssh else "") +
            "Press Ctrl-C to stop the hub.")
