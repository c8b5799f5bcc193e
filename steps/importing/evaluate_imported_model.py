"""Score a model trained elsewhere on this project's held-out signers through TFLite and fit its
acceptance rule on the validation signers, as trained models are: same metrics and plots."""

from typing import Annotated

import mlflow
import pandas as pd
from PIL import Image
from zenml import log_metadata, step
from zenml.logger import get_logger

from signbridge.config import EvaluationConfig
from signbridge.data.shards import ShardSet, full_sequences
from signbridge.model.evaluation import assess_exported, load_other_source
from signbridge.model.plots import confusion_matrix, coverage_plot
from signbridge.model.promotion import top1_accuracy
from signbridge.serving.package import ModelPackage

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
    others = []
    for source in evaluation.other_sources:
        loaded = load_other_source(source.name, source.resolved_root(), source.index)
        if loaded is None:
            logger.warning("Other source %s not found at %s; skipped", source.name,
                           source.resolved_root() / source.index)
        else:
            others.append(loaded)
    root = data_summary["data_root"]
    # Trained elsewhere on the full set: it knows all of its labels, so answers rank all 250.
    result = assess_exported(classifier, full_sequences(validation_set, root),
                             full_sequences(evaluation_set, root), evaluation,
                             imported_model.labels, others)
    rule, metrics = result.rule, result.metrics
    # What the deployment gate will compare: TFLite on the cached held-out shards (65 rows).
    metrics["tflite/eval_top1"] = top1_accuracy(classifier, evaluation_set)
    logger.info("Acceptance rule (fitted on %d validation sequences): temperature %.2f, accepts "
                "from %.0f%% confidence", rule.fitted_on.get("sequences", 0), rule.temperature,
                100 * rule.min_confidence)
    logger.info("Held-out signers: top-1 %.3f (%.3f on the gate's shards), accepted and right "
                "%.3f, not sure %.3f", metrics["top1_accuracy"], metrics["tflite/eval_top1"],
                metrics.get("accepted_right", float("nan")), metrics.get("not_sure", float("nan")))

    confusion = confusion_matrix(result.scores.confusion)
    coverage = coverage_plot(result.coverage, rule.min_confidence,
                             metrics.get("accepted_right", float("nan")))
    mlflow.log_metrics({f"eval/{name}": value for name, value in metrics.items()})
    mlflow.log_table(result.scores.per_sign, "evaluation/per_sign_accuracy.json")
    mlflow.log_text(result.scores.confusion.to_csv(), "evaluation/confusion_matrix.csv")
    mlflow.log_image(confusion, "evaluation/confusion_matrix.png")
    mlflow.log_image(coverage, "evaluation/coverage.png")
    mlflow.log_dict(rule.to_dict(), "evaluation/acceptance_rule.json")
    log_metadata(metadata={"evaluation": metrics, "acceptance_rule": rule.to_dict()},
                 infer_model=True)
    return metrics, rule.to_dict(), result.scores.per_sign, confusion, coverage
