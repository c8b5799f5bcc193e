"""Handshapes the model knows: a check, independent of the network, that the signing hand takes
shapes seen in the signs the model was trained on.

A model trained on two flat-hand signs answers from where the hand is and how it moves; a fist or
a spread hand at the same place can still get a confident answer. So the package carries a
sample of the training signers' handshapes, and a clip whose hand is, most of the time, further
from all of them than nearly every known-sign clip of an unseen signer is "not sure".

A handshape is described per frame by angles and distances that do not depend on where the hand
is, how large it is or how it is turned in the picture: the bend at each joint of the five
fingers, the spread between neighbouring fingers, and where the thumb tip is against the index
and little finger knuckles and the index tip. Two ways to compare (a bank's `descriptor`):

- "frames-2d": angles in the picture (x, y); each frame's nearest known handshape, median over
  the frames (the first check; packages without a `descriptor` hold it);
- "clip-3d": angles in space (x, y and MediaPipe's depth z, so a finger bent towards the camera
  is bent), averaged over the clip and compared with the known clips' averages.

Numpy only (serving has no TensorFlow).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

from signbridge.data.landmarks import (
    FACE_ASPECT,
    HAND_MIDDLE_KNUCKLE,
    HAND_WRIST,
    HANDS,
    PART_START,
    POSE_LEFT_EYE,
    POSE_MOUTH,
    POSE_RIGHT_EYE,
)

# Joint chains from the wrist (0) to each finger tip (MediaPipe's 21-point hand).
CHAINS = ((0, 1, 2, 3, 4), (0, 5, 6, 7, 8), (0, 9, 10, 11, 12), (0, 13, 14, 15, 16),
          (0, 17, 18, 19, 20))
NEIGHBOURS = ((5, 9), (9, 13), (13, 17))  # knuckles of neighbouring fingers
INDEX_KNUCKLE, LITTLE_KNUCKLE, THUMB_TIP, INDEX_TIP = 5, 17, 4, 8
BANK_SIZE = 512  # handshapes kept in a model package
DESCRIPTORS = 21  # 15 joint bends, 3 spreads, 3 thumb distances
MIN_FRAMES = 3  # fewer frames with a whole hand say too little about its shape
Descriptor = Literal["frames-2d", "clip-3d"]


def _angle(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    cos = (u * v).sum(-1) / np.maximum(np.linalg.norm(u, axis=-1) * np.linalg.norm(v, axis=-1),
                                       1e-9)
    return np.arccos(np.clip(cos, -1.0, 1.0))


def describe(hands: np.ndarray) -> np.ndarray:
    """`[m, 21, 2 or 3]` hands (x, y in equal units; z) -> `[m, DESCRIPTORS]` descriptors."""
    columns = []
    for chain in CHAINS:
        for before, joint, after in zip(chain, chain[1:], chain[2:], strict=False):
            columns.append(_angle(hands[:, before] - hands[:, joint],
                                  hands[:, after] - hands[:, joint]))
    for first, second in NEIGHBOURS:
        columns.append(_angle(hands[:, first + 3] - hands[:, first],
                              hands[:, second + 3] - hands[:, second]))
    palm = np.linalg.norm(hands[:, HAND_MIDDLE_KNUCKLE] - hands[:, HAND_WRIST], axis=-1)
    palm = np.maximum(palm, 1e-9)
    for point in (INDEX_KNUCKLE, LITTLE_KNUCKLE, INDEX_TIP):
        columns.append(np.linalg.norm(hands[:, THUMB_TIP] - hands[:, point], axis=-1) / palm)
    return np.stack(columns, axis=-1)


def face_aspect(landmarks: np.ndarray) -> float:
    """How much to stretch y so the face has the competition's proportions (1 without a face);
    the same correction the model's preprocessing makes."""
    pose = landmarks[:, PART_START["pose"]:PART_START["pose"] + 33, :2]
    width = np.abs(pose[:, POSE_LEFT_EYE, 0] - pose[:, POSE_RIGHT_EYE, 0])
    eyes = (pose[:, POSE_LEFT_EYE, 1] + pose[:, POSE_RIGHT_EYE, 1]) / 2
    height = np.abs((pose[:, POSE_MOUTH[0], 1] + pose[:, POSE_MOUTH[1], 1]) / 2 - eyes)
    usable = np.isfinite(width) & np.isfinite(height)
    if not usable.any() or height[usable].sum() <= 1e-6:
        return 1.0
    return float(np.clip(width[usable].sum() / height[usable].sum() / FACE_ASPECT, 0.25, 4.0))


