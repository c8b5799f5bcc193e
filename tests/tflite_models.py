"""Small `.tflite` models built at test time with the project's own export code: one that keeps
the competition contract, and ones that break it (NaN on missing parts, wrong output shape)."""

from pathlib import Path

import keras
import tensorflow as tf

from signbridge.config import ModelConfig, PreprocessConfig
from signbridge.model.export import convert_to_tflite, function_to_tflite
from signbridge.model.network import build_classifier

MAX_FRAMES = 16
PREPROCESS = PreprocessConfig(max_frames=MAX_FRAMES, anchor="shoulders", correct_aspect=True)


def contract_model(path: Path) -> Path:
    """A tiny project classifier, NaN-safe preprocessing inside: probabilities over 250 signs."""
    classifier = build_classifier(ModelConfig(width=16, num_blocks=1, num_heads=2), MAX_FRAMES)
    return convert_to_tflite(classifier, PREPROCESS, path)


def _raw_mean_model(path: Path, outputs: int, activation: str | None) -> Path:
    """A Dense over the mean of the raw frames: no NaN handling, so a missing part poisons it."""
    dense = keras.Sequential([keras.Input((543 * 3,)), keras.layers.Dense(outputs, activation)])

    def predict(inputs: tf.Tensor) -> dict[str, tf.Tensor]:
        return {"outputs": dense(tf.reshape(tf.reduce_mean(inputs, axis=0), [1, -1]))[0]}

    return function_to_tflite(dense, predict, path)


def nan_model(path: Path) -> Path:
    return _raw_mean_model(path, 250, "softmax")


def ten_sign_model(path: Path) -> Path:
    return _raw_mean_model(path, 10, "softmax")


def logits_model(path: Path) -> Path:
    """NaN-safe, 250 outputs, but logits (no softmax), as many competition models answer."""
    dense = keras.Sequential([keras.Input((543 * 3,)), keras.layers.Dense(250)])

    def predict(inputs: tf.Tensor) -> dict[str, tf.Tensor]:
        finite = tf.where(tf.math.is_finite(inputs), inputs, 0.0)
        return {"outputs": 5.0 * dense(tf.reshape(tf.reduce_mean(finite, axis=0), [1, -1]))[0]}

    return function_to_tflite(dense, predict, path)


def face_centred_model(path: Path) -> Path:
    """NaN-safe for hands, but centred on the face: 0 / 0 when no face was seen."""
    dense = keras.Sequential([keras.Input((543 * 3,)), keras.layers.Dense(250, "softmax")])

    def predict(inputs: tf.Tensor) -> dict[str, tf.Tensor]:
        face = inputs[:, :468]
        seen = tf.math.is_finite(face)
        centre = (tf.reduce_sum(tf.where(seen, face, 0.0), axis=[0, 1])
                  / tf.reduce_sum(tf.cast(seen, tf.float32), axis=[0, 1]))
        centred = tf.where(tf.math.is_finite(inputs), inputs - centre, 0.0)
        return {"outputs": dense(tf.reshape(tf.reduce_mean(centred, axis=0), [1, -1]))[0]}

    return function_to_tflite(dense, predict, path)
