"""The full-data recipe: its config is valid, its model is ~1-3 M parameters, its options train."""

import numpy as np
import tensorflow as tf
import yaml

from signbridge.config import AugmentConfig, ModelConfig, PreprocessConfig, TrainConfig
from signbridge.data.landmarks import cached_part_slices, cached_rows
from signbridge.model.augment import (
    augment_points,
    hand_gaps,
    jitter_hands,
    shift_hands,
    shoulder_width,
)
from signbridge.model.network import build_classifier
from signbridge.model.training import learning_rate
from tests.conftest import PROJECT_ROOT


def test_full_config_validates_and_sizes_the_model():
    parameters = yaml.safe_load((PROJECT_ROOT / "configs/train_full.yaml").read_text())["parameters"]
    network = ModelConfig(**parameters["network"])
    preprocess = PreprocessConfig(**parameters["preprocess"])
    training = TrainConfig(**parameters["training"])
    model = build_classifier(network, preprocess.max_frames, layout=preprocess.layout())
    assert 1_000_000 <= model.count_params() <= 3_000_000
    assert training.optimizer == "adamw" and training.schedule == "cosine"
    assert training.label_smoothing > 0 and preprocess.augment.part_dropout > 0


def test_warmup_then_cosine_schedule():
    config = TrainConfig(learning_rate=1e-3, optimizer="adamw", weight_decay=0.05,
                         schedule="cosine", warmup_epochs=2, epochs=10)
    schedule = learning_rate(config, steps_per_epoch=10)
    rates = [float(schedule(step)) for step in (0, 10, 20, 60, 99)]
    assert rates[0] < rates[1] < rates[2] and abs(rates[2] - 1e-3) < 1e-6  # warm-up
    assert rates[2] > rates[3] > rates[4]  # then decay
    assert learning_rate(TrainConfig(learning_rate=5e-4), 10) == 5e-4  # constant by default


def test_part_dropout_hides_whole_hands(sample_dataset):
    points = sample_dataset.sequence(0)[:, cached_rows()]
    config = AugmentConfig(part_dropout=1.0, frame_dropout=0.0)
    augmented = augment_points(points, config).numpy()
    for hand in ("left_hand", "right_hand"):
        assert np.isnan(augmented[:, cached_part_slices()[hand]]).all()
    assert np.isfinite(augmented[:, cached_part_slices()["pose"]]).any()  # the pose is still there


def test_augmentation_varies_geometry_and_speed_but_keeps_the_contract(sample_dataset):
    points = sample_dataset.sequence(3)[:, cached_rows()]
    config = AugmentConfig(min_speed=0.5, max_speed=0.5, frame_dropout=0.0)
    slowed = augment_points(points, config).numpy()
    assert len(slowed) == 2 * len(points) and slowed.shape[1:] == points.shape[1:]
    moved = augment_points(points, AugmentConfig(min_speed=1.0, max_speed=1.0, frame_dropout=0.0))
    pose = cached_part_slices()["pose"]
    assert not np.allclose(moved.numpy()[:, pose], points[:, pose], equal_nan=True)
    assert np.array_equal(np.isnan(moved.numpy()), np.isnan(points))  # NaN stays NaN


def test_hand_shift_moves_the_hands_against_the_body_within_its_bound(sample_dataset):
    points = sample_dataset.sequence(3)[:, cached_rows()]
    parts = cached_part_slices()
    width = float(shoulder_width(points))
    for seed in range(5):
        tf.random.set_seed(seed)
        moved = shift_hands(points, 0.2).numpy()
        offset = np.nanmean(moved[:, parts["right_hand"], :2] - points[:, parts["right_hand"], :2],
                            axis=(0, 1))
        assert 0 < np.abs(offset).max() <= 0.2 * width + 1e-6
        for hand in ("left_hand", "right_hand"):  # both hands move together, NaN stays NaN
            shift = moved[:, parts[hand], :2] - points[:, parts[hand], :2]
            assert np.allclose(shift[np.isfinite(shift)].reshape(-1, 2), offset, atol=1e-5)
        wrists = parts["pose"].start + 15
        assert np.allclose(moved[:, wrists, :2] - points[:, wrists, :2], offset, atol=1e-5)
        shoulders = parts["pose"].start + 11
        assert np.array_equal(moved[:, shoulders], points[:, shoulders])  # the body stays
        assert np.array_equal(moved[..., 2], points[..., 2], equal_nan=True)


def test_hand_jitter_reshapes_each_hand_the_same_in_every_frame_within_its_bound(sample_dataset):
    parts = cached_part_slices()
    sequences = [sample_dataset.sequence(i)[:, cached_rows()] for i in range(20)]
    points = max(sequences, key=lambda s: np.isfinite(s[:, parts["right_hand"], 0]).sum())
    hand = points[:, parts["right_hand"]]
    palm = np.nanmean(np.linalg.norm(hand[:, 9, :2] - hand[:, 0, :2], axis=-1))
    for seed in range(3):
        tf.random.set_seed(seed)
        jittered = jitter_hands(points, 0.2).numpy()
        moved = jittered[:, parts["right_hand"]] - hand  # [n, 21, 3], NaN where not seen
        seen = np.isfinite(hand[:, 0, 0])
        offsets = moved[seen]
        assert np.allclose(offsets, offsets[:1], atol=1e-5)  # one offset per point, every frame
        assert np.abs(offsets[0, 0]).max() == 0 and (offsets[..., 2] == 0).all()  # wrist, depth
        assert 0 < np.abs(offsets[0]).max() <= 0.2 * palm + 1e-6
        assert np.isnan(jittered[~seen][:, parts["right_hand"]]).all()
        pose = parts["pose"]
        assert np.array_equal(jittered[:, pose], points[:, pose], equal_nan=True)  # body stays


def test_hand_gaps_hide_whole_hands_in_some_frames_and_nothing_else(sample_dataset):
    parts = cached_part_slices()
    sequences = [sample_dataset.sequence(i)[:, cached_rows()] for i in range(20)]
    points = max(sequences, key=lambda s: np.isfinite(s[:, parts["right_hand"], 0]).sum())
    hands = [parts["left_hand"], parts["right_hand"]]
    seen = np.isfinite(points[:, parts["right_hand"], 0]).all(axis=1)
    assert seen.sum() >= 10
    hidden_share = []
    for seed in range(5):
        tf.random.set_seed(seed)
        gapped = hand_gaps(points, 0.5).numpy()
        for rows in hands:  # a hand is hidden whole in a frame, or kept exactly
            kept = np.isfinite(gapped[:, rows]).any(axis=(1, 2))
            assert np.array_equal(gapped[kept][:, rows], points[kept][:, rows], equal_nan=True)
            assert np.isnan(gapped[~kept][:, rows]).all()
        others = np.ones(points.shape[1], bool)
        for rows in hands:
            others[rows] = False
        assert np.array_equal(gapped[:, others], points[:, others], equal_nan=True)
        hidden_share.append(1 - np.isfinite(gapped[seen][:, parts["right_hand"], 0]).all(axis=1).mean())
    assert 0 < np.mean(hidden_share) <= 0.5 and max(hidden_share) > 0
