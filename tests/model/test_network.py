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


def test_an_ensemble_trains_each_member_and_answers_their_mean(tmp_path):
    from signbridge.model.network import MemberCrossentropy, ensemble_answer

    config = SMALL.model_copy(update={"members": 3})
    model = build_classifier(config, max_frames=16)
    inputs = [np.random.default_rng(3).random((4, 16, 65, 4), dtype=np.float32),
              np.ones((4, 16), np.float32)]
    members = np.asarray(model(inputs))
    assert members.shape == (4, 3, 250)
    assert not np.allclose(members[:, 0], members[:, 1])  # each starts from its own weights
    answer = ensemble_answer(model)
    np.testing.assert_allclose(answer(inputs), members.mean(axis=1), atol=1e-6)
    assert ensemble_answer(build_classifier(SMALL, max_frames=16)).output.shape == (None, 250)

    # The loss is every member's cross-entropy, averaged: a member that is wrong costs the same
    # whichever it is.
    target = keras.utils.to_categorical([7, 7, 7, 7], 250)
    loss = MemberCrossentropy()
    per_member = [float(keras.losses.CategoricalCrossentropy()(target, members[:, m]))
                  for m in range(3)]
    assert abs(float(loss(target, members)) - np.mean(per_member)) < 1e-4

    answer.save(tmp_path / "ensemble.keras")
    reloaded = keras.saving.load_model(tmp_path / "ensemble.keras")
    np.testing.assert_allclose(answer(inputs), reloaded(inputs), atol=1e-6)
