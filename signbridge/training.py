"""Fitting the classifier: Adam, cross-entropy, early stopping on held-out validation signers."""

from collections.abc import Callable
from dataclasses import dataclass

import keras
import numpy as np

from signbridge.config import ModelConfig, TrainConfig
from signbridge.feature_shards import FeatureShards
from signbridge.features import FeatureSet
from signbridge.model import build_classifier

EpochCallback = Callable[[int, dict[str, float]], None]


class _EpochReporter(keras.callbacks.Callback):
    def __init__(self, report: EpochCallback) -> None:
        super().__init__()
        self.report = report

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.report(epoch, {name: float(value) for name, value in (logs or {}).items()})


@dataclass
class TrainingResult:
    model: keras.Model
    history: dict[str, list[float]]
    best_epoch: int


def train_classifier(
    train: FeatureShards,
    validation: FeatureSet,
    model_config: ModelConfig,
    train_config: TrainConfig,
    on_epoch_end: EpochCallback | None = None,
) -> TrainingResult:
    """Train a fresh classifier on batches streamed from feature shards; keeps the weights of the
    epoch with the lowest validation loss."""
    keras.utils.set_random_seed(train_config.seed)
    model = build_classifier(model_config, train.max_frames)
    model.compile(
        optimizer=keras.optimizers.Adam(train_config.learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    callbacks: list[keras.callbacks.Callback] = [
        keras.callbacks.EarlyStopping(
            monitor="val_loss", patience=train_config.patience, restore_best_weights=True
        )
    ]
    if on_epoch_end:
        callbacks.append(_EpochReporter(on_epoch_end))
    history = model.fit(
        train.tf_dataset(train_config.batch_size, train_config.seed),
        validation_data=(tuple(validation.inputs()), validation.labels),
        epochs=train_config.epochs,
        callbacks=callbacks,
        verbose=2,
    ).history
    best_epoch = int(np.argmin(history["val_loss"]))
    return TrainingResult(model, history, best_epoch)
