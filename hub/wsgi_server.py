"""The hub's HTTPS server: gunicorn, one worker process with a pool of threads (gthread), TLS and
HTTP/1.1 keep-alive, on the sockets `python -m hub serve` bound (hub/server.py): the hub's port,
and its panel ports, each served by the panel gateway (hub/panel_gateway.py). Which application
answers a request is decided by the local port of the socket it came in on (`ByLocalPort`), never
by anything the client sent.

Why gunicorn's threaded worker: each connection's TLS handshake and request run on a thread of
the pool, so a client that connects and says nothing holds one thread, never the accept loop; an
idle kept-alive connection (a publisher between two blobs) waits in the worker's poller, not on a
thread. Of the pool's threads, only a few run the application at once (hub/gate.py): a request
waits for a slot once its head is in, and gives it back once the application has answered, before
the answer's body is sent; a request whose body is long (more than LONG_BYTES, or of a length not
told) and anything on a panel port run without one. Threads, not several workers, because
the hub keeps per-process state (the upload counters of /api/v1/stats, the support tunnels) and
several hub processes are run as several `python -m hub serve` behind one address, each its own
gunicorn.

One TLS context serves every connection: gunicorn's default makes a new one per connection
(loading the certificate, and the system's CA store, every time). The certificate is ECDSA P-256
(installer/tls.py), the cheapest to sign a handshake with. One session ticket is sent after each
handshake: a site's cluster service offers it on its next check-in (installer/hub_link/transport.py),
minutes later, and resuming costs the hub about half the CPU of a full TLS 1.3 handshake (no
certificate signature; the key exchange is still made anew, so forward secrecy holds). The ticket
key lives in this process only: a restarted hub, or another hub process behind the address, makes
a full handshake instead.

Every blocking operation on a client's connection (the TLS handshake, reading a request, sending
an answer) gives up after the client has been silent for `Listener.client_timeout_s`: gunicorn
waits for a new connection's first byte with a timeout, but not for what follows it, so a client
that sent one byte and stopped held a thread of the pool for good, and 32 of them left the hub
answering no one (tests/integration/hub/test_hub_connections.py). A request's head (its request
line and headers: a few KB) must also come whole within HEAD_TIMEOUTS times that, however it is
paced, as nginx's client_header_timeout asks: a client sending a byte every few seconds was never
silent long enough to be dropped, so it held its thread for as long as it liked. A body is timed
by silence alone: a slow link that keeps sending an upload is served however long it takes.
"""

from __future__ import annotations

import logging
import os
import re
import ssl
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gunicorn import glogging
from gunicorn.app.base import BaseApplication
from gunicorn.workers.gthread import ThreadWorker

from hub.gate import GATE
from installer.hostport import host_port

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

LINK_SECRET = re.compile(r"(/install/hub_[0-9a-f]+_)[A-Za-z0-9_-]+")
PANEL_TICKET = re.compile(r"(\bticket=)[A-Za-z0-9_-]+")
ACCESS_FORMAT = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"'  # HubLogger's fields
THREADS = 32  # requests in flight; the database pool (hub/db.py) holds twice as many connections
KEEPALIVE_S = 5  # a publisher sends its next blob at once; a site checks in minutes apart anyway
STOP_GRACE_S = 10  # requests in flight may finish after SIGTERM
CLIENT_TIMEOUT_S = 30.0  # a client silent this long mid-connection is dropped (nginx's are 60 s)
HEAD_TIMEOUTS = 2  # a request's head must come whole within this many client timeouts (nginx: 60 s)
LONG_BYTES = 1 << 20  # a request body bigger (or of a length not told) is read from its client for long


@dataclass(frozen=True)
class Listener:
    """The bound sockets, the certificate to serve on them, and what to run once the worker is up."""

    fds: list[int]
    cert_path: str
    key_path: str
    started: Callable[[], None]  # in the worker: start what needs threads, say the hub is up
    stopping: Callable[[], None]  # in the worker, as it ends
    client_timeout_s: float = CLIENT_TIMEOUT_S


