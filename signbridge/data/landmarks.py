"""The MediaPipe Holistic landmark layout of the ISLR competition: one source of truth.

Every frame has 543 rows in a fixed order: face (468), left_hand (21), pose (33), right_hand (21).
"""

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np

PART_SIZES: dict[str, int] = {"face": 468, "left_hand": 21, "pose": 33, "right_hand": 21}
PARTS: tuple[str, ...] = tuple(PART_SIZES)
ROWS_PER_FRAME = sum(PART_SIZES.values())  # 543
COORDINATES: tuple[str, ...] = ("x", "y", "z")


def _part_starts() -> dict[str, int]:
    starts, offset = {}, 0
    for part, size in PART_SIZES.items():
        starts[part] = offset
        offset += size
    return starts


PART_START: dict[str, int] = _part_starts()


def part_rows(part: str) -> np.ndarray:
    """Row indices (0..542) of one part within a frame."""
    return np.arange(PART_START[part], PART_START[part] + PART_SIZES[part])


# Per-row `type` and `landmark_index` of one frame, in canonical order.
FRAME_TYPES: np.ndarray = np.concatenate([[p] * n for p, n in PART_SIZES.items()])
FRAME_LANDMARK_INDEX: np.ndarray = np.concatenate([np.arange(n) for n in PART_SIZES.values()])

# Pose landmarks used by the model: the face reference points (nose, eyes, ears, mouth) and the
# upper body down to the hands (shoulders, elbows, wrists, finger tips). Hips and legs are off-frame.
POSE_UPPER_BODY: np.ndarray = np.arange(0, 23)
# Left/right pairs among POSE_UPPER_BODY, swapped when a sequence is mirrored.
POSE_MIRROR_PAIRS: tuple[tuple[int, int], ...] = (
    (1, 4), (2, 5), (3, 6), (7, 8), (9, 10), (11, 12),
    (13, 14), (15, 16), (17, 18), (19, 20), (21, 22),
)
HAND_SIZE = PART_SIZES["left_hand"]
HANDS: tuple[str, ...] = ("left_hand", "right_hand")
HAND_WRIST, HAND_MIDDLE_KNUCKLE = 0, 9
HAND_INDEX_KNUCKLE, HAND_PINKY_KNUCKLE = 5, 17
# The joint each hand point's bone starts from (the wrist's own: itself): thumb 1-4, index 5-8,
# middle 9-12, ring 13-16, pinky 17-20, each finger's first bone from the wrist.
HAND_BONE_STARTS: tuple[int, ...] = (0, 0, 1, 2, 3, 0, 5, 6, 7, 0, 9, 10, 11, 0, 13, 14, 15,
                                     0, 17, 18, 19)
# Pose points (indices into the 33-point pose) that anchor the body and the face.
POSE_NOSE, POSE_LEFT_EYE, POSE_RIGHT_EYE = 0, 2, 5
POSE_MOUTH = (9, 10)
POSE_SHOULDERS = (11, 12)
# The pose's wrist for each hand (the competition's left_hand sits at pose point 15).
POSE_WRISTS = {"left_hand": 15, "right_hand": 16}
# Width of the eyes over their height above the mouth, in the competition's recordings (median
# over the 17 signers of the ISLR sample: 1.26; 0.51 in landscape web videos). Frames from other
# cameras are stretched vertically until their face has these proportions.
FACE_ASPECT = 1.26

# Face-mesh contours (indices into the 468 face points) as closed chains; "left"/"right" are the
# signer's. The renderer draws them; the optional feature groups below are made of them.
FACE_OVAL: tuple[int, ...] = (
    10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377,
    152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109,
)
# Each lip loop starts at the right corner and runs along the lower lip to the left corner.
LIPS_OUTER: tuple[int, ...] = (
    61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 409, 270, 269, 267, 0, 37, 39, 40, 185,
)
LIPS_INNER: tuple[int, ...] = (
    78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308, 415, 310, 311, 312, 13, 82, 81, 80, 191,
)
# Each eye loop starts at the outer corner, so point k of one eye mirrors point k of the other.
RIGHT_EYE: tuple[int, ...] = (
    33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246,
)
LEFT_EYE: tuple[int, ...] = (
    263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466,
)
RIGHT_BROW: tuple[int, ...] = (46, 53, 52, 65, 55, 107, 66, 105, 63, 70)  # lower edge, upper edge
LEFT_BROW: tuple[int, ...] = (276, 283, 282, 295, 285, 336, 296, 334, 293, 300)
NOSE_RIDGE: tuple[int, ...] = (168, 6, 197, 195, 5, 4)  # on the midline, top to tip
NOSTRILS: tuple[int, ...] = (98, 97, 2, 326, 327)  # right to left


