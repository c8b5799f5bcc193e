"""Random but plausible variations of raw landmark sequences, used to enlarge the training set."""

import numpy as np

from signbridge.config import AugmentConfig
from signbridge.data.landmarks import ROWS_PER_FRAME, model_part_slices, part_rows


def augment_sequence(frames: np.ndarray, config: AugmentConfig, rng: np.random.Generator):
    """One variation of a `[n, 543, 3]` sequence: affine x/y, time resampling, frame dropout."""
    frames = frames.copy()
    angle = np.deg2rad(rng.uniform(-config.rotate_degrees, config.rotate_degrees))
    scale = rng.uniform(1 - config.scale, 1 + config.scale)
    rotation = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    shift = rng.uniform(-config.shift, config.shift, size=2)
    centre = np.array([0.5, 0.5], np.float32)
    frames[..., :2] = (frames[..., :2] - centre) @ rotation.T.astype(np.float32) + centre + shift

    speed = rng.uniform(config.min_speed, config.max_speed)
    length = max(1, round(len(frames) / speed))
    frames = frames[np.minimum(np.round(np.arange(length) * speed).astype(int), len(frames) - 1)]

    kept = rng.random(len(frames)) >= config.frame_dropout
    if kept.any():
        frames = frames[kept]
    for hand_rows in _hand_rows(frames.shape[1]):
        if rng.random() < config.part_dropout:
            frames[:, hand_rows] = np.nan  # as if MediaPipe had missed this hand throughout
    return frames.astype(np.float32)


def _hand_rows(rows: int) -> list[np.ndarray | slice]:
    """Where the hands are in raw 543-row frames or in the 65 cached model rows."""
    if rows == ROWS_PER_FRAME:
        return [part_rows("left_hand"), part_rows("right_hand")]
    parts = model_part_slices()
    return [parts["left_hand"], parts["right_hand"]]


def augmented_copies(
    sequences: list[np.ndarray], labels: np.ndarray, config: AugmentConfig
) -> tuple[list[np.ndarray], np.ndarray]:
    """The originals followed by `config.copies` augmented variations of each."""
    rng = np.random.default_rng(config.seed)
    extra = [augment_sequence(s, config, rng) for _ in range(config.copies) for s in sequences]
    return list(sequences) + extra, np.concatenate([labels] * (config.copies + 1))
