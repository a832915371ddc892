"""A site in a hub test: its key, and the signed documents it sends (the installer's own envelope)."""

from __future__ import annotations

import datetime
import itertools
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from installer.bundle.signature import public_key_of
from installer.hub_link.envelope import seal, site_id


@dataclass
class FakeSite:
    key: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)
    version: str = "1.0.0"
    condition: str = "healthy"
    interval_s: int = 60
    clock_offset: datetime.timedelta = datetime.timedelta(0)
    seqs: itertools.count = field(default_factory=lambda: itertools.count(1))

    @property
    def id(self) -> str:
        return site_id(public_key_of(self.key))

    def document(self, kind: str, seq: int | None = None, **extra: Any) -> dict[str, Any]:
        sent = datetime.datetime.now(datetime.UTC) + self.clock_offset
        body = {"format": 1, "kind": kind, "site": self.id, "seq": next(self.seqs) if seq is None else seq,
                "sent_at": sent.isoformat(timespec="seconds"), "interval_s": self.interval_s,
                "application": "hello", "hostname": "site-host",
                "release": {"name": "hello", "version": self.version, "index_sha256": "0" * 64},
                "status": {"condition": self.condition, "reasons": [] if self.condition == "healthy" else ["k3s is down"]},
                "alerts": [], "inventory": ["a" * 64, "b" * 64]}
        if "inventory_sha256" in extra and "inventory" not in extra:  # as a site sends it: the digest alone
            del body["inventory"]
        return body | extra

    def sealed(self, kind: str, seq: int | None = None, **extra: Any) -> bytes:
        return seal(self.document(kind, seq, **extra), self.key)

    def enroll(self, client: FlaskClient, token: str) -> TestResponse:
        return client.post("/api/v1/sites", data=self.sealed("enroll"), headers={"Authorization": f"Bearer {token}"})

    def check_in(self, client: FlaskClient, body: bytes | None = None) -> TestResponse:
        return client.post(f"/api/v1/sites/{self.id}/check-ins", data=body or self.sealed("check-in"))
