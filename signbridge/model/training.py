"""Fitting the classifier: Adam(W), cross-entropy, early stopping on held-out validation signers."""

import math
import os
from collections.abc import Callable
from dataclasses import dataclass

import keras

from signbridge.config import ModelConfig, PreprocessConfig, TrainConfig
from signbridge.data.landmarks import NUM_SIGNS
from signbridge.data.shards import ShardSet
from signbridge.model.checkpoint import CheckpointEveryEpoch, Checkpoints, TrainingState
from signbridge.model.features import FeatureSet, training_dataset
from signbridge.model.network import (
    MemberCrossentropy,
    as_float32,
    build_classifier,
    ensemble_answer,
)

EpochCallback = Callable[[int, dict[str, float]], None]
StartCallback = Callable[[dict[str, str]], None]


@keras.saving.register_keras_serializable(package="signbridge")
class SignAccuracy(keras.metrics.Metric):
    """Top-1 accuracy over the examples of real signs; counterexamples (whose target is spread
    over several signs) are left out, so the figure means the same with or without them."""

    def __init__(self, name: str = "accuracy", **kwargs) -> None:
        super().__init__(name=name, **kwargs)
        self.hits = self.add_variable(shape=(), initializer="zeros", name="hits")
        self.count = self.add_variable(shape=(), initializer="zeros", name="count")

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        if len(y_pred.shape) == 3:  # an ensemble's members: their mean is its answer
            y_pred = keras.ops.mean(y_pred, axis=1)
        real = keras.ops.cast(keras.ops.max(y_true, axis=-1) > 0.6, "float32")
        right = keras.ops.cast(
            keras.ops.argmax(y_true, axis=-1) == keras.ops.argmax(y_pred, axis=-1), "float32")
        self.hits.assign_add(keras.ops.sum(right * real))
        self.count.assign_add(keras.ops.sum(real))

    def result(self):
        return self.hits / keras.ops.maximum(self.count, 1.0)

    def reset_state(self) -> None:
        self.hits.assign(0.0)
        self.count.assign(0.0)


class _EpochReporter(keras.callbacks.Callback):
    def __init__(self, report: EpochCallback) -> None:
        super().__init__()
        self.report = report

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        # Epochs are counted from 1 everywhere people see them (console, MLflow, plots).
        self.report(epoch + 1, {name: float(value) for name, value in (logs or {}).items()})


def learning_rate(
    config: TrainConfig, steps_per_epoch: int
) -> float | keras.optimizers.schedules.LearningRateSchedule:
    """A constant rate, or linear warm-up to `config.learning_rate` then cosine decay."""
    if config.schedule != "cosine":
        return config.learning_rate
    warmup = config.warmup_epochs * steps_per_epoch
    return keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=config.learning_rate * (0.01 if warmup else 1.0),
        decay_steps=max(1, (config.epochs - config.warmup_epochs) * steps_per_epoch),
        warmup_target=config.learning_rate if warmup else None,
        warmup_steps=warmup,
    )


def _optimizer(config: TrainConfig, steps_per_epoch: int) -> keras.optimizers.Optimizer:
    rate = learning_rate(config, steps_per_epoch)
    if config.optimizer == "adamw":
        return keras.optimizers.AdamW(rate, weight_decay=config.weight_decay)
    return keras.optimizers.Adam(rate)


@dataclass
class TrainingResult:
    model: keras.Model
    history: dict[str, list[float]]
    best_epoch: int  # counted from 1; the model holds this epoch's weights

    def best_metrics(self) -> dict[str, float]:
        """Every logged metric at the restored epoch (what the returned model scores)."""
        return {name: values[self.best_epoch - 1] for name, values in self.history.items()}


def device_summary(model: keras.Model) -> dict[str, str]:
    """Where and how the compiled `model` trains: accelerators, dtype policy, XLA."""
    import tensorflow as tf

    gpus = [tf.config.experimental.get_device_details(gpu).get("device_name", gpu.name)
            for gpu in tf.config.list_physical_devices("GPU")]
    return {
        "hardware": ", ".join(gpus) if gpus else f"CPU only ({os.cpu_count()} cores)",
        "precision": model.dtype_policy.name,
        "xla": "on" if model.jit_compile else "off",
    }


def train_classifier(
    train: ShardSet,
    validation: FeatureSet,
    preprocess: PreprocessConfig,
    model_config: ModelConfig,
    train_config: TrainConfig,
    on_epoch_end: EpochCallback | None = None,
    checkpoints: Checkpoints | None = None,
    resume_from: TrainingState | None = None,
    on_start: StartCallback | None = None,
) -> TrainingResult:
    """Train a classifier on freshly augmented batches streamed from the landmark shards; keeps
    the weights of the epoch with the lowest validation loss and returns them as a float32 model.

    With `checkpoints`, every epoch is saved there; with `resume_from` (a checkpoint of the same
    identity), training goes on after its last epoch instead of starting from scratch.
    """
    keras.utils.set_random_seed(train_config.seed)
    model = build_classifier(model_config, preprocess.max_frames, train_config.precision,
                             preprocess.layout())
    steps_per_epoch = max(1, math.ceil(train.sequences / train_config.batch_size))
    model.compile(
        optimizer=_optimizer(train_config, steps_per_epoch),
        # One-hot targets, because only the categorical loss supports label smoothing.
        loss=(keras.losses.CategoricalCrossentropy(label_smoothing=train_config.label_smoothing)
              if model_config.members == 1
              else MemberCrossentropy(label_smoothing=train_config.label_smoothing)),
        metrics=[SignAccuracy(name="accuracy")],
        jit_compile=train_config.jit_compile,
    )
    if on_start:
        on_start(device_summary(model))
    stopper = keras.callbacks.EarlyStopping(
        monitor="val_loss", patience=train_config.patience, restore_best_weights=True,
        start_from_epoch=train_config.min_epochs,
    )
    callbacks: list[keras.callbacks.Callback] = [stopper]
    saver = None
    first_epoch = 0
    if checkpoints is not None:
        best_weights = None
        if resume_from is not None:
            best_weights = checkpoints.restore(model, resume_from)
            # A run that early stopping had ended only needs its best weights back.
            first_epoch = train_config.epochs if resume_from.stopped else resume_from.epochs_done
        else:
            checkpoints.clear()
        saver = CheckpointEveryEpoch(checkpoints, stopper, resume_from, best_weights)
        callbacks.append(saver)
    if on_epoch_end:
        callbacks.append(_EpochReporter(on_epoch_end))
    batches = training_dataset(train, preprocess, train_config.batch_size, train_config.seed,
                               train_config.counterexample_weight, first_epoch,
                               train_config.counterexamples, train_config.counterexample_target)
    history = model.fit(
        batches,
        validation_data=(tuple(validation.inputs()),
                         keras.utils.to_categorical(validation.labels, NUM_SIGNS)),
        epochs=train_config.epochs,
        initial_epoch=min(first_epoch, train_config.epochs),
        callbacks=callbacks,
        shuffle=False,  # the dataset shuffles itself
        verbose=0,  # the caller reports each epoch (`on_epoch_end`)
    ).history
    if saver is not None:
        history = saver.history  # the resumed epochs too
        if saver.state is not None:
            checkpoints.finish(saver.state)
    # The epoch whose weights the stopper restored (the last one if it never watched).
    restored = stopper.best_epoch if stopper.best_weights is not None else len(history["loss"]) - 1
    model = as_float32(model, model_config, preprocess.max_frames, preprocess.layout())
    return TrainingResult(ensemble_answer(model), history, int(restored) + 1)
