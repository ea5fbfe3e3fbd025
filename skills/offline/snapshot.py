"""A corpus as a content-addressed snapshot, for workers on hosts without its directory.

The manifest lists every file a `CorpusIndex` of the corpus would read (the walk's rules:
no hidden or dependency folders, no links, text files within the size limits), each by
its path relative to the root, the sha256 of its bytes and its size. The manifest's own
sha256, as canonical JSON, names the snapshot: the same files give the same name on any
host, and a host holding a snapshot under that name holds exactly those files.
"""

from __future__ import annotations

import hashlib
import logging

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .corpus import CorpusIndex
from .walk import read_text_bytes, walk_corpus

__all__ = ["CorpusManifest", "SnapshotFile", "build_manifest"]

logger = logging.getLogger(__name__)


class SnapshotFile(BaseModel):
    """One file of a snapshot: where it goes under the root, and what it holds."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    size: int = Field(ge=0)

    @field_validator("path")
    @classmethod
    def _stays_under_the_root(cls, path: str) -> str:
        # A manifest read from the store is written out on disk: no path may leave the
        # snapshot's directory, nor name a file the walk would never have listed.
        parts = path.split("/")
        if path.startswith("/") or "\0" in path or any(
                not part or part.startswith(".") for part in parts):
            raise ValueError(f"{path!r} is not a plain path relative to the corpus root")
        return path


class CorpusManifest(BaseModel):
    """The files of a snapshot, by path."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    files: list[SnapshotFile] = Field(default_factory=list)

    def to_bytes(self) -> bytes:
        """Canonical JSON (files by path, no spaces): its sha256 names the snapshot."""
        ordered = sorted(self.files, key=lambda f: f.path)
        return CorpusManifest(files=ordered).model_dump_json().encode()

    @property
    def snapshot_hash(self) -> str:
        return hashlib.sha256(self.to_bytes()).hexdigest()

    @classmethod
    def from_bytes(cls, data: bytes) -> CorpusManifest:
        """A manifest read back; raises pydantic's `ValidationError` when it is not one."""
        return cls.model_validate_json(data)


def build_manifest(index: CorpusIndex) -> CorpusManifest:
    """The manifest of the files `index` reads under its root, reading each once (one
    file in memory at a time). Raises `CorpusError` as the walk does."""
    walk = walk_corpus(index.root.absolute(), index.max_files, index.max_file_bytes,
                       index.own_files())
    files = []
    for found in walk.files():
        try:
            content = read_text_bytes(found.absolute, index.max_file_bytes)
        except OSError as exc:
            logger.info("snapshot: skipping unreadable %s: %s", found.absolute, exc.strerror)
            continue
        if content is not None:
            files.append(SnapshotFile(path=found.path, sha256=hashlib.sha256(content).hexdigest(),
                                      size=len(content)))
    return CorpusManifest(files=files)
