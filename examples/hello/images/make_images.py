#!/usr/bin/env python3
"""Build the example's images from Debian's static busybox into an OCI image layout.

The vendor journey needs real images without a registry or the internet: "hello/web:1.0.0"
(busybox httpd serving /www) and "hello/hook:1.0.0" (busybox sh running a script). Both share
the busybox base layer, so the bundle's deduplication is visible. Version 1.1.0 of the example
(examples/hello/next) uses "hello/web:1.1.0": the 1.0.0 image plus one layer with a new page,
so a differential bundle carries that one layer and leaves out the two it shares with 1.0.0. Everything is built in
memory with fixed timestamps and owners, so the layout is byte-identical on every run, and the
script does nothing when the layout is already current.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sys
import tarfile
from pathlib import Path

BUSYBOX = Path(os.environ.get("AIRLIFT_BUSYBOX", "/bin/busybox"))
OUT = Path(__file__).resolve().parent.parent / ".images" / "oci"
APPLETS = ("sh", "httpd", "echo", "cat", "date", "hostname", "mkdir", "printf", "sleep", "ls")
LAYER = "application/vnd.oci.image.layer.v1.tar"
CONFIG = "application/vnd.oci.image.config.v1+json"
MANIFEST = "application/vnd.oci.image.manifest.v1+json"
PAGE = b"<!doctype html>\n<title>hello</title>\n<h1>Hello from Airlift</h1>\n"
PAGE_NEXT = (b"<!doctype html>\n<title>hello 1.1</title>\n<h1>Hello from Airlift 1.1</h1>\n"
             b"<p>Upgraded offline.</p>\n")
HOOK = b"#!/bin/sh\necho \"hello hook: $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(hostname)\"\n"


def _tar(entries: list[tuple[str, bytes | None, int, str | None]]) -> bytes:
    """A layer tar with fixed metadata: (name, data or None for a dir, mode, symlink target)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data, mode, link in entries:
            info = tarfile.TarInfo(name)
            info.mode, info.mtime, info.uid, info.gid = mode, 0, 0, 0
            if link is not None:
                info.type, info.linkname = tarfile.SYMTYPE, link
                tar.addfile(info)
            elif data is None:
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def base_layer() -> bytes:
    """bin/busybox plus the applets the images use, as symlinks."""
    entries: list[tuple[str, bytes | None, int, str | None]] = [
        ("bin", None, 0o755, None),
        ("bin/busybox", BUSYBOX.read_bytes(), 0o755, None),
        ("tmp", None, 0o1777, None),
    ]
    entries += [(f"bin/{a}", None, 0o777, "busybox") for a in APPLETS]
    return _tar(entries)


class Layout:
    """An OCI image layout being written: blobs by digest plus the index entries."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.manifests: list[dict] = []

    def blob(self, data: bytes, media_type: str) -> dict:
        """Store a blob (once) and return its descriptor."""
        digest = hashlib.sha256(data).hexdigest()
        path = self.root / "blobs" / "sha256" / digest
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(data)
            tmp.rename(path)
        return {"mediaType": media_type, "digest": f"sha256:{digest}", "size": len(data)}

    def image(self, ref: str, layers: list[bytes], cmd: list[str]) -> None:
        """Write one image's layers, config and manifest, and name it in the index."""
        layer_descs = [self.blob(layer, LAYER) for layer in layers]
        config = {
            "created": "1970-01-01T00:00:00Z",
            "architecture": "amd64",
            "os": "linux",
            "config": {"Env": ["PATH=/bin"], "Cmd": cmd, "WorkingDir": "/"},
            "rootfs": {"type": "layers", "diff_ids": [d["digest"] for d in layer_descs]},
            "history": [{"created": "1970-01-01T00:00:00Z", "created_by": "make_images.py"}
                        for _ in layers],
        }
        manifest = {
            "schemaVersion": 2,
            "mediaType": MANIFEST,
            "config": self.blob(_json(config), CONFIG),
            "layers": layer_descs,
        }
        desc = self.blob(_json(manifest), MANIFEST)
        desc["annotations"] = {"org.opencontainers.image.ref.name": ref}
        desc["platform"] = {"architecture": "amd64", "os": "linux"}
        self.manifests.append(desc)

    def finish(self) -> None:
        """Write oci-layout and index.json last, so a reader never sees a half-made layout."""
        (self.root / "oci-layout").write_bytes(_json({"imageLayoutVersion": "1.0.0"}))
        index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                 "manifests": self.manifests}
        tmp = self.root / "index.json.tmp"
        tmp.write_bytes(_json(index))
        tmp.rename(self.root / "index.json")


def _json(obj: dict) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


def main() -> int:
    if not BUSYBOX.is_file():
        print(f"error: {BUSYBOX} not found. What to do: apt-get install busybox-static", file=sys.stderr)
        return 2
    OUT.mkdir(parents=True, exist_ok=True)
    layout = Layout(OUT)
    base = base_layer()
    www = _tar([("www", None, 0o755, None), ("www/index.html", PAGE, 0o644, None)])
    serve = ["/bin/httpd", "-f", "-p", "8080", "-h", "/www"]
    layout.image("docker.io/hello/web:1.0.0", [base, www], serve)
    layout.image("docker.io/hello/web:1.1.0",
                 [base, www, _tar([("www", None, 0o755, None), ("www/index.html", PAGE_NEXT, 0o644, None),
                                   ("www/version.txt", b"1.1.0\n", 0o644, None)])], serve)
    layout.image("docker.io/hello/hook:1.0.0", [base, _tar([("hook.sh", HOOK, 0o755, None)])],
                 ["/bin/sh", "/hook.sh"])
    layout.finish()
    print(f"images written to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
