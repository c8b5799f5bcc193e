"""What both evaluation steps (trained and imported models) do around the assessment itself:
load the other sources, then report the figures in the console, MLflow and ZenML."""

import mlflow
from PIL import Image
from zenml import log_metadata
from zenml.logger import get_logger

from signbridge.config import EvaluationConfig
from signbridge.model.evaluation import Assessment, OtherSource, load_other_source
from signbridge.model.plots import confusion_matrix, coverage_plot
from steps.metadata import log_run_metadata, mlflow_run_link

logger = get_logger(__name__)


def other_sources(evaluation: EvaluationConfig) -> list[OtherSource]:
    """The configured other sources that are there (a missing one is skipped, with a line)."""
    found = []
    for source in evaluation.other_sources:
        loaded = load_other_source(source.name, source.resolved_root(), source.index)
        if loaded is None:
            logger.warning("Other source %s not found at %s; skipped", source.name,
                           source.resolved_root() / source.index)
        else:
            found.append(loaded)
    return found


def report(result: Assessment, others: list[OtherSource]) -> tuple[Image.Image, Image.Image]:
    """Log the assessment; returns the confusion matrix and the coverage plot."""
    rule, metrics = result.rule, result.metrics
    if rule.fitted_on.get("fixed"):
        logger.info("Acceptance rule: accepts from %.0f%% confidence (cross-validated), which keeps "
                    "%.0f%% of the %d validation sequences' right answers", 100 * rule.min_confidence,
                    100 * rule.fitted_on.get("keep", 0), rule.fitted_on.get("sequences", 0))
    else:
        logger.info("Acceptance rule (fitted on %d validation sequences): temperature %.2f, "
                    "accepts from %.0f%% confidence", rule.fitted_on.get("sequences", 0),
                    rule.temperature, 100 * rule.min_confidence)
    if rule.min_known_share:
        logger.info("Known-sign check: at least %.0f%% of the output on the known signs",
                    100 * rule.min_known_share)
    if rule.max_handshape_distance is not None:
        logger.info("Handshape check: %d known handshapes; a hand may be %.2f from them (%.0f%% "
                    "of %d known-sign clips of signers left out of the comparison)",
                    len(rule.handshapes["shapes"]), rule.max_handshape_distance,
                    100 * rule.fitted_on.get("handshape_quantile", 0),
                    rule.fitted_on.get("handshape_sequences", 0))
    logger.info("Held-out signers: top-1 %.3f, accepted and right %.3f, not sure %.3f",
                metrics["top1_accuracy"], metrics.get("accepted_right", float("nan")),
                metrics.get("not_sure", float("nan")))
    for other in others:
        logger.info("%s: known signs accepted and right %.3f, other signs not sure %.3f",
                    other.name, metrics.get(f"{other.name}/accepted_right", float("nan")),
                    metrics.get(f"{other.name}/unknown_not_sure", float("nan")))
    confusion = confusion_matrix(result.scores.confusion)
    coverage = coverage_plot(result.coverage, rule.min_confidence,
                             metrics.get("accepted_right", float("nan")))
    mlflow.log_metrics({f"eval/{name}": value for name, value in metrics.items()})
    mlflow.log_table(result.scores.per_sign, "evaluation/per_sign_accuracy.json")
    mlflow.log_text(result.scores.confusion.to_csv(), "evaluation/confusion_matrix.csv")
    mlflow.log_image(confusion, "evaluation/confusion_matrix.png")
    mlflow.log_image(coverage, "evaluation/coverage.png")
    mlflow.log_dict(rule.to_dict(), "evaluation/acceptance_rule.json")
    log_metadata(metadata={"evaluation": metrics, "acceptance_rule": rule.summary()},
                 infer_model=True)
    log_run_metadata({"evaluation": metrics, "acceptance_rule": rule.summary(),
                      **mlflow_run_link()})
    return confusion, coverage
