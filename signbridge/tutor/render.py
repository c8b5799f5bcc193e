"""Drawing landmarks and writing clips that browsers play (H.264 MP4 through PyAV)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import cv2
import numpy as np

from signbridge.data.landmarks import PART_START

# Bones of the 21-point MediaPipe hand: wrist to each finger, then along the finger.
HAND_BONES: tuple[tuple[int, int], ...] = (
    (0, 1), (1, 2), (2, 3), (3, 4),
    (0, 5), (5, 6), (6, 7), (7, 8),
    (5, 9), (9, 10), (10, 11), (11, 12),
    (9, 13), (13, 14), (14, 15), (15, 16),
    (13, 17), (0, 17), (17, 18), (18, 19), (19, 20),
)
# Upper-body bones of the 33-point pose: shoulders, arms, torso.
POSE_BONES: tuple[tuple[int, int], ...] = (
    (11, 12), (11, 13), (13, 15), (12, 14), (14, 16), (11, 23), (12, 24), (23, 24),
)
# Face-mesh points on the outline of the face and of the lips, in drawing order.
FACE_OVAL: tuple[int, ...] = (
    10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377,
    152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109,
)
LIPS_OUTLINE: tuple[int, ...] = (
    61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 409, 270, 269, 267, 0, 37, 39, 40, 185,
)

BACKGROUND = (246, 244, 238)
COLOURS = {  # RGB
    "face": (150, 150, 160),
    "pose": (70, 110, 180),
    "left_hand": (220, 120, 40),
    "right_hand": (40, 160, 90),
}


def _draw(canvas: np.ndarray, pixels: np.ndarray) -> None:
    """Draw one frame's landmarks, given as pixel coordinates `[543, 2]` (NaN = missing)."""
    thickness = max(1, round(min(canvas.shape[:2]) / 180))

    def point(row: int) -> tuple[int, int] | None:
        x, y = pixels[row]
        return (int(x), int(y)) if np.isfinite(x) and np.isfinite(y) else None

    def polyline(rows: list[int], colour, closed: bool) -> None:
        points = [point(r) for r in rows]
        if all(points):
            cv2.polylines(canvas, [np.array(points, np.int32)], closed, colour, thickness,
                          cv2.LINE_AA)

    face = PART_START["face"]
    polyline([face + i for i in FACE_OVAL], COLOURS["face"], True)
    polyline([face + i for i in LIPS_OUTLINE], COLOURS["face"], True)
    pose = PART_START["pose"]
    for a, b in POSE_BONES:
        polyline([pose + a, pose + b], COLOURS["pose"], False)
    nose = point(pose)
    if nose:
        cv2.circle(canvas, nose, thickness * 2, COLOURS["pose"], -1, cv2.LINE_AA)
    for hand in ("left_hand", "right_hand"):
        start = PART_START[hand]
        for a, b in HAND_BONES:
            polyline([start + a, start + b], COLOURS[hand], False)
        for row in range(start, start + 21):
            if (p := point(row)) is not None:
                cv2.circle(canvas, p, thickness + 1, COLOURS[hand], -1, cv2.LINE_AA)


def draw_landmarks(frame_rgb: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """A copy of the frame with the detected landmarks drawn over it."""
    canvas = frame_rgb.copy()
    height, width = canvas.shape[:2]
    _draw(canvas, landmarks[:, :2] * np.array([width, height], np.float32))
    return canvas


def render_sequence(landmarks: np.ndarray, size: tuple[int, int] = (360, 360)) -> list[np.ndarray]:
    """Draw a landmark sequence on a plain background, framed to fit the signer."""
    width, height = size
    upper_body = np.concatenate([
        np.arange(PART_START["face"], PART_START["face"] + 468),
        np.arange(PART_START["left_hand"], PART_START["left_hand"] + 21),
        PART_START["pose"] + np.arange(0, 23),
        np.arange(PART_START["right_hand"], PART_START["right_hand"] + 21),
    ])
    xy = landmarks[:, upper_body, :2]
    finite = xy[np.isfinite(xy).all(axis=-1)]
    if len(finite) == 0:
        return [np.full((height, width, 3), BACKGROUND, np.uint8) for _ in landmarks]
    low, high = finite.min(axis=0), finite.max(axis=0)
    span = max(float((high - low).max()), 1e-3) * 1.15  # a margin around the signer
    centre = (low + high) / 2
    scale = min(width, height) / span
    offset = np.array([width / 2, height / 2]) - centre * scale
    frames = []
    for frame in landmarks:
        canvas = np.full((height, width, 3), BACKGROUND, np.uint8)
        _draw(canvas, frame[:, :2] * scale + offset)
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
            stream = container.add_stream("libx264", rate=round(fps))
            stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
            stream.options = {"preset": "veryfast", "crf": "26", "movflags": "+faststart"}
            for rgb in frames_rgb:
                frame = av.VideoFrame.from_ndarray(
                    np.ascontiguousarray(rgb[:height, :width]), format="rgb24"
                )
                container.mux(stream.encode(frame))
            container.mux(stream.encode())
        os.replace(partial, path)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)
    return path


def render_clip(landmarks: np.ndarray, path: str | Path, fps: float = 15) -> Path:
    """An example clip of a landmark sequence."""
    return write_mp4(render_sequence(landmarks), path, fps)


def overlay_clip(video, landmarks: np.ndarray, path: str | Path) -> Path:
    """The decoded frames of `video` (a DecodedVideo) with their landmarks drawn over them."""
    frames = [draw_landmarks(frame, marks) for frame, marks in
              zip(video.frames, landmarks, strict=True)]
    fps = max(1.0, len(frames) / max(video.duration_s, 1e-3))
    return write_mp4(frames, path, fps)
