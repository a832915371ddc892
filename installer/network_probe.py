"""The socket side of the checks across nodes, on one node: listeners on the node's ports while
the others dial them, the dials themselves, and a bounded transfer that measures bandwidth.

Every node runs a ProbeSession (agents through the `probe` task, the installer's host directly);
the installer drives the rounds (installer/phases/network_checks.py):

    listen  open TCP and UDP listeners on the node's ports, on its advertise address
    dial    connect to every port the other nodes listen on (TCP: PING/PONG; UDP: an echoed datagram);
            to a running node's TCP ports, held by its services, connect only
    send    send to one node for up to `seconds` or `max_bytes`; the receiver counts what arrived
    close   close the listeners (they also close by themselves after `hold_s`, should the installer vanish)

The TCP listeners speak one line: "PING" is answered "PONG" (so a dial proves it reached this probe,
not another program), "SINK" is followed by data until the sender shuts its side, and answered
with the number of bytes received.
"""

from __future__ import annotations

import errno
import os
import selectors
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

DIAL_TIMEOUT_S = 2.0
UDP_TRIES = 3
DIAL_WORKERS = 32
CHUNK = 64 * 1024
SINK_IDLE_S = 10.0
SINK_MAX_S = 30.0
HOLD_S = 300.0
_KINDS = {"tcp": socket.SOCK_STREAM, "udp": socket.SOCK_DGRAM}


class Listeners:
    """Sockets bound to this node's ports, served by one thread until closed."""

    def __init__(self, address: str, ports: list[tuple[str, int]], hold_s: float = HOLD_S) -> None:
        self.address = address
        self.listening: list[tuple[str, int]] = []
        self.refused: list[tuple[str, int, str]] = []
        self._sel = selectors.DefaultSelector()
        self._stop = threading.Event()
        for protocol, port in ports:
            self._open(protocol, port)
        self._timer = threading.Timer(hold_s, self.close)
        self._timer.daemon = True
        self._timer.start()
        self._thread = threading.Thread(target=self._serve, name="airlift-probe-listen", daemon=True)
        self._thread.start()

    def _open(self, protocol: str, port: int) -> socket.socket | None:
        sock = socket.socket(socket.AF_INET, _KINDS[protocol])
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((self.address, port))
            except OSError as exc:  # an advertise address that is not this host's (behind NAT): every address
                if exc.errno != errno.EADDRNOTAVAIL:
                    raise
                sock.bind(("0.0.0.0", port))
            if protocol == "tcp":
                sock.listen(128)
        except OSError as exc:
            sock.close()
            self.refused.append((protocol, port, exc.strerror or str(exc)))
            return None
        sock.setblocking(False)
        self._sel.register(sock, selectors.EVENT_READ, protocol)
        self.listening.append((protocol, sock.getsockname()[1]))
        return sock

    def spare_tcp(self) -> int:
        """A TCP port for the bandwidth transfer: the first profile port held, else a new one."""
        held = [port for protocol, port in self.listening if protocol == "tcp"]
        if held:
            return held[0]
        sock = self._open("tcp", 0)
        if sock is None:
            raise OSError(f"cannot listen on {self.address}: {self.refused[-1][2]}")
        self.listening.pop()  # not one of the node's ports: nobody dials it for reachability
        port: int = sock.getsockname()[1]
        return port

    def _serve(self) -> None:
        while not self._stop.is_set():
            for key, _ in self._sel.select(timeout=0.2):
                sock: socket.socket = key.fileobj  # type: ignore[assignment]
                try:
                    if key.data == "udp":
                        data, peer = sock.recvfrom(2048)
                        sock.sendto(data, peer)
                    else:
                        conn, _ = sock.accept()
                        threading.Thread(target=_answer, args=(conn,), daemon=True).start()
                except OSError:
                    continue  # a peer gone between readiness and the call: nothing to answer

    def close(self) -> None:
        if self._stop.is_set():
            return
        self._stop.set()
        self._timer.cancel()
        if self._thread is not threading.current_thread():
            self._thread.join()
        for key in list(self._sel.get_map().values()):
            key.fileobj.close()  # type: ignore[union-attr]
        self._sel.close()


def _answer(conn: socket.socket) -> None:
    """One TCP connection to a listener: PING, or SINK then data until EOF."""
    with conn:
        conn.settimeout(SINK_IDLE_S)
        try:
            head = _line(conn)
            if head == b"PING":
                conn.sendall(b"PONG\n")
            elif head == b"SINK":
                received, started = 0, time.monotonic()
                while (chunk := conn.recv(CHUNK)) and time.monotonic() - started < SINK_MAX_S:
                    received += len(chunk)
                conn.sendall(f"{received}\n".encode())
            # The dialler closes first, so its side keeps the TIME_WAIT and this port is free at once
            # for whatever binds it next, even without SO_REUSEADDR.
            conn.recv(1)
        except OSError:
            return  # the dialler went away; it reports its own side


