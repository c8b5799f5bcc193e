"""Counterexamples: known signs changed into signs the model does not know, for "not sure".

A sign is its handshape, palm orientation, location, movement and the use of the hands; change
one of them and it is another sign. So a model that knows only a few signs is shown, next to
each real example, a copy with one of them changed, and taught to spread its answer evenly over
the signs it knows ("outlier exposure"). Its confidence then drops on signing it was not trained
on, and the acceptance rule can say "not sure". Works on the model rows `[n, points, 3]` inside tf.data.
"""

import functools
import math
from collections.abc import Sequence

import tensorflow as tf

from signbridge.data.landmarks import POSE_SHOULDERS, cached_part_slices
from signbridge.model.augment import replace_rows, shoulder_width

# Hand points (MediaPipe 21-point hand): finger joints above each knuckle, and the knuckles.
FINGER_JOINTS = ((6, 7, 8), (10, 11, 12), (14, 15, 16), (18, 19, 20))  # index .. pinky
KNUCKLES = (5, 9, 13, 17)
FINGER_BASES = (5, 9, 13, 17)  # the knuckles the fingers turn about when spread
MIN_STILL_FRAMES = 4  # frames with a hand before "still" can freeze it


def counterexample(points: tf.Tensor, changes: Sequence[str] | None = None) -> tf.Tensor:
    """A copy of `[n, points, 3]` with one of the named `changes` (keys of `CHANGES`; all of
    them by default), drawn evenly, made to it."""
    points = tf.cast(points, tf.float32)
    chosen = [CHANGES[name] for name in (changes or CHANGES)]
    change = tf.random.uniform([], 0, len(chosen), tf.int32)
    return tf.switch_case(change, [functools.partial(made, points) for made in chosen])


def _hands(points: tf.Tensor) -> tuple[slice, slice, tf.Tensor]:
    """Left and right hand rows, and whether the left one is the signing (more often seen) hand."""
    parts = cached_part_slices()
    left, right = parts["left_hand"], parts["right_hand"]
    seen = [tf.reduce_sum(tf.cast(tf.reduce_any(tf.math.is_finite(points[:, rows, 0]), 1),
                                  tf.int32)) for rows in (left, right)]
    return left, right, seen[0] > seen[1]


def _for_dominant(points: tf.Tensor, change) -> tf.Tensor:
    left, right, left_dominant = _hands(points)
    return tf.cond(left_dominant,
                   lambda: replace_rows(points, left, change(points[:, left])),
                   lambda: replace_rows(points, right, change(points[:, right])))


def _move_elsewhere(points: tf.Tensor) -> tf.Tensor:
    """Both hands shifted by 0.8-1.6 shoulder widths: the same motion at another place."""
    angle = tf.random.uniform([], 0.0, 2 * math.pi)
    distance = tf.random.uniform([], 0.8, 1.6) * shoulder_width(points)
    offset = tf.stack([tf.cos(angle), tf.sin(angle), 0.0]) * distance
    parts = cached_part_slices()
    for hand in ("left_hand", "right_hand"):
        points = replace_rows(points, parts[hand], points[:, parts[hand]] + offset)
    return points


def _curl(hand: tf.Tensor) -> tf.Tensor:
    """Two to four fingers folded towards their knuckles; `hand` is `[n, 21, 3]`."""
    bent = tf.random.shuffle(tf.range(4))[: tf.random.uniform([], 2, 5, tf.int32)]
    amount = tf.random.uniform([], 0.15, 0.45)
    columns = tf.unstack(hand, axis=1)
    for finger, joints in enumerate(FINGER_JOINTS):
        is_bent = tf.reduce_any(tf.equal(bent, finger))
        knuckle = columns[KNUCKLES[finger]]
        for joint in joints:
            columns[joint] = tf.where(is_bent, knuckle + (columns[joint] - knuckle) * amount,
                                      columns[joint])
    return tf.stack(columns, axis=1)


def _claw(hand: tf.Tensor) -> tf.Tensor:
    """Every finger bent at its middle joint: the ends drawn back towards it."""
    amount = tf.random.uniform([], 0.2, 0.5)
    columns = tf.unstack(hand, axis=1)
    for middle_joint, end_joint, tip in FINGER_JOINTS:
        bend = columns[middle_joint]
        columns[end_joint] = bend + (columns[end_joint] - bend) * amount
        columns[tip] = bend + (columns[tip] - bend) * amount
    return tf.stack(columns, axis=1)


