"""Run inside the site's network namespace by test_support_netns.py: enroll with the hub, serve
stand-ins for the control panel (HTTPS on the advertise address, its default port) and the
Kubernetes API (HTTPS on every address, its default port, its CA written into the k3s.yaml that
`./install support open --allow kube` reads), then run the cluster service's support loop until
stdin closes. Prints one JSON line once ready. argv: state dir, root, hub URL, fingerprint,
token file, advertise address."""

from __future__ import annotations

import base64
import http.server
import json
import ssl
import sys
import threading
import time
from pathlib import Path

import yaml

from installer.host import Host
from installer.hub_link.actions import connect
from installer.hub_link.transport import HubUnreachable
from installer.ports import API_PORT, PANEL_PORT
from installer.runtime.k3s_files import K3sPaths
from installer.services import manager_for
from installer.support.loop import SupportLoop
from installer.tls import ensure_self_signed


def serve_https(address: str, port: int, cert: Path, key: Path, body: bytes) -> None:
    """An HTTPS server answering every GET with `body`."""
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the http.server name)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer((address, port), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()


def enroll(state: Path, host: Host, url: str, fingerprint: str, token: str) -> str:
    deadline = time.monotonic() + 30
    while True:  # the hub may still be starting
        try:
            return connect(state, host, manager_for(host, state), url, token, fingerprint, 60).link.site_id
        except HubUnreachable:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def main(state: str, root: str, url: str, fingerprint: str, token_file: str, advertise: str) -> None:
    folder, host, tls = Path(state), Host(Path(root)), Path(root) / "standin-tls"
    tls.mkdir(parents=True, exist_ok=True)
    panel = ensure_self_signed(tls / "panel.crt", tls / "panel.key", advertise, "panel")
    kube = ensure_self_signed(tls / "kube.crt", tls / "kube.key", "127.0.0.1", "k3s")
    kubeconfig = K3sPaths.of(host).kubeconfig
    kubeconfig.parent.mkdir(parents=True, exist_ok=True)
    ca = base64.b64encode(kube.cert_path.read_bytes()).decode()
    kubeconfig.write_text(yaml.safe_dump({"clusters": [{"name": "default", "cluster": {
        "server": f"https://127.0.0.1:{API_PORT}", "certificate-authority-data": ca}}]}))
    serve_https(advertise, PANEL_PORT, panel.cert_path, panel.key_path, b'{"server": "panel"}')
    serve_https("0.0.0.0", API_PORT, kube.cert_path, kube.key_path, b'{"gitVersion": "v1.30.0-standin"}')
    site_id = enroll(folder, host, url, fingerprint, Path(token_file).read_text().strip())
    stop = threading.Event()
    loop = threading.Thread(target=SupportLoop(folder, poll_s=0.2).serve, args=(stop,), daemon=True)
    loop.start()
    print(json.dumps({"site_id": site_id}), flush=True)
    sys.stdin.read()  # until the test closes it
    stop.set()
    loop.join(timeout=20)


if __name__ == "__main__":
    main(*sys.argv[1:7])
