"""Reference performances of a sign: the Learn tab's examples and what feedback compares with.

One pick serves both. From each signer, the clearest sequence (long enough to watch, the signing
hand in view throughout); then the signers ordered by how typical their performance is: the
median DTW distance to the other signers' picks. Typicality leaves out signers who make a sign
their own way (in the sample one signer waves HELLO at the shoulder instead of saluting from the
forehead), and it needs no labels beyond the sign.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from signbridge.data.files import read_index, read_landmark_file
from signbridge.data.landmarks import PART_START
from signbridge.errors import SignbridgeError
from signbridge.tutor.alignment import align
from signbridge.tutor.render import MAX_GAP
from signbridge.tutor.trajectory import SOURCE_FPS, Trajectory, normalise

WATCHABLE_FRAMES = (20, 120)  # ~0.7-4 s: shorter is over before a learner sees it
CLEAR_SHARE = 0.8  # an example keeps the signing hand in view for this share of its frames
FEEDBACK_REFERENCES = 5  # references a learner is compared with


@dataclass(frozen=True)
class Reference:
    """One performance of a sign, measured."""

    path: str
    participant_id: str
    sequence_id: str
    frames: int
    hand: str  # the signing hand's part: "left_hand" or "right_hand"
    hand_frames: int  # frames where MediaPipe saw it
    in_view: int  # longest stretch with it in view, dropouts of <= MAX_GAP frames bridged
    longest_gap: int  # longest dropout between its first and last sighting
    trajectory: Trajectory = field(repr=False, compare=False)
    typicality: float = float("nan")  # median DTW distance to the other signers' picks
    reason: str = ""

    @property
    def clear(self) -> bool:
        """Long enough to watch, and the signing hand in view nearly throughout."""
        return (WATCHABLE_FRAMES[0] <= self.frames <= WATCHABLE_FRAMES[1]
                and self.in_view >= CLEAR_SHARE * self.frames)

    def landmarks(self) -> np.ndarray:
        return read_landmark_file(self.path)


def measure(path: str | Path, participant_id: str = "", sequence_id: str = "") -> Reference:
    """Measure one sequence; SignbridgeError if it is unreadable or has no signing hand."""
    landmarks = read_landmark_file(path)
    trajectory = normalise(landmarks)
    hand = f"{trajectory.dominant}_hand"
    seen = np.flatnonzero(np.isfinite(landmarks[:, PART_START[hand], 0]))
    gaps = np.diff(seen) - 1
    # Stretches of sightings whose dropouts the renderer bridges.
    breaks = np.flatnonzero(gaps > MAX_GAP)
    starts, ends = np.r_[0, breaks + 1], np.r_[breaks, len(seen) - 1]
    in_view = int((seen[ends] - seen[starts] + 1).max())
    return Reference(str(path), str(participant_id), str(sequence_id), len(landmarks), hand,
                     len(seen), in_view, int(gaps.max(initial=0)), trajectory)


def _clarity(reference: Reference) -> tuple:
    return (not reference.clear, -reference.in_view, -reference.hand_frames,
            reference.longest_gap, reference.sequence_id)


def rank(candidates: Iterable[Reference], exclude_signers: Iterable[str] = ()) -> list[Reference]:
    """Each signer's clearest performance, most typical signer first, each with its reason."""
    excluded = set(exclude_signers)
    best: dict[str, Reference] = {}
    for reference in sorted(candidates, key=_clarity):
        if reference.participant_id not in excluded:
            best.setdefault(reference.participant_id, reference)
    picks = list(best.values())
    distances = np.zeros((len(picks), len(picks)))
    for a in range(len(picks)):
        for b in range(a + 1, len(picks)):
            distances[a, b] = distances[b, a] = align(picks[a].trajectory, picks[b].trajectory,
                                                      with_path=False)[0]
    typicality = [float(np.median(np.delete(row, a))) if len(picks) > 1 else 0.0
                  for a, row in enumerate(distances)]
    order = np.argsort(typicality, kind="stable")
    return [replace(picks[a], typicality=typicality[a],
                    reason=_reason(picks[a], typicality[a], place + 1, len(picks)))
            for place, a in enumerate(order)]


def _reason(reference: Reference, typicality: float, place: int, signers: int) -> str:
    return (f"signer {reference.participant_id}, the most typical of {signers} signers"
            if place == 1 else f"signer {reference.participant_id}, typical rank {place} of "
            f"{signers}") + (
        f"; {reference.frames} frames ({reference.frames / SOURCE_FPS:.1f} s), the "
        f"{reference.hand.replace('_', ' ')} seen in {reference.hand_frames} and in view for "
        f"{reference.in_view} in a row; DTW distance to the others {typicality:.2f}")


class ReferenceLibrary:
    """Reference performances per sign from a competition-layout folder, picked on first use and
    kept (measuring a sign reads all its sequences: ~1 s for the sample's 136)."""

    def __init__(self, data_root: Path | None) -> None:
        self.data_root = data_root
        self._paths: dict[str, list[tuple[str, str, str]]] | None = None
        self._ranked: dict[str, list[Reference]] = {}
        self._lock = threading.Lock()

    def _index(self) -> dict[str, list[tuple[str, str, str]]]:
        if self._paths is None:
            self._paths = {}
            if self.data_root is not None:
                try:
                    index = read_index(self.data_root)
                except SignbridgeError:
                    index = None
                for sign, rows in ([] if index is None else index.groupby("sign")):
                    self._paths[str(sign)] = list(zip(rows["path"], rows["participant_id"],
                                                      rows["sequence_id"], strict=True))
        return self._paths

    def signs(self) -> list[str]:
        """Signs with reference data."""
        return sorted(self._index())

    def ranked(self, sign: str) -> list[Reference]:
        """All signers' picks for `sign`, best first; [] when there is no data."""
        with self._lock:
            if sign not in self._ranked:
                measured = []
                for path, participant_id, sequence_id in self._index().get(sign, []):
                    try:
                        measured.append(measure(path, participant_id, sequence_id))
                    except SignbridgeError:
                        continue  # unreadable or hand-less: no reference
                self._ranked[sign] = rank(measured)
            return self._ranked[sign]

    def for_examples(self, sign: str, count: int) -> list[Reference]:
        """The most typical clear performances (others only when too few are clear)."""
        ranked = self.ranked(sign)
        return sorted(ranked, key=lambda reference: not reference.clear)[:count]

    def for_feedback(self, sign: str) -> list[Reference]:
        """The most typical performances."""
        return self.ranked(sign)[:FEEDBACK_REFERENCES]