def _spread(hand: tf.Tensor) -> tf.Tensor:
    """Fingers fanned apart about their knuckles (a 5-hand instead of a flat hand)."""
    angle = tf.random.uniform([], 12.0, 25.0) * math.pi / 180
    columns = tf.unstack(hand, axis=1)
    for step, (base, joints) in zip((-1.5, -0.5, 0.5, 1.5), zip(FINGER_BASES, FINGER_JOINTS,
                                                                strict=True), strict=True):
        cos, sin = tf.cos(angle * step), tf.sin(angle * step)
        for joint in joints:
            offset = columns[joint][:, :2] - columns[base][:, :2]
            turned = tf.stack([offset[:, 0] * cos - offset[:, 1] * sin,
                               offset[:, 0] * sin + offset[:, 1] * cos], axis=-1)
            columns[joint] = tf.concat([columns[base][:, :2] + turned, columns[joint][:, 2:]], -1)
    return tf.stack(columns, axis=1)


def _turn_palm(hand: tf.Tensor) -> tf.Tensor:
    """The hand mirrored about its wrist: the palm faces the other way."""
    wrist = hand[:, :1]
    return tf.concat([2 * wrist[..., :1] - hand[..., :1], hand[..., 1:2], -hand[..., 2:]], -1)


def _held_still(points: tf.Tensor) -> tf.Tensor:
    """The hands frozen in one of the frames they were seen in, the body moving on. A hand seen
    in fewer than `MIN_STILL_FRAMES` frames barely moves even in the real sign (the model reads
    only frames with a hand), so such a clip is moved elsewhere instead: frozen, it would be the
    real sign taught as "not sure"."""
    parts = cached_part_slices()
    hands = tf.concat([points[:, parts["left_hand"]], points[:, parts["right_hand"]]], 1)
    seen = tf.reduce_any(tf.math.is_finite(hands[..., 0]), axis=1)
    frames = tf.cast(tf.where(seen)[:, 0], tf.int32)
    return tf.cond(tf.size(frames) >= MIN_STILL_FRAMES,
                   lambda: _frozen(points, frames), lambda: _move_elsewhere(points))


def _frozen(points: tf.Tensor, frames: tf.Tensor) -> tf.Tensor:
    parts = cached_part_slices()
    still = tf.gather(frames, tf.random.uniform([], 0, tf.size(frames), tf.int32))
    for hand in ("left_hand", "right_hand"):
        rows = parts[hand]
        held = tf.repeat(points[still:still + 1, rows], tf.shape(points)[0], axis=0)
        points = replace_rows(points, rows, held)
    return points


def _add_second_hand(points: tf.Tensor) -> tf.Tensor:
    """The other hand doing the mirror image of the signing hand: a two-handed sign."""
    left, right, left_dominant = _hands(points)
    pose = cached_part_slices()["pose"]
    shoulders = tf.gather(points[:, pose, 0], list(POSE_SHOULDERS), axis=1)
    middle = tf.reduce_mean(tf.boolean_mask(shoulders, tf.math.is_finite(shoulders)))
    middle = tf.where(tf.math.is_finite(middle), middle, 0.5)

    def mirrored(rows: slice) -> tf.Tensor:
        hand = points[:, rows]
        return tf.concat([2 * middle - hand[..., :1], hand[..., 1:]], axis=-1)

    return tf.cond(left_dominant,
                   lambda: replace_rows(points, right, mirrored(left)),
                   lambda: replace_rows(points, left, mirrored(right)))


# What a counterexample may change, by name (`training.counterexamples` in the configs).
CHANGES = {
    "location": _move_elsewhere,
    "curl": lambda points: _for_dominant(points, _curl),  # a fist, a point, a V
    "claw": lambda points: _for_dominant(points, _claw),
    "spread": lambda points: _for_dominant(points, _spread),
    "palm": lambda points: _for_dominant(points, _turn_palm),
    "reverse": lambda points: tf.reverse(points, [0]),  # the movement played backwards
    "twice": lambda points: tf.concat([points, points], axis=0),  # done twice
    "still": _held_still,
    "second_hand": _add_second_hand,
}
