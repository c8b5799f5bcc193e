"""The shard cache: same data as the loader, resumable after a kill, bad files reported."""

import os

import numpy as np
import pandas as pd
import pytest

from signbridge.config import PreprocessConfig
from signbridge.data.files import read_index
from signbridge.data.landmarks import NUM_SIGNS, cached_rows
from signbridge.data.shards import build_shard_cache, sequence_table, shard_fingerprint
from signbridge.model.features import build_feature_shards, training_dataset
from tests.conftest import SAMPLE_ROOT


def test_cache_holds_the_model_rows_of_every_sequence(tmp_path, sample_dataset):
    shards, rejected = build_shard_cache(read_index(SAMPLE_ROOT), tmp_path, shard_size=40)
    assert rejected == [] and shards.sequences == 269 and len(shards.shards) == 7
    cached = shards.load()
    expected = sample_dataset.frames[:, cached_rows()].astype(np.float16).astype(np.float32)
    np.testing.assert_array_equal(cached.frames, expected)
    np.testing.assert_array_equal(cached.labels, sample_dataset.labels)


def test_killed_run_resumes_without_redoing_finished_shards(tmp_path):
    index = read_index(SAMPLE_ROOT)
    shards, _ = build_shard_cache(index, tmp_path, shard_size=40)
    finished = {p: p.stat().st_mtime_ns for p in shards.paths()}
    lost = shards.paths()[2]
    lost.unlink()  # as if the run died while writing this shard
    (tmp_path / "shard-x.npz.1234.partial").write_bytes(b"half")
    again, _ = build_shard_cache(index, tmp_path, shard_size=40)
    assert again.shards == shards.shards and lost.is_file()
    for path, mtime in finished.items():
        if path != lost:
            assert path.stat().st_mtime_ns == mtime  # not redone
    assert shard_fingerprint(again) == shard_fingerprint(shards)


def test_bad_rows_are_reported_and_the_rest_cached(tmp_path):
    index = read_index(SAMPLE_ROOT).head(10).copy()
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1 nope")
    index.loc[3, "path"] = str(broken)
    index.loc[5, "sign"] = "not-a-sign"
    shards, rejected = build_shard_cache(index, tmp_path / "cache", shard_size=4, workers=2)
    assert shards.sequences == 8
    assert {r.path for r in rejected} == {str(broken), index.loc[5, "path"]}
    table = sequence_table(shards)
    assert len(table) == 8 and not table["sequence_id"].isin(
        [index.loc[3, "sequence_id"], index.loc[5, "sequence_id"]]).any()


def test_signer_restriction_and_streamed_features(tmp_path):
    shards, _ = build_shard_cache(read_index(SAMPLE_ROOT), tmp_path / "raw", shard_size=32)
    two = shards.restricted_to(["2044", "4718"])
    table = sequence_table(two)
    assert set(table["participant_id"]) == {"2044", "4718"} and two.sequences == len(table)
    config = PreprocessConfig(max_frames=16)
    features = build_feature_shards(two, config, cache_dir=tmp_path / "features")
    assert features.sequences == two.sequences
    assert sorted(features.load().labels) == sorted(table["label"])
    assert pd.Series(os.listdir(tmp_path / "features")).str.endswith(".npz").all()
    # Changing only the augmentation reuses the cache: held-out features do not depend on it.
    other = config.model_copy(update={"augment": config.augment.model_copy(update={"scale": 0.5})})
    assert build_feature_shards(two, other, cache_dir=tmp_path / "features").shards == features.shards


def test_training_batches_are_augmented_afresh_every_epoch(tmp_path):
    shards, _ = build_shard_cache(read_index(SAMPLE_ROOT), tmp_path / "raw", shard_size=32)
    one = shards.restricted_to(["2044"])
    dataset = training_dataset(one, PreprocessConfig(max_frames=16), batch_size=64, seed=0)
    epochs = [list(dataset) for _ in range(2)]
    for batches in epochs:
        labels = np.concatenate([target.numpy().argmax(1) for _, target, _ in batches])
        assert sorted(labels) == sorted(sequence_table(one)["label"])  # each sequence once
        (features, masks), _, weights = batches[0]
        assert features.shape[1:] == (16, 65, 4) and masks.shape[1:] == (16,)
        assert (weights.numpy() == 1.0).all()
    first, second = (np.sort(batches[0][0][0].numpy().ravel()) for batches in epochs)
    assert not np.allclose(first, second)  # new variations, not stored copies
    plain = training_dataset(one, PreprocessConfig(max_frames=16, augment={"enabled": False}),
                             batch_size=64, seed=0)
    once, again = (np.sort(next(iter(plain))[0][0].numpy().ravel()) for _ in range(2))
    np.testing.assert_allclose(once, again)  # without augmentation, the same features


def test_every_training_sequence_comes_with_a_weighted_counterexample(tmp_path):
    shards, _ = build_shard_cache(read_index(SAMPLE_ROOT), tmp_path / "raw", shard_size=32)
    one = shards.restricted_to(["2044"])
    dataset = training_dataset(one, PreprocessConfig(max_frames=16), batch_size=64, seed=0,
                               counterexample_weight=0.5)
    targets = np.concatenate([target.numpy() for _, target, _ in dataset])
    weights = np.concatenate([weight.numpy() for _, _, weight in dataset])
    real = targets.max(axis=1) == 1.0
    assert real.sum() == (~real).sum() == one.sequences
    assert set(weights[real]) == {1.0} and set(weights[~real]) == {0.5}
    known = np.unique(sequence_table(one)["label"])
    # A counterexample's target is spread evenly over the signs seen in training.
    np.testing.assert_allclose(targets[~real][:, known], 1 / len(known))
    assert targets[~real].sum(axis=1) == pytest.approx(1.0)
    # Or over all 250 outputs, so that little of the answer falls on the known signs.
    spread = training_dataset(one, PreprocessConfig(max_frames=16), batch_size=64, seed=0,
                              counterexample_weight=0.5, counterexample_target="all")
    targets = np.concatenate([target.numpy() for _, target, _ in spread])
    np.testing.assert_allclose(targets[targets.max(axis=1) < 1.0], 1 / NUM_SIGNS, rtol=1e-5)
