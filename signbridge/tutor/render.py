"""Drawing landmarks and writing clips that browsers play (H.264 MP4 through PyAV).

Example clips for learners: face contours from the full 468-point mesh, the upper body with each
forearm reaching its hand, thick two-colour hands with joints, short hand dropouts filled in,
stable framing, played at the source rate (about 30 fps) or slowed down.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

from signbridge.data.landmarks import (
    FACE_OVAL,
    LEFT_BROW,
    LEFT_EYE,
    LIPS_INNER,
    LIPS_OUTER,
    NOSE_RIDGE,
    NOSTRILS,
    PART_SIZES,
    PART_START,
    POSE_MIRROR_PAIRS,
    RIGHT_BROW,
    RIGHT_EYE,
)

SOURCE_FPS = 30.0  # the competition recordings are ~30 fps
MAX_GAP = 5  # frames of a missing part bridged by interpolation (~0.17 s at 30 fps)
# Height / width of the competition's camera frames: x is normalised by width and y by height, so
# y is stretched by this before drawing. Estimated on islr-sample (hand bone lengths stay most
# constant in 3D at 1.1-1.15; face proportions agree); the exact video sizes are not published.
SOURCE_ASPECT = 1.1
DEFAULT_SIZE = (384, 432)  # width, height: the Learn tab shows it 440 px high, fitting 1366x768

# Bones of the 21-point MediaPipe hand: wrist to each finger, then along the finger.
HAND_BONES: tuple[tuple[int, int], ...] = (
    (0, 1), (1, 2), (2, 3), (3, 4),
    (0, 5), (5, 6), (6, 7), (7, 8),
    (5, 9), (9, 10), (10, 11), (11, 12),
    (9, 13), (13, 14), (14, 15), (15, 16),
    (13, 17), (0, 17), (17, 18), (18, 19), (19, 20),
)
PALM: tuple[int, ...] = (0, 1, 5, 9, 13, 17)
FINGERTIPS: tuple[int, ...] = (4, 8, 12, 16, 20)
# Per body side: shoulder, elbow, pose wrist, pose hand points (pinky, index, thumb), hand part.
ARMS: tuple[tuple[int, int, int, tuple[int, int, int], str], ...] = (
    (11, 13, 15, (17, 19, 21), "left_hand"),
    (12, 14, 16, (18, 20, 22), "right_hand"),
)

NOSE: tuple[tuple[int, ...], ...] = (NOSE_RIDGE, NOSTRILS)
# The closed chains, by name (tests compare them with MediaPipe's own edge sets).
FACE_CONTOURS: dict[str, tuple[int, ...]] = {
    "face_oval": FACE_OVAL, "lips_outer": LIPS_OUTER, "lips_inner": LIPS_INNER,
    "right_eye": RIGHT_EYE, "left_eye": LEFT_EYE, "right_brow": RIGHT_BROW, "left_brow": LEFT_BROW,
}

RGB = tuple[int, int, int]
BACKGROUND: RGB = (248, 246, 241)
COLOURS: dict[str, RGB] = {
    "torso": (225, 229, 236),
    "skin": (239, 231, 221),  # face and neck fill: a neutral light tone
    "face": (105, 105, 118),  # face outline and nose
    "features": (52, 56, 70),  # eyes and brows
    "lips": (186, 84, 92),
    "left_hand": (222, 106, 16),  # orange: on the viewer's right (the video is not mirrored)
    "right_hand": (36, 96, 200),  # blue: on the viewer's left; both differ for colour-blind eyes
}
SHIFT = 4  # sub-pixel precision of cv2 drawing (1/16 px): smooth slow motion without wobble


def _mix(colour: RGB, other: RGB, amount: float) -> RGB:
    return tuple(round(c * (1 - amount) + o * amount) for c, o in zip(colour, other, strict=True))


def fill_gaps(landmarks: np.ndarray, max_gap: int = MAX_GAP) -> np.ndarray:
    """A copy where a part (a hand, the face, the pose) missing for at most `max_gap` frames
    between two frames that have it is linearly interpolated; leading and trailing gaps stay NaN.
    """
    filled = landmarks.copy()
    for part, size in PART_SIZES.items():
        rows = slice(PART_START[part], PART_START[part] + size)
        seen = np.flatnonzero(np.isfinite(landmarks[:, rows, :2]).all(axis=(1, 2)))
        for before, after in zip(seen[:-1], seen[1:], strict=True):
            gap = after - before - 1
            if 0 < gap <= max_gap:
                weight = (np.arange(1, gap + 1, dtype=np.float32) / (gap + 1))[:, None, None]
                filled[before + 1 : after, rows] = (
                    landmarks[before, rows] * (1 - weight) + landmarks[after, rows] * weight
                )
    return filled


def retime(landmarks: np.ndarray, speed: float) -> np.ndarray:
    """Resample a sequence to play at `speed` (0.5 = half speed) at the same frame rate, with
    in-between frames interpolated; where a part appears or vanishes the nearer frame is held."""
    if speed <= 0:
        raise ValueError(f"speed must be positive, not {speed}")
    if speed == 1 or len(landmarks) < 2:
        return landmarks
    count = max(1, round(len(landmarks) / speed))
    times = np.minimum(np.arange(count) * speed, len(landmarks) - 1)
    first = np.floor(times).astype(int)
    second = np.minimum(first + 1, len(landmarks) - 1)
    weight = (times - first).astype(np.float32)[:, None, None]
    a, b = landmarks[first], landmarks[second]
    mixed = a + (b - a) * weight
    return np.where(np.isfinite(mixed), mixed, np.where(weight < 0.5, a, b))


class _Painter:
    """Draws one frame's landmarks given as pixel coordinates `[543, 2]` (NaN = missing)."""

    def __init__(self, canvas: np.ndarray, unit: float, filled: bool) -> None:
        self.canvas, self.filled = canvas, filled
        self.unit = max(unit, 8.0)  # face width in pixels: every thickness scales with it

    def width(self, fraction: float) -> int:
        return max(1, round(self.unit * fraction))

    def line(self, points: Sequence[np.ndarray | None], colour: RGB, width: int,
             closed: bool = False) -> None:
        if any(p is None for p in points):
            return
        cv2.polylines(self.canvas, [np.round(np.array(points) * 16).astype(np.int32)], closed,
                      colour, width, cv2.LINE_AA, SHIFT)

    def fill(self, points: Sequence[np.ndarray | None], colour: RGB) -> None:
        if self.filled and all(p is not None for p in points):
            cv2.fillPoly(self.canvas, [np.round(np.array(points) * 16).astype(np.int32)], colour,
                         cv2.LINE_AA, SHIFT)

    def dot(self, point: np.ndarray | None, radius: float, colour: RGB) -> None:
        if point is not None:
            centre = tuple(int(v) for v in np.round(point * 16))
            cv2.circle(self.canvas, centre, max(1, round(radius * 16)), colour, -1, cv2.LINE_AA,
                       SHIFT)


