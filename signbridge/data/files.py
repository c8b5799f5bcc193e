"""Reading the competition layout: `train.csv` plus one landmark parquet file per sequence."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from signbridge.data.landmarks import (
    COORDINATES,
    FRAME_LANDMARK_INDEX,
    FRAME_TYPES,
    PARTS,
    ROWS_PER_FRAME,
    sign_to_index,
)
from signbridge.errors import LandmarkFileError, SignbridgeError

logger = logging.getLogger(__name__)

LANDMARK_COLUMNS = ("frame", "type", "landmark_index", *COORDINATES)
INDEX_COLUMNS = ("path", "participant_id", "sequence_id", "sign")
MAX_FRAMES_PER_FILE = 10_000  # far above any real sign; guards against runaway files


def read_landmark_file(path: str | Path) -> np.ndarray:
    """Load one sequence as float32 `[frames, 543, 3]` (NaN where a part was not detected).

    Reads only the columns it needs (not `row_id`), keeps `type` dictionary-encoded, accepts
    `frame` as any integer type, and puts rows in canonical order if another tool sorted them
    differently. Raises LandmarkFileError naming the file and the problem.
    """
    path = Path(path)
    if not path.is_file():
        raise LandmarkFileError(path, "file not found")
    try:
        parquet = pq.ParquetFile(path, read_dictionary=["type"])
    except (pa.ArrowException, OSError) as error:
        raise LandmarkFileError(path, f"not a readable parquet file ({error})") from error
    missing = [name for name in LANDMARK_COLUMNS if name not in parquet.schema_arrow.names]
    if missing:
        raise LandmarkFileError(path, f"missing column(s) {', '.join(missing)}")
    try:
        table = parquet.read(columns=list(LANDMARK_COLUMNS))
    except (pa.ArrowException, OSError) as error:
        raise LandmarkFileError(path, f"corrupt parquet data ({error})") from error
    return landmarks_from_table(table, path)


PART_RANK = {part: rank for rank, part in enumerate(PARTS)}
FRAME_PART_RANKS = np.array([PART_RANK[t] for t in FRAME_TYPES], np.int8)


def _part_ranks(column: pa.ChunkedArray, path: str | Path) -> np.ndarray:
    """Rank (0..3) of each row's `type`, computed on dictionary codes, not per-row strings."""
    array = column.combine_chunks()
    if not pa.types.is_dictionary(array.type):
        array = array.dictionary_encode()
    names = array.dictionary.to_pylist()
    unknown = sorted({str(n) for n in names} - set(PART_RANK))
    codes = array.indices.to_numpy(zero_copy_only=False)
    ranks_of_names = np.array([PART_RANK.get(n, -1) for n in names], np.int8)
    ranks = ranks_of_names[codes]
    if unknown and (ranks < 0).any():
        raise LandmarkFileError(path, f"unknown landmark type(s) {', '.join(unknown[:5])}")
    return ranks


