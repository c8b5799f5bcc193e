"""Landmark preprocessing as a Keras layer, so training, TFLite and the app run the same graph.

Raw frames `[n, 543, 3]` (NaN allowed, any n >= 1) become fixed-length features
`[max_frames, 65, 4]` (x, y, dx, dy of pose upper body, left hand, right hand) and a frame mask.
"""

from typing import Literal

import keras
import numpy as np
import tensorflow as tf

from signbridge.config import PreprocessConfig
from signbridge.data.landmarks import (
    MODEL_POINTS,
    POSE_LEFT_EYE,
    POSE_MOUTH,
    POSE_RIGHT_EYE,
    POSE_SHOULDERS,
    ROWS_PER_FRAME,
    model_part_slices,
    model_rows,
    pose_mirror_permutation,
)

Anchor = Literal["points", "shoulders"]
# Width of the eyes over their height above the mouth, in the competition's recordings (median
# over the 17 signers of the ISLR sample: 1.26; 0.51 in landscape web videos). Frames from other
# cameras are stretched vertically until their face has these proportions.
FACE_ASPECT = 1.26
FEATURE_CHANNELS = 4  # x, y, dx, dy


@keras.saving.register_keras_serializable(package="signbridge")
class LandmarkPreprocessing(keras.layers.Layer):
    """Select, mirror, normalise and resample one raw landmark sequence.

    1. keep pose upper body and both hands (x, y);
    2. undo the camera's aspect ratio (`correct_aspect`): stretch y until the face has the
       proportions it has in the competition data, so portrait phone clips, landscape webcams
       and landmark files from other tools look alike;
    3. mirror so the dominant hand (the one seen in more frames) is always the right-hand slot;
    4. drop frames with no hand when any frame has one;
    5. centre and scale (`anchor`): by the mean and spread of all detected points ("points"), or
       on the shoulders, in shoulder widths ("shoulders"; falls back to "points" without them);
       NaN becomes 0;
    6. resample longer sequences to `max_frames`, pad shorter ones and mask the padding;
    7. add frame-to-frame motion.
    """

    def __init__(self, max_frames: int = 32, anchor: Anchor = "points",
                 correct_aspect: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        self.max_frames = max_frames
        self.anchor = anchor
        self.correct_aspect = correct_aspect
        self._model_rows = tf.constant(model_rows(), tf.int32)
        self._pose_mirror = tf.constant(pose_mirror_permutation(), tf.int32)

    def call(self, frames: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        """Raw frames `[n, 543, 3]` -> (features `[T, 65, 4]`, mask `[T]`)."""
        return self.from_model_rows(tf.gather(tf.cast(frames, tf.float32), self._model_rows, axis=1))

    def from_model_rows(self, points: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        """The same, from the 65 rows the model reads (`[n, 65, 3]`, as cached in shards)."""
        xy = tf.cast(points, tf.float32)[:, :, :2]
        parts = model_part_slices()
        if self.correct_aspect:
            xy = xy * tf.stack([1.0, self._aspect_correction(xy[:, parts["pose"]])])
        pose, left, right = (xy[:, parts[p]] for p in ("pose", "left_hand", "right_hand"))

        left_seen = self._frames_with(left)
        right_seen = self._frames_with(right)
        mirror = tf.reduce_sum(tf.cast(left_seen, tf.int32)) > tf.reduce_sum(
            tf.cast(right_seen, tf.int32)
        )
        flip_x = tf.constant([-1.0, 1.0]), tf.constant([1.0, 0.0])
        mirrored_pose = tf.gather(pose, self._pose_mirror, axis=1) * flip_x[0] + flip_x[1]
        pose = tf.where(mirror, mirrored_pose, pose)
        left, right = (
            tf.where(mirror, right * flip_x[0] + flip_x[1], left),
            tf.where(mirror, left * flip_x[0] + flip_x[1], right),
        )
        points = tf.concat([pose, left, right], axis=1)  # [n, 65, 2]

        with_hands = tf.logical_or(left_seen, right_seen)
        keep = tf.logical_or(with_hands, tf.logical_not(tf.reduce_any(with_hands)))
        points = tf.boolean_mask(points, keep)

        points = self._normalise(points, pose_points=tf.shape(pose)[1])
        points, mask = self._resample(points)
        motion = tf.concat([points[1:] - points[:-1], tf.zeros_like(points[:1])], axis=0)
        motion *= tf.concat([mask[1:], tf.zeros_like(mask[:1])], axis=0)[:, None, None]
        features = tf.concat([points, motion], axis=-1)
        features = tf.ensure_shape(features, [self.max_frames, MODEL_POINTS, FEATURE_CHANNELS])
        return features, mask

    @staticmethod
    def _frames_with(part: tf.Tensor) -> tf.Tensor:
        return tf.reduce_any(tf.math.is_finite(part[..., 0]), axis=1)

    @staticmethod
    def _aspect_correction(pose: tf.Tensor) -> tf.Tensor:
        """Factor for y that gives the face its competition proportions; 1 without a face."""
        eyes_width = tf.abs(pose[:, POSE_LEFT_EYE, 0] - pose[:, POSE_RIGHT_EYE, 0])
        eyes_y = (pose[:, POSE_LEFT_EYE, 1] + pose[:, POSE_RIGHT_EYE, 1]) / 2
        mouth_y = (pose[:, POSE_MOUTH[0], 1] + pose[:, POSE_MOUTH[1], 1]) / 2
        height = tf.abs(mouth_y - eyes_y)
        usable = tf.math.is_finite(eyes_width) & tf.math.is_finite(height)
        width_sum = tf.reduce_sum(tf.where(usable, eyes_width, 0.0))
        height_sum = tf.reduce_sum(tf.where(usable, height, 0.0))
        ratio = width_sum / tf.maximum(height_sum, 1e-6)
        return tf.where(height_sum > 1e-6, tf.clip_by_value(ratio / FACE_ASPECT, 0.25, 4.0), 1.0)

    def _normalise(self, points: tf.Tensor, pose_points: tf.Tensor) -> tf.Tensor:
        if self.anchor == "shoulders":
            shoulders = tf.gather(points[:, :pose_points], list(POSE_SHOULDERS), axis=1)
            seen = tf.reduce_all(tf.math.is_finite(shoulders), axis=[1, 2])
            visible = tf.boolean_mask(shoulders, seen)  # [m, 2, 2]
            centre = tf.reduce_mean(tf.reduce_mean(visible, axis=1), axis=0)
            width = tf.reduce_mean(tf.norm(visible[:, 0] - visible[:, 1], axis=-1))
            usable = tf.logical_and(tf.reduce_any(seen), width > 1e-4)
            anchored = tf.where(tf.math.is_finite(points), (points - centre) / width, 0.0)
            return tf.cond(usable, lambda: anchored, lambda: self._spread_normalise(points))
        return self._spread_normalise(points)

    @staticmethod
    def _spread_normalise(points: tf.Tensor) -> tf.Tensor:
        finite = tf.math.is_finite(points)
        count = tf.maximum(tf.reduce_sum(tf.cast(finite, tf.float32), axis=[0, 1]), 1.0)
        values = tf.where(finite, points, 0.0)
        mean = tf.reduce_sum(values, axis=[0, 1]) / count
        centred = tf.where(finite, points - mean, 0.0)
        spread = tf.sqrt(tf.reduce_sum(tf.square(centred)) / tf.reduce_sum(count))
        spread = tf.where(spread > 1e-6, spread, 1.0)
        return centred / spread

    def _resample(self, points: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        n_frames = tf.shape(points)[0]
        target = self.max_frames
        longer = n_frames > target
        evenly_spaced = tf.cast(
            tf.round(tf.linspace(0.0, tf.cast(n_frames - 1, tf.float32), target)), tf.int32
        )
        positions = tf.range(target)
        in_order = tf.minimum(positions, n_frames - 1)
        indices = tf.where(longer, evenly_spaced, in_order)
        mask = tf.cast(tf.logical_or(longer, positions < n_frames), tf.float32)
        return tf.gather(points, indices) * mask[:, None, None], mask

    def get_config(self) -> dict:
        return {**super().get_config(), "max_frames": self.max_frames, "anchor": self.anchor,
                "correct_aspect": self.correct_aspect}


def preprocessing_layer(config: PreprocessConfig) -> LandmarkPreprocessing:
    return LandmarkPreprocessing(**config.layer_settings())


def preprocess_sequences(
    sequences: list[np.ndarray] | object, config: PreprocessConfig
) -> tuple[np.ndarray, np.ndarray]:
    """Run LandmarkPreprocessing over many sequences: features `[N, T, 65, 4]`, masks `[N, T]`.

    Sequences may be raw `[n, 543, 3]` frames or the 65 model rows `[n, 65, 3]`.
    """
    max_frames = config.max_frames
    layer = preprocessing_layer(config)
    runners = {
        rows: tf.function(call, input_signature=[tf.TensorSpec([None, rows, 3], tf.float32)])
        for rows, call in ((ROWS_PER_FRAME, layer.call), (MODEL_POINTS, layer.from_model_rows))
    }
    features, masks = [], []
    for sequence in sequences:
        feature, mask = runners[sequence.shape[1]](tf.constant(sequence, tf.float32))
        features.append(feature.numpy())
        masks.append(mask.numpy())
    if not features:
        return (
            np.zeros((0, max_frames, MODEL_POINTS, FEATURE_CHANNELS), np.float32),
            np.zeros((0, max_frames), np.float32),
        )
    return np.stack(features), np.stack(masks)
