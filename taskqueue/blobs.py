"""Content-addressed blobs: a content is kept under the sha256 of its bytes, so a host
that has a hash knows what it will get, and one that puts a content twice writes once."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping

from taskqueue.errors import InvalidBlob

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def blob_hash(content: bytes) -> str:
    """The name a content is kept under: its sha256, in lowercase hex."""
    return hashlib.sha256(content).hexdigest()


def is_blob_hash(text: str) -> bool:
    return _SHA256_HEX.fullmatch(text) is not None


def check_blobs(blobs: Mapping[str, bytes]) -> None:
    """Raise `InvalidBlob` naming the first content whose sha256 is not its key."""
    for name, content in blobs.items():
        if blob_hash(content) != name:
            raise InvalidBlob(f"blob {name[:80]!r}: its content's sha256 is "
                              f"{blob_hash(content)}, not its name")