def _draw(canvas: np.ndarray, pixels: np.ndarray, unit: float, filled: bool = True) -> None:
    """Draw back to front: torso, arms, neck and face, then the hands on top."""
    paint = _Painter(canvas, unit, filled)

    def at(part: str, index: int) -> np.ndarray | None:
        xy = pixels[PART_START[part] + index]
        return xy if np.isfinite(xy).all() else None

    def chain(part: str, indices: Sequence[int]) -> list[np.ndarray | None]:
        return [at(part, i) for i in indices]

    # Torso and neck.
    paint.fill(chain("pose", (11, 12, 24, 23)), COLOURS["torso"])
    shoulders, chin = chain("pose", (11, 12)), at("face", 152)
    if all(p is not None for p in shoulders) and chin is not None:
        neck_base = (shoulders[0] + shoulders[1]) / 2
        neck_top = chin + (neck_base - chin) * 0.15
        colour = COLOURS["skin"] if filled else COLOURS["face"]
        paint.line([neck_base, neck_top], colour, paint.width(0.45 if filled else 0.04))
    if not filled:
        paint.line(chain("pose", (11, 12)), COLOURS["face"], paint.width(0.04))

    # Arms: shoulder to elbow to the hand's own wrist (the pose wrist only where no hand is seen).
    for shoulder, elbow, wrist, pose_hand, hand in ARMS:
        arm_colour = _mix(COLOURS[hand], (150, 150, 160), 0.55)
        hand_wrist = at(hand, 0)
        end = hand_wrist if hand_wrist is not None else at("pose", wrist)
        upper, lower = (0.22, 0.18) if filled else (0.06, 0.06)  # over video: thin, see-through
        paint.line([at("pose", shoulder), at("pose", elbow)], arm_colour, paint.width(upper))
        paint.line([at("pose", elbow), end], arm_colour, paint.width(lower))
        mitten = chain("pose", (wrist, *pose_hand))
        if hand_wrist is None and all(p is not None for p in mitten):
            # The hand was not tracked here: a pale disc where the pose model puts it.
            paint.dot(np.mean(mitten, axis=0), paint.unit * 0.17, arm_colour)
            paint.dot(np.mean(mitten, axis=0), paint.unit * 0.13, _mix(COLOURS[hand], BACKGROUND, 0.7))

    # Face: filled oval, then contours of brows, eyes (with a pupil dot), nose and lips.
    oval = chain("face", FACE_OVAL)
    if any(p is None for p in oval):
        _head_from_pose(paint, chain("pose", (0, 2, 5, 7, 8, 9, 10)), filled)
    paint.fill(oval, COLOURS["skin"])
    paint.line(chain("face", FACE_OVAL), COLOURS["face"], paint.width(0.02), closed=True)
    for brow in (RIGHT_BROW, LEFT_BROW):
        paint.fill(chain("face", brow), COLOURS["features"])
        paint.line(chain("face", brow), COLOURS["features"], paint.width(0.012), closed=True)
    for eye in (RIGHT_EYE, LEFT_EYE):
        points = chain("face", eye)
        paint.fill(points, (255, 255, 255))
        paint.line(points, COLOURS["features"], paint.width(0.014), closed=True)
        if all(p is not None for p in points):
            paint.dot(np.mean(points, axis=0), paint.unit * 0.03, COLOURS["features"])
    for nose in NOSE:
        paint.line(chain("face", nose), COLOURS["face"], paint.width(0.014))
    paint.fill(chain("face", LIPS_OUTER), COLOURS["lips"])
    paint.line(chain("face", LIPS_OUTER), COLOURS["lips"], paint.width(0.016), closed=True)
    paint.fill(chain("face", LIPS_INNER), _mix(COLOURS["lips"], (40, 20, 25), 0.6))
    paint.line(chain("face", LIPS_INNER), _mix(COLOURS["lips"], (40, 20, 25), 0.6),
               paint.width(0.01), closed=True)

    # Hands: a tinted palm, thick bones, darker joints, light fingertips.
    size = 1.0 if filled else 0.6
    for _, _, _, _, hand in ARMS:
        if at(hand, 0) is None:
            continue
        colour = COLOURS[hand]
        joint = _mix(colour, (20, 20, 30), 0.45)
        paint.fill(chain(hand, PALM), _mix(colour, BACKGROUND, 0.65))
        for a, b in HAND_BONES:
            paint.line([at(hand, a), at(hand, b)], colour, paint.width(0.06 * size))
        for index in range(21):
            tip = index in FINGERTIPS
            paint.dot(at(hand, index), paint.unit * (0.055 if tip else 0.045) * size, joint)
            if tip:
                paint.dot(at(hand, index), paint.unit * 0.025 * size, (255, 255, 255))


