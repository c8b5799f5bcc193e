"""Recognising a sign: landmarks (from a file or a video through MediaPipe) -> the model package's
TFLite model -> its acceptance rule -> an `Answer` ("hello", or "not sure" and why).

One path for the CLI (`predict`), the app and the HTTP API.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from signbridge.errors import SignbridgeError
from signbridge.serving.acceptance import Answer
from signbridge.serving.package import ModelPackage
from signbridge.serving.video import DecodedVideo, VideoLimits, extract_landmarks


@dataclass
class VideoAnswer:
    answer: Answer
    landmarks: np.ndarray  # [frames, 543, 3] of the sampled frames
    video: DecodedVideo
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage


class Recogniser:
    """A model package loaded once and shared by all requests (thread-safe)."""

    def __init__(self, package: ModelPackage, limits: VideoLimits | None = None) -> None:
        self.package = package
        self.classifier = package.classifier()
        # Video is sampled to as many frames as the model was trained on, whatever the limits say.
        limits = limits or VideoLimits()
        limits.max_frames = package.max_frames
        self.limits = limits

    @property
    def known_signs(self) -> list[str]:
        return self.package.known_signs

    def landmarks(self, frames: np.ndarray) -> Answer:
        """The answer for raw landmarks `[n, 543, 3]` (NaN where a part was not seen)."""
        probabilities = self.classifier.probabilities(frames)
        return self.package.acceptance.judge(probabilities, frames, self.package.labels)

    def video(self, path: str | Path) -> VideoAnswer:
        """The answer for a video file; bad files raise SignbridgeError naming the problem."""
        extracted = extract_landmarks(path, self.limits)
        start = time.perf_counter()
        answer = self.landmarks(extracted.landmarks)
        timings = {**extracted.timings, "model": time.perf_counter() - start}
        return VideoAnswer(answer, extracted.landmarks, extracted.video, timings)

    def file(self, path: str | Path) -> Answer:
        """A competition `.parquet` landmark file or a video (any other file)."""
        from signbridge.data.files import read_landmark_file

        path = Path(path)
        if path.suffix.lower() == ".parquet":
            return self.landmarks(read_landmark_file(path))
        return self.video(path).answer


def practice_verdict(target: str | None, answer: Answer, known_signs: list[str],
                     name: Callable[[str], str] = str) -> str:
    """What a learner practising `target` is told; never praise for an answer not accepted.
    `name` turns a label into the name shown (e.g. "thank you" for `thankyou`)."""
    if not target:
        return ""
    if target not in known_signs:
        return (f"This model cannot check **{name(target)}** yet: it was trained on "
                f"{len(known_signs)} sign(s) only. A model trained on the full competition data "
                "(250 signs, `configs/train_full.yaml`) can.")
    if not answer.accepted:
        return f"Not sure this was **{name(target)}**: {answer.reason}"
    if answer.sign == target:
        return f"Well done: that was **{name(target)}**."
    return (f"That looked like **{name(answer.sign)}**, not **{name(target)}**; watch the "
            "example and try again.")


def check_frames(frames: object) -> np.ndarray:
    """Landmark frames from an API request as float32 `[n, 543, 3]`, or a clear error."""
    from signbridge.data.landmarks import ROWS_PER_FRAME

    try:
        array = np.asarray(_nulls_as_nan(frames), dtype=np.float32)
    except (TypeError, ValueError) as error:
        raise SignbridgeError(f"landmarks must be numbers shaped [frames, {ROWS_PER_FRAME}, 3] "
                              f"(null for a missing point): {error}") from error
    if array.ndim != 3 or array.shape[1:] != (ROWS_PER_FRAME, 3) or len(array) == 0:
        raise SignbridgeError(f"landmarks must be shaped [frames>=1, {ROWS_PER_FRAME}, 3], "
                              f"got {list(array.shape)}")
    return array


def _nulls_as_nan(values: object) -> object:
    """JSON has no NaN: a point that was not detected arrives as null."""
    if isinstance(values, list):
        return [_nulls_as_nan(value) for value in values]
    return np.nan if values is None else values
