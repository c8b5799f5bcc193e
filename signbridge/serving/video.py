"""Video -> landmarks: decode with PyAV, subsample, run MediaPipe Holistic (543 rows per frame).

MediaPipe is imported lazily (it takes seconds) and loaded once per process.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from signbridge.data.landmarks import PART_SIZES, PART_START, ROWS_PER_FRAME
from signbridge.errors import SignbridgeError

DURATION_SLACK_S = 0.5  # containers round durations; do not reject a 10.2-s clip at 10 s


@dataclass
class VideoLimits:
    max_bytes: int = 50_000_000
    max_seconds: float = 10.0
    max_frames: int = 32  # frames kept for recognition, evenly spread over the clip
    max_side: int = 640  # longest side after downscaling; Holistic gains nothing from more


@dataclass
class DecodedVideo:
    frames: list[np.ndarray]  # RGB uint8, downscaled
    fps: float
    duration_s: float
    source_size: tuple[int, int]
    decoded_frames: int

    @property
    def sampled_fps(self) -> float:
        """Frames kept per second of video (fewer than `fps` when frames were skipped)."""
        return max(1.0, len(self.frames) / max(self.duration_s, 1e-3))

    @property
    def aspect(self) -> float:
        """Height / width of the frames, which landmarks (x / width, y / height) do not carry."""
        height, width = self.frames[0].shape[:2]
        return height / width


def _check_file(path: Path, limits: VideoLimits) -> None:
    if not path.is_file():
        raise SignbridgeError(f"{path}: file not found")
    size = path.stat().st_size
    if size == 0:
        raise SignbridgeError(f"{path}: the file is empty")
    if size > limits.max_bytes:
        raise SignbridgeError(
            f"{path}: {size / 1e6:.2f} MB is over the {limits.max_bytes / 1e6:g} MB upload limit"
        )


def _scaled_size(width: int, height: int, max_side: int) -> tuple[int, int]:
    scale = min(1.0, max_side / max(width, height))
    return max(2, round(width * scale) // 2 * 2), max(2, round(height * scale) // 2 * 2)


# Leading bytes of container formats that hold video: a file that starts like one but cannot be
# opened is a damaged video, not "not a video".
VIDEO_SIGNATURES: tuple[tuple[int, bytes], ...] = (
    (4, b"ftyp"),  # MP4, MOV, 3GP, M4V
    (4, b"moov"), (4, b"mdat"), (4, b"wide"), (4, b"free"),  # QuickTime without ftyp
    (0, bytes.fromhex("1a45dfa3")),  # Matroska, WebM
    (0, b"RIFF"),  # AVI
    (0, b"OggS"), (0, b"FLV"), (0, bytes.fromhex("000001ba")),  # Ogg, Flash, MPEG-PS
    (0, bytes.fromhex("3026b2758e66cf11")),  # ASF / WMV
)
STILL_IMAGE_FORMATS = {"image2", "png_pipe", "jpeg_pipe", "webp_pipe", "gif", "bmp_pipe"}


def _looks_like_video(path: Path) -> bool:
    with path.open("rb") as handle:
        head = handle.read(16)
    return any(head[offset:offset + len(magic)] == magic for offset, magic in VIDEO_SIGNATURES)


def _open(path: Path):
    """Open a container; foreign or broken metadata (titles, tags in other encodings) is
    replaced rather than allowed to refuse a playable video."""
    import av

    try:
        return av.open(str(path), metadata_errors="replace")
    except (av.FFmpegError, ValueError, OSError) as error:
        if _looks_like_video(path):
            raise SignbridgeError(
                f"{path}: damaged video file: its container cannot be read ({_reason(error)}); "
                "the recording may be incomplete, record or export it again"
            ) from error
        raise SignbridgeError(
            f"{path}: not a video file (no known video format); upload an MP4, WebM or MOV clip"
        ) from error


def _reason(error: Exception) -> str:
    return getattr(error, "strerror", None) or type(error).__name__


def read_video(path: str | Path, limits: VideoLimits) -> DecodedVideo:
    """Decode a video into at most `limits.max_frames` evenly spaced, downscaled RGB frames.

    Errors name the file and tell apart: not a video, damaged video data, no video stream, and a
    codec that cannot be decoded.
    """
    import av

    path = Path(path)
    _check_file(path, limits)
    container = _open(path)
    with container:
        if container.format.name in STILL_IMAGE_FORMATS:
            raise SignbridgeError(f"{path}: a still image, not a video; record the sign as a clip")
        if not container.streams.video:
            raise SignbridgeError(f"{path}: has no video stream (only sound?); upload a video")
        stream = container.streams.video[0]
        if stream.codec_context is None:  # FFmpeg knows no decoder; decoding would crash
            raise SignbridgeError(
                f"{path}: cannot decode this codec ({_codec_tag(stream)}); "
                "convert the clip to H.264 MP4 or VP9 WebM"
            )
        stream.thread_type = "AUTO"
        fps = float(stream.average_rate or stream.guessed_rate or 30)
        duration = container.duration / 1e6 if container.duration else None
        if duration and duration > limits.max_seconds + DURATION_SLACK_S:
            raise _too_long(path, duration, limits)
        # Keep about every `stride`-th frame while decoding, so memory stays small.
        expected = stream.frames or round((duration or limits.max_seconds) * fps)
        stride = max(1.0, expected / limits.max_frames)
        frames, decoded, source_size = [], 0, (stream.width, stream.height)
        try:
            for frame in container.decode(stream):
                if frame.time is not None and frame.time > limits.max_seconds + DURATION_SLACK_S:
                    raise _too_long(path, frame.time, limits)
                if int(decoded / stride) == len(frames):
                    width, height = _scaled_size(frame.width, frame.height, limits.max_side)
                    frames.append(frame.to_ndarray(width=width, height=height, format="rgb24"))
                decoded += 1
        except av.FFmpegError as error:
            if not frames:  # damage after some frames: keep what decoded
                raise SignbridgeError(
                    f"{path}: damaged video data: no frame could be decoded ({_reason(error)})"
                ) from error
    if not frames:
        raise SignbridgeError(f"{path}: damaged video data: the video stream holds no frames")
    if len(frames) > limits.max_frames:
        keep = np.linspace(0, len(frames) - 1, limits.max_frames).round().astype(int)
        frames = [frames[i] for i in keep]
    return DecodedVideo(frames, fps, duration or decoded / fps, source_size, decoded)


def _codec_tag(stream) -> str:
    tag = getattr(stream, "codec_tag", "") or ""
    return f"codec tag '{tag}'" if tag else "an unknown codec"


def _too_long(path: Path, seconds: float, limits: VideoLimits) -> SignbridgeError:
    return SignbridgeError(
        f"{path}: {seconds:.1f} s is over the {limits.max_seconds:.0f} s limit; trim the clip"
    )


class HolisticExtractor:
    """MediaPipe Holistic (model_complexity 1, the only one shipped in the wheel)."""

    def __init__(self) -> None:
        from signbridge.console import native_noise_filtered

        with native_noise_filtered():  # MediaPipe and TFLite start-up chatter
            import mediapipe as mp

            # Video mode tracks between frames (faster, steadier); `reset` clears it per video.
            self._holistic = mp.solutions.holistic.Holistic(
                static_image_mode=False, model_complexity=1, refine_face_landmarks=False
            )
            # Its graph starts, and logs, on the first frame: run one now.
            self._holistic.process(np.zeros((64, 64, 3), np.uint8))
        self._lock = threading.Lock()  # the graph is not thread-safe

    def extract(self, frames: list[np.ndarray]) -> np.ndarray:
        """Landmarks `[n, 543, 3]` of one video's frames, tracked from a fresh start."""
        with self._lock:
            self._holistic.reset()
            return np.stack([self._landmarks(frame) for frame in frames]) if frames else \
                np.zeros((0, ROWS_PER_FRAME, 3), np.float32)

    def track(self, frame: np.ndarray) -> np.ndarray:
        """Landmarks `[543, 3]` of the next frame of a live stream (tracking carries over)."""
        with self._lock:
            return self._landmarks(frame)

    def _landmarks(self, frame: np.ndarray) -> np.ndarray:
        """One frame's 543 rows in competition order; NaN where a part was not found."""
        landmarks = np.full((ROWS_PER_FRAME, 3), np.nan, np.float32)
        results = self._holistic.process(frame)
        for part in PART_SIZES:
            found = getattr(results, f"{part}_landmarks")
            if found is not None:
                points = [(p.x, p.y, p.z) for p in found.landmark][: PART_SIZES[part]]
                landmarks[PART_START[part]:PART_START[part] + len(points)] = points
        return landmarks


