"""The cross-validation summary: mean, pooled and worst fold, worst read the right way round, and
what each fixed acceptance threshold would do."""

import numpy as np
import pandas as pd
import pytest

from mlops.crossval import summarise, summarise_tradeoff, tradeoff_markdown
from signbridge.model.crossval import threshold_rows
from signbridge.model.evaluation import OtherSource
from signbridge.serving.acceptance import AcceptanceRule
from tests.serving.test_acceptance import frames, probabilities


def test_worst_fold_is_the_lowest_rate_but_the_highest_not_sure():
    table = pd.DataFrame({"fold": [1, 2], "sequences": [16, 48], "top1_accuracy": [1.0, 0.75],
                          "accepted_right": [0.5, 0.75], "not_sure": [0.5, 0.0],
                          "asl-app-100/unknown_not_sure": [0.9, 0.6]})
    summary = summarise(table)
    assert summary["top1_accuracy_worst"] == 0.75 and summary["accepted_right_worst"] == 0.5
    assert summary["not_sure_worst"] == 0.5  # half the known signs unanswered is the worse fold
    assert summary["asl-app-100/unknown_not_sure_worst"] == 0.6  # there "not sure" is right
    assert summary["top1_accuracy_mean"] == 0.875
    assert summary["top1_accuracy_pooled"] == (16 * 1.0 + 48 * 0.75) / 64


def test_each_fixed_threshold_is_judged_like_the_served_rule():
    known = ["hello", "thankyou"]
    sure, unsure = probabilities(hello=0.9, thankyou=0.1), probabilities(hello=0.6, thankyou=0.4)
    held_out = OtherSource("held_out", [frames(20, 20)] * 3, ["hello", "hello", "thankyou"])
    other = OtherSource("asl-app-100", [frames(30, 30), frames(30, 0)], ["TV", "dog"])
    outputs = [(held_out, np.stack([sure, unsure, sure])),  # the last one is wrong
               (other, np.stack([unsure, sure]))]  # "dog" has no hands: not sure at any threshold
    fitted = AcceptanceRule(known, temperature=2.0, min_confidence=0.99, min_frames=2,
                            min_hand_frames=1)  # its own threshold and temperature give way
    rows = pd.DataFrame(threshold_rows(1, outputs, fitted)).set_index("threshold")
    assert rows.loc[0.55, "accepted_right"] == pytest.approx(2 / 3)
    assert rows.loc[0.55, "accepted_wrong"] == pytest.approx(1 / 3)
    assert rows.loc[0.55, "asl-app-100/unknown_not_sure"] == 0.5
    assert rows.loc[0.65, "accepted_right"] == pytest.approx(1 / 3)
    assert rows.loc[0.65, "asl-app-100/unknown_not_sure"] == 1.0
    assert rows.loc[0.95, "accepted_right"] == 0.0


def test_the_threshold_summary_reads_each_figure_the_right_way_round():
    per_fold = pd.DataFrame({"fold": [1, 2, 1, 2], "threshold": [0.5, 0.5, 0.8, 0.8],
                             "accepted_right": [1.0, 0.5, 0.75, 0.25],
                             "accepted_wrong": [0.0, 0.25, 0.0, 0.0],
                             "asl-app-100/unknown_not_sure": [0.5, 0.75, 1.0, 0.5]})
    summary = summarise_tradeoff(per_fold).set_index("threshold")
    assert summary.loc[0.5, "accepted_right_mean"] == 0.75
    assert summary.loc[0.5, "accepted_right_worst"] == 0.5
    assert summary.loc[0.5, "accepted_wrong_worst"] == 0.25  # the most wrong answers
    assert summary.loc[0.8, "asl-app-100/unknown_not_sure_worst"] == 0.5
    assert "| 0.80 | 0.500 / 0.250 | 0.000 / 0.000 | 0.750 / 0.500 |" in tradeoff_markdown(
        summarise_tradeoff(per_fold))
