"""Landmark preprocessing as a Keras layer, so training, TFLite and the app run the same graph.

Raw frames `[n, 543, 3]` (NaN allowed, any n >= 1) become fixed-length features
`[max_frames, points, channels]` and a frame mask: by default x, y, dx, dy of the pose's upper
body and both hands (65 points, 4 channels); optional face groups add points, depth adds z and dz.
"""

import keras
import numpy as np
import tensorflow as tf

from signbridge.config import Anchor, FillAlong, HandFrame, PreprocessConfig
from signbridge.data.landmarks import (
    CACHED_POINTS,
    FACE_ASPECT,
    FACE_GROUP_MIRRORS,
    HAND_BONE_STARTS,
    HAND_INDEX_KNUCKLE,
    HAND_MIDDLE_KNUCKLE,
    HAND_PINKY_KNUCKLE,
    HAND_WRIST,
    HANDS,
    POSE_LEFT_EYE,
    POSE_MOUTH,
    POSE_RIGHT_EYE,
    POSE_SHOULDERS,
    POSE_WRISTS,
    ROWS_PER_FRAME,
    FeatureLayout,
    cached_part_slices,
    cached_rows,
    pose_mirror_permutation,
)


@keras.saving.register_keras_serializable(package="signbridge")
class LandmarkPreprocessing(keras.layers.Layer):
    """Select, mirror, normalise and resample one raw landmark sequence.

    1. keep pose upper body, both hands and the chosen face `groups` (x, y; z with `depth`);
    2. undo the camera's aspect ratio (`correct_aspect`): stretch y until the face has the
       proportions it has in the competition data, so portrait phone clips, landscape webcams
       and landmark files from other tools look alike;
    3. mirror so the dominant hand (the one seen in more frames) is always the right-hand slot;
    4. fill short gaps where a hand was missed between two frames that have it
       (`fill_hand_gaps` frames at most), along the straight line between them, or
       (`fill_along="pose"`) along the pose's wrist, which is estimated even when the hand is not;
    5. drop frames with no hand when any frame has one;
    6. centre and scale (`anchor`): by the mean and spread of all detected points ("points"), or
       on the shoulders, in shoulder widths ("shoulders"; falls back to "points" without them);
       NaN becomes 0;
    7. resample longer sequences to `max_frames`; pad shorter ones and mask the padding, or
       stretch them to `max_frames` by repeating frames evenly (`stretch_short`);
    8. add frame-to-frame motion.
    """

    def __init__(self, max_frames: int = 32, anchor: Anchor = "points",
                 correct_aspect: bool = False, groups: list[str] | tuple[str, ...] = (),
                 depth: bool = False, hand_shape: bool = False,
                 hand_frame: HandFrame = "wrist", fill_hand_gaps: int = 0,
                 fill_along: FillAlong = "line", stretch_short: bool = False,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.hand_frame = hand_frame
        self.fill_hand_gaps = fill_hand_gaps
        self.fill_along = fill_along
        self.stretch_short = stretch_short
        self.max_frames = max_frames
        self.anchor = anchor
        self.correct_aspect = correct_aspect
        self.layout = FeatureLayout(tuple(groups), depth, hand_shape)
        self._cached_rows = tf.constant(cached_rows(), tf.int32)
        self._mirrors = {"pose": tf.constant(pose_mirror_permutation(), tf.int32)} | {
            group: tf.constant(FACE_GROUP_MIRRORS[group], tf.int32)
            for group in self.layout.groups}

    def call(self, frames: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        """Raw frames `[n, 543, 3]` -> (features `[T, points, channels]`, mask `[T]`)."""
        return self.from_cached_rows(
            tf.gather(tf.cast(frames, tf.float32), self._cached_rows, axis=1))

    def from_cached_rows(self, points: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        """The same, from the rows kept in the shard cache (`[n, 148, 3]`)."""
        coordinates = tf.cast(points, tf.float32)[:, :, :3 if self.layout.depth else 2]
        cached = cached_part_slices()
        if self.correct_aspect:
            xy = coordinates[:, cached["pose"], :2]
            stretch = [1.0, self._aspect_correction(xy)] + [1.0] * self.layout.depth
            coordinates = coordinates * tf.stack(stretch)
        parts = {part: coordinates[:, cached[part]] for part in self.layout.landmark_parts}

        left_seen = self._frames_with(parts["left_hand"])
        right_seen = self._frames_with(parts["right_hand"])
        mirror = tf.reduce_sum(tf.cast(left_seen, tf.int32)) > tf.reduce_sum(
            tf.cast(right_seen, tf.int32)
        )
        if self.fill_hand_gaps:
            for hand in HANDS:
                guide = parts["pose"][:, POSE_WRISTS[hand], :2] if self.fill_along == "pose" else None
                parts[hand] = fill_gaps(parts[hand], self.fill_hand_gaps, guide)
            left_seen = self._frames_with(parts["left_hand"])
            right_seen = self._frames_with(parts["right_hand"])
        # Mirroring flips x (x -> 1 - x), swaps the hands and swaps each point with its mirror
        # image within the pose and the face groups.
        scale = tf.constant([-1.0, 1.0, 1.0][:coordinates.shape[-1]])
        offset = tf.constant([1.0, 0.0, 0.0][:coordinates.shape[-1]])
        mirrored = {part: tf.gather(values, self._mirrors[part], axis=1)
                    if part in self._mirrors else values for part, values in parts.items()}
        mirrored["left_hand"], mirrored["right_hand"] = parts["right_hand"], parts["left_hand"]
        canonical = {part: tf.where(mirror, mirrored[part] * scale + offset, parts[part])
                     for part in self.layout.landmark_parts}
        points = tf.concat(list(canonical.values()), axis=1)  # [n, points, 2 or 3]

        with_hands = tf.logical_or(left_seen, right_seen)
        keep = tf.logical_or(with_hands, tf.logical_not(tf.reduce_any(with_hands)))
        points = self._normalise(tf.boolean_mask(points, keep),
                                 pose_points=self.layout.parts["pose"])
        if self.layout.hand_shape:
            shapes = [self._hand_shape(tf.boolean_mask(canonical[hand], keep)) for hand in HANDS]
            points = tf.concat([points, *shapes], axis=1)
        points, mask = self._resample(points)
        motion = tf.concat([points[1:] - points[:-1], tf.zeros_like(points[:1])], axis=0)
        motion *= tf.concat([mask[1:], tf.zeros_like(mask[:1])], axis=0)[:, None, None]
        features = tf.concat([points, motion], axis=-1)
        features = tf.ensure_shape(features,
                                   [self.max_frames, self.layout.points, self.layout.channels])
        return features, mask

    def _hand_shape(self, hand: tf.Tensor) -> tf.Tensor:
        """The hand seen from its wrist, in units of its own palm (wrist to middle knuckle), per
        frame: its shape and orientation wherever it is and however far from the camera; with
        `hand_frame="palm"`, turned into the palm's own frame: its shape alone; with "bones",
        each joint as the direction of its bone in that frame: how the fingers bend and spread,
        whatever the bones' tracked lengths."""
        local = hand - hand[:, HAND_WRIST:HAND_WRIST + 1]
        if self.hand_frame == "palm":
            shape = palm_frame(local)
        elif self.hand_frame == "bones":
            shape = bone_directions(palm_frame(local))
        else:
            palm = tf.norm(local[:, HAND_MIDDLE_KNUCKLE, :2], axis=-1)[:, None, None]
            shape = local / tf.where(palm > 1e-6, palm, float("nan"))
        return tf.where(tf.math.is_finite(shape), shape, 0.0)

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

    def _normalise(self, points: tf.Tensor, pose_points: int) -> tf.Tensor:
        """x and y centred and scaled; z (MediaPipe's depth is relative to each part already)
        scaled alike but not centred; NaN becomes 0."""
        xy, z = points[..., :2], points[..., 2:]
        if self.anchor == "shoulders":
            shoulders = tf.gather(xy[:, :pose_points], list(POSE_SHOULDERS), axis=1)
            seen = tf.reduce_all(tf.math.is_finite(shoulders), axis=[1, 2])
            visible = tf.boolean_mask(shoulders, seen)  # [m, 2, 2]
            width = tf.reduce_mean(tf.norm(visible[:, 0] - visible[:, 1], axis=-1))
            usable = tf.logical_and(tf.reduce_any(seen), width > 1e-4)
            centre, scale = tf.cond(
                usable,
                lambda: (tf.reduce_mean(tf.reduce_mean(visible, axis=1), axis=0), width),
                lambda: self._spread(xy))
        else:
            centre, scale = self._spread(xy)
        normalised = tf.concat([xy - centre, z], axis=-1) / scale
        return tf.where(tf.math.is_finite(normalised), normalised, 0.0)

    @staticmethod
    def _spread(xy: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        """Mean and spread (root mean square distance from the mean) of the detected points."""
        finite = tf.math.is_finite(xy)
        count = tf.maximum(tf.reduce_sum(tf.cast(finite, tf.float32), axis=[0, 1]), 1.0)
        mean = tf.reduce_sum(tf.where(finite, xy, 0.0), axis=[0, 1]) / count
        centred = tf.where(finite, xy - mean, 0.0)
        spread = tf.sqrt(tf.reduce_sum(tf.square(centred)) / tf.reduce_sum(count))
        return mean, tf.where(spread > 1e-6, spread, 1.0)

    def _resample(self, points: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        n_frames = tf.shape(points)[0]
        target = self.max_frames
        spread_out = tf.logical_or(n_frames > target, self.stretch_short)
        evenly_spaced = tf.cast(
            tf.round(tf.linspace(0.0, tf.cast(n_frames - 1, tf.float32), target)), tf.int32
        )
        positions = tf.range(target)
        in_order = tf.minimum(positions, n_frames - 1)
        indices = tf.where(spread_out, evenly_spaced, in_order)
        mask = tf.cast(tf.logical_or(spread_out, positions < n_frames), tf.float32)
        return tf.gather(points, indices) * mask[:, None, None], mask

    def get_config(self) -> dict:
        return {**super().get_config(), "max_frames": self.max_frames, "anchor": self.anchor,
                "correct_aspect": self.correct_aspect, "groups": list(self.layout.groups),
                "depth": self.layout.depth, "hand_shape": self.layout.hand_shape,
                "hand_frame": self.hand_frame,
                "fill_hand_gaps": self.fill_hand_gaps, "fill_along": self.fill_along,
                "stretch_short": self.stretch_short}


def palm_frame(local: tf.Tensor) -> tf.Tensor:
    """Hand points relative to the wrist, `[n, 21, 2 or 3]`, in the palm's own axes and units:
    up from the wrist to the middle knuckle, across from the pinky's knuckle to the index's, and
    (with depth) out of the palm; the palm (wrist to middle knuckle) is 1 long. The same hand
    turned any way gives the same values; NaN where the palm cannot be measured."""
    def length_of(vector: tf.Tensor) -> tf.Tensor:
        length = tf.norm(vector, axis=-1, keepdims=True)
        return tf.where(length > 1e-6, length, float("nan"))

    def along(axis: tf.Tensor) -> tf.Tensor:
        return tf.reduce_sum(local * axis[:, None], axis=-1)

    palm = local[:, HAND_MIDDLE_KNUCKLE]
    palm_length = length_of(palm)  # [n, 1]
    up = palm / palm_length
    if local.shape[-1] == 2:  # in the picture: across is up turned by 90 degrees
        axes = [tf.stack([up[:, 1], -up[:, 0]], axis=-1), up]
    else:
        across = local[:, HAND_INDEX_KNUCKLE] - local[:, HAND_PINKY_KNUCKLE]
        across -= tf.reduce_sum(across * up, -1, keepdims=True) * up
        across /= length_of(across)
        # across x up, written out: tf.linalg.cross has no TFLite builtin.
        out = tf.stack([across[:, 1] * up[:, 2] - across[:, 2] * up[:, 1],
                        across[:, 2] * up[:, 0] - across[:, 0] * up[:, 2],
                        across[:, 0] * up[:, 1] - across[:, 1] * up[:, 0]], axis=-1)
        axes = [across, up, out]
    return tf.stack([along(axis) for axis in axes], axis=-1) / palm_length[:, None]


def bone_directions(hand: tf.Tensor) -> tf.Tensor:
    """Hand points `[n, 21, channels]` -> each point's bone (from the joint it starts at) as a
    unit vector; NaN for the wrist, which has no bone, and where a bone has no length."""
    bones = hand - tf.gather(hand, HAND_BONE_STARTS, axis=1)
    length = tf.norm(bones, axis=-1, keepdims=True)
    return bones / tf.where(length > 1e-6, length, float("nan"))


def fill_gaps(part: tf.Tensor, most: int, guide: tf.Tensor | None = None) -> tf.Tensor:
    """`part` `[n, points, channels]` with each run of at most `most` frames where it was not
    seen (NaN), between two frames where it was, filled along the straight line between those
    two frames. Runs at the start or end, and longer ones, stay NaN.

    With a `guide` (`[n, 2]`, x and y of a point that moves with the part and is seen more
    often, such as the pose's wrist for a hand), each filled frame is also moved by as much as
    the guide strays from its own straight line there (not where the guide is NaN)."""
    seen = LandmarkPreprocessing._frames_with(part)
    n_frames = tf.shape(part)[0]
    frame = tf.range(n_frames)
    row, column = frame[:, None], frame[None, :]
    # For every frame, the last frame at or before it, and the first at or after it, with the
    # part seen (-1 and n_frames where there is none).
    before = tf.reduce_max(tf.where((column <= row) & seen[None], column, -1), axis=1)
    after = tf.reduce_min(tf.where((column >= row) & seen[None], column, n_frames), axis=1)
    filled = (~seen & (before >= 0) & (after < n_frames)
              & (after - before - 1 <= most))
    start = tf.gather(part, tf.maximum(before, 0))
    end = tf.gather(part, tf.minimum(after, n_frames - 1))
    span = tf.cast(tf.maximum(after - before, 1), part.dtype)
    weight = (tf.cast(frame - before, part.dtype) / span)[:, None, None]
    line = start + (end - start) * weight
    if guide is not None:
        guide_line = tf.gather(guide, tf.maximum(before, 0)) * (1 - weight[:, 0]) + tf.gather(
            guide, tf.minimum(after, n_frames - 1)) * weight[:, 0]
        stray = guide - guide_line  # [n, 2]
        stray = tf.where(tf.math.is_finite(stray), stray, 0.0)
        stray = tf.pad(stray, [[0, 0], [0, part.shape[-1] - 2]])  # depth is not moved
        line += stray[:, None, :]
    return tf.where(filled[:, None, None], line, part)


def preprocessing_layer(config: PreprocessConfig) -> LandmarkPreprocessing:
    return LandmarkPreprocessing(**config.layer_settings())


def preprocess_sequences(
    sequences: list[np.ndarray] | object, config: PreprocessConfig
) -> tuple[np.ndarray, np.ndarray]:
    """Run LandmarkPreprocessing over many sequences: features `[N, T, points, channels]`,
    masks `[N, T]`.

    Sequences may be raw `[n, 543, 3]` frames or the cached rows `[n, 148, 3]`.
    """
    max_frames, layout = config.max_frames, config.layout()
    layer = preprocessing_layer(config)
    runners = {
        rows: tf.function(call, input_signature=[tf.TensorSpec([None, rows, 3], tf.float32)])
        for rows, call in ((ROWS_PER_FRAME, layer.call), (CACHED_POINTS, layer.from_cached_rows))
    }
    features, masks = [], []
    for sequence in sequences:
        feature, mask = runners[sequence.shape[1]](tf.constant(sequence, tf.float32))
        features.append(feature.numpy())
        masks.append(mask.numpy())
    if not features:
        return (
            np.zeros((0, max_frames, layout.points, layout.channels), np.float32),
            np.zeros((0, max_frames), np.float32),
        )
    return np.stack(features), np.stack(masks)
