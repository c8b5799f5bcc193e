"""Score the classifier on held-out signers, fit its acceptance rule, and test "not sure" on
other sources: metrics, per-sign table, confusion matrix and coverage plot."""

from typing import Annotated

import keras
import mlflow
import pandas as pd
from PIL import Image
from zenml import log_metadata, step
from zenml.logger import get_logger

from signbridge.config import EvaluationConfig, PreprocessConfig
from signbridge.data.landmarks import expand_model_rows
from signbridge.data.shards import ShardSet
from signbridge.model.evaluation import assess, load_other_source
from signbridge.model.features import FeatureShards
from signbridge.model.plots import confusion_matrix, coverage_plot
from steps.metadata import log_run_metadata, mlflow_run_link

logger = get_logger(__name__)


@step(experiment_tracker=True)
def evaluate_model(
    sign_classifier: keras.Model,
    validation_features: FeatureShards,
    evaluation_set: ShardSet,
    evaluation_features: FeatureShards,
    sign_counts: pd.DataFrame,
    preprocess: PreprocessConfig,
    evaluation: EvaluationConfig,
) -> tuple[
    Annotated[dict[str, float], "evaluation_metrics"],
    Annotated[dict, "acceptance_rule"],
    Annotated[pd.DataFrame, "per_sign_accuracy"],
    Annotated[Image.Image, "confusion_matrix"],
    Annotated[Image.Image, "coverage"],
]:
    known = sorted(sign_counts.index[sign_counts["train"] > 0].tolist())
    others = []
    for source in evaluation.other_sources:
        loaded = load_other_source(source.name, source.resolved_root(), source.index)
        if loaded is None:
            logger.warning("Other source %s not found at %s; skipped", source.name,
                           source.resolved_root() / source.index)
        else:
            others.append(loaded)
    held_out = evaluation_set.load()
    result = assess(sign_classifier, preprocess, evaluation, known, validation_features.load(),
                    evaluation_features.load(), [expand_model_rows(s) for s in held_out.sequences()],
                    others)
    rule, metrics = result.rule, result.metrics
    logger.info("Acceptance rule (fitted on %d validation sequences): temperature %.2f, accepts "
                "from %.0f%% confidence", rule.fitted_on.get("sequences", 0), rule.temperature,
                100 * rule.min_confidence)
    logger.info("Held-out signers: top-1 %.3f, accepted and right %.3f, not sure %.3f",
                metrics["top1_accuracy"], metrics["accepted_right"], metrics["not_sure"])
    for other in others:
        logger.info("%s: known signs accepted and right %.3f, other signs not sure %.3f",
                    other.name, metrics.get(f"{other.name}/accepted_right", float("nan")),
                    metrics.get(f"{other.name}/unknown_not_sure", float("nan")))

    confusion = confusion_matrix(result.scores.confusion)
    coverage = coverage_plot(result.coverage, rule.min_confidence, metrics["accepted_right"])
    mlflow.log_metrics({f"eval/{name}": value for name, value in metrics.items()})
    mlflow.log_table(result.scores.per_sign, "evaluation/per_sign_accuracy.json")
    mlflow.log_text(result.scores.confusion.to_csv(), "evaluation/confusion_matrix.csv")
    mlflow.log_image(confusion, "evaluation/confusion_matrix.png")
    mlflow.log_image(coverage, "evaluation/coverage.png")
    mlflow.log_dict(rule.to_dict(), "evaluation/acceptance_rule.json")
    log_metadata(metadata={"evaluation": metrics, "acceptance_rule": rule.to_dict()},
                 infer_model=True)
    log_run_metadata({"evaluation": metrics, "acceptance_rule": rule.to_dict(),
                      **mlflow_run_link()})
    return metrics, rule.to_dict(), result.scores.per_sign, confusion, coverage