def landmarks_from_table(table: pa.Table, path: str | Path) -> np.ndarray:
    """Validate a landmark table and turn it into `[frames, 543, 3]` float32."""
    n_rows = table.num_rows
    if n_rows == 0:
        raise LandmarkFileError(path, "no frames (0 rows)")
    if n_rows % ROWS_PER_FRAME:
        raise LandmarkFileError(
            path, f"{n_rows} rows is not a whole number of {ROWS_PER_FRAME}-row frames"
        )
    n_frames = n_rows // ROWS_PER_FRAME
    if n_frames > MAX_FRAMES_PER_FILE:
        raise LandmarkFileError(path, f"{n_frames} frames is more than {MAX_FRAMES_PER_FILE}")
    try:
        ranks = _part_ranks(table.column("type"), path)
        frames = table.column("frame").to_numpy()
        indices = table.column("landmark_index").to_numpy()
        coords = np.stack(
            [table.column(c).to_numpy(zero_copy_only=False) for c in COORDINATES], axis=-1
        ).astype(np.float32)
    except (pa.ArrowException, TypeError, ValueError) as error:
        raise LandmarkFileError(path, f"unexpected column types ({error})") from error

    def canonical(ranks: np.ndarray, indices: np.ndarray) -> bool:
        # Compared frame by frame through broadcasting, without tiling a full-length copy.
        return bool((ranks.reshape(n_frames, ROWS_PER_FRAME) == FRAME_PART_RANKS).all()
                    and (indices.reshape(n_frames, ROWS_PER_FRAME) == FRAME_LANDMARK_INDEX).all())

    if not canonical(ranks, indices):
        order = np.lexsort((indices, ranks, frames))
        frames, ranks, indices, coords = frames[order], ranks[order], indices[order], coords[order]
        if not canonical(ranks, indices):
            raise LandmarkFileError(
                path, f"frames do not each hold the {ROWS_PER_FRAME} landmarks "
                "face 0-467, left_hand 0-20, pose 0-32, right_hand 0-20"
            )
    per_frame = frames.reshape(n_frames, ROWS_PER_FRAME)
    if not (per_frame == per_frame[:, :1]).all():
        raise LandmarkFileError(path, "a frame's 543 rows carry different `frame` numbers")
    if not np.isfinite(coords).any():
        raise LandmarkFileError(path, "no landmark was detected in any frame (all NaN)")
    return coords.reshape(n_frames, ROWS_PER_FRAME, len(COORDINATES))


def read_index(root: str | Path, name: str = "train.csv") -> pd.DataFrame:
    """Read `train.csv` (or another index) of a competition-layout folder, `path` made absolute."""
    root = Path(root)
    index_path = root / name
    if not index_path.is_file():
        raise SignbridgeError(
            f"{index_path}: not found; data.root must be a folder with train.csv and "
            "train_landmark_files/ (the competition layout)"
        )
    index = pd.read_csv(index_path, dtype={"participant_id": str, "sequence_id": str})
    missing = [c for c in INDEX_COLUMNS if c not in index.columns]
    if missing:
        raise SignbridgeError(f"{index_path}: missing column(s) {', '.join(missing)}")
    index = index[list(INDEX_COLUMNS)].copy()
    index["path"] = [str(root / p) for p in index["path"]]
    return index


@dataclass
class Rejection:
    """A sequence left out of a run, and why."""

    path: str
    reason: str


@dataclass
class LandmarkDataset:
    """Ragged raw sequences stored flat: frames of sequence i are `frames[offsets[i]:offsets[i+1]]`."""

    frames: np.ndarray  # float32 [total_frames, 543, 3]
    offsets: np.ndarray  # int64 [n + 1]
    labels: np.ndarray  # int64 [n], model output index
    participant_ids: np.ndarray  # str [n]
    sequence_ids: np.ndarray  # str [n]

    def __len__(self) -> int:
        return len(self.labels)

    def sequence(self, i: int) -> np.ndarray:
        return self.frames[self.offsets[i] : self.offsets[i + 1]]

    def sequences(self) -> Iterable[np.ndarray]:
        return (self.sequence(i) for i in range(len(self)))

    def subset(self, positions: Sequence[int] | np.ndarray) -> LandmarkDataset:
        positions = np.asarray(positions, dtype=np.int64)
        return LandmarkDataset.from_sequences(
            [self.sequence(i) for i in positions],
            self.labels[positions],
            self.participant_ids[positions],
            self.sequence_ids[positions],
        )

    @classmethod
    def from_sequences(
        cls,
        sequences: Sequence[np.ndarray],
        labels: Sequence[int] | np.ndarray,
        participant_ids: Sequence[str] | np.ndarray,
        sequence_ids: Sequence[str] | np.ndarray,
    ) -> LandmarkDataset:
        lengths = [len(s) for s in sequences]
        frames = (
            np.concatenate(sequences).astype(np.float32)
            if sequences
            else np.zeros((0, ROWS_PER_FRAME, 3), np.float32)
        )
        return cls(
            frames=frames,
            offsets=np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
            labels=np.asarray(labels, dtype=np.int64),
            participant_ids=np.asarray(participant_ids, dtype=str),
            sequence_ids=np.asarray(sequence_ids, dtype=str),
        )


