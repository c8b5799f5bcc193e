"""Each named counterexample change alters what its name says, and only that."""

from typing import get_args

import numpy as np
import pydantic
import pytest
import tensorflow as tf

from signbridge.config import CounterexampleChange, TrainConfig
from signbridge.data.files import read_index, read_landmark_file
from signbridge.data.landmarks import cached_part_slices, cached_rows
from signbridge.model.counterexamples import CHANGES, counterexample
from tests.conftest import SAMPLE_ROOT

PARTS = cached_part_slices()
HANDS = np.r_[PARTS["left_hand"], PARTS["right_hand"]]


@pytest.fixture(scope="module")
def sign() -> np.ndarray:
    """A real sample sequence, as cached rows `[n, 148, 3]`."""
    path = read_index(SAMPLE_ROOT)["path"].iloc[0]
    return read_landmark_file(path)[:, cached_rows()].astype(np.float32)


def test_the_config_names_every_change_and_refuses_others():
    assert set(get_args(CounterexampleChange)) == set(CHANGES)
    assert set(TrainConfig().counterexamples) < set(CHANGES)
    with pytest.raises(pydantic.ValidationError, match="counterexamples"):
        TrainConfig(counterexamples=["location", "wiggle"])


@pytest.mark.parametrize("name", sorted(CHANGES))
def test_each_change_alters_the_hands_and_leaves_the_body(sign, name):
    tf.random.set_seed(0)
    changed = counterexample(tf.constant(sign), [name]).numpy()
    body = np.setdiff1d(np.arange(sign.shape[1]), HANDS)
    if name == "twice":
        assert len(changed) == 2 * len(sign)
        np.testing.assert_array_equal(changed[len(sign):], sign)
        return
    assert changed.shape == sign.shape
    if name == "reverse":
        np.testing.assert_array_equal(changed, sign[::-1])
        return
    np.testing.assert_array_equal(changed[:, body], sign[:, body])
    before, after = sign[:, HANDS], changed[:, HANDS]
    appeared = np.isfinite(before) != np.isfinite(after)  # a second hand where there was none
    moved = np.abs(np.nan_to_num(after) - np.nan_to_num(before)) > 0.01
    assert (appeared | moved).mean() > 0.05  # a visible change of the hands, not a rounding


def test_a_hand_seen_in_a_few_frames_is_moved_not_frozen(sign):
    """Frozen, a hand seen in 2 frames is nearly the real sign: "still" moves it instead."""
    from signbridge.model.counterexamples import MIN_STILL_FRAMES

    seen = np.flatnonzero(np.isfinite(sign[:, HANDS, 0]).any(axis=1))
    assert len(seen) >= MIN_STILL_FRAMES
    short = sign.copy()
    short[seen[2:], HANDS[:, None], :] = np.nan  # the hand seen in only the first two frames
    tf.random.set_seed(0)
    frozen = CHANGES["still"](tf.constant(sign)).numpy()[seen][:, HANDS]
    held = frozen[:, np.isfinite(frozen[0, :, 0]), 0]  # the rows of the hand(s) it froze
    assert held.size and held.std(axis=0).max() < 1e-6  # long enough: held still
    moved = CHANGES["still"](tf.constant(short)).numpy()[seen[:2]][:, HANDS]
    shift = np.nanmean(moved[..., :2] - short[seen[:2]][:, HANDS, :2], axis=(0, 1))
    assert np.linalg.norm(shift) > 0.05  # short: moved to another place
