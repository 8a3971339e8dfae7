"""``S3Store``: archives as objects in an S3-compatible bucket, handed out by pre-signed URLs."""

from __future__ import annotations

import io
import logging
import mimetypes
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

from imgharvest.errors import ConfigError, StoreUnavailable

log = logging.getLogger("imgharvest.storage")

MULTIPART_THRESHOLD = 8 * 1024 * 1024
MULTIPART_CHUNK = 8 * 1024 * 1024
READ_BUFFER = 256 * 1024
MAX_PRESIGN_SECONDS = 7 * 24 * 3600  # the SigV4 limit
# A page's read (a thumbnail) answers 503 soon when S3 is away; an upload's patience is the
# caller's (``put_retrying``), so boto's own retries stay few and its connects short.
CONNECT_SECONDS, READ_SECONDS, ATTEMPTS = 5, 60, 3


class S3Store:
    """A ``Store`` on S3 (or any S3-compatible server at ``endpoint_url``); keys get ``prefix``.

    Credentials come from boto3's usual chain: the standard AWS variables, profile, role.
    """

    def __init__(self, bucket: str, prefix: str = "", endpoint_url: str | None = None) -> None:
        try:
            import boto3
            from boto3.s3.transfer import TransferConfig
            from botocore.config import Config
        except ImportError as exc:  # the s3 extra is optional
            message = "STORAGE_URL: s3:// needs boto3 (pip install 'imgharvest[s3]')"
            raise ConfigError(message) from exc
        self.bucket, self.prefix = bucket, prefix
        style = {"addressing_style": "path"} if endpoint_url else {}
        config = Config(
            signature_version="s3v4", s3=style, connect_timeout=CONNECT_SECONDS,
            read_timeout=READ_SECONDS, retries={"max_attempts": ATTEMPTS, "mode": "standard"},
        )  # fmt: skip
        self.client: Any = boto3.client("s3", endpoint_url=endpoint_url, config=config)
        self.transfer = TransferConfig(
            multipart_threshold=MULTIPART_THRESHOLD, multipart_chunksize=MULTIPART_CHUNK
        )

    def _key(self, key: str) -> str:
        if not key or key.startswith("/") or ".." in key.split("/"):
            raise ValueError(f"bad storage key {key!r}")
        return f"{self.prefix}/{key}" if self.prefix else key

    def check(self) -> None:
        """Fail with a clear message when the bucket cannot be reached."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.head_bucket(Bucket=self.bucket)
        except (BotoCoreError, ClientError) as exc:
            raise ConfigError(f"STORAGE_URL: bucket {self.bucket!r} is not usable: {exc}") from exc

    def put(self, key: str, source: Path) -> None:
        """Upload ``source`` (multipart when large), then delete the local copy;
        ``StoreUnavailable`` (the local copy kept) when S3 cannot take it now."""
        kind = mimetypes.guess_type(source.name)[0] or "application/octet-stream"
        with _reachable(f"storing {key}"):
            self.client.upload_file(
                str(source), self.bucket, self._key(key), Config=self.transfer,
                ExtraArgs={"ContentType": kind},
            )  # fmt: skip
        source.unlink(missing_ok=True)

    def local_path(self, key: str) -> Path | None:
        """Objects are never local."""
        return None

    def exists(self, key: str) -> bool:
        """Whether the object exists (a HEAD request)."""
        return self._size(key) is not None

    def _size(self, key: str) -> int | None:
        from botocore.exceptions import ClientError

        try:
            with _reachable(f"reading {key}"):
                head = self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except StoreUnavailable as exc:
            cause = exc.__cause__
            if isinstance(cause, ClientError) and _code(cause) in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        return int(head["ContentLength"])

    def copy(self, key: str, new_key: str) -> bool:
        """A server-side copy of the object (no bytes through this process); False if missing."""
        if self._size(key) is None:
            return False
        source = {"Bucket": self.bucket, "Key": self._key(key)}
        with _reachable(f"copying {key}"):
            self.client.copy(source, self.bucket, self._key(new_key))
        return True

    def delete(self, key: str) -> None:
        """Delete the object (missing is fine)."""
        with _reachable(f"deleting {key}"):
            self.client.delete_object(Bucket=self.bucket, Key=self._key(key))

    def delete_prefix(self, prefix: str) -> int:
        """Delete every object under ``prefix`` (a folder: it must end with ``/``)."""
        if not prefix.endswith("/"):
            raise ValueError(f"bad storage prefix {prefix!r}")
        start = self._key(prefix.rstrip("/")) + "/"
        gone = 0
        with _reachable(f"deleting {prefix}"):
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=start
            )
            for page in pages:  # at most 1,000 keys a page, as delete_objects takes them
                keys = [{"Key": obj["Key"]} for obj in page.get("Contents", [])]
                if keys:
                    self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": keys})
                    gone += len(keys)
        return gone

    def open(self, key: str) -> BinaryIO | None:
        """A buffered, seekable reader doing ranged GETs (a zip member costs a few requests)."""
        size = self._size(key)
        if size is None:
            return None
        raw = RangedObject(self.client, self.bucket, self._key(key), size)
        return io.BufferedReader(raw, buffer_size=READ_BUFFER)  # type: ignore[return-value]

    def presign(self, key: str, seconds: int, filename: str) -> str | None:
        """A GET URL valid for ``seconds`` that saves as ``filename``."""
        params = {
            "Bucket": self.bucket, "Key": self._key(key),
            "ResponseContentDisposition": f'attachment; filename="{filename}"',
            "ResponseContentType": "application/zip",
        }  # fmt: skip
        expires = max(1, min(int(seconds), MAX_PRESIGN_SECONDS))
        url = self.client.generate_presigned_url("get_object", Params=params, ExpiresIn=expires)
        return str(url)

    def keys(self) -> list[str]:
        """Every key under the prefix (tests and operators check what is stored)."""
        start = f"{self.prefix}/" if self.prefix else ""
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=start
        )
        return [obj["Key"][len(start) :] for page in pages for obj in page.get("Contents", [])]


class RangedObject(io.RawIOBase):
    """A read-only, seekable view of one object: each read is one ranged GET."""

    def __init__(self, client: Any, bucket: str, key: str, size: int) -> None:
        self.client, self.bucket, self.key, self.size = client, bucket, key, size
        self.pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.pos, io.SEEK_END: self.size}[whence]
        self.pos = max(0, base + offset)
        return self.pos

    def readinto(self, buffer: Any) -> int:
        want = min(len(buffer), self.size - self.pos)
        if want <= 0:
            return 0
        rng = f"bytes={self.pos}-{self.pos + want - 1}"
        with _reachable(f"reading {self.key}"):
            body = self.client.get_object(Bucket=self.bucket, Key=self.key, Range=rng)["Body"]
            data = body.read()
        buffer[: len(data)] = data
        self.pos += len(data)
        return len(data)


@contextmanager
def _reachable(doing: str) -> Iterator[None]:
    """S3's failures as ``StoreUnavailable`` (one line naming the cause, the original chained)."""
    from boto3.exceptions import Boto3Error
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except ClientError as exc:
        raise StoreUnavailable(f"{doing}: S3 answered {_code(exc)}") from exc
    except (BotoCoreError, Boto3Error) as exc:
        raise StoreUnavailable(f"{doing}: {type(exc).__name__}") from exc


def _code(exc: Any) -> str:
    return str(exc.response.get("Error", {}).get("Code", "error"))
