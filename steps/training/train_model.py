"""Train the classifier with per-epoch curves in MLflow; a checkpoint every epoch in the artifact
store, so a killed run re-run with the same config resumes (and its MLflow run goes on)."""

from typing import Annotated

import keras
import mlflow
from PIL import Image
from zenml import ArtifactConfig, get_step_context, step
from zenml.enums import ArtifactType
from zenml.logger import get_logger

from materializers import KerasModelMaterializer
from mlops.resume import (
    checkpoint_folder,
    close_killed_pipeline_run,
    continue_mlflow_run,
    log_params_once,
    logged_epochs,
)
from signbridge.config import ModelConfig, PreprocessConfig, TrainConfig
from signbridge.data.shards import ShardSet
from signbridge.model.checkpoint import Checkpoints, run_identity
from signbridge.model.features import FeatureShards
from signbridge.model.plots import training_curves
from signbridge.model.training import train_classifier

logger = get_logger(__name__)


def _flatten(prefix: str, settings: dict) -> dict[str, object]:
    flat: dict[str, object] = {}
    for key, value in settings.items():
        if isinstance(value, dict):
            flat.update(_flatten(f"{prefix}.{key}", value))
        else:
            flat[f"{prefix}.{key}"] = value
    return flat


@step(
    experiment_tracker=True,
    output_materializers={"sign_classifier": KerasModelMaterializer},
)
def train_model(
    train_set: ShardSet,
    validation_features: FeatureShards,
    preprocess: PreprocessConfig,
    network: ModelConfig,
    training: TrainConfig,
) -> tuple[
    Annotated[keras.Model, ArtifactConfig(name="sign_classifier", artifact_type=ArtifactType.MODEL)],
    Annotated[Image.Image, "training_curves"],
]:
    identity = run_identity(train_set, validation_features, preprocess, network, training)
    checkpoints = Checkpoints(checkpoint_folder(identity), identity)
    resumed = checkpoints.unfinished() if training.resume else None
    this_run = get_step_context().pipeline_run.name
    if resumed is not None:
        logger.info("Resuming from epoch %d (checkpoint %s), %d of %d epochs to go",
                    resumed.epochs_done, checkpoints.store.location,
                    max(0, training.epochs - resumed.epochs_done), training.epochs)
        continue_mlflow_run(resumed.metadata.get("mlflow_run_id", ""), resumed.epochs_done)
        _log_epochs(resumed.history, resumed.epochs_done)  # any the kill kept from MLflow
        close_killed_pipeline_run(resumed.metadata.get("zenml_run", ""), this_run)
    checkpoints.metadata = {"mlflow_run_id": mlflow.active_run().info.run_id,
                            "zenml_run": this_run}
    log_params_once({
        **_flatten("preprocess", preprocess.model_dump()),
        **_flatten("network", network.model_dump()),
        **_flatten("training", training.model_dump()),
        "training.identity": identity,
    })
    result = train_classifier(
        train_set,
        validation_features.load(),
        preprocess,
        network,
        training,
        on_epoch_end=lambda epoch, logs: _report_epoch(epoch, training.epochs, logs),
        checkpoints=checkpoints,
        resume_from=resumed,
        on_start=_log_devices,
    )
    logger.info("Kept epoch %d of %d (lowest validation loss); %s parameters",
                result.best_epoch, len(result.history["loss"]), f"{result.model.count_params():,}")
    curves = training_curves(result.history, result.best_epoch)
    mlflow.log_image(curves, "plots/training_curves.png")
    # Summary figures are those of the restored epoch: the weights the model actually holds.
    mlflow.log_metrics({
        **{f"train/{metric_name(name)}": value for name, value in result.best_metrics().items()},
        "train/best_epoch": result.best_epoch,
        "train/epochs_run": len(result.history["loss"]),
        "train/parameters": result.model.count_params(),
    })
    return result.model, curves


def _report_epoch(epoch: int, epochs: int, logs: dict[str, float]) -> None:
    mlflow.log_metrics({f"epoch/{metric_name(name)}": value for name, value in logs.items()},
                       step=epoch)
    logger.info("epoch %d/%d: loss %.3f, accuracy %.3f | validation loss %.3f, accuracy %.3f",
                epoch, epochs, logs.get("loss", float("nan")), logs.get("accuracy", float("nan")),
                logs.get("val_loss", float("nan")), logs.get("val_accuracy", float("nan")))


def _log_devices(devices: dict[str, str]) -> None:
    logger.info("Training on %s; precision %s; XLA %s",
                devices["hardware"], devices["precision"], devices["xla"])
    log_params_once({f"device.{name}": value for name, value in devices.items()})


def _log_epochs(history: dict[str, list[float]], through: int) -> None:
    """Log the checkpoint's epochs 1..`through` that the active run lacks, so its curve has no
    gap (a kill between an epoch's checkpoint and its MLflow metrics loses the latter)."""
    have = logged_epochs("epoch/val_loss")
    for epoch in range(1, through + 1):
        if epoch not in have:
            mlflow.log_metrics({f"epoch/{metric_name(name)}": values[epoch - 1]
                                for name, values in history.items()}, step=epoch)


def metric_name(keras_name: str) -> str:
    """Keras' `loss` / `val_loss` as `train_loss` / `val_loss`."""
    return keras_name if keras_name.startswith("val_") else f"train_{keras_name}"
