"""Live practice: the stream is cut into signs by hand presence, on real landmark sequences."""

import numpy as np

from signbridge.data.landmarks import PART_SIZES, PART_START
from signbridge.serving.acceptance import frames_with_hands
from signbridge.serving.live import SignSegmenter


def without_hands(frames: np.ndarray) -> np.ndarray:
    """The same frames with both hands down (not detected)."""
    quiet = frames.copy()
    for hand in ("left_hand", "right_hand"):
        quiet[:, PART_START[hand]:PART_START[hand] + PART_SIZES[hand]] = np.nan
    return quiet


def stream(segmenter: SignSegmenter, frames: np.ndarray) -> list[np.ndarray]:
    found = [sign for frame in frames if (sign := segmenter.push(frame)) is not None]
    last = segmenter.flush()
    return found + ([last] if last is not None else [])


def signed(sequence: np.ndarray) -> np.ndarray:
    """The frames of a real sequence from the first to the last frame with a hand."""
    seen = np.flatnonzero([frames_with_hands(f[None]) for f in sequence])
    return sequence[seen[0]:seen[-1] + 1]


def steady_signs(dataset, count: int) -> list[np.ndarray]:
    """Real sequences with a hand in view throughout (no gap over 3 frames), 15+ frames long."""
    found = []
    for sequence in dataset.sequences():
        part = signed(sequence)
        seen = np.array([frames_with_hands(f[None]) for f in part], bool)
        gaps = np.diff(np.flatnonzero(seen))
        if len(part) >= 15 and (gaps <= 4).all() and seen[:2].all():
            found.append(part)
        if len(found) == count:
            return found
    raise AssertionError("the sample has no such sequences")


def test_two_signs_between_pauses_are_cut_into_two(sample_dataset):
    first, second = steady_signs(sample_dataset, 2)
    rest = without_hands(first[:1].repeat(15, axis=0))
    signs = stream(SignSegmenter(), np.concatenate([rest, first, rest, second, rest]))
    assert len(signs) == 2
    for found, expected in zip(signs, (first, second), strict=True):
        # The sign, with at most the short gaps inside it, and none of the rest around it.
        assert abs(len(found) - len(expected)) <= 1
        assert frames_with_hands(found) == frames_with_hands(expected)


def test_a_hand_passing_by_and_short_dropouts_are_not_signs():
    segmenter = SignSegmenter(start_frames=2, end_frames=4, min_frames=6)
    hand = np.full((543, 3), np.nan, np.float32)
    hand[PART_START["right_hand"]:PART_START["right_hand"] + 21] = 0.5
    quiet = np.full((543, 3), np.nan, np.float32)
    glimpse = [quiet] * 5 + [hand] * 2 + [quiet] * 10  # too short to be a sign
    assert stream(segmenter, np.stack(glimpse)) == []
    with_dropout = [quiet] * 3 + [hand] * 5 + [quiet] * 2 + [hand] * 5 + [quiet] * 6
    (sign,) = stream(segmenter, np.stack(with_dropout))
    assert len(sign) == 12  # one sign: the 2-frame dropout is inside it, the pause after is not


def test_a_sign_still_under_way_when_the_camera_stops_is_kept(sample_dataset):
    (sequence,) = steady_signs(sample_dataset, 1)
    segmenter = SignSegmenter()
    assert all(segmenter.push(frame) is None for frame in sequence)
    assert len(segmenter.flush()) == len(sequence)