def _line(conn: socket.socket) -> bytes:
    data = b""
    while not data.endswith(b"\n") and len(data) < 16:
        chunk = conn.recv(1)
        if not chunk:
            break
        data += chunk
    return data.strip()


def _why(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "connection timed out"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    return (exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)).lower() or type(exc).__name__


def dial_tcp(address: str, port: int, timeout: float = DIAL_TIMEOUT_S, connect_only: bool = False) -> str | None:
    """None when the probe on address:port answered (`connect_only`: when anything accepted the
    connection, for a port the node's own services hold); else why not."""
    try:
        with socket.create_connection((address, port), timeout=timeout) as sock:
            if connect_only:
                return None
            sock.sendall(b"PING\n")
            if _line(sock) != b"PONG":
                return "connected, but another program answered"
    except OSError as exc:
        return _why(exc)
    return None


def dial_udp(address: str, port: int, timeout: float = DIAL_TIMEOUT_S) -> str | None:
    """None when a datagram sent to address:port came back; else why not (tried UDP_TRIES times)."""
    nonce = os.urandom(16)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout / UDP_TRIES)
        try:
            sock.connect((address, port))
            for _ in range(UDP_TRIES):
                sock.send(nonce)
                try:
                    while sock.recv(2048) != nonce:
                        pass
                    return None
                except TimeoutError:
                    continue
        except ConnectionRefusedError:
            return "port unreachable (nothing listens there, or a firewall rejects it)"
        except OSError as exc:
            return _why(exc)
    return f"no answer to {UDP_TRIES} datagrams within {timeout:.0f} s"


def dial_all(targets: list[dict], timeout: float = DIAL_TIMEOUT_S) -> list[dict]:
    """Dial every port of every target ({node, address, ports: [[protocol, port]], connect_only?}),
    DIAL_WORKERS at a time; one {node, protocol, port, error, connect_only} per dial (error None
    when it answered). A connect-only target's TCP ports are only connected to."""
    jobs = [(t["node"], t["address"], protocol, port, bool(t.get("connect_only")))
            for t in targets for protocol, port in t["ports"]]

    def dial(job: tuple[str, str, str, int, bool]) -> dict:
        node, address, protocol, port, connect_only = job
        error = (dial_tcp(address, port, timeout, connect_only) if protocol == "tcp"
                 else dial_udp(address, port, timeout))
        return {"node": node, "protocol": protocol, "port": port, "error": error, "connect_only": connect_only}

    with ThreadPoolExecutor(max_workers=DIAL_WORKERS, thread_name_prefix="airlift-probe-dial") as pool:
        return list(pool.map(dial, jobs))


def send(address: str, port: int, seconds: float, max_bytes: int) -> dict:
    """Send to the listener at address:port for up to `seconds` or `max_bytes`; {bytes, seconds}
    with the bytes the receiver counted and the time until it said so, or {error}."""
    chunk = os.urandom(CHUNK)
    try:
        with socket.create_connection((address, port), timeout=DIAL_TIMEOUT_S) as sock:
            sock.settimeout(SINK_IDLE_S)
            sock.sendall(b"SINK\n")
            started = time.monotonic()
            sent = 0
            while sent < max_bytes and time.monotonic() - started < seconds:
                sock.sendall(chunk)
                sent += len(chunk)
            sock.shutdown(socket.SHUT_WR)
            answer = _line(sock)
            elapsed = time.monotonic() - started
    except OSError as exc:
        return {"error": _why(exc)}
    if not answer.isdigit():
        return {"error": "the receiver did not count the bytes"}
    return {"bytes": int(answer), "seconds": elapsed}


class ProbeSession:
    """This node's part in the checks across nodes, across the installer's rounds."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.listeners: Listeners | None = None

    def handle(self, args: dict) -> dict:
        """Run one round's action (listen, dial, send, close); JSON-able data for the installer."""
        action = args["action"]
        if action == "listen":
            self.close()
            self.listeners = Listeners(self.address, [(p, int(n)) for p, n in args["ports"]],
                                       float(args.get("hold_s", HOLD_S)))
            spare = self.listeners.spare_tcp() if args.get("bandwidth") else None
            return {"listening": self.listeners.listening, "refused": self.listeners.refused, "bandwidth_port": spare}
        if action == "dial":
            return {"dials": dial_all(args["targets"], float(args.get("timeout", DIAL_TIMEOUT_S)))}
        if action == "send":
            return send(args["address"], int(args["port"]), float(args["seconds"]), int(args["max_bytes"]))
        if action == "close":
            self.close()
            return {}
        raise ValueError(f"unknown probe action {action!r}")

    def close(self) -> None:
        if self.listeners is not None:
            self.listeners.close()
            self.listeners = None