def _loop_mirror(size: int) -> list[int]:
    """Mirror of a symmetric closed loop that starts at one corner (its other corner is half way
    round): point k and point size/2 - k are each other's mirror image."""
    return [(size // 2 - k) % size for k in range(size)]


# Face groups a model may add to its features (`preprocess.groups`): their face-mesh points and,
# for each point, the position of its mirror image within the group.
FACE_GROUPS: dict[str, tuple[int, ...]] = {
    "lips": LIPS_OUTER + LIPS_INNER,
    "eyes": RIGHT_EYE + LEFT_EYE,
    "nose": NOSE_RIDGE + NOSTRILS,
}
FACE_GROUP_MIRRORS: dict[str, tuple[int, ...]] = {
    "lips": tuple(_loop_mirror(20) + [20 + k for k in _loop_mirror(20)]),
    "eyes": tuple(list(range(16, 32)) + list(range(16))),
    "nose": tuple(list(range(6)) + [6 + 4 - k for k in range(5)]),
}

# Landmark groups kept in the shard cache, in this order: the pose's upper body and both hands,
# which every model reads, then the optional face groups.
CORE_PARTS: dict[str, int] = {
    "pose": len(POSE_UPPER_BODY),
    "left_hand": HAND_SIZE,
    "right_hand": HAND_SIZE,
}
CACHED_PARTS: dict[str, int] = {**CORE_PARTS, **{g: len(p) for g, p in FACE_GROUPS.items()}}
CACHED_POINTS = sum(CACHED_PARTS.values())  # 148


def cached_rows() -> np.ndarray:
    """Rows (0..542) kept in the shard cache, in `CACHED_PARTS` order."""
    face = PART_START["face"]
    return np.concatenate([PART_START["pose"] + POSE_UPPER_BODY, part_rows("left_hand"),
                           part_rows("right_hand")]
                          + [face + np.array(points) for points in FACE_GROUPS.values()])


def expand_cached_rows(points: np.ndarray) -> np.ndarray:
    """Put `[n, 148, 3]` cached rows back into a NaN-filled `[n, 543, 3]` frame (a model's input)."""
    frames = np.full((len(points), ROWS_PER_FRAME, points.shape[-1]), np.nan, np.float32)
    frames[:, cached_rows()] = points
    return frames


def _slices(parts: dict[str, int]) -> dict[str, slice]:
    slices, offset = {}, 0
    for part, size in parts.items():
        slices[part] = slice(offset, offset + size)
        offset += size
    return slices


def cached_part_slices() -> dict[str, slice]:
    """Where each group sits along the point axis of the cached rows."""
    return _slices(CACHED_PARTS)


@dataclass(frozen=True)
class FeatureLayout:
    """What a model reads: the core parts plus optional face groups, with or without depth (z)."""

    groups: tuple[str, ...] = ()
    depth: bool = False
    hand_shape: bool = False  # each hand also seen from its wrist, at its own size

    def __post_init__(self) -> None:
        unknown = sorted(set(self.groups) - set(FACE_GROUPS))
        if unknown:
            raise ValueError(f"unknown landmark group(s) {unknown}; choose from {list(FACE_GROUPS)}")
        # Canonical order, so equal choices give equal layouts (and equal models).
        object.__setattr__(self, "groups", tuple(g for g in FACE_GROUPS if g in self.groups))

    @property
    def landmark_parts(self) -> dict[str, int]:
        """The parts read from the cached rows."""
        return {**CORE_PARTS, **{g: CACHED_PARTS[g] for g in self.groups}}

    @property
    def parts(self) -> dict[str, int]:
        """Every part the model embeds: the landmark parts, then the hands' shapes."""
        shapes = {f"{hand}_shape": HAND_SIZE for hand in HANDS} if self.hand_shape else {}
        return {**self.landmark_parts, **shapes}

    @property
    def points(self) -> int:
        return sum(self.parts.values())

    @property
    def channels(self) -> int:
        """Position and frame-to-frame motion: x, y (, z), dx, dy (, dz)."""
        return 6 if self.depth else 4

    def slices(self) -> dict[str, slice]:
        """Where each part sits along the point axis of the preprocessed features."""
        return _slices(self.parts)


def pose_mirror_permutation() -> np.ndarray:
    """Permutation of POSE_UPPER_BODY positions that swaps body sides."""
    permutation = np.arange(len(POSE_UPPER_BODY))
    for left, right in POSE_MIRROR_PAIRS:
        permutation[left], permutation[right] = right, left
    return permutation


@cache
def sign_to_index() -> dict[str, int]:
    """The competition's 250 signs mapped to the model's output index."""
    text = resources.files("signbridge.resources").joinpath("sign_to_prediction_index_map.json")
    mapping = json.loads(text.read_text())
    return dict(sorted(mapping.items(), key=lambda item: item[1]))


@cache
def index_to_sign() -> tuple[str, ...]:
    """Sign name for each model output index (250 entries)."""
    return tuple(sign_to_index())


NUM_SIGNS = 250
