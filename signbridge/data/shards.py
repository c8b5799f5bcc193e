"""A compact, resumable cache of a competition folder: each sequence read once, kept as shards.

Only the 148 landmark rows a model may read are kept (pose upper body, hands, and the lips, eyes
and nose of the face mesh), as float16 (~37 KB per sequence instead of ~400 KB of parquet), in
`.npz` shards of a few hundred sequences. Shards are written by parallel worker processes, each
atomically, so a killed run restarts where it stopped; a shard's name
hashes the rows it holds, so editing `train.csv` rebuilds only what changed. Memory stays flat:
a worker holds one shard at a time and the parent holds none.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from signbridge.data.files import LandmarkDataset, Rejection, dataset_fingerprint, read_landmark_file
from signbridge.data.landmarks import cached_rows, sign_to_index
from signbridge.errors import LandmarkFileError, SignbridgeError

SHARD_FORMAT = 2  # 2: the face groups are cached too


@dataclass
class ShardSet:
    """A reference to cached shards (optionally restricted to some signers); holds no arrays."""

    cache_dir: str
    shards: list[str]
    sequences: int
    participants: list[str] | None = None  # None: everyone

    def paths(self) -> list[Path]:
        return [Path(self.cache_dir) / name for name in self.shards]

    def restricted_to(self, participants: Iterable[str]) -> ShardSet:
        members = sorted(set(participants))
        count = int(sequence_table(self)["participant_id"].isin(members).sum())
        return ShardSet(self.cache_dir, self.shards, count, members)

    def shard(self, position: int) -> LandmarkDataset | None:
        """The sequences of the selected signers in one shard (None if it has none)."""
        shard = load_shard(self.paths()[position])
        if self.participants is not None:
            keep = np.flatnonzero(np.isin(shard.participant_ids, self.participants))
            shard = shard.subset(keep) if len(keep) else None
        return shard

    def iter_with_paths(self) -> Iterator[tuple[Path, LandmarkDataset | None]]:
        """Each shard file with its sequences of the selected signers (None if it has none)."""
        for position, path in enumerate(self.paths()):
            yield path, self.shard(position)

    def iter_shards(self) -> Iterator[LandmarkDataset]:
        """Each shard as a small LandmarkDataset of model rows, filtered to `participants`."""
        return (shard for _, shard in self.iter_with_paths() if shard is not None)

    def load(self) -> LandmarkDataset:
        """All selected sequences in memory (model rows, float32); for evaluation-sized sets."""
        parts = list(self.iter_shards())
        if not parts:
            return LandmarkDataset.from_sequences([], [], [], [])
        return LandmarkDataset.from_sequences(
            [s for part in parts for s in part.sequences()],
            np.concatenate([p.labels for p in parts]),
            np.concatenate([p.participant_ids for p in parts]),
            np.concatenate([p.sequence_ids for p in parts]),
        )


def load_shard(path: Path) -> LandmarkDataset:
    with np.load(path, allow_pickle=False) as data:
        return LandmarkDataset(
            frames=data["frames"].astype(np.float32), offsets=data["offsets"],
            labels=data["labels"], participant_ids=data["participant_ids"],
            sequence_ids=data["sequence_ids"],
        )


def sequence_table(shard_set: ShardSet) -> pd.DataFrame:
    """participant_id, sequence_id and label of every selected sequence (no landmarks loaded)."""
    tables = []
    for path in shard_set.paths():
        with np.load(path, allow_pickle=False) as data:
            table = pd.DataFrame({"participant_id": data["participant_ids"],
                                  "sequence_id": data["sequence_ids"], "label": data["labels"]})
        if shard_set.participants is not None:
            table = table[table["participant_id"].isin(shard_set.participants)]
        tables.append(table)
    return pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(
        columns=["participant_id", "sequence_id", "label"])


def full_sequences(shard_set: ShardSet, root: str | Path) -> Iterator[tuple[np.ndarray, int]]:
    """The selected sequences with all 543 rows (the shards keep only the 148 cached rows), read
    again one file at a time from the competition folder they were cached from, with their
    labels. For models that read other rows (e.g. the face), such as models trained elsewhere."""
    from signbridge.data.files import read_index

    selected = sequence_table(shard_set)[["participant_id", "sequence_id"]]
    rows = read_index(root).merge(selected, on=["participant_id", "sequence_id"])
    labels_by_sign = sign_to_index()
    for row in rows.drop_duplicates(["participant_id", "sequence_id"]).itertuples(index=False):
        yield read_landmark_file(row.path), labels_by_sign[row.sign]


def shard_fingerprint(shard_set: ShardSet) -> str:
    """A short hash of the selected sequences' landmarks, labels and ids."""
    digest = hashlib.sha256()
    for shard in shard_set.iter_shards():
        digest.update(dataset_fingerprint(shard).encode())
    return digest.hexdigest()[:16]