@dataclass
class IngestionResult:
    dataset: LandmarkDataset
    rejections: list[Rejection] = field(default_factory=list)


def load_sequences(
    index: pd.DataFrame,
    progress: Callable[[Iterable], Iterable] = lambda rows: rows,
) -> IngestionResult:
    """Load every row of `index`; bad files and unknown signs are rejected with a reason."""
    labels_by_sign = sign_to_index()
    sequences, labels, participants, sequence_ids = [], [], [], []
    rejections: list[Rejection] = []
    for row in progress(index.itertuples(index=False)):
        if row.sign not in labels_by_sign:
            rejections.append(Rejection(row.path, f"unknown sign '{row.sign}'"))
            continue
        try:
            sequence = read_landmark_file(row.path)
        except LandmarkFileError as error:
            rejections.append(Rejection(row.path, error.reason))
            continue
        sequences.append(sequence)
        labels.append(labels_by_sign[row.sign])
        participants.append(row.participant_id)
        sequence_ids.append(row.sequence_id)
    for rejection in rejections:
        logger.warning("Skipped %s: %s", rejection.path, rejection.reason)
    if not sequences:
        reasons = "; ".join(f"{r.path}: {r.reason}" for r in rejections[:3])
        raise SignbridgeError(
            f"no usable sequence among {len(index)} listed in train.csv "
            f"({len(rejections)} rejected, e.g. {reasons})"
        )
    dataset = LandmarkDataset.from_sequences(sequences, labels, participants, sequence_ids)
    return IngestionResult(dataset, rejections)


@dataclass
class SignerSplit:
    """Which participants train the model, pick the epoch (validation) and score it (evaluation)."""

    train: list[str]
    validation: list[str]
    evaluation: list[str]


def split_signers(
    participant_ids: Iterable[str],
    evaluation_signers: int | list[str],
    validation_signers: int | list[str],
    seed: int,
) -> SignerSplit:
    """Split participants so that no signer is in more than one split.

    Counts pick signers at random (seeded); explicit lists are used as given.
    """
    everyone = sorted(set(participant_ids), key=str)
    rng = np.random.default_rng(seed)
    remaining = [p for p in rng.permutation(everyone).tolist()]

    def take(choice: int | list[str], name: str) -> list[str]:
        if isinstance(choice, list):
            unknown = sorted(set(map(str, choice)) - set(remaining))
            if unknown:
                raise SignbridgeError(
                    f"split.{name}: participant(s) {', '.join(unknown)} are not in the data "
                    "or already used by another split"
                )
            chosen = [str(p) for p in choice]
        else:
            chosen = remaining[:choice]
        for participant in chosen:
            remaining.remove(participant)
        return sorted(chosen)

    evaluation = take(evaluation_signers, "evaluation_signers")
    validation = take(validation_signers, "validation_signers")
    if not remaining:
        raise SignbridgeError(
            f"split: {len(everyone)} signer(s) in the data leave none for training; "
            "lower split.evaluation_signers / split.validation_signers"
        )
    return SignerSplit(train=sorted(remaining), validation=validation, evaluation=evaluation)


def dataset_fingerprint(dataset: LandmarkDataset) -> str:
    """A short hash of the sequences, signers and labels; equal data gives an equal fingerprint."""
    import hashlib

    digest = hashlib.sha256()
    for array in (dataset.labels, dataset.offsets, dataset.frames):
        digest.update(np.ascontiguousarray(array).tobytes())
    digest.update("\n".join(dataset.participant_ids.tolist()).encode())
    digest.update("\n".join(dataset.sequence_ids.tolist()).encode())
    return digest.hexdigest()[:16]


def sign_counts(splits: dict[str, LandmarkDataset]) -> pd.DataFrame:
    """Sequences per sign (rows) and split (columns)."""
    from signbridge.data.landmarks import index_to_sign

    signs = index_to_sign()
    counts = {
        name: pd.Series([signs[label] for label in data.labels]).value_counts()
        for name, data in splits.items()
    }
    table = pd.DataFrame(counts).fillna(0).astype(int)
    table.index.name = "sign"
    return table.sort_index()
