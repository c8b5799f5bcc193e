"""Example clips for the Learn tab: a user's video folder, else clips rendered from the reference
performances (`references.py`) at real speed and at half speed.

Clips are looked up by sign name in an index built from a directory listing, never by joining
user input into a path, so a request cannot reach files outside the configured folders.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

from signbridge.data.landmarks import sign_to_index
from signbridge.errors import SignbridgeError
from signbridge.tutor.references import Reference, ReferenceLibrary

# `<sign_ord>_<sign>_<n>.mp4`, as ISLR demo folders name their clips.
VIDEO_NAME = re.compile(r"^(?P<ord>\d+)_(?P<sign>.+)_(?P<n>\d+)\.mp4$", re.IGNORECASE)
# Part of every rendered clip's name: bump it when the drawing changes, so old clips are not served.
RENDER_VERSION = 2
SPEEDS = {1.0: "real", 0.5: "half"}


class ClipLibrary:
    """Example clips per sign, from `video_dir` if configured, else rendered from `references`."""

    def __init__(
        self,
        video_dir: Path | None,
        references: ReferenceLibrary | None,
        cache_dir: Path,
        examples_per_sign: int = 3,
    ) -> None:
        self.examples_per_sign = examples_per_sign
        self.cache_dir = cache_dir
        self.references = references or ReferenceLibrary(None)
        self._render_lock = threading.Lock()
        self.videos = _index_video_folder(video_dir) if video_dir else {}

    def examples(self, sign: str, speed: float = 1.0) -> list[Path]:
        """Up to `examples_per_sign` playable clips (H.264 MP4) of `sign`, clearest first, at
        `speed` (1 or 0.5; a video folder's clips play as recorded); [] if there is no data."""
        return [self.example(sign, n, speed) for n in range(self.count(sign))]

    def count(self, sign: str) -> int:
        """How many examples `sign` has."""
        if sign not in sign_to_index():
            raise SignbridgeError(f"'{sign}' is not one of the 250 signs")
        if sign in self.videos:
            return len(self.videos[sign][: self.examples_per_sign])
        return len(self.references.for_examples(sign, self.examples_per_sign))

    def example(self, sign: str, number: int, speed: float = 1.0) -> Path:
        """Example `number` (from 0) of `sign`, rendered on first use."""
        if speed not in SPEEDS:
            raise SignbridgeError(f"speed {speed} is not one of {', '.join(map(str, SPEEDS))}")
        if not 0 <= number < self.count(sign):
            raise SignbridgeError(f"'{sign}' has no example {number + 1}")
        if sign in self.videos:
            return self.videos[sign][number]
        reference = self.references.for_examples(sign, self.examples_per_sign)[number]
        return self._rendered(sign, reference, speed)

    def _rendered(self, sign: str, reference: Reference, speed: float) -> Path:
        from signbridge.tutor.render import render_clip

        name = (f"{sign_to_index()[sign]:03d}_{reference.participant_id}_"
                f"{reference.sequence_id}_v{RENDER_VERSION}_{SPEEDS[speed]}.mp4")
        clip = self.cache_dir / name
        with self._render_lock:
            if not clip.is_file():
                render_clip(reference.landmarks(), clip, slow_motion=speed)
        return clip


def _index_video_folder(video_dir: Path) -> dict[str, list[Path]]:
    if not video_dir.is_dir():
        raise SignbridgeError(f"{video_dir}: tutorial video folder not found (app.tutorial_video_dir)")
    root = video_dir.resolve()
    known = set(sign_to_index())
    found: dict[str, list[tuple[int, Path]]] = {}
    for path in root.iterdir():
        match = VIDEO_NAME.match(path.name)
        resolved = path.resolve()
        # Symlinks pointing out of the folder are ignored.
        if not match or match["sign"] not in known or not resolved.is_relative_to(root):
            continue
        if resolved.is_file():
            found.setdefault(match["sign"], []).append((int(match["n"]), resolved))
    return {sign: [p for _, p in sorted(items)] for sign, items in found.items()}