def _shard_name(rows: pd.DataFrame) -> str:
    digest = hashlib.sha256(f"format {SHARD_FORMAT}\n".encode())
    for row in rows.itertuples(index=False):
        digest.update(f"{row.path},{row.participant_id},{row.sequence_id},{row.sign}\n".encode())
    return f"shard-{digest.hexdigest()[:20]}.npz"


def _convert_shard(rows: pd.DataFrame, target: Path) -> list[dict]:
    """Read one shard's files and write it atomically; returns its rejections."""
    labels_by_sign = sign_to_index()
    rows_kept = cached_rows()
    sequences, kept, rejections = [], [], []
    for position, row in enumerate(rows.itertuples(index=False)):
        if row.sign not in labels_by_sign:
            rejections.append({"path": row.path, "reason": f"unknown sign '{row.sign}'"})
            continue
        try:
            sequences.append(read_landmark_file(row.path)[:, rows_kept].astype(np.float16))
        except LandmarkFileError as error:
            rejections.append({"path": row.path, "reason": error.reason})
            continue
        kept.append(position)
    chosen = rows.iloc[kept]
    lengths = [len(s) for s in sequences]
    partial = target.with_suffix(f".{os.getpid()}.partial")
    with partial.open("wb") as handle:
        np.savez(
            handle,
            frames=np.concatenate(sequences) if sequences
            else np.zeros((0, len(rows_kept), 3), np.float16),
            offsets=np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
            labels=np.array([labels_by_sign[s] for s in chosen["sign"]], np.int64),
            participant_ids=chosen["participant_id"].astype(str).to_numpy(dtype=str),
            sequence_ids=chosen["sequence_id"].astype(str).to_numpy(dtype=str),
        )
    target.with_suffix(".rejected.json").write_text(json.dumps(rejections))
    os.replace(partial, target)  # the shard exists only once complete
    return rejections


def build_shard_cache(
    index: pd.DataFrame,
    cache_dir: Path,
    shard_size: int = 512,
    workers: int = 2,
    progress: Callable[[Iterable, int], Iterable] = lambda items, total: items,
) -> tuple[ShardSet, list[Rejection]]:
    """Convert every row of `index` into shards under `cache_dir`; finished shards are reused."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    chunks = [index.iloc[i:i + shard_size] for i in range(0, len(index), shard_size)]
    names = [_shard_name(chunk) for chunk in chunks]
    todo = [(chunk, cache_dir / name) for chunk, name in zip(chunks, names, strict=True)
            if not (cache_dir / name).is_file()]
    if todo:
        with ProcessPoolExecutor(max_workers=max(1, workers)) as pool:
            futures = [pool.submit(_convert_shard, chunk, target) for chunk, target in todo]
            for future in progress(as_completed(futures), len(futures)):
                future.result()
    rejections = []
    for name in names:
        for item in json.loads((cache_dir / name).with_suffix(".rejected.json").read_text()):
            rejections.append(Rejection(item["path"], item["reason"]))
    shard_set = ShardSet(str(cache_dir), names, len(index) - len(rejections))
    if shard_set.sequences == 0:
        examples = "; ".join(f"{r.path}: {r.reason}" for r in rejections[:3])
        raise SignbridgeError(
            f"no usable sequence among {len(index)} listed in train.csv "
            f"({len(rejections)} rejected, e.g. {examples})"
        )
    return shard_set, rejections
