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
