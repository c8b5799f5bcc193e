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


def foreign_metadata_clip(path: Path, source: Path) -> Path:
    """A copy of `source` whose title and tags are Latin-1 bytes, not UTF-8, as some cameras and
    editors write them (browsers play such files)."""
    with av.open(str(source)) as original, av.open(str(path), "w", format="mp4",
                                                    metadata_encoding="latin-1") as copy:
        copy.metadata["title"] = "Caf\xe9 \xabsigne\xbb \xff"
        copy.metadata["comment"] = "enregistr\xe9 \xe0 la maison"
        stream = copy.add_stream_from_template(original.streams.video[0])
        stream.metadata["handler_name"] = "Vid\xe9o"
        for packet in original.demux(original.streams.video[0]):
            if packet.dts is not None:
                packet.stream = stream
                copy.mux(packet)
    return path


def unknown_codec_clip(path: Path) -> Path:
    """An AVI whose video stream is tagged with a codec no decoder knows."""
    frames = [np.full((120, 160, 3), 20 * i, np.uint8) for i in range(5)]
    with av.open(str(path), "w", format="avi") as output:
        video = output.add_stream("mjpeg", rate=10)
        video.width, video.height, video.pix_fmt = 160, 120, "yuvj420p"
        for frame in frames:
            output.mux(video.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        output.mux(video.encode())
    path.write_bytes(path.read_bytes().replace(b"MJPG", b"QQQQ"))
    return path


def audio_only_clip(path: Path, seconds: float = 0.5) -> Path:
    """An M4A file: a valid container with sound and no picture."""
    with av.open(str(path), "w", format="mp4") as output:
        sound = output.add_stream("aac", rate=48000)
        for start in range(0, int(48000 * seconds), 1024):
            frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp",
                                               layout="mono")
            frame.sample_rate, frame.pts, frame.time_base = 48000, start, Fraction(1, 48000)
            output.mux(sound.encode(frame))
        output.mux(sound.encode())
    return path


def damaged_data_clip(path: Path, seconds: float = 1.0) -> Path:
    """An MP4 whose header is intact (index first) but whose picture data is noise."""
    frames = [np.full((120, 160, 3), 10 * i, np.uint8) for i in range(round(seconds * 10))]
    with av.open(str(path), "w", format="mp4", options={"movflags": "+faststart"}) as output:
        video = output.add_stream("libx264", rate=10)
        video.width, video.height, video.pix_fmt = 160, 120, "yuv420p"
        for frame in frames:
            output.mux(video.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        output.mux(video.encode())
    content = bytearray(path.read_bytes())
    payload = content.find(b"mdat") + 4
    noise = np.random.default_rng(0).integers(0, 256, len(content) - payload, dtype=np.uint8)
    content[payload:] = noise.tobytes()
    path.write_bytes(bytes(content))
    return path


def still_image(path: Path) -> Path:
    """A JPEG photo of a person, uploaded where a clip was expected."""
    cv2.imwrite(str(path), cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR))
    return path
