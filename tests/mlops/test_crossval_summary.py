"""The cross-validation summary: mean, pooled and worst fold, worst read the right way round."""

import pandas as pd

from mlops.crossval import summarise


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
