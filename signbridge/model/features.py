"""Preprocessed features stored as shards on disk and streamed to Keras through tf.data.

One feature shard per landmark shard, per split and per preprocessing config, so a re-run with
the same settings reuses them, and memory holds one shard (plus tf.data's buffers) at a time.
"""

from __future__ import annotations

import hashlib
import itertools
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from signbridge.config import PreprocessConfig
from signbridge.data.landmarks import MODEL_POINTS
from signbridge.data.shards import ShardSet
from signbridge.model.augment import augmented_copies
from signbridge.model.preprocessing import FEATURE_CHANNELS, preprocess_sequences

FEATURE_FORMAT = 1
SHUFFLE_BUFFER = 4096


@dataclass
class FeatureSet:
    """Preprocessed, fixed-length features ready for the classifier, in memory."""

    features: np.ndarray  # float32 [N, T, 65, 4]
    masks: np.ndarray  # float32 [N, T]
    labels: np.ndarray  # int64 [N]

    def __len__(self) -> int:
        return len(self.labels)

    def inputs(self) -> list[np.ndarray]:
        return [self.features, self.masks]


@dataclass
class FeatureShards:
    """A reference to feature shards on disk; holds no arrays."""

    cache_dir: str
    shards: list[str]
    sequences: int
    max_frames: int

    def paths(self) -> list[Path]:
        return [Path(self.cache_dir) / name for name in self.shards]

    def iter_sets(self) -> Iterator[FeatureSet]:
        for path in self.paths():
            with np.load(path, allow_pickle=False) as data:
                yield FeatureSet(data["features"].astype(np.float32),
                                 data["masks"].astype(np.float32), data["labels"])

    def load(self) -> FeatureSet:
        """Everything in memory; for validation and evaluation splits."""
        sets = list(self.iter_sets())
        if not sets:
            shape = (0, self.max_frames, MODEL_POINTS, FEATURE_CHANNELS)
            return FeatureSet(np.zeros(shape, np.float32),
                              np.zeros((0, self.max_frames), np.float32), np.zeros(0, np.int64))
        return FeatureSet(np.concatenate([s.features for s in sets]),
                          np.concatenate([s.masks for s in sets]),
                          np.concatenate([s.labels for s in sets]))

    def tf_dataset(self, batch_size: int, seed: int):
        """Shuffled batches `((features, mask), label)`, read shard by shard, every epoch anew."""
        import tensorflow as tf

        paths = [str(p) for p in self.paths()]
        epochs = itertools.count()

        def examples():
            # tf.data calls this once per epoch: a new shard order each time, reproducibly.
            rng = np.random.default_rng((seed, next(epochs)))
            for path in rng.permutation(paths).tolist():
                with np.load(path, allow_pickle=False) as data:
                    features, masks, labels = data["features"], data["masks"], data["labels"]
                for i in range(len(labels)):
                    yield (features[i].astype(np.float32), masks[i].astype(np.float32)), labels[i]

        signature = (
            (tf.TensorSpec((self.max_frames, MODEL_POINTS, FEATURE_CHANNELS), tf.float32),
             tf.TensorSpec((self.max_frames,), tf.float32)),
            tf.TensorSpec((), tf.int64),
        )
        dataset = tf.data.Dataset.from_generator(examples, output_signature=signature)
        return (dataset.shuffle(SHUFFLE_BUFFER, seed=seed, reshuffle_each_iteration=True)
                .batch(batch_size).prefetch(tf.data.AUTOTUNE))


def _key(config: PreprocessConfig, augment: bool, participants: list[str] | None) -> str:
    text = f"{FEATURE_FORMAT}|{config.model_dump_json()}|{augment}|{participants}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def build_feature_shards(
    shard_set: ShardSet,
    config: PreprocessConfig,
    augment: bool,
    cache_dir: Path,
    progress: Callable[[Iterable, int], Iterable] = lambda items, total: items,
) -> FeatureShards:
    """Preprocess every sequence of `shard_set` (with augmented copies if asked), shard by shard."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    key = _key(config, augment, shard_set.participants)
    names, sequences = [], 0
    for path, shard in progress(shard_set.iter_with_paths(), len(shard_set.shards)):
        if shard is None:
            continue
        target = cache_dir / f"{path.stem}-{key}.npz"
        if not target.is_file():
            sequences_in, labels = list(shard.sequences()), shard.labels
            if augment and config.augment.copies:
                seeded = config.augment.model_copy(
                    update={"seed": config.augment.seed + int(path.stem[6:14], 16)})
                sequences_in, labels = augmented_copies(sequences_in, labels, seeded)
            features, masks = preprocess_sequences(sequences_in, config.max_frames)
            partial = target.with_suffix(f".{os.getpid()}.partial")
            with partial.open("wb") as handle:
                np.savez(handle, features=features.astype(np.float16),
                         masks=masks.astype(np.uint8), labels=np.asarray(labels, np.int64))
            os.replace(partial, target)
        with np.load(target, allow_pickle=False) as data:
            sequences += len(data["labels"])
        names.append(target.name)
    return FeatureShards(str(cache_dir), names, sequences, config.max_frames)
