"""A performance in body-relative units: the signing hand's path, shape and palm direction.

Raw landmarks `[frames, 543, 3]` are in image units, which depend on where the signer stands, how
far from the camera and the video's (unknown) aspect ratio. `normalise` turns them into units a
learner's attempt and a reference can be compared in:

- `level`: height relative to the face, 0 = forehead, 1 = chin (~1.35 shoulders); image y only.
- `lateral`: offset from the nose, positive towards the signing hand's side, in face heights
  (shoulder width / SHOULDER_PER_FACE); image x only. Signing with the left hand, or a mirrored
  (selfie) video, gives the same trajectory as the right hand.

x and y are never mixed, so the aspect ratio of the video does not matter.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from signbridge.data.landmarks import HAND_SIZE, PART_START, POSE_MOUTH, POSE_NOSE
from signbridge.errors import SignbridgeError

SOURCE_FPS = 30.0  # reference recordings run at ~30 fps; learners are resampled to it
FACE, POSE = PART_START["face"], PART_START["pose"]
HANDS = {"left": PART_START["left_hand"], "right": PART_START["right_hand"]}
# Face-mesh points that also exist in the 33-point face of newer MediaPipe landmarkers.
MESH_NOSE, MESH_CHIN, MESH_BROWS = 1, 152, (105, 334, 107, 336)
POSE_EYES = (2, 5)
POSE_SHOULDER = {"left": 11, "right": 12}
POSE_WRIST = {"left": 15, "right": 16}
WRIST, MIDDLE_BASE = 0, 9
PALM = (0, 5, 9, 17)
FINGERTIPS = (4, 8, 12, 16, 20)  # thumb, index, middle, ring, little
CONTACT_TIPS = (8, 12)  # index and middle tip: what touches the forehead or chin

SHOULDER_PER_FACE = 2.0  # median shoulder width (x) / forehead-to-chin height (y) in the sample
FOREHEAD_ABOVE_BROW = 0.25  # forehead centre = brows + 0.25 x (brows - chin)
# Without a face mesh: the pose's eyes sit at level 0.37 and its mouth at 0.73 (sample medians).
POSE_EYE_LEVEL, POSE_MOUTH_LEVEL = 0.37, 0.73


@dataclass
class Trajectory:
    """A sequence trimmed to the frames with the signing hand, in face units (module doc)."""

    frames: np.ndarray  # [n] raw frame shown at each step (steps are 1/SOURCE_FPS s apart)
    observed: np.ndarray  # [n] bool: the signing hand was detected, not interpolated
    dominant: str  # MediaPipe's label of the signing hand: "left" or "right"
    tips: np.ndarray  # [n, 2] (lateral, level) of the index and middle fingertips
    palm: np.ndarray  # [n, 2] (lateral, level) of the palm centre
    extension: np.ndarray  # [n, 5] fingertip-to-wrist distance / palm size, thumb..little
    thumb_index: np.ndarray  # [n] thumb tip to index tip / palm size
    palm_normal: np.ndarray  # [n, 3] unit vector out of the back of the hand
    other: np.ndarray  # [n, 2] (lateral, level) of the other wrist, level capped at 3
    other_seen: np.ndarray  # [n] bool: the other hand was detected

    def __len__(self) -> int:
        return len(self.frames)

    @cached_property
    def velocity(self) -> np.ndarray:
        """[n, 2] palm velocity in face heights per step."""
        return np.gradient(self.palm, axis=0) if len(self) > 1 else np.zeros_like(self.palm)

    @property
    def palm_facing(self) -> np.ndarray:
        """[n] +1: the palm faces the camera; -1: it faces the signer (MediaPipe z grows away
        from the camera, and the normal points out of the back of the hand)."""
        return self.palm_normal[:, 2]

    @cached_property
    def features(self) -> dict[str, np.ndarray]:
        """Per-step features compared frame by frame, by aspect."""
        return {"location": np.column_stack([self.tips, self.palm]),
                "handshape": np.column_stack([self.extension, self.thumb_index]),
                "orientation": self.palm_normal, "movement": self.velocity,
                "other_hand": self.other}


def fill_nan(values: np.ndarray) -> np.ndarray:
    """NaN rows of `[n, ...]` interpolated along axis 0 (the nearest value at the ends)."""
    flat = values.reshape(len(values), -1).astype(np.float64)
    steps = np.arange(len(flat))
    for column in flat.T:
        known = np.isfinite(column)
        if known.any() and not known.all():
            column[:] = np.interp(steps, steps[known], column[known])
    return flat.reshape(values.shape)


def _face_anchors(raw: np.ndarray) -> tuple[np.ndarray, float, float]:
    """The nose per frame (x, y), and the forehead's offset below it and the face height, as
    medians over the sequence, so a hand in front of the face does not move them."""
    nose = raw[:, FACE + MESH_NOSE, :2].copy()
    missing = ~np.isfinite(nose).all(axis=1)
    nose[missing] = raw[missing, POSE + POSE_NOSE, :2]
    nose = fill_nan(nose)
    with warnings.catch_warnings():  # all-NaN rows (no face in a frame) are expected
        warnings.simplefilter("ignore", RuntimeWarning)
        brows = np.nanmean(raw[:, [FACE + i for i in MESH_BROWS], 1], axis=1)
        chin = raw[:, FACE + MESH_CHIN, 1]
        forehead = brows + FOREHEAD_ABOVE_BROW * (brows - chin)
        known = np.isfinite(forehead) & np.isfinite(chin) & np.isfinite(nose[:, 1])
        if known.any():
            forehead_offset = float(np.median(forehead[known] - nose[known, 1]))
            height = float(np.median(chin[known] - nose[known, 1])) - forehead_offset
        else:  # no face mesh in any frame: the pose's eyes and mouth instead
            eyes = np.nanmean(raw[:, [POSE + i for i in POSE_EYES], 1], axis=1)
            mouth = np.nanmean(raw[:, [POSE + i for i in POSE_MOUTH], 1], axis=1)
            height = float(np.nanmedian(mouth - eyes)) / (POSE_MOUTH_LEVEL - POSE_EYE_LEVEL)
            forehead_offset = float(np.nanmedian(eyes - POSE_EYE_LEVEL * height - nose[:, 1]))
    if not (np.isfinite(height) and height > 0 and np.isfinite(forehead_offset)):
        raise SignbridgeError("your face was not found in the clip; keep your whole face and "
                              "shoulders in view")
    return nose, forehead_offset, height


def normalise(raw: np.ndarray, fps: float = SOURCE_FPS) -> Trajectory:
    """Raw landmarks `[frames, 543, 3]` recorded at `fps` as a `Trajectory` at SOURCE_FPS.

    The signing hand is the one detected in more frames; frames without it at the start and end
    are dropped and its gaps in between interpolated. Raises SignbridgeError with a sentence for
    the learner when there is no hand, face or shoulders to measure.
    """
    raw = np.asarray(raw, dtype=np.float64)
    if raw.ndim != 3 or raw.shape[1:] != (543, 3):
        raise SignbridgeError(f"landmarks must be shaped [frames, 543, 3], got {list(raw.shape)}")
    seen = {side: np.isfinite(raw[:, start:start + HAND_SIZE, :2]).all(axis=(1, 2))
            for side, start in HANDS.items()}
    dominant = "left" if seen["left"].sum() > seen["right"].sum() else "right"
    other_side = "right" if dominant == "left" else "left"
    hits = np.flatnonzero(seen[dominant])
    if len(hits) == 0:
        raise SignbridgeError("no hand was seen in the clip; keep your signing hand in view, "
                              "in good light, and try again")
    kept = np.arange(hits[0], hits[-1] + 1)
    raw = raw[kept]
    nose, forehead_offset, face_height = _face_anchors(raw)

    shoulders = raw[:, [POSE + POSE_SHOULDER[dominant], POSE + POSE_SHOULDER[other_side]], 0]
    span = np.nanmedian(shoulders[:, 0] - shoulders[:, 1]) if np.isfinite(shoulders).any() \
        else np.nan
    if not np.isfinite(span) or span == 0:
        raise SignbridgeError("your shoulders were not found in the clip; step back so your "
                              "upper body is in view")
    unit_x = span / SHOULDER_PER_FACE  # signed: + points to the signing side

    def face_units(points: np.ndarray) -> np.ndarray:
        """Image (x, y) `[n, 2]` -> (lateral, level)."""
        return np.column_stack([(points[:, 0] - nose[:, 0]) / unit_x,
                                (points[:, 1] - nose[:, 1] - forehead_offset) / face_height])

    start = HANDS[dominant]
    hand = fill_nan(raw[:, start:start + HAND_SIZE])
    palm_size = np.linalg.norm(hand[:, MIDDLE_BASE] - hand[:, WRIST], axis=1)
    palm_size = np.where(palm_size > 0, palm_size, np.nan)
    tips = hand[:, list(FINGERTIPS)]
    extension = np.linalg.norm(tips - hand[:, None, WRIST], axis=2) / palm_size[:, None]
    thumb_index = np.linalg.norm(tips[:, 0] - tips[:, 1], axis=1) / palm_size
    # x mirrored like `lateral`, so every signing hand has the same chirality.
    mirrored = hand * np.array([np.sign(unit_x), 1.0, 1.0])
    normal = np.cross(mirrored[:, 5] - mirrored[:, WRIST], mirrored[:, 17] - mirrored[:, WRIST])
    normal /= np.maximum(np.linalg.norm(normal, axis=1, keepdims=True), 1e-9)
    other = face_units(fill_nan(raw[:, POSE + POSE_WRIST[other_side], :2]))
    other[:, 1] = np.minimum(other[:, 1], 3.0)  # anywhere below the chest is "resting"

    trajectory = Trajectory(
        frames=kept, observed=seen[dominant][kept], dominant=dominant,
        tips=face_units(hand[:, list(CONTACT_TIPS), :2].mean(axis=1)),
        palm=face_units(hand[:, list(PALM), :2].mean(axis=1)),
        extension=fill_nan(extension), thumb_index=fill_nan(thumb_index),
        palm_normal=fill_nan(normal), other=fill_nan(other), other_seen=seen[other_side][kept])
    return _resampled(trajectory, SOURCE_FPS / fps)


def _resampled(trajectory: Trajectory, factor: float) -> Trajectory:
    """The trajectory with `factor` times as many steps (a learner's video sampled at 16 fps is
    stretched to 30), so speeds and durations compare with the references'."""
    n = len(trajectory)
    if n < 2 or abs(factor - 1) < 0.1:
        return trajectory
    times = np.linspace(0, n - 1, max(2, round((n - 1) * factor) + 1))
    nearest = np.round(times).astype(int)

    def smooth(values: np.ndarray) -> np.ndarray:
        flat = values.reshape(n, -1)
        return np.stack([np.interp(times, np.arange(n), c) for c in flat.T], axis=1).reshape(
            (len(times), *values.shape[1:]))

    normal = smooth(trajectory.palm_normal)
    return Trajectory(
        frames=trajectory.frames[nearest], observed=trajectory.observed[nearest],
        dominant=trajectory.dominant, tips=smooth(trajectory.tips), palm=smooth(trajectory.palm),
        extension=smooth(trajectory.extension), thumb_index=smooth(trajectory.thumb_index),
        palm_normal=normal / np.maximum(np.linalg.norm(normal, axis=1, keepdims=True), 1e-9),
        other=smooth(trajectory.other), other_seen=trajectory.other_seen[nearest])
