"""Scoring on held-out signers: a model run through TFLite one raw sequence at a time (how models
trained elsewhere are assessed) gets the same acceptance rule and figures as through Keras."""

import numpy as np

from signbridge.config import EvaluationConfig, ModelConfig
from signbridge.model.evaluation import assess, assess_exported, share_interval, summary_lines
from signbridge.model.export import convert_to_tflite
from signbridge.model.features import FeatureSet
from signbridge.model.network import build_classifier
from signbridge.model.preprocessing import preprocess_sequences
from signbridge.serving.classifier import SignClassifier
from tests.tflite_models import MAX_FRAMES, PREPROCESS

KNOWN = ["hello", "thankyou"]


def test_exported_assessment_matches_the_keras_one(sample_dataset, tmp_path):
    chosen = sample_dataset.subset(np.arange(0, 120, 3))  # 40 sequences, both signs
    sequences, labels = list(chosen.sequences()), chosen.labels
    classifier = build_classifier(ModelConfig(width=16, num_blocks=1, num_heads=2), MAX_FRAMES)
    features, masks = preprocess_sequences(sequences, PREPROCESS)
    validation = FeatureSet(features[:20], masks[:20], labels[:20])
    held_out = FeatureSet(features[20:], masks[20:], labels[20:])
    settings = EvaluationConfig(keep=0.9)

    expected = assess(classifier, PREPROCESS, settings, KNOWN, validation, held_out,
                      sequences[20:], [])
    exported = SignClassifier(convert_to_tflite(classifier, PREPROCESS, tmp_path / "m.tflite"))
    actual = assess_exported(exported, zip(sequences[:20], labels[:20], strict=True),
                             zip(sequences[20:], labels[20:], strict=True), settings, KNOWN, [])
    assert actual.rule == expected.rule
    assert actual.metrics.keys() == expected.metrics.keys()
    assert all(abs(actual.metrics[k] - expected.metrics[k]) < 1e-6 for k in expected.metrics)
    assert actual.metrics["evaluation_sequences"] == 20


def test_a_share_comes_with_its_interval_which_narrows_with_more_sequences():
    low, high = share_interval(59 / 64, 64)  # Wilson score interval, worked by hand
    assert round(low, 3) == 0.830 and round(high, 3) == 0.966
    none_of_ten = share_interval(0.0, 10)
    assert none_of_ten[0] == 0.0 and 0.27 < none_of_ten[1] < 0.28  # 0 of 10 allows up to 28 %
    wide, narrow = share_interval(0.9, 50), share_interval(0.9, 5000)
    assert wide[0] < narrow[0] < 0.9 < narrow[1] < wide[1]


def test_the_console_summary_gives_counts_and_intervals():
    lines = summary_lines({"top1_accuracy": 0.969, "accepted_right": 59 / 64, "not_sure": 5 / 64,
                           "known_sequences": 64.0, "asl-app-100/accepted_right": 1.0,
                           "asl-app-100/unknown_not_sure": 89 / 98,
                           "asl-app-100/unknown_sequences": 98.0})
    assert lines == [
        "held-out signers: top-1 96.9%, accepted and right 92.2% (59 of 64; 95% interval "
        "83%-97%), not sure 7.8%",
        "asl-app-100: other signs answered 'not sure' 90.8% (89 of 98; 95% interval 83%-95%), "
        "its known signs accepted and right 100.0%",
    ]
