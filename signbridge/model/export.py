"""Keras -> TFLite with preprocessing inside, checked against Keras on real sequences."""

import tempfile
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from signbridge.config import PreprocessConfig
from signbridge.console import native_noise_filtered
from signbridge.data.landmarks import ROWS_PER_FRAME
from signbridge.errors import SignbridgeError
from signbridge.model.preprocessing import preprocessing_layer
from signbridge.serving.classifier import INPUT_NAME, OUTPUT_NAME, SIGNATURE, SignClassifier


class ParityError(SignbridgeError):
    """The TFLite model does not reproduce the Keras model."""


def end_to_end_function(classifier: keras.Model, preprocess: PreprocessConfig):
    """Raw frames `[n, 543, 3]` -> probabilities `[250]`: preprocessing then the classifier."""
    preprocessing = preprocessing_layer(preprocess)

    def predict(inputs: tf.Tensor) -> dict[str, tf.Tensor]:
        features, mask = preprocessing(inputs)
        probabilities = classifier([features[None], mask[None]], training=False)
        return {OUTPUT_NAME: probabilities[0]}

    return predict


QUANTIZATIONS = ("float32", "float16", "dynamic_int8")


def convert_to_tflite(
    classifier: keras.Model, preprocess: PreprocessConfig, path: str | Path,
    quantization: str = "float32",
) -> Path:
    """Write a `.tflite` with signature `serving_default`: `inputs` [None,543,3] -> `outputs` [250].

    `quantization`: float32 (exact), float16 weights, or dynamic-range int8 weights.
    """
    return function_to_tflite(classifier, end_to_end_function(classifier, preprocess), path,
                              quantization)


def function_to_tflite(
    tracked: keras.Model, function, path: str | Path, quantization: str = "float32",
) -> Path:
    """Write `function` (raw frames `inputs` [None, 543, 3] -> {"outputs": ...}) as a `.tflite`
    with signature `serving_default`; `tracked` holds the weights it uses. Keras 3 needs this
    ExportArchive route: `from_keras_model` names signatures wrongly."""
    if quantization not in QUANTIZATIONS:
        raise SignbridgeError(f"export.quantized: '{quantization}' is not one of {QUANTIZATIONS}")
    path = Path(path)
    archive = keras.export.ExportArchive()
    archive.track(tracked)
    archive.add_endpoint(
        SIGNATURE, function,
        input_signature=[tf.TensorSpec([None, ROWS_PER_FRAME, 3], tf.float32, name=INPUT_NAME)],
    )
    with tempfile.TemporaryDirectory() as saved_model:
        archive.write_out(saved_model, verbose=False)
        converter = tf.lite.TFLiteConverter.from_saved_model(
            saved_model, signature_keys=[SIGNATURE]
        )
        if quantization != "float32":
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
        if quantization == "float16":
            converter.target_spec.supported_types = [tf.float16]
        with native_noise_filtered():
            path.write_bytes(converter.convert())
    return path


@dataclass
class ParityReport:
    max_abs_difference: float
    sequences: int
    frame_counts: list[int]


def check_parity(
    classifier: keras.Model,
    preprocess: PreprocessConfig,
    tflite_path: str | Path,
    sequences: list[np.ndarray],
    tolerance: float,
) -> ParityReport:
    """Compare Keras and TFLite outputs on the given raw sequences; raise ParityError if apart."""
    if not sequences:
        raise SignbridgeError("parity check needs at least one sequence")
    keras_predict = tf.function(  # one trace for every sequence length
        end_to_end_function(classifier, preprocess),
        input_signature=[tf.TensorSpec([None, ROWS_PER_FRAME, 3], tf.float32)])
    tflite_model = SignClassifier(tflite_path)
    worst = 0.0
    for frames in sequences:
        expected = keras_predict(tf.constant(frames, tf.float32))[OUTPUT_NAME].numpy()
        actual = tflite_model.probabilities(frames)
        if actual.shape != expected.shape:
            raise ParityError(f"{tflite_path}: output shape {actual.shape} != {expected.shape}")
        worst = max(worst, float(np.max(np.abs(actual - expected))))
    if not worst <= tolerance:
        raise ParityError(
            f"{tflite_path}: TFLite differs from Keras by {worst:.3g} (> {tolerance:g}) "
            f"on {len(sequences)} held-out sequences"
        )
    return ParityReport(worst, len(sequences), [len(s) for s in sequences])