_extractor: HolisticExtractor | None = None
_extractor_lock = threading.Lock()


def get_extractor() -> HolisticExtractor:
    """The process-wide Holistic instance, created on first use."""
    global _extractor
    with _extractor_lock:
        if _extractor is None:
            _extractor = HolisticExtractor()
        return _extractor


def frames_with(landmarks: np.ndarray, parts: tuple[str, ...]) -> int:
    """Frames in which any of `parts` was detected."""
    seen = np.zeros(len(landmarks), bool)
    for part in parts:
        rows = slice(PART_START[part], PART_START[part] + PART_SIZES[part])
        seen |= np.isfinite(landmarks[:, rows, 0]).any(axis=1)
    return int(seen.sum())


@dataclass
class LandmarkResult:
    landmarks: np.ndarray
    frames_with_hands: int
    frames_with_person: int
    video: DecodedVideo
    timings: dict[str, float] = field(default_factory=dict)


def extract_landmarks(path: str | Path, limits: VideoLimits) -> LandmarkResult:
    """Decode `path` and run Holistic on its frames; no person at all is an error."""
    start = time.perf_counter()
    video = read_video(path, limits)
    decoded = time.perf_counter()
    landmarks = get_extractor().extract(video.frames)
    timings = {"decode": decoded - start, "landmarks": time.perf_counter() - decoded}
    with_person = frames_with(landmarks, tuple(PART_SIZES))
    if with_person == 0:
        raise SignbridgeError(
            f"{path}: no person found in the video; film the signer from the waist up, in good light"
        )
    with_hands = frames_with(landmarks, ("left_hand", "right_hand"))
    return LandmarkResult(landmarks, with_hands, with_person, video, timings)
