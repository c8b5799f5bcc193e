"""Live practice: camera frames in, landmarks per frame, and the stream cut into signs by hand
presence (hands come up, sign, hands go down); each sign is recognised as it ends."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from signbridge.serving.acceptance import Answer, frames_with_hands
from signbridge.serving.recognition import Recogniser
from signbridge.serving.video import HolisticExtractor


@dataclass
class SignSegmenter:
    """Turns a stream of landmark frames into finished signs.

    A sign starts when a hand has been seen in `start_frames` consecutive frames and ends after
    `end_frames` consecutive frames without one; gaps shorter than that are part of the sign
    (MediaPipe loses a moving hand for a frame or two). Signs shorter than `min_frames` are
    dropped (a hand passing by), and one longer than `max_frames` is cut there.
    """

    start_frames: int = 2
    end_frames: int = 8
    min_frames: int = 6
    max_frames: int = 300
    _frames: list[np.ndarray] = field(default_factory=list)
    _hands_run: int = 0
    _quiet_run: int = 0
    _signing: bool = False

    @property
    def signing(self) -> bool:
        return self._signing

    def push(self, landmarks: np.ndarray) -> np.ndarray | None:
        """Add one `[543, 3]` frame; returns a finished sign `[n, 543, 3]`, or None."""
        hands = frames_with_hands(landmarks[None]) > 0
        self._hands_run = self._hands_run + 1 if hands else 0
        self._quiet_run = 0 if hands else self._quiet_run + 1
        if not self._signing:
            self._frames = (self._frames + [landmarks])[-self.start_frames:]
            if self._hands_run >= self.start_frames:
                self._signing = True
            return None
        self._frames.append(landmarks)
        if self._quiet_run >= self.end_frames or len(self._frames) >= self.max_frames:
            return self._finish()
        return None

    def flush(self) -> np.ndarray | None:
        """The sign under way when the stream stops, if any."""
        return self._finish() if self._signing else None

    def _finish(self) -> np.ndarray | None:
        frames = self._frames[:len(self._frames) - self._quiet_run] if self._quiet_run else \
            self._frames
        self._frames, self._signing, self._hands_run, self._quiet_run = [], False, 0, 0
        return np.stack(frames) if len(frames) >= self.min_frames else None


@dataclass
class LiveSign:
    """One sign cut from the stream, and what the recogniser said about it."""

    answer: Answer
    landmarks: np.ndarray
    seconds: float  # how long it was signed


@dataclass
class FrameResult:
    landmarks: np.ndarray  # [543, 3] of this frame
    signing: bool  # inside a sign now
    finished: LiveSign | None  # the sign that ended with this frame
    milliseconds: float  # landmarks + segmentation for this frame


class LiveSession:
    """One learner's camera stream: its own MediaPipe tracker (tracking state is per person),
    a segmenter, and the shared recogniser."""

    def __init__(self, recogniser: Recogniser, fps: float = 10.0) -> None:
        self.recogniser = recogniser
        self.fps = fps
        self.extractor = HolisticExtractor()
        self.segmenter = SignSegmenter()
        self.frames_seen = 0
        self.frames_with_hands = 0

    def push(self, frame_rgb: np.ndarray) -> FrameResult:
        started = time.perf_counter()
        landmarks = self.extractor.track(frame_rgb)
        finished = self.segmenter.push(landmarks)
        milliseconds = (time.perf_counter() - started) * 1000
        self.frames_seen += 1
        self.frames_with_hands += frames_with_hands(landmarks[None])
        sign = self._recognise(finished)
        return FrameResult(landmarks, self.segmenter.signing, sign, milliseconds)

    def finish(self) -> LiveSign | None:
        """The sign under way when the learner stops the camera."""
        return self._recognise(self.segmenter.flush())

    def _recognise(self, frames: np.ndarray | None) -> LiveSign | None:
        if frames is None:
            return None
        return LiveSign(self.recogniser.landmarks(frames), frames, len(frames) / self.fps)