def _head_from_pose(paint: _Painter, points: list[np.ndarray | None], filled: bool) -> None:
    """A head where the face mesh is missing (a frame MediaPipe lost, or a landmarker that keeps
    few face points): an oval around the pose's ears, with its eyes and mouth."""
    nose, right_eye, left_eye, right_ear, left_ear, mouth_left, mouth_right = points
    if right_ear is None or left_ear is None or nose is None:
        return
    half_width = float(np.linalg.norm(left_ear - right_ear)) / 2 * 1.1
    centre = (left_ear + right_ear) / 2 + [0, half_width * 0.15]
    axes = (round(half_width * 16), round(half_width * 1.3 * 16))
    angle = float(np.degrees(np.arctan2(*(left_ear - right_ear)[::-1])))
    centre16 = tuple(int(v) for v in np.round(centre * 16))
    if filled:
        cv2.ellipse(paint.canvas, centre16, axes, angle, 0, 360, COLOURS["skin"], -1,
                    cv2.LINE_AA, SHIFT)
    cv2.ellipse(paint.canvas, centre16, axes, angle, 0, 360, COLOURS["face"], paint.width(0.02),
                cv2.LINE_AA, SHIFT)
    for eye in (right_eye, left_eye):
        paint.dot(eye, paint.unit * 0.035, COLOURS["features"])
    paint.line([mouth_left, mouth_right], COLOURS["lips"], paint.width(0.03))


