"""What the classifier reads: preprocessed features, cached for held-out splits, streamed for training.

Held-out splits (validation, evaluation) are preprocessed once into feature shards, one per
landmark shard and preprocessing setting, so re-runs reuse them. Training sequences are read from
the landmark shards and augmented and preprocessed inside tf.data, afresh in every epoch; nothing
augmented is stored, so the caches do not depend on the augmentation settings.
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
from signbridge.data.landmarks import CACHED_POINTS
from signbridge.data.shards import ShardSet

FEATURE_FORMAT = 2
SHUFFLE_BUFFER = 4096


@dataclass
class FeatureSet:
    """Preprocessed, fixed-length features ready for the classifier, in memory."""

    features: np.ndarray  # float32 [N, T, points, channels]
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
    points: int = 65  # of the features' layout (FeatureLayout)
    channels: int = 4

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
            shape = (0, self.max_frames, self.points, self.channels)
            return FeatureSet(np.zeros(shape, np.float32),
                              np.zeros((0, self.max_frames), np.float32), np.zeros(0, np.int64))
        return FeatureSet(np.concatenate([s.features for s in sets]),
                          np.concatenate([s.masks for s in sets]),
                          np.concatenate([s.labels for s in sets]))


def _key(config: PreprocessConfig, participants: list[str] | None) -> str:
    text = f"{FEATURE_FORMAT}|{sorted(config.layer_settings().items())}|{participants}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def build_feature_shards(
    shard_set: ShardSet,
    config: PreprocessConfig,
    cache_dir: Path,
    progress: Callable[[Iterable, int], Iterable] = lambda items, total: items,
) -> FeatureShards:
    """Preprocess every sequence of `shard_set` (no augmentation), shard by shard."""
    from signbridge.model.preprocessing import preprocess_sequences

    cache_dir.mkdir(parents=True, exist_ok=True)
    key = _key(config, shard_set.participants)
    names, sequences = [], 0
    for path, shard in progress(shard_set.iter_with_paths(), len(shard_set.shards)):
        if shard is None:
            continue
        target = cache_dir / f"{path.stem}-{key}.npz"
        if not target.is_file():
            features, masks = preprocess_sequences(shard.sequences(), config)
            partial = target.with_suffix(f".{os.getpid()}.partial")
            with partial.open("wb") as handle:
                np.savez(handle, features=features.astype(np.float16),
                         masks=masks.astype(np.uint8), labels=np.asarray(shard.labels, np.int64))
            os.replace(partial, target)
        with np.load(target, allow_pickle=False) as data:
            sequences += len(data["labels"])
        names.append(target.name)
    layout = config.layout()
    return FeatureShards(str(cache_dir), names, sequences, config.max_frames, layout.points,
                         layout.channels)


def training_dataset(
    shard_set: ShardSet,
    config: PreprocessConfig,
    batch_size: int,
    seed: int,
    counterexample_weight: float = 0.0,
    first_epoch: int = 0,
    counterexample_changes: list[str] | None = None,
    counterexample_target: str = "known",
):
    """Shuffled batches `((features, mask), target, weight)` of freshly augmented sequences.

    Landmark shards are read one at a time, in an order and through a shuffle buffer drawn from
    `(seed, epoch)`, so epoch k is shuffled alike whether the run started at epoch 0 or resumed
    at `first_epoch` (each iteration over the dataset is the next epoch). Each sequence is
    augmented (if `config.augment.enabled`) and preprocessed by the model's own layer in
    parallel tf.data workers. Targets are one-hot over the 250 signs. With a
    `counterexample_weight`, every sequence also yields a copy with one of
    `counterexample_changes` made to it (`counterexamples.py`)
    whose target spreads evenly over the signs seen in training (`counterexample_target`
    "known") or over all 250 outputs ("all"), weighted by that much.
    """
    import tensorflow as tf

    from signbridge.data.landmarks import NUM_SIGNS
    from signbridge.data.shards import sequence_table
    from signbridge.model.augment import augment_points
    from signbridge.model.counterexamples import counterexample
    from signbridge.model.preprocessing import preprocessing_layer

    epochs = itertools.count(first_epoch)

    def sequences():
        # tf.data calls this once per epoch (Keras iterates the dataset afresh every epoch).
        yield from epoch_sequences(shard_set, seed, next(epochs))

    layer = preprocessing_layer(config)
    known = np.zeros(NUM_SIGNS, np.float32)
    known[np.unique(sequence_table(shard_set)["label"].to_numpy(np.int64))] = 1.0
    if counterexample_target == "all":
        known[:] = 1.0
    unsure = tf.constant(known / known.sum())

    def features(points):
        if config.augment.enabled:
            points = augment_points(points, config.augment)
        return layer.from_cached_rows(points)

    def prepare(points, label):
        (features_in, mask), target = features(points), tf.one_hot(label, NUM_SIGNS)
        if not counterexample_weight:
            return (features_in, mask), target, tf.constant(1.0)
        changed, changed_mask = features(counterexample(points, counterexample_changes))
        return ((tf.stack([features_in, changed]), tf.stack([mask, changed_mask])),
                tf.stack([target, unsure]), tf.constant([1.0, counterexample_weight]))

    signature = (tf.TensorSpec((None, CACHED_POINTS, 3), tf.float32), tf.TensorSpec((), tf.int64))
    dataset = tf.data.Dataset.from_generator(sequences, output_signature=signature)
    # A known length lets Keras count steps per epoch instead of running out of data.
    dataset = dataset.apply(tf.data.experimental.assert_cardinality(shard_set.sequences))
    dataset = dataset.map(prepare, num_parallel_calls=tf.data.AUTOTUNE, deterministic=False)
    if counterexample_weight:  # each sequence came with its counterexample
        dataset = dataset.unbatch().apply(
            tf.data.experimental.assert_cardinality(2 * shard_set.sequences))
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def epoch_sequences(shard_set: ShardSet, seed: int, epoch: int) -> Iterator[tuple[np.ndarray, int]]:
    """`(points, label)` of every training sequence in the order epoch `epoch` reads them: shards
    in an order drawn from `(seed, epoch)`, one at a time, through a shuffle buffer."""
    rng = np.random.default_rng((seed, epoch))

    def in_shard_order():
        for position in rng.permutation(len(shard_set.shards)).tolist():
            shard = shard_set.shard(position)
            if shard is not None:
                yield from zip(shard.sequences(), shard.labels, strict=True)

    return _shuffled(in_shard_order(), SHUFFLE_BUFFER, rng)


def _shuffled(items: Iterable, buffer_size: int, rng: np.random.Generator) -> Iterator:
    """A shuffle buffer like tf.data's, but drawn from `rng`, so an epoch can be replayed."""
    buffer: list = []
    for item in items:
        if len(buffer) < buffer_size:
            buffer.append(item)
            continue
        slot = int(rng.integers(buffer_size))
        yield buffer[slot]
        buffer[slot] = item
    rng.shuffle(buffer)
    yield from buffer