class ByLocalPort:
    """The hub's application, or on a panel port the panel gateway (told its port in the environ
    as PORT_KEY), chosen by the local port of the accepted socket gunicorn hands over."""

    def __init__(self, hub: WSGIApplication, gateway: WSGIApplication, panel_ports: tuple[int, ...],
                 port_key: str) -> None:
        self.hub, self.gateway, self.panel_ports, self.port_key = hub, gateway, frozenset(panel_ports), port_key

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        port = int(environ["SERVER_PORT"])  # gunicorn's: the listening socket's, whatever the Host header says
        if port in self.panel_ports:  # waits on the site, its long-polls for seconds: outside the gate
            environ[self.port_key] = port
            return self.gateway(environ, start_response)
        if "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower() or _long(environ.get("CONTENT_LENGTH") or "0"):
            return self.hub(environ, start_response)  # reads its body from the client for long: outside too
        with GATE.inside():  # the answer's body is sent after, outside, however long
            return self.hub(environ, start_response)


def _long(length: str) -> bool:
    """Whether a body of this Content-Length takes long to send (one not a number is taken as long)."""
    return not length.isdigit() or int(length) > LONG_BYTES


class ClosingThreadWorker(ThreadWorker):
    """Gunicorn's threaded worker, a connection that is not kept alive closed by the thread that
    served it. Gunicorn hands every finished connection back to its main thread, the one that
    accepts, which closes it gracefully: it half-closes, then waits up to 2 s for the client's end.
    A client that never closes its end so held up every new connection for 2 s
    (tests/integration/hub/test_hub_connections.py); now it holds one thread of the pool."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._closed: deque[Any] = deque()  # closed by request threads, not yet counted out
        super().__init__(*args, **kwargs)

    def handle(self, conn: Any) -> Any:
        SERVING.client = conn.client  # for the log, should the client go silent
        if isinstance(conn.sock, _TimedSocket):  # a kept-alive connection's next request (a new one's: wrap_socket)
            conn.sock.start_head()
        kept = super().handle(conn)
        if kept is False:
            conn.close(graceful=True)
            self._closed.append(conn)
            return _CLOSED_HERE
        return kept

    def handle_request(self, req: Any, conn: Any) -> Any:
        if isinstance(conn.sock, _TimedSocket):
            conn.sock.head_read()
        return super().handle_request(req, conn)

    def enqueue_req(self, conn: Any) -> None:
        done = self.tpool.submit(self.handle, conn)
        done.add_done_callback(lambda fut: None if _closed_by_handle(fut) else self.method_queue.defer(
            self.finish_request, conn, fut))

    @property
    def nr_conns(self) -> int:
        """Gunicorn's count of open connections (read and set by its main thread), less those the
        request threads closed since."""
        while self._closed:
            self._closed.popleft()
            self._open -= 1
        return self._open

    @nr_conns.setter
    def nr_conns(self, value: int) -> None:
        self._open = value  # a close appended between gunicorn's read and this write is counted at the next read


_CLOSED_HERE = object()  # what handle() returns for a connection it closed itself
SERVING = threading.local()  # .client: the address a pool thread serves now


def _closed_by_handle(done: Future[Any]) -> bool:
    return not done.cancelled() and done.exception() is None and done.result() is _CLOSED_HERE


class HubLogger(glogging.Logger):
    """Gunicorn's logs for an operator. The access log (its default, Apache's combined format,
    ACCESS_FORMAT) without an install link's secret (/install/hub_<id>_<secret>) or a panel ticket
    (/.airlift/enter?ticket=…); only the format's own fields are made: gunicorn's makes one of every
    header and environ entry (with them, the access log took about 6% of the hub's Python time in a
    check-in, by py-spy). And a client dropped for its silence (_TimedSocket) is one line, not a
    traceback. Both logs go to stderr through its one stream."""

    def setup(self, cfg: Any) -> None:
        """The access log on stderr's stream, not stdout's (gunicorn's for "-"). Gunicorn's
        "/dev/stderr" opened the file again, at an offset of its own: with `serve 2> hub.log` the
        warnings written through the shell's descriptor landed over the access log's lines."""
        super().setup(cfg)
        for handler in self.access_log.handlers:
            if isinstance(handler, logging.StreamHandler) and handler.stream is sys.stdout:
                handler.setStream(sys.stderr)

    def exception(self, msg: str, *args: Any, **kwargs: Any) -> None:
        error = sys.exc_info()[1]
        if _client_went_silent(error):
            what = (f"took longer than {HEAD_TIMEOUTS} times --client-timeout to send its request's head"
                    if isinstance(error, _HeadTooSlow) else
                    "went silent in its TLS handshake or request, or took none of its answer, for longer than "
                    "--client-timeout")
            self.warning("A client (%s) %s: its connection is closed. Many of these at once may be someone on the "
                         "network holding the hub's threads on purpose.", _address(getattr(SERVING, "client", None)),
                         what)
            return
        super().exception(msg, *args, **kwargs)

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> dict[str, Any]:
        status, sent = resp.status, getattr(resp, "sent", None)
        return {"h": environ.get("REMOTE_ADDR", "-"), "l": "-", "u": self._get_user(environ) or "-", "t": self.now(),
                "r": _redacted(f"{environ['REQUEST_METHOD']} {environ['RAW_URI']} {environ['SERVER_PROTOCOL']}"),
                "s": status.split(None, 1)[0] if isinstance(status, str) else status,
                "b": str(sent) if sent is not None else "-",
                "f": _redacted(environ.get("HTTP_REFERER", "-")),  # a page's address carries the secret too
                "a": environ.get("HTTP_USER_AGENT", "-")}


def _client_went_silent(error: BaseException | None) -> bool:
    """Whether `error` is a client's socket timing out (not, say, a timeout reaching a site's
    panel while an answer streams): it was raised in a method of a _TimedSocket."""
    if not isinstance(error, TimeoutError) or error.__traceback__ is None:
        return False
    innermost = error.__traceback__
    while innermost.tb_next is not None:
        innermost = innermost.tb_next
    return isinstance(innermost.tb_frame.f_locals.get("self"), _TimedSocket)


def _address(client: Any) -> str:
    if isinstance(client, tuple) and len(client) >= 2:
        return host_port(str(client[0]), client[1])
    return "address unknown"


def _redacted(value: str) -> str:
    if "/install/hub_" in value or "ticket=" in value:  # cheap test first
        return PANEL_TICKET.sub(r"\1…", LINK_SECRET.sub(r"\1…", value))
    return value


class _HeadTooSlow(TimeoutError):
    """A request's head that did not come whole within its time, however it was paced."""


