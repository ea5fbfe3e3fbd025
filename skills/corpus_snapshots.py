"""A corpus through the store, for workers on hosts that share only the store.

`run` puts the files of its corpus (`skills.offline.snapshot`) in the store as blobs,
only those the store lacks, then the manifest, whose hash names the snapshot; the session
records it (options `corpus_snapshot`, beside `corpus`). A worker builds the snapshot's
directory under `<home>/corpus/<snapshot>/` once, from the store, and indexes it at
`<home>/index/snapshot-<snapshot>.db`: the files and their paths relative to the root are
the orchestrator's, so passages are cited exactly as they would be there.
"""

from __future__ import annotations

import asyncio
import hashlib
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from pydantic import ValidationError

from skills.errors import Fail
from skills.offline.snapshot import CorpusManifest, SnapshotFile
from taskqueue import Store, SwarmError

__all__ = [
    "SNAPSHOT_OPTION", "CorpusChanged", "SnapshotCorpora", "materialize_snapshot",
    "snapshot_dir", "snapshot_index_path", "upload_snapshot",
]

# The session option naming the snapshot of the session's corpus (its option `corpus`).
SNAPSHOT_OPTION = "corpus_snapshot"
# What one put or get of blobs carries at most (a file bigger alone goes alone): memory
# stays bounded whatever the corpus's size.
BATCH_BYTES = 8 * 1024 * 1024
# Files asked about per `missing_blobs` call.
FILES_PER_QUERY = 500


class CorpusChanged(SwarmError):
    """A corpus file changed between its manifest and its upload."""


def snapshot_name(manifest: CorpusManifest | bytes) -> str:
    """The snapshot's hash: the sha256 of its manifest's canonical bytes."""
    data = manifest if isinstance(manifest, bytes) else manifest.to_bytes()
    return hashlib.sha256(data).hexdigest()


async def upload_snapshot(store: Store, root: Path, manifest: CorpusManifest) -> str:
    """Put in the store the files of `manifest` (read under `root`) that it lacks, in
    batches, then the manifest; the snapshot's hash. A snapshot the store holds already
    costs one question: its manifest is put last, after every file it names."""
    manifest_bytes = manifest.to_bytes()
    snapshot = snapshot_name(manifest_bytes)
    if not await store.missing_blobs([snapshot]):
        return snapshot
    for start in range(0, len(manifest.files), FILES_PER_QUERY):
        chunk = manifest.files[start:start + FILES_PER_QUERY]
        missing = await store.missing_blobs([f.sha256 for f in chunk])
        wanted = list({f.sha256: f for f in chunk if f.sha256 in missing}.values())
        for batch in _batches(wanted):
            await store.put_blobs(await asyncio.to_thread(_read_files, root, batch))
    await store.put_blobs({snapshot: manifest_bytes})
    return snapshot


def snapshot_dir(home: Path, snapshot: str) -> Path:
    return home / "corpus" / snapshot


def snapshot_index_path(home: Path, snapshot: str) -> Path:
    return home / "index" / f"snapshot-{snapshot}.db"


async def materialize_snapshot(store: Store, snapshot: str, home: Path) -> Path:
    """The snapshot's directory under `home`, built from the store unless there already:
    in a temporary directory beside it, renamed into place once whole, so a directory
    under that name always holds the whole snapshot. `Fail` when the store lacks it."""
    target = snapshot_dir(home, snapshot)
    if await asyncio.to_thread(target.is_dir):
        return target
    manifest = await _manifest(store, snapshot)
    building = await asyncio.to_thread(_building_dir_beside, target)
    try:
        for batch in _batches(manifest.files):
            blobs = await store.get_blobs(list({f.sha256 for f in batch}))
            await asyncio.to_thread(_write_files, building, batch, blobs, snapshot)
        await asyncio.to_thread(_move_into_place, building, target)
    finally:
        await asyncio.to_thread(shutil.rmtree, building, ignore_errors=True)
    return target


class SnapshotCorpora:
    """Where a worker reads a session's corpus: its snapshot, when the session has one
    and the task names the session's corpus; else the path the task names."""

    def __init__(self, store: Store, home: Path) -> None:
        self._store = store
        self._home = home
        self._of_session: dict[str, tuple[str, str] | None] = {}
        self._building = asyncio.Lock()

    async def locate(self, session_id: str, corpus: str, index: str) -> tuple[Path, Path]:
        """The corpus directory and index file to read for `corpus` and `index` (paths
        on the orchestrator's host)."""
        found = await self._snapshot_of(session_id)
        if found is None or found[0] != corpus:
            return Path(corpus), Path(index)
        snapshot = found[1]
        async with self._building:  # one build per snapshot, however many tasks ask
            root = await materialize_snapshot(self._store, snapshot, self._home)
        return root, snapshot_index_path(self._home, snapshot)

    async def _snapshot_of(self, session_id: str) -> tuple[str, str] | None:
        if session_id not in self._of_session:
            options = (await self._store.get_session(session_id)).options
            corpus, snapshot = options.get("corpus"), options.get(SNAPSHOT_OPTION)
            self._of_session[session_id] = (
                (corpus, snapshot) if isinstance(corpus, str) and isinstance(snapshot, str)
                else None)
        return self._of_session[session_id]


async def _manifest(store: Store, snapshot: str) -> CorpusManifest:
    data = (await store.get_blobs([snapshot])).get(snapshot)
    if data is None:
        raise Fail(f"corpus snapshot {snapshot}: the store does not hold it")
    try:
        return CorpusManifest.from_bytes(data)
    except ValidationError as exc:
        raise Fail(f"corpus snapshot {snapshot}: its manifest is not one ({exc})") from exc


def _batches(files: Sequence[SnapshotFile]) -> Iterator[list[SnapshotFile]]:
    """Runs of files of at most `BATCH_BYTES` together (a bigger file alone)."""
    batch: list[SnapshotFile] = []
    size = 0
    for found in files:
        if batch and size + found.size > BATCH_BYTES:
            yield batch
            batch, size = [], 0
        batch.append(found)
        size += found.size
    if batch:
        yield batch


def _read_files(root: Path, files: list[SnapshotFile]) -> dict[str, bytes]:
    read = {}
    for found in files:
        content = (root / found.path).read_bytes()
        if hashlib.sha256(content).hexdigest() != found.sha256:
            raise CorpusChanged(f"corpus file {root / found.path} changed while the corpus "
                                "was being shared; run again")
        read[found.sha256] = content
    return read


def _building_dir_beside(target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{target.name[:12]}-", dir=target.parent))


def _move_into_place(building: Path, target: Path) -> None:
    try:
        building.rename(target)
    except OSError:
        if not target.is_dir():
            raise
        # Another worker of this host built it meanwhile: the same files.


def _write_files(building: Path, files: list[SnapshotFile], blobs: dict[str, bytes],
                 snapshot: str) -> None:
    for found in files:
        content = blobs.get(found.sha256)
        if content is None or hashlib.sha256(content).hexdigest() != found.sha256:
            raise Fail(f"corpus snapshot {snapshot}: the store lacks {found.path} "
                       f"(sha256 {found.sha256})")
        path = building / found.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