def _face_width(pixels: np.ndarray) -> float:
    """Median face width (temple to temple) in pixels over frames `[n, 543, 2]`."""
    face, pose = PART_START["face"], PART_START["pose"]
    width = np.linalg.norm(pixels[:, face + 454] - pixels[:, face + 234], axis=-1)
    if not np.isfinite(width).any():  # no face mesh: ear to ear is about as wide
        width = np.linalg.norm(pixels[:, pose + 8] - pixels[:, pose + 7], axis=-1)
    width = width[np.isfinite(width)]
    return float(np.median(width)) if len(width) else 0.0


def draw_landmarks(frame_rgb: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """A copy of the frame with the detected landmarks drawn over it (outlines only)."""
    canvas = frame_rgb.copy()
    height, width = canvas.shape[:2]
    pixels = landmarks[:, :2] * np.array([width, height], np.float32)
    unit = _face_width(pixels[None]) or min(width, height) / 4
    _draw(canvas, pixels, unit, filled=False)
    return canvas


def _framing(xy: np.ndarray, size: tuple[int, int]) -> tuple[float, np.ndarray]:
    """One scale and offset for the whole clip (no jitter) that keep the head, both shoulders
    with their upper arms and the hands in view. `xy` is `[n, 543, 2]`, y stretched to aspect."""
    width, height = size
    face, pose = PART_START["face"], PART_START["pose"]
    rows = np.r_[face:face + 468, pose:pose + 11,
                 PART_START["left_hand"]:PART_START["left_hand"] + 21,
                 PART_START["right_hand"]:PART_START["right_hand"] + 21]
    points = xy[:, rows].reshape(-1, 2)
    points = points[np.isfinite(points).all(axis=1)]
    shoulders = xy[:, pose + 11 : pose + 13].reshape(-1, 2, 2)
    shoulders = shoulders[np.isfinite(shoulders).all(axis=(1, 2))]
    if len(shoulders):  # both shoulders with room for the arms, and some chest below them
        span = float(np.median(np.abs(shoulders[:, 0, 0] - shoulders[:, 1, 0])))
        low, high = shoulders.min(axis=(0, 1)), shoulders.max(axis=(0, 1))
        points = np.vstack([points, low - [0.2 * span, 0], high + [0.2 * span, 0.35 * span]])
    if len(points) == 0:
        points = xy.reshape(-1, 2)[np.isfinite(xy.reshape(-1, 2)).all(axis=1)]
    low, high = points.min(axis=0), points.max(axis=0)
    extent = np.maximum(high - low, 1e-3)
    low, high = low - 0.05 * extent.max(), high + 0.05 * extent.max()  # a margin
    extent = high - low
    scale = min(width / extent[0], height / extent[1])
    # Centre horizontally; keep the top margin, so any spare room goes to the body below.
    offset = np.array([width / 2 - (low[0] + high[0]) / 2 * scale, -low[1] * scale])
    return float(scale), offset


def render_sequence(
    landmarks: np.ndarray,
    size: tuple[int, int] = DEFAULT_SIZE,
    slow_motion: float = 1.0,
    max_gap: int = MAX_GAP,
    aspect: float = SOURCE_ASPECT,
) -> list[np.ndarray]:
    """Draw a landmark sequence on a light background, framed once for the whole clip.

    `slow_motion` is the playback speed: 1 gives one image per source frame, 0.5 twice as many
    (interpolated), so played at the source rate the sign runs at half speed."""
    width, height = size
    sequence = retime(fill_gaps(landmarks, max_gap), slow_motion)
    xy = sequence[..., :2] * np.array([1.0, aspect], np.float32)
    if not np.isfinite(xy).any():
        return [np.full((height, width, 3), BACKGROUND, np.uint8) for _ in sequence]
    scale, offset = _framing(xy, size)
    pixels = xy * scale + offset
    unit = _face_width(pixels) or min(size) / 4
    blank = np.full((height, width, 3), BACKGROUND, np.uint8)
    frames = []
    for frame in pixels:
        canvas = blank.copy()
        _draw(canvas, frame, unit)
        frames.append(canvas)
    return frames


def write_mp4(frames_rgb: list[np.ndarray], path: str | Path, fps: float) -> Path:
    """Write H.264 (yuv420p) MP4, atomically: the file appears only when complete."""
    import av

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    height, width = frames_rgb[0].shape[:2]
    width, height = width // 2 * 2, height // 2 * 2  # yuv420p needs even sides
    handle, partial = tempfile.mkstemp(suffix=".mp4", dir=path.parent)
    os.close(handle)
    try:
        with av.open(partial, "w", format="mp4") as container:
            stream = container.add_stream("libx264", rate=Fraction(fps).limit_denominator(1001))
            stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
            # Flat colours and thin lines: the animation tune keeps edges crisp at a small size;
            # veryfast is 3x quicker than medium for 1 dB less PSNR at the same file size.
            stream.options = {"preset": "veryfast", "crf": "23", "tune": "animation",
                              "movflags": "+faststart"}
            for rgb in frames_rgb:
                frame = av.VideoFrame.from_ndarray(
                    np.ascontiguousarray(rgb[:height, :width]), format="rgb24"
                )
                container.mux(stream.encode(frame))
            container.mux(stream.encode())
        os.chmod(partial, 0o644)  # mkstemp makes it private; a web server may need to read it
        os.replace(partial, path)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)
    return path


