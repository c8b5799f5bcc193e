"""Example clips for the Learn tab: a user's video folder, else clips rendered from real landmarks.

Clips are looked up by sign name in an index built from a directory listing, never by joining
user input into a path, so a request cannot reach files outside the configured folders.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

from signbridge.data.files import read_index, read_landmark_file
from signbridge.data.landmarks import index_to_sign, sign_to_index
from signbridge.errors import SignbridgeError

# `<sign_ord>_<sign>_<n>.mp4`, as ISLR demo folders name their clips.
VIDEO_NAME = re.compile(r"^(?P<ord>\d+)_(?P<sign>.+)_(?P<n>\d+)\.mp4$", re.IGNORECASE)


class ClipLibrary:
    """Example clips per sign, from `video_dir` if configured, else rendered from `data_root`."""

    def __init__(
        self,
        video_dir: Path | None,
        data_root: Path | None,
        cache_dir: Path,
        examples_per_sign: int = 3,
    ) -> None:
        self.examples_per_sign = examples_per_sign
        self.cache_dir = cache_dir
        self._render_lock = threading.Lock()
        self.videos = _index_video_folder(video_dir) if video_dir else {}
        self.sequences = _index_sequences(data_root) if data_root and not self.videos else {}

    def signs(self) -> list[str]:
        """All 250 signs, alphabetically."""
        return sorted(index_to_sign(), key=str.lower)

    def search(self, query: str) -> list[str]:
        query = query.strip().lower()
        return [sign for sign in self.signs() if query in sign.lower()]

    def examples(self, sign: str) -> list[Path]:
        """Up to `examples_per_sign` playable clips (H.264 MP4) of `sign`; [] if there is no data."""
        if sign not in sign_to_index():
            raise SignbridgeError(f"'{sign}' is not one of the 250 signs")
        if sign in self.videos:
            return self.videos[sign][: self.examples_per_sign]
        return [self._rendered(sign, n, path)
                for n, path in enumerate(self.sequences.get(sign, [])[: self.examples_per_sign])]

    def _rendered(self, sign: str, n: int, sequence_path: str) -> Path:
        from signbridge.tutor.render import render_clip

        clip = self.cache_dir / f"{sign_to_index()[sign]:03d}_{n}.mp4"
        with self._render_lock:
            if not clip.is_file():
                clip.parent.mkdir(parents=True, exist_ok=True)
                render_clip(read_landmark_file(sequence_path), clip)
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


def _index_sequences(data_root: Path) -> dict[str, list[str]]:
    try:
        index = read_index(data_root)
    except SignbridgeError:
        return {}
    index = index.sort_values(["sign", "participant_id", "sequence_id"])
    return {str(sign): group["path"].tolist() for sign, group in index.groupby("sign")}
