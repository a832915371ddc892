"""One stream of events for every front-end.

The engine never prints: it emits Events. Sinks render them (the terminal), relay them (the
wizard's Socket.IO bridge) or keep them (the JSONL log in the state directory, which is the
truth a reconnecting browser or `status` replays). Secrets are registered with the bus and
redacted before any sink sees an event, so no token can reach a log or a screen.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

REDACTED = "***"
SECRET_KEYS = ("token", "password", "passwd", "secret")


@dataclass(frozen=True)
class Event:
    """One thing that happened; see docs/contracts.md for the kinds and statuses."""

    kind: str
    status: str
    message: str
    phase: str | None = None
    node: str | None = None
    data: dict = field(default_factory=dict)
    time: float = field(default_factory=time.time)
    seq: int = 0

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> Event:
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})


Sink = Callable[[Event], None]


def _redact_value(value: Any, secrets: tuple[str, ...], key: str = "") -> Any:
    if any(word in key.lower() for word in SECRET_KEYS) and value not in (None, ""):
        return REDACTED
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, REDACTED)
        return value
    if isinstance(value, dict):
        return {k: _redact_value(v, secrets, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact_value(v, secrets) for v in value]
    return value


def redact(event: Event, secrets: tuple[str, ...] | list[str]) -> Event:
    """Return the event with every known secret and every secret-named data field masked."""
    secrets = tuple(s for s in secrets if s)
    return replace(
        event,
        message=_redact_value(event.message, secrets),
        data=_redact_value(event.data, secrets),
    )


class EventLog:
    """The append-only JSONL event log; sequence numbers continue across runs."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._seq = self._last_seq()

    def _last_seq(self) -> int:
        events = self.read(0)
        return events[-1].seq if events else 0

    def append(self, event: Event) -> Event:
        """Give the event the next sequence number and write it as one line."""
        with self._lock:
            self._seq += 1
            event = replace(event, seq=self._seq)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "a", encoding="utf-8") as f:
                f.write(json.dumps(event.to_dict(), sort_keys=True) + "\n")
            return event

    @property
    def last_seq(self) -> int:
        return self._seq

    def read(self, after_seq: int = 0) -> list[Event]:
        """Every event with a sequence number above after_seq (a torn last line is ignored)."""
        if not self.path.exists():
            return []
        events = []
        with open(self.path, encoding="utf-8") as f:
            for line in f:
                try:
                    event = Event.from_dict(json.loads(line))
                except (ValueError, TypeError):
                    continue
                if event.seq > after_seq:
                    events.append(event)
        return events


class EventBus:
    """Fans events out to sinks, after redaction; keeps them in memory until a log is attached.

    The log is attached only once the state directory may be created, so that a refused
    install (bad bundle, bad answers) leaves nothing on the host.
    """

    def __init__(self) -> None:
        self._sinks: list[Sink] = []
        self._secrets: list[str] = []
        self._log: EventLog | None = None
        self._pending: list[Event] = []
        self._seq = 0
        self._lock = threading.RLock()

    def add_sink(self, sink: Sink) -> None:
        with self._lock:
            self._sinks.append(sink)

    def remove_sink(self, sink: Sink) -> None:
        with self._lock:
            if sink in self._sinks:
                self._sinks.remove(sink)

    def add_secret(self, secret: str) -> None:
        """Register a value that must never be shown (cluster token, join token, password)."""
        with self._lock:
            if secret and secret not in self._secrets:
                self._secrets.append(secret)

    @property
    def log(self) -> EventLog | None:
        return self._log

    def attach_log(self, log: EventLog) -> None:
        """Start persisting: write what was emitted so far, then every later event."""
        with self._lock:
            if self._log is not None:
                return
            self._log = log
            for event in self._pending:
                log.append(event)
            self._pending = []

    def emit(self, event: Event) -> Event:
        with self._lock:
            event = redact(event, self._secrets)
            if self._log is not None:
                event = self._log.append(event)
            else:
                self._seq += 1
                event = replace(event, seq=self._seq)
                self._pending.append(event)
            sinks = list(self._sinks)
        for sink in sinks:
            sink(event)
        return event

    @property
    def last_seq(self) -> int:
        """The sequence number of the newest event; a snapshot taken after reading it is at
        least that fresh, so a front-end can tell a stale snapshot from newer events."""
        with self._lock:
            return self._log.last_seq if self._log is not None else self._seq

    def since(self, seq: int) -> list[Event]:
        """The history after seq: from the log once attached, else from memory."""
        with self._lock:
            if self._log is not None:
                return self._log.read(seq)
            return [e for e in self._pending if e.seq > seq]

    def log_line(self, message: str, level: str = "info", phase: str | None = None, **data: Any) -> None:
        self.emit(Event("log", level, message, phase=phase, data=data))

    def progress(self, phase: str | None, unit: str, message: str = "") -> ProgressReporter:
        return ProgressReporter(self, phase, unit, message)


class ProgressReporter:
    """A progress callback `(done, total)` that emits at most a few events a second.

    Progress never goes backwards and the final value is always emitted, so a bar ends full.
    """

    INTERVAL_S = 0.25

    def __init__(self, bus: EventBus, phase: str | None, unit: str, message: str) -> None:
        self._bus = bus
        self._phase = phase
        self._unit = unit
        self._message = message
        self._last_emit = 0.0
        self._done = -1

    def __call__(self, done: int, total: int) -> None:
        if done < self._done:
            return
        now = time.monotonic()
        if done < total and now - self._last_emit < self.INTERVAL_S:
            self._done = done
            return
        self._done = done
        self._last_emit = now
        data = {"done": int(done), "total": int(total), "unit": self._unit}
        self._bus.emit(Event("progress", "running", self._message, phase=self._phase, data=data))
