"""Train the classifier with per-epoch curves in MLflow."""

from typing import Annotated

import keras
import mlflow
from PIL import Image
from zenml import ArtifactConfig, step
from zenml.enums import ArtifactType

from materializers import KerasModelMaterializer
from signbridge.config import ModelConfig, PreprocessConfig, TrainConfig
from signbridge.model.features import FeatureShards
from signbridge.model.plots import training_curves
from signbridge.model.training import train_classifier
from steps.tracking import EXPERIMENT_TRACKER


def _flatten(prefix: str, settings: dict) -> dict[str, object]:
    flat: dict[str, object] = {}
    for key, value in settings.items():
        if isinstance(value, dict):
            flat.update(_flatten(f"{prefix}.{key}", value))
        else:
            flat[f"{prefix}.{key}"] = value
    return flat


@step(
    experiment_tracker=EXPERIMENT_TRACKER,
    output_materializers={"sign_classifier": KerasModelMaterializer},
)
def train_model(
    train_features: FeatureShards,
    validation_features: FeatureShards,
    preprocess: PreprocessConfig,
    network: ModelConfig,
    training: TrainConfig,
) -> tuple[
    Annotated[keras.Model, ArtifactConfig(name="sign_classifier", artifact_type=ArtifactType.MODEL)],
    Annotated[Image.Image, "training_curves"],
]:
    mlflow.log_params({
        **_flatten("preprocess", preprocess.model_dump()),
        **_flatten("network", network.model_dump()),
        **_flatten("training", training.model_dump()),
        "train_sequences_with_augmentation": train_features.sequences,
    })
    result = train_classifier(
        train_features,
        validation_features.load(),
        network,
        training,
        on_epoch_end=lambda epoch, logs: mlflow.log_metrics(logs, step=epoch),
    )
    curves = training_curves(result.history)
    mlflow.log_image(curves, "plots/training_curves.png")
    mlflow.log_metrics({
        "best_epoch": result.best_epoch,
        "parameters": result.model.count_params(),
    })
    return result.model, curves
