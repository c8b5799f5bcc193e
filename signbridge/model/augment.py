"""Random but plausible variations of landmark sequences, drawn afresh for every epoch in tf.data.

Works on the cached model rows `[n, points, 3]` (NaN where a part was not detected), before the
preprocessing layer, so every epoch sees new variations and nothing augmented is stored.
"""

import math

import tensorflow as tf

from signbridge.config import AugmentConfig
from signbridge.data.landmarks import (
    HAND_MIDDLE_KNUCKLE,
    HAND_SIZE,
    HAND_WRIST,
    HANDS,
    POSE_SHOULDERS,
    cached_part_slices,
)

POSE_ARM_ENDS = tuple(range(15, 23))  # the pose's wrists and hand points, moved with the hands


def augment_points(points: tf.Tensor, config: AugmentConfig) -> tf.Tensor:
    """One variation of `[n, points, 3]`: the hands moved against the body or reshaped, affine
    x/y (with an aspect change), speed, short clips, dropouts."""
    points = tf.cast(points, tf.float32)
    if config.hand_shift:
        points = shift_hands(points, config.hand_shift)
    if config.hand_jitter:
        points = jitter_hands(points, config.hand_jitter)
    xy, z = points[..., :2], points[..., 2:]

    angle = tf.random.uniform([], -1.0, 1.0) * config.rotate_degrees * math.pi / 180
    scale = 1.0 + tf.random.uniform([], -1.0, 1.0) * config.scale
    # Cameras differ in aspect ratio: stretch y against x a little.
    aspect = tf.exp(tf.random.uniform([], -1.0, 1.0) * math.log(1.0 + config.aspect))
    cos, sin = tf.cos(angle), tf.sin(angle)
    rotation = tf.stack([tf.stack([cos, -sin]), tf.stack([sin, cos])]) * scale
    stretch = tf.stack([1.0, aspect])
    shift = tf.random.uniform([2], -config.shift, config.shift)
    centre = tf.constant([0.5, 0.5])
    xy = tf.tensordot(xy - centre, tf.transpose(rotation), axes=1) * stretch + centre + shift
    points = tf.concat([xy, z], axis=-1)

    n_frames = tf.shape(points)[0]
    speed = tf.random.uniform([], config.min_speed, config.max_speed)
    length = tf.maximum(1, tf.cast(tf.round(tf.cast(n_frames, tf.float32) / speed), tf.int32))
    positions = tf.cast(tf.round(tf.cast(tf.range(length), tf.float32) * speed), tf.int32)
    points = tf.gather(points, tf.minimum(positions, n_frames - 1))

    if config.short_clip:
        points = tf.cond(tf.random.uniform([]) < config.short_clip,
                         lambda: _few_frames(points, config.short_clip_frames), lambda: points)

    kept = tf.random.uniform([tf.shape(points)[0]]) >= config.frame_dropout
    points = tf.cond(tf.reduce_any(kept), lambda: tf.boolean_mask(points, kept), lambda: points)

    parts = cached_part_slices()
    for hand in ("left_hand", "right_hand"):
        missed = tf.random.uniform([]) < config.part_dropout  # as if MediaPipe missed this hand
        points = _hide(points, parts[hand], tf.fill([tf.shape(points)[0]], missed))
    if config.hand_gaps:
        points = hand_gaps(points, config.hand_gaps)
    return points


def hand_gaps(points: tf.Tensor, most: float) -> tf.Tensor:
    """Hide each hand in some frames, each frame with a chance drawn up to `most` per sequence:
    MediaPipe often misses a hand for a few frames, and the sign is still the sign."""
    parts = cached_part_slices()
    for hand in ("left_hand", "right_hand"):
        gaps = tf.random.uniform([tf.shape(points)[0]]) < tf.random.uniform([], 0.0, most)
        points = _hide(points, parts[hand], gaps)
    return points


