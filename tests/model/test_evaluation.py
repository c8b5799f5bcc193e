"""Scoring on held-out signers: a model run through TFLite one raw sequence at a time (how models
trained elsewhere are assessed) gets the same acceptance rule and figures as through Keras."""

import numpy as np

from signbridge.config import EvaluationConfig, ModelConfig
from signbridge.model.evaluation import assess, assess_exported
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
