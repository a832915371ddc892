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
from sqlalchemy.orm import Session, sessionmaker

from hub import migrate, wsgi_server
from hub.app import create_app
from hub.blobs_s3 import S3BlobStore
from hub.blobstore import BlobStore, FolderBlobStore
from hub.context import HubTls
from hub.db import make_engine
from hub.panel_gateway import PORT_KEY, create_gateway
from hub.panel_passes import describe_ports
from hub.s3 import S3Location
from hub.tunnel_ssh import TunnelServer
from installer.errors import AirliftError
from installer.hostport import host_port
from installer.tls import Certificate, ensure_self_signed, fingerprint

DEFAULT_PORT = 8443
DEFAULT_PANEL_PORTS = 8  # the ports after --listen's, one site's control panel each


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
    panel_ports: tuple[int, ...] = ()  # one origin each for a site's control panel (hub/panel_gateway.py)
    client_timeout_s: float = wsgi_server.CLIENT_TIMEOUT_S


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


def parse_panel_ports(text: str | None, listen_port: int) -> tuple[int, ...]:
    """`A-B`, `P,Q,…` (ranges too) or `none`; by default the DEFAULT_PANEL_PORTS after the hub's."""
    if text is None:
        return tuple(range(listen_port + 1, listen_port + 1 + DEFAULT_PANEL_PORTS))
    if text.strip().lower() == "none":
        return ()
    ports: list[int] = []
    for part in text.split(","):
        first, _, last = part.strip().partition("-")
        if not first.isdigit() or not (last or first).isdigit() or not 1 <= int(first) <= int(last or first) <= 65535:
            raise AirliftError(f'--panel-ports "{text}" is not a port range', hint="for example --panel-ports "
                               "8444-8451, --panel-ports 9001,9002, or --panel-ports none to serve no control panel")
        ports.extend(range(int(first), int(last or first) + 1))
    if listen_port in ports or len(set(ports)) != len(ports):
        raise AirliftError(f'--panel-ports "{text}" names the hub\'s own port {listen_port} or a port twice',
                           hint="give ports apart from --listen's, each once")
    return tuple(ports)


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
        raise AirliftError(f"The hub cannot listen for SSH on {host_port(*options.ssh)}: {e.strerror or e}",
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
    app = create_app(make_engine(options.database_url), options.data_dir, store, tls, options.panel_ports)
    sockets = [bind(options.host, options.port, "choose another with --listen ADDR:PORT")]
    try:
        for port in options.panel_ports:
            sockets.append(bind(options.host, port, "choose others with --panel-ports A-B, or --panel-ports none "
                                                    "to serve no control panel"))
    except AirliftError:
        for s in sockets:
            s.close()
        raise
    served = wsgi_server.ByLocalPort(app, create_gateway(app.extensions["hub"]), options.panel_ports, PORT_KEY)
    tunnels: list[TunnelServer] = []

    def started() -> None:  # in the worker, a fork of this process, where `app` is its own copy
        tunnel = start_tunnel(options, app.extensions["hub"].sessions)
        if tunnel is not None:
            tunnels.append(tunnel)
            app.config["SSH_ENDPOINT"] = tunnel.endpoint()
        print(_banner(options, cert, tunnel), file=out, flush=True)

    def stopping() -> None:
        while tunnels:
            tunnels.pop().stop()

    try:
        wsgi_server.run(served, wsgi_server.Listener([s.detach() for s in sockets], str(cert.cert_path),
                                                     str(cert.key_path), started, stopping, options.client_timeout_s))
    except KeyboardInterrupt:
        pass
    print("Hub stopped.", file=out, flush=True)


def bind(host: str, port: int, hint: str) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family, backlog=1024)
    except OSError as e:
        raise AirliftError(f"The hub cannot listen on {host_port(host, port)}: {e.strerror or e}",
                           hint=f"another program may use the port, or the address is not on this host; {hint}") \
            from None


def _banner(options: ServeOptions, cert: Certificate, tunnel: TunnelServer | None) -> str:
    blobs = f"; blobs in {options.s3.url()} at {options.s3.endpoint or 'AWS S3'}" if options.s3 else ""
    return (f"Airlift Hub at https://{host_port(options.host, options.port)}/ (data in {options.data_dir}{blobs})\n"
            f"Certificate fingerprint (SHA-256):\n  {cert.fingerprint}\n"
            f"Publishers pin it with --hub-fingerprint SHA256:{cert.fingerprint.replace(':', '').lower()}\n"
            + (f"Remote support: SSH on {host_port(options.ssh[0], tunnel.port)}, host key {tunnel.fingerprint}\n"
               if tunnel and options.ssh else "")
            + (f"Sites' control panels on ports {describe_ports(options.panel_ports)}, one origin each\n"
               if options.panel_ports else "Open control panel is off (--panel-ports none)\n") +
            "Press Ctrl-C to stop the hub.")
