"""Recognising a practice video: landmarks with MediaPipe, then the exported sign model."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from signbridge.serving.classifier import SignClassifier
from signbridge.serving.video import VideoLimits, extract_landmarks

TOP_K = 10


@dataclass
class Recognition:
    top_signs: list[tuple[str, float]]
    frames_used: int
    frames_with_hands: int
    timings: dict[str, float] = field(default_factory=dict)
    overlay: Path | None = None


class Recogniser:
    """One TFLite model shared by all requests; the interpreter is not thread-safe, so calls queue."""

    def __init__(self, classifier: SignClassifier, limits: VideoLimits) -> None:
        self.classifier = classifier
        self.limits = limits
        self._model_lock = threading.Lock()

    def recognise(self, video_path: str | Path, overlay_path: Path | None = None) -> Recognition:
        """Top-10 signs for a video; raises SignbridgeError with a clear message for bad input."""
        result = extract_landmarks(video_path, self.limits)
        start = time.perf_counter()
        with self._model_lock:
            top_signs = self.classifier.top_signs(result.landmarks, TOP_K)
        timings = {**result.timings, "model": time.perf_counter() - start}
        overlay = None
        if overlay_path is not None:
            from signbridge.tutor.render import overlay_clip

            overlay = overlay_clip(result.video, result.landmarks, overlay_path)
        return Recognition(top_signs, len(result.landmarks), result.frames_with_hands, timings,
                           overlay)


def verdict(target_sign: str | None, top_signs: list[tuple[str, float]]) -> str:
    """How the practised sign fared: first, in the top 10, or not recognised."""
    if not target_sign:
        return ""
    ranked = [sign for sign, _ in top_signs]
    if ranked and ranked[0] == target_sign:
        return f"Well done: **{target_sign}** came first."
    if target_sign in ranked:
        return f"Close: **{target_sign}** is number {ranked.index(target_sign) + 1} of the top 10."
    return f"Not yet: **{target_sign}** is not in the top 10; watch the example and try again."
