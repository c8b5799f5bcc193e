"""Score the classifier on held-out signers; log metrics, per-sign table and confusion matrix."""

from typing import Annotated

import keras
import mlflow
import pandas as pd
from PIL import Image
from zenml import log_metadata, step
from zenml.logger import get_logger

from signbridge.model.evaluation import evaluate_predictions
from signbridge.model.features import FeatureShards
from signbridge.model.plots import confusion_matrix
from steps.tracking import EXPERIMENT_TRACKER

logger = get_logger(__name__)


@step(experiment_tracker=EXPERIMENT_TRACKER)
def evaluate_model(
    sign_classifier: keras.Model, evaluation_features: FeatureShards
) -> tuple[
    Annotated[dict[str, float], "evaluation_metrics"],
    Annotated[pd.DataFrame, "per_sign_accuracy"],
    Annotated[Image.Image, "confusion_matrix"],
]:
    held_out = evaluation_features.load()
    probabilities = sign_classifier.predict(held_out.inputs(), verbose=0)
    evaluation = evaluate_predictions(probabilities, held_out.labels)
    image = confusion_matrix(evaluation.confusion)
    logger.info("Held-out signers: %s", evaluation.metrics)

    mlflow.log_metrics({f"eval_{name}": value for name, value in evaluation.metrics.items()})
    mlflow.log_table(evaluation.per_sign, "evaluation/per_sign_accuracy.json")
    mlflow.log_text(evaluation.confusion.to_csv(), "evaluation/confusion_matrix.csv")
    mlflow.log_image(image, "evaluation/confusion_matrix.png")
    log_metadata(metadata={"evaluation": evaluation.metrics}, infer_model=True)
    return evaluation.metrics, evaluation.per_sign, image
