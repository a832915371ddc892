"""S3 access shared by the hub's S3 blob store and `build.py --publish s3://`: one way to make the
client, one way to put a file (content-addressed by its sha256 in the object's metadata, multipart
when big), one way to say what went wrong in words that name the bucket and the endpoint.

Credentials come from boto3's usual places: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE,
~/.aws/credentials and ~/.aws/config, an instance role. With an endpoint (an S3-compatible store:
MinIO, Ceph, CloudServer, …) buckets are addressed by path, which all of them understand.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import boto3
from boto3.exceptions import S3UploadFailedError
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from installer.errors import AirliftError

SHA256_KEY = "sha256"  # the object's x-amz-meta-sha256: the hex sha256 of its bytes
PART = 64 << 20
TRANSFER = TransferConfig(multipart_threshold=PART, multipart_chunksize=PART, max_concurrency=4)
READ = 1 << 20
DENIED = {"403", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken"}
MISSING_BUCKET = {"NoSuchBucket"}


@dataclass(frozen=True)
class S3Location:
    """A bucket, a key prefix in it ("" or ending in "/"), and the endpoint of an S3-compatible
    store (None: AWS itself)."""

    bucket: str
    prefix: str = ""
    endpoint: str | None = None

    @classmethod
    def parse(cls, url: str, endpoint: str | None = None) -> S3Location:
        """`s3://BUCKET/PREFIX/` -> S3Location; an AirliftError when it is not one."""
        parts = urlsplit(url)
        if parts.scheme != "s3" or not parts.netloc or parts.query or parts.fragment:
            raise AirliftError(f"{url!r} is not an S3 location", hint="give s3://BUCKET/PREFIX/, e.g. "
                                                                     "s3://releases/hello/")
        return cls(parts.netloc, normal_prefix(parts.path), endpoint)

    def key(self, name: str) -> str:
        return self.prefix + name

    def url(self, name: str = "") -> str:
        return f"s3://{self.bucket}/{self.key(name)}"

    def where(self) -> str:
        """The words an error names the store with."""
        return f"bucket {self.bucket} at {self.endpoint or 'AWS S3'}"


def normal_prefix(prefix: str) -> str:
    """"a/b" or "/a/b/" -> "a/b/"; "" stays ""."""
    prefix = prefix.strip("/")
    return prefix + "/" if prefix else ""


def client(location: S3Location) -> Any:
    style = {"addressing_style": "path"} if location.endpoint else {}
    config = Config(s3=style, connect_timeout=10, read_timeout=120, retries={"max_attempts": 4, "mode": "standard"})
    try:
        return boto3.client("s3", endpoint_url=location.endpoint, config=config)
    except (BotoCoreError, ValueError) as e:
        raise storage_error(location, e) from None


def http_url(s3: Any, location: S3Location, name: str) -> str:
    """The object's HTTPS (or HTTP) address, path style: what a downloader without boto3 fetches."""
    return f"{s3.meta.endpoint_url.rstrip('/')}/{location.bucket}/{quote(location.key(name))}"


def check_bucket(s3: Any, location: S3Location) -> None:
    """The bucket is there and these credentials may use it, or an AirliftError saying which not."""
    try:
        s3.head_bucket(Bucket=location.bucket)
    except (BotoCoreError, ClientError) as e:
        raise storage_error(location, e) from None


def stored_sha256(s3: Any, location: S3Location, key: str) -> str | None:
    """The sha256 an object was put with; "" for an object put without one; None when absent."""
    try:
        head = s3.head_object(Bucket=location.bucket, Key=key)
    except ClientError as e:
        if _code(e) in ("404", "NoSuchKey", "NotFound"):
            return None
        raise storage_error(location, e) from None
    except BotoCoreError as e:
        raise storage_error(location, e) from None
    return str(head.get("Metadata", {}).get(SHA256_KEY, ""))


def put_file(s3: Any, location: S3Location, key: str, path: Path, sha256: str,
             progress: Callable[[int], None] | None = None, content_type: str = "application/octet-stream") -> None:
    """Put `path` at `key` with its sha256 in the metadata; multipart past PART bytes, several
    parts at once; `progress` is called (from boto3's threads) with each count of bytes sent."""
    try:
        s3.upload_file(str(path), location.bucket, key,
                       ExtraArgs={"Metadata": {SHA256_KEY: sha256}, "ContentType": content_type},
                       Config=TRANSFER, Callback=progress)
    except (BotoCoreError, ClientError, S3UploadFailedError) as e:
        raise storage_error(location, e) from None


def put_bytes(s3: Any, location: S3Location, key: str, data: bytes, sha256: str, content_type: str) -> None:
    """Put a small object (an index, a signature) with its sha256 in the metadata."""
    try:
        s3.put_object(Bucket=location.bucket, Key=key, Body=data, ContentType=content_type,
                      Metadata={SHA256_KEY: sha256})
    except (BotoCoreError, ClientError) as e:
        raise storage_error(location, e) from None


def read_object(s3: Any, location: S3Location, key: str, start: int = 0) -> Iterator[bytes]:
    """An object's bytes from `start` on, as they arrive (a resumed download starts inside one)."""
    extra = {"Range": f"bytes={start}-"} if start else {}
    try:
        body = s3.get_object(Bucket=location.bucket, Key=key, **extra)["Body"]
        yield from body.iter_chunks(READ)
    except (BotoCoreError, ClientError) as e:
        raise storage_error(location, e) from None


class StorageError(AirliftError):
    """The S3 store cannot be used right now: unreachable, access denied, no such bucket."""


def storage_error(location: S3Location, e: Exception) -> StorageError:
    text = str(e)
    if isinstance(e, NoCredentialsError):
        return StorageError(f"No S3 credentials for {location.where()}",
                            hint="set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE with "
                                 "~/.aws/credentials")
    code = _code(e) if isinstance(e, ClientError) else ""
    if code in DENIED or "AccessDenied" in text or "InvalidAccessKeyId" in text or "(403)" in text:
        return StorageError(f"Access to {location.where()} is denied", details=text,
                            hint="check the credentials (AWS_ACCESS_KEY_ID, AWS_PROFILE) and that they may "
                                 "read and write that bucket")
    if code in MISSING_BUCKET or (code in ("404", "NotFound") and "HeadBucket" in text):
        return StorageError(f"There is no {location.where()}", details=text,
                            hint="create the bucket first, or name the right one with --s3-bucket / s3://BUCKET")
    if isinstance(e, ClientError):
        return StorageError(f"The S3 store refused a request on {location.where()}: {text}",
                            hint="see the message; nothing was changed by this request")
    return StorageError(f"Cannot reach {location.where()}: {text}",
                        hint="check the endpoint address (--s3-endpoint) and the network to it")


def _code(e: ClientError) -> str:
    return str(e.response.get("Error", {}).get("Code", ""))