def render_clip(
    landmarks: np.ndarray,
    path: str | Path,
    fps: float = SOURCE_FPS,
    slow_motion: float = 1.0,
    size: tuple[int, int] = DEFAULT_SIZE,
) -> Path:
    """An example clip of a landmark sequence recorded at `fps`, played at `slow_motion` speed
    (1 = real speed, 0.5 = half speed through interpolated frames at the same rate)."""
    return write_mp4(render_sequence(landmarks, size, slow_motion), path, fps)


def _caption(frame: np.ndarray, text: str) -> np.ndarray:
    """The frame over a strip with `text` (below: players put their own labels on top)."""
    strip = np.full((28, frame.shape[1], 3), BACKGROUND, np.uint8)
    cv2.putText(strip, text, (10, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.6, COLOURS["features"], 1,
                cv2.LINE_AA)
    return np.vstack([frame, strip])


def mirrored(landmarks: np.ndarray) -> np.ndarray:
    """The performance as seen in a mirror: x flipped, the hands and the body's sides swapped
    (the face's contours are symmetric, so its points need no swap)."""
    out = landmarks.copy()
    left, right = (slice(PART_START[h], PART_START[h] + PART_SIZES[h])
                   for h in ("left_hand", "right_hand"))
    out[:, left], out[:, right] = landmarks[:, right], landmarks[:, left]
    pose = PART_START["pose"]
    for a, b in (*POSE_MIRROR_PAIRS, (23, 24)):
        out[:, [pose + a, pose + b]] = landmarks[:, [pose + b, pose + a]]
    out[..., 0] = 1.0 - out[..., 0]
    return out


def _signing_hand(landmarks: np.ndarray) -> str:
    """The hand detected in more frames (as `trajectory.normalise` decides)."""
    seen = {hand: np.isfinite(landmarks[:, PART_START[hand] : PART_START[hand] + 21, :2])
            .all(axis=(1, 2)).sum() for hand in ("left_hand", "right_hand")}
    return "left_hand" if seen["left_hand"] > seen["right_hand"] else "right_hand"


def replay_clip(
    learner: np.ndarray,
    reference: np.ndarray,
    pairs: Sequence[tuple[int, int]],
    path: str | Path,
    learner_aspect: float = SOURCE_ASPECT,
    fps: float = SOURCE_FPS / 2,
    size: tuple[int, int] = (320, 360),
) -> Path:
    """A side-by-side replay: the learner's skeleton next to the reference's, time-aligned by
    `pairs` of (learner frame, reference frame), played at half speed by default.

    `learner_aspect` is the learner's video height / width (landmarks do not carry it). A
    reference signed with the other hand is mirrored, so both signing hands are on one side."""
    if _signing_hand(reference) != _signing_hand(learner):
        reference = mirrored(reference)
    mine = render_sequence(learner, size, aspect=learner_aspect)
    theirs = render_sequence(reference, size)
    divider = np.full((size[1] + 28, 4, 3), 255, np.uint8)
    frames = [np.hstack([_caption(mine[i], "You"), divider, _caption(theirs[j], "Reference")])
              for i, j in pairs]
    return write_mp4(frames, path, fps)


def overlay_clip(video, landmarks: np.ndarray, path: str | Path) -> Path:
    """The decoded frames of `video` (a DecodedVideo) with their landmarks drawn over them."""
    frames = [draw_landmarks(frame, marks) for frame, marks in
              zip(video.frames, landmarks, strict=True)]
    return write_mp4(frames, path, video.sampled_fps)
