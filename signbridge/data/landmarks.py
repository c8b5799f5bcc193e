"""The MediaPipe Holistic landmark layout of the ISLR competition: one source of truth.

Every frame has 543 rows in a fixed order: face (468), left_hand (21), pose (33), right_hand (21).
"""

import json
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
# Pose points (indices into the 33-point pose) that anchor the body and the face.
POSE_NOSE, POSE_LEFT_EYE, POSE_RIGHT_EYE = 0, 2, 5
POSE_MOUTH = (9, 10)
POSE_SHOULDERS = (11, 12)

# Landmark groups the model embeds separately, in feature order.
MODEL_PARTS: dict[str, int] = {
    "pose": len(POSE_UPPER_BODY),
    "left_hand": HAND_SIZE,
    "right_hand": HAND_SIZE,
}
MODEL_POINTS = sum(MODEL_PARTS.values())  # 65


def model_rows() -> np.ndarray:
    """Rows (0..542) the model reads, in feature order: pose upper body, left hand, right hand."""
    return np.concatenate([PART_START["pose"] + POSE_UPPER_BODY, part_rows("left_hand"),
                           part_rows("right_hand")])


def expand_model_rows(points: np.ndarray) -> np.ndarray:
    """Put `[n, 65, 3]` model rows back into a NaN-filled `[n, 543, 3]` frame (the model's input)."""
    frames = np.full((len(points), ROWS_PER_FRAME, points.shape[-1]), np.nan, np.float32)
    frames[:, model_rows()] = points
    return frames


def model_part_slices() -> dict[str, slice]:
    """Where each model part sits along the point axis of the preprocessed features."""
    slices, offset = {}, 0
    for part, size in MODEL_PARTS.items():
        slices[part] = slice(offset, offset + size)
        offset += size
    return slices


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
