"""Normalised trajectories and dynamic time warping."""

import numpy as np
import pytest

from signbridge.data.files import read_landmark_file
from signbridge.errors import SignbridgeError
from signbridge.tutor.alignment import align, dtw
from signbridge.tutor.render import mirrored
from signbridge.tutor.trajectory import normalise
from tests.conftest import SAMPLE_ROOT

HELLO = SAMPLE_ROOT / "train_landmark_files/28656/3089866419.parquet"


def slow_dtw(cost: np.ndarray) -> float:
    """The textbook double loop (symmetric2 steps, first cell counted twice)."""
    n, m = cost.shape
    total = np.full((n, m), np.inf)
    for i in range(n):
        for j in range(m):
            if i == j == 0:
                total[i, j] = 2 * cost[0, 0]
                continue
            total[i, j] = min(total[i - 1, j - 1] + 2 * cost[i, j] if i and j else np.inf,
                              total[i - 1, j] + cost[i, j] if i else np.inf,
                              total[i, j - 1] + cost[i, j] if j else np.inf)
    return total[-1, -1] / (n + m)


def test_dtw_matches_the_double_loop_and_its_path_carries_the_distance():
    rng = np.random.default_rng(0)
    for n, m in [(1, 1), (1, 6), (6, 1), (7, 9), (25, 18)]:
        cost = rng.random((n, m))
        distance, path = dtw(cost)
        assert distance == pytest.approx(slow_dtw(cost), abs=1e-9)
        assert tuple(path[0]) == (0, 0) and tuple(path[-1]) == (n - 1, m - 1)
        steps = np.diff(path, axis=0)
        assert ((steps >= 0) & (steps <= 1)).all() and (steps.sum(axis=1) >= 1).all()
        weights = np.r_[2, np.where(steps.sum(axis=1) == 2, 2, 1)]
        assert (cost[path[:, 0], path[:, 1]] * weights).sum() / (n + m) == pytest.approx(distance)


def test_a_mirrored_signer_has_the_same_trajectory():
    raw = read_landmark_file(HELLO)
    a, b = normalise(raw), normalise(mirrored(raw))
    assert a.dominant != b.dominant
    for name in ("tips", "palm", "extension", "palm_normal", "other"):
        np.testing.assert_allclose(getattr(a, name), getattr(b, name), atol=1e-5)
    assert align(a, b, with_path=False)[0] < 1e-5


def test_a_slower_frame_rate_is_resampled_to_the_references():
    raw = read_landmark_file(HELLO)
    full, half, as_if_30_fps = normalise(raw), normalise(raw[::2], fps=15), normalise(raw[::2])
    assert abs(len(half) - len(full)) <= 2 and len(as_if_30_fps) < 0.6 * len(full)
    assert align(full, half, with_path=False)[0] < align(full, as_if_30_fps, with_path=False)[0]


def test_unusable_clips_say_what_is_missing():
    raw = read_landmark_file(HELLO)
    no_hands = raw.copy()
    no_hands[:, 468:489] = np.nan
    no_hands[:, 522:543] = np.nan
    with pytest.raises(SignbridgeError, match="no hand was seen"):
        normalise(no_hands)
    no_body = raw.copy()
    no_body[:, 489:522] = np.nan
    with pytest.raises(SignbridgeError, match="shoulders"):
        normalise(no_body)
    with pytest.raises(SignbridgeError, match="543, 3"):
        normalise(np.zeros((4, 10, 3)))