class _TimedSocket(ssl.SSLSocket):
    """A client's TLS socket whose blocking mode always has the client timeout (gunicorn sets its
    sockets blocking, no timeout, before each request and before the handshake), and whose reads
    of a request's head end at the head's deadline."""

    _head_deadline: float | None = None  # time.monotonic() by which the head must be in, while it is read
    _shortened = False  # the timeout is cut to the head's deadline

    def setblocking(self, flag: bool) -> None:
        if flag:
            self.settimeout(self.context.client_timeout_s)  # type: ignore[attr-defined]  # a _TimedContext's
            self._shortened = False
        else:
            super().setblocking(False)

    def start_head(self) -> None:
        self._head_deadline = time.monotonic() + self.context.client_timeout_s * HEAD_TIMEOUTS  # type: ignore[attr-defined]

    def head_read(self) -> None:
        """The head is in: what follows (the body, the answer) is timed by silence alone."""
        self._head_deadline = None
        if self._shortened:
            self.setblocking(True)

    def recv(self, buflen: int = 1024, flags: int = 0) -> bytes:
        if self._head_deadline is None:
            return super().recv(buflen, flags)
        left = self._head_deadline - time.monotonic()
        try:
            if left <= 0:
                raise TimeoutError
            if left < self.context.client_timeout_s:  # type: ignore[attr-defined]  # no call to the kernel before
                self.settimeout(left)
                self._shortened = True
            return super().recv(buflen, flags)
        except TimeoutError:
            if time.monotonic() < self._head_deadline:
                raise  # silent for the client timeout
            raise _HeadTooSlow("the request's head did not come whole in time") from None