def shoulder_width(points: tf.Tensor) -> tf.Tensor:
    """Mean distance between the shoulders in x over `[n, points, 3]` (0.2 if never seen)."""
    pose = cached_part_slices()["pose"]
    shoulders = tf.gather(points[:, pose, 0], list(POSE_SHOULDERS), axis=1)
    width = tf.abs(shoulders[:, 0] - shoulders[:, 1])
    width = tf.boolean_mask(width, tf.math.is_finite(width))
    return tf.cond(tf.size(width) > 0, lambda: tf.reduce_mean(width), lambda: tf.constant(0.2))


def shift_hands(points: tf.Tensor, most: float) -> tf.Tensor:
    """Both hands, with the pose's wrists and hand points, moved together by up to `most`
    shoulder widths in x and y: one signer signs a little higher, lower or wider than another.
    (A counterexample moves them 0.8-1.6 shoulder widths: another sign.)"""
    parts = cached_part_slices()
    rows = [*range(parts["left_hand"].start, parts["left_hand"].stop),
            *range(parts["right_hand"].start, parts["right_hand"].stop),
            *(parts["pose"].start + i for i in POSE_ARM_ENDS)]
    moved = tf.scatter_nd([[row] for row in rows], tf.ones([len(rows)]), [tf.shape(points)[1]])
    offset = tf.random.uniform([2], -most, most) * shoulder_width(points)
    return points + moved[None, :, None] * tf.concat([offset, [0.0]], 0)[None, None, :]


def jitter_hands(points: tf.Tensor, most: float) -> tf.Tensor:
    """Each hand point but the wrist moved by an offset of its own, the same in every frame, of
    up to `most` palm lengths (wrist to middle knuckle) in x and y: another hand, or another
    signer's landmarks, with the same sign."""
    parts = cached_part_slices()
    for hand in HANDS:
        rows = parts[hand]
        values = points[:, rows]
        palms = tf.norm(values[:, HAND_MIDDLE_KNUCKLE, :2] - values[:, HAND_WRIST, :2], axis=-1)
        palms = tf.boolean_mask(palms, tf.math.is_finite(palms))
        palm = tf.cond(tf.size(palms) > 0, lambda p=palms: tf.reduce_mean(p),
                       lambda: tf.constant(0.0))
        offsets = tf.random.uniform([HAND_SIZE, 2], -most, most) * palm
        offsets *= tf.one_hot(HAND_WRIST, HAND_SIZE, 0.0, 1.0)[:, None]  # the wrist stays
        moved = values + tf.pad(offsets, [[0, 0], [0, 1]])[None]
        points = replace_rows(points, rows, moved)
    return points


def replace_rows(points: tf.Tensor, rows: slice, values: tf.Tensor) -> tf.Tensor:
    """`points` `[n, points, 3]` with its `rows` replaced by `values`."""
    return tf.concat([points[:, :rows.start], values, points[:, rows.stop:]], axis=1)


def _few_frames(points: tf.Tensor, most: int) -> tf.Tensor:
    """2 to `most` frames spread evenly over the sequence, as in a short or low-rate recording."""
    n_frames = tf.shape(points)[0]
    count = tf.minimum(n_frames, tf.random.uniform([], 2, most + 1, tf.int32))
    positions = tf.cast(tf.round(tf.linspace(0.0, tf.cast(n_frames - 1, tf.float32), count)),
                        tf.int32)
    return tf.gather(points, positions)


def _hide(points: tf.Tensor, rows: slice, frames: tf.Tensor) -> tf.Tensor:
    """`rows` of `[n, points, 3]` set to NaN (not detected) in the frames where `frames` [n] is
    true."""
    n_points = tf.shape(points)[1]
    in_rows = (tf.range(n_points) >= rows.start) & (tf.range(n_points) < rows.stop)
    hidden = frames[:, None] & in_rows[None, :]
    return tf.where(hidden[..., None], tf.constant(float("nan")), points)
