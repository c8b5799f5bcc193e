"""What a deployment's server loads once and shares between the Gradio page, the HTTP API and the
inference pipeline's steps: the model package, MediaPipe, the reference performances (picked per
sign on first use) and the example clips rendered from them."""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from signbridge import workspace
from signbridge.config import AppConfig
from signbridge.errors import SignbridgeError
from signbridge.serving.acceptance import Answer
from signbridge.serving.package import ModelPackage
from signbridge.serving.recognition import Recogniser, VideoAnswer
from signbridge.serving.video import VideoLimits, get_extractor
from signbridge.tutor.examples import ClipLibrary
from signbridge.tutor.references import ReferenceLibrary

logger = logging.getLogger("signbridge.app")


@dataclass
class Service:
    recogniser: Recogniser
    library: ClipLibrary
    settings: AppConfig
    model_version: str
    output_dir: Path  # landmark overlays and replays shown once, pruned

    @property
    def references(self) -> ReferenceLibrary:
        return self.library.references

    def info(self) -> dict:
        package = self.recogniser.package
        return {"model_version": self.model_version, "known_signs": package.known_signs,
                "max_frames": package.max_frames, "source": package.source,
                "max_upload_mb": self.settings.max_upload_mb,
                "max_video_seconds": self.settings.max_video_seconds}

    def video(self, path: str | Path, name: str) -> VideoAnswer:
        """Recognise a video; one log line per request."""
        started = time.perf_counter()
        try:
            result = self.recogniser.video(path)
        except SignbridgeError as error:
            logger.info("video %s: refused (%s) in %.0f ms", _kind(name), error,
                        _ms(started))
            raise
        _log_answer(f"video {_kind(name)}", result.answer, started)
        return result

    def landmarks(self, frames) -> Answer:
        started = time.perf_counter()
        answer = self.recogniser.landmarks(frames)
        _log_answer("landmarks", answer, started)
        return answer


def _kind(name: str) -> str:
    return Path(name).suffix.lstrip(".").lower() or "file"


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def _log_answer(what: str, answer: Answer, started: float) -> None:
    top = f"{answer.top[0][0]} {answer.top[0][1]:.2f}" if answer.top else "-"
    logger.info("%s: %d frames (%d with hands), top %s, %s, %.0f ms", what, answer.frames,
                answer.frames_with_hands, top, "accepted" if answer.accepted else "not sure",
                _ms(started))


_service: Service | None = None
_lock = threading.Lock()


def start(model_name: str = "", model_version: str = "", model_dir: str = "",
          app_settings: dict | None = None) -> Service:
    """Load the service once per process (later calls return it): the pipeline's init hook and
    the app extension both call this, whichever comes first, with the same arguments.

    The package is read from `model_dir` when the server runs where it was deployed from, else
    fetched from the model registry (a server in a cluster or on Hugging Face Spaces).
    """
    global _service
    with _lock:
        if _service is None:
            if not model_version:
                raise SignbridgeError("no model version to serve; deploy with "
                                      "`run_pipeline.py serve` or `deploy`")
            settings = AppConfig(**(app_settings or {}))
            package = _package(model_name, model_version, model_dir)
            limits = VideoLimits(max_bytes=int(settings.max_upload_mb * 1_000_000),
                                 max_seconds=settings.max_video_seconds)
            get_extractor()  # MediaPipe now, not on the first request
            library = ClipLibrary(
                settings.resolved(settings.tutorial_video_dir)
                if settings.tutorial_video_dir else None,
                ReferenceLibrary(settings.resolved(settings.tutorial_data_root)),
                workspace.cache_dir() / "clips", settings.examples_per_sign)
            _service = Service(Recogniser(package, limits), library, settings, model_version,
                               Path(tempfile.mkdtemp(prefix="signbridge-app-")))
            logger.info("Serving model version %s (%d known signs, %d frames per clip)",
                        model_version, len(package.known_signs), package.max_frames)
        return _service


def _package(model_name: str, model_version: str, model_dir: str) -> ModelPackage:
    if model_dir and Path(model_dir).is_dir():
        return ModelPackage.read(model_dir)
    from mlops import registry

    return registry.load_package(registry.find(model_name, model_version))


def current() -> Service:
    if _service is None:
        raise SignbridgeError("the model is still loading; try again in a moment")
    return _service


def stop() -> None:
    """The pipeline's cleanup hook: remove the overlays and replays written while serving."""
    if _service is not None:
        shutil.rmtree(_service.output_dir, ignore_errors=True)
