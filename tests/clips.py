"""Build test videos at test time: a real person (scikit-image's public-domain astronaut photo,
shifted a few pixels per frame), a scene with no person, and damaged files. Nothing downloaded."""

from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
from skimage import data


def _write(frames, path: Path, fps: int, codec: str, container: str, audio: bool) -> Path:
    with av.open(str(path), "w", format=container) as output:
        video = output.add_stream(codec, rate=fps)
        video.height, video.width = frames[0].shape[:2]
        video.pix_fmt = "yuv420p"
        sound = None
        if audio:
            sound = output.add_stream("libopus" if container == "webm" else "aac", rate=48000)
        for frame in frames:
            output.mux(video.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        output.mux(video.encode())
        if sound is not None:
            samples_per_frame = 960
            seconds = len(frames) / fps
            tone = (0.1 * np.sin(2 * np.pi * 440 * np.arange(int(48000 * seconds)) / 48000))
            for start in range(0, len(tone) - samples_per_frame, samples_per_frame):
                chunk = tone[start:start + samples_per_frame].astype(np.float32)[None]
                audio_frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="mono")
                audio_frame.sample_rate = 48000
                audio_frame.pts = start
                audio_frame.time_base = Fraction(1, 48000)
                output.mux(sound.encode(audio_frame))
            output.mux(sound.encode())
    return path


def person_clip(path: Path, seconds: float = 2.0, fps: int = 30, size=(640, 480),
                codec: str = "libx264", container: str = "mp4", audio: bool = False) -> Path:
    """A clip of a real person: the astronaut photo, drifting a few pixels each frame."""
    width, height = size
    photo = data.astronaut()
    scale = min(width / photo.shape[1], height / photo.shape[0]) * 0.9
    person = cv2.resize(photo, (int(photo.shape[1] * scale), int(photo.shape[0] * scale)))
    frames = []
    for i in range(max(1, round(seconds * fps))):
        canvas = np.full((height, width, 3), 30, np.uint8)
        dx, dy = (width - person.shape[1]) // 2 + (i % 6), (height - person.shape[0]) // 2 + (i % 4)
        canvas[dy:dy + person.shape[0], dx:dx + person.shape[1]] = person
        frames.append(canvas)
    return _write(frames, path, fps, codec, container, audio)


def empty_scene_clip(path: Path, seconds: float = 1.0, fps: int = 24, size=(320, 240)) -> Path:
    """A clip with no person in it: a slowly moving colour gradient."""
    width, height = size
    x = np.linspace(0, 255, width, dtype=np.float32)[None, :, None]
    frames = [
        np.broadcast_to((x + i * 3) % 256, (height, width, 3)).astype(np.uint8).copy()
        for i in range(max(1, round(seconds * fps)))
    ]
    return _write(frames, path, fps, "libx264", "mp4", False)


def not_a_video(path: Path) -> Path:
    path.write_text("These are notes, not a video.\n")
    return path


def truncated_video(path: Path, source: Path, keep_bytes: int = 600) -> Path:
    path.write_bytes(source.read_bytes()[:keep_bytes])
    return path
