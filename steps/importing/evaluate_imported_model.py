"""Score a model trained elsewhere on this project's held-out signers through TFLite and fit its
acceptance rule on the validation signers, as trained models are: same metrics and plots."""

from typing import Annotated

import pandas as pd
from PIL import Image
from zenml import step
from zenml.logger import get_logger

from signbridge.config import EvaluationConfig
from signbridge.data.shards import ShardSet, full_sequences
from signbridge.model.evaluation import assess_exported
from signbridge.model.promotion import top1_accuracy
from signbridge.serving.package import ModelPackage
from steps.evaluation.reporting import other_sources, report

logger = get_logger(__name__)


@step(experiment_tracker=True)
def evaluate_imported_model(
    imported_model: ModelPackage,
    validation_set: ShardSet,
    evaluation_set: ShardSet,
    data_summary: dict,
    evaluation: EvaluationConfig,
) -> tuple[
    Annotated[dict[str, float], "evaluation_metrics"],
    Annotated[dict, "acceptance_rule"],
    Annotated[pd.DataFrame, "per_sign_accuracy"],
    Annotated[Image.Image, "confusion_matrix"],
    Annotated[Image.Image, "coverage"],
]:
    classifier = imported_model.classifier()
    others = other_sources(evaluation)
    root = data_summary["data_root"]
    # Trained elsewhere on the full set: it knows all of its labels, so answers rank all 250.
    # A fixed threshold belongs to the recipe it was cross-validated for, not to this model:
    # its rule is fitted on the validation signers; the known-sign share check belongs to
    # models taught to spread doubt over all 250 outputs.
    fitted = evaluation.model_copy(update={"min_confidence": None, "min_known_share": 0.0})
    result = assess_exported(classifier, full_sequences(validation_set, root),
                             full_sequences(evaluation_set, root), fitted,
                             imported_model.labels, others)
    # What the deployment gate will compare: TFLite on the cached held-out shards (148 rows).
    result.metrics["tflite/eval_top1"] = top1_accuracy(classifier, evaluation_set)
    logger.info("On the gate's cached held-out shards: top-1 %.3f",
                result.metrics["tflite/eval_top1"])
    confusion, coverage = report(result, others)
    return result.metrics, result.rule.to_dict(), result.scores.per_sign, confusion, coverage