def handshapes(landmarks: np.ndarray, depth: bool = False) -> np.ndarray:
    """Descriptors `[m, DESCRIPTORS]` of the signing hand (the one seen in more frames) in every frame
    where it was seen whole, from x and y (and z with `depth`); `landmarks` is `[n, 543, 3]`."""
    landmarks = np.asarray(landmarks, np.float64)
    axes = 3 if depth else 2
    hands = [landmarks[:, PART_START[hand]:PART_START[hand] + 21, :axes] for hand in HANDS]
    seen = [np.isfinite(hand).all(axis=(1, 2)) for hand in hands]
    signing = int(seen[1].sum() >= seen[0].sum())
    stretch = np.array([1.0, face_aspect(landmarks), 1.0][:axes])
    hand = hands[signing][seen[signing]] * stretch
    return describe(hand) if len(hand) else np.zeros((0, DESCRIPTORS))


def compared(landmarks: np.ndarray, descriptor: Descriptor) -> np.ndarray:
    """What a bank of `descriptor` holds of one clip: each frame's descriptors, or their average
    over the clip as one row (none with fewer than MIN_FRAMES frames with a whole hand)."""
    if descriptor == "frames-2d":
        return handshapes(landmarks)
    shapes = handshapes(landmarks, depth=True)
    return shapes.mean(axis=0, keepdims=True) if len(shapes) >= MIN_FRAMES else shapes[:0]


class HandshapeBank:
    """Handshapes of known signs, and how far a clip's hand is from them."""

    def __init__(self, shapes: np.ndarray, scale: np.ndarray,
                 descriptor: Descriptor = "frames-2d") -> None:
        self.shapes = np.asarray(shapes, np.float64)  # [k, DESCRIPTORS], already divided by `scale`
        self.scale = np.asarray(scale, np.float64)  # [DESCRIPTORS]: each descriptor's spread
        self.descriptor = descriptor

    @classmethod
    def of(cls, sequences: Sequence[np.ndarray], size: int = BANK_SIZE, seed: int = 0,
           descriptor: Descriptor = "frames-2d") -> HandshapeBank:
        """A bank of at most `size` handshapes drawn evenly from `sequences` `[n, 543, 3]`."""
        return cls.of_shapes([compared(s, descriptor) for s in sequences], size, seed, descriptor)

    @classmethod
    def of_shapes(cls, shapes_per_clip: Sequence[np.ndarray], size: int = BANK_SIZE,
                  seed: int = 0, descriptor: Descriptor = "frames-2d") -> HandshapeBank:
        """The same, from each clip's rows (`compared`)."""
        shapes = np.concatenate([*shapes_per_clip, np.zeros((0, DESCRIPTORS))])
        scale = np.maximum(shapes.std(axis=0), 1e-3) if len(shapes) > 1 else np.ones(DESCRIPTORS)
        if len(shapes) > size:
            shapes = shapes[np.random.default_rng(seed).choice(len(shapes), size, replace=False)]
        return cls(shapes / scale, scale, descriptor)

    def distance(self, landmarks: np.ndarray) -> float | None:
        """How far the clip's hand is from the nearest known handshape (in descriptor spreads;
        for "frames-2d" the median over its frames); None with too few frames with a whole
        hand."""
        return self.distance_of(compared(landmarks, self.descriptor))

    def distance_of(self, shapes: np.ndarray) -> float | None:
        """The same, from a clip's rows (`compared`)."""
        fewest = MIN_FRAMES if self.descriptor == "frames-2d" else 1
        if len(shapes) < fewest or not len(self.shapes):
            return None
        gaps = np.linalg.norm(shapes[:, None] / self.scale - self.shapes[None], axis=-1)
        return float(np.median(gaps.min(axis=1)))

    def to_dict(self) -> dict:
        return {"shapes": np.round(self.shapes, 3).tolist(),
                "scale": np.round(self.scale, 5).tolist(), "descriptor": self.descriptor}

    @classmethod
    def from_dict(cls, values: dict) -> HandshapeBank:
        return cls(np.array(values["shapes"]), np.array(values["scale"]),
                   values.get("descriptor", "frames-2d"))


def fit_limit(sequences: Sequence[np.ndarray], signers: Sequence[str], quantile: float,
              size: int = BANK_SIZE, descriptor: Descriptor = "frames-2d",
              ) -> tuple[HandshapeBank, float, dict[str, float]]:
    """The bank of all `sequences` (known signs), and the largest distance to accept: the
    `quantile` of each signer's clips measured against a bank of the other signers (as an unseen
    signer would be), so the limit is set by signers the bank did not see."""
    signers = np.asarray(signers)
    shapes = [compared(s, descriptor) for s in sequences]  # each clip's rows, computed once
    distances = []
    for signer in np.unique(signers):
        others = HandshapeBank.of_shapes(
            [clip for clip, who in zip(shapes, signers, strict=True) if who != signer], size,
            descriptor=descriptor)
        distances += [d for clip, who in zip(shapes, signers, strict=True) if who == signer
                      and (d := others.distance_of(clip)) is not None]
    limit = float(np.quantile(distances, quantile)) if distances else float("inf")
    return (HandshapeBank.of_shapes(shapes, size, descriptor=descriptor), round(limit, 4),
            {"sequences": float(len(distances)), "signers": float(len(np.unique(signers))),
             "quantile": quantile})