class _TimedContext(ssl.SSLContext):
    """The hub's TLS context: its handshakes, and everything after on their sockets, time out."""

    sslsocket_class = _TimedSocket
    client_timeout_s = CLIENT_TIMEOUT_S

    def wrap_socket(self, sock: Any, *args: Any, **kwargs: Any) -> Any:
        sock.settimeout(self.client_timeout_s)  # the handshake's: the new socket takes it over
        wrapped = super().wrap_socket(sock, *args, **kwargs)
        assert isinstance(wrapped, _TimedSocket)  # sslsocket_class
        wrapped.start_head()  # the first request's head: its time counts from the connection's start
        return wrapped


class HubServer(BaseApplication):
    """Gunicorn configured in code, so `python -m hub serve` keeps its own flags."""

    def __init__(self, app: WSGIApplication, listener: Listener) -> None:
        self.app, self.listener = app, listener
        self.context: ssl.SSLContext | None = None
        super().__init__(prog="python -m hub serve")

    def load_config(self) -> None:
        settings: dict[str, Any] = {
            "bind": [f"fd://{fd}" for fd in self.listener.fds], "workers": 1, "worker_class": ClosingThreadWorker,
            "threads": THREADS, "keepalive": KEEPALIVE_S, "graceful_timeout": STOP_GRACE_S,
            "certfile": self.listener.cert_path, "keyfile": self.listener.key_path,
            "ssl_context": self._ssl_context, "preload_app": True, "proc_name": "airlift-hub",
            "control_socket_disable": True, "logger_class": HubLogger, "access_log_format": ACCESS_FORMAT, "loglevel": "warning",
            "errorlog": "-", "accesslog": "-",  # both to stderr (HubLogger.setup): stdout is for the start-up lines
            "limit_request_field_size": 65536,  # a site's signed download request is a header
            "post_worker_init": lambda _worker: self.listener.started(),
            "worker_exit": lambda _server, _worker: self.listener.stopping(),
        }
        for name, value in settings.items():
            self.cfg.set(name, value)

    def load(self) -> WSGIApplication:
        return self.app

    def _ssl_context(self, _config: Any, _default: Callable[[], ssl.SSLContext]) -> ssl.SSLContext:
        """One context for every connection (gunicorn asks for one per connection)."""
        if self.context is None:
            self.context = _TimedContext(ssl.PROTOCOL_TLS_SERVER)
            self.context.client_timeout_s = self.listener.client_timeout_s
            self.context.minimum_version = ssl.TLSVersion.TLSv1_2
            self.context.num_tickets = 1  # sites resume their session at their next check-in
            self.context.load_cert_chain(self.listener.cert_path, self.listener.key_path)
        return self.context


def run(app: WSGIApplication, listener: Listener) -> None:
    """Serve `app` until SIGINT or SIGTERM; returns, in this process, once the worker has stopped.
    Gunicorn owns the sockets `listener.fds` from here on and closes them."""
    master = os.getpid()
    try:
        HubServer(app, listener).run()
    except SystemExit as e:  # gunicorn's master exits when it stops, and so does its worker
        if os.getpid() != master or e.code not in (0, None):
            raise
