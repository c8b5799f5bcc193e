"""The classifier's contract: 250 probabilities per sequence, padding ignored, saves and loads."""

import keras
import numpy as np

from signbridge.config import ModelConfig
from signbridge.model.network import build_classifier

SMALL = ModelConfig(width=32, num_blocks=1, num_heads=2, dropout=0.0)


def test_output_is_a_distribution_over_250_signs():
    model = build_classifier(SMALL, max_frames=16)
    features = np.random.default_rng(0).random((3, 16, 65, 4), dtype=np.float32)
    probabilities = np.asarray(model([features, np.ones((3, 16), np.float32)]))
    assert probabilities.shape == (3, 250)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)


def test_padded_frames_do_not_change_the_prediction():
    model = build_classifier(SMALL, max_frames=16)
    features = np.random.default_rng(1).random((1, 16, 65, 4), dtype=np.float32)
    mask = np.zeros((1, 16), np.float32)
    mask[:, :6] = 1
    features[:, 6:] = 0
    noisy = features.copy()
    noisy[:, 6:] = 5.0  # garbage in the padding
    np.testing.assert_allclose(model([features, mask]), model([noisy, mask]), atol=1e-5)


def test_saved_model_reloads_identically(tmp_path):
    model = build_classifier(SMALL, max_frames=16)
    inputs = [np.random.default_rng(2).random((2, 16, 65, 4), dtype=np.float32),
              np.ones((2, 16), np.float32)]
    model.save(tmp_path / "model.keras")
    reloaded = keras.saving.load_model(tmp_path / "model.keras")
    np.testing.assert_allclose(model(inputs), reloaded(inputs), atol=1e-6)
