"""What both evaluation steps (trained and imported models) do around the assessment itself:
load the other sources, then report the figures in the console, MLflow and ZenML."""

import mlflow
from PIL import Image
from zenml import log_metadata
from zenml.logger import get_logger

from signbridge.config import EvaluationConfig
from signbridge.model.evaluation import Assessment, OtherSource, load_other_source
from signbridge.model.plots import confusion_matrix, coverage_plot
from signbridge.serving.acceptance import AcceptanceRule
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


def rule_lines(rule: AcceptanceRule) -> list[str]:
    """The acceptance rule in the console's words: what confidence it needs, and its checks."""
    accepts = f"accepts from {rule.min_confidence:.0%} confidence"
    rises = rule.rises_with_handshape
    if rises:
        top = rule.needed_confidence(rule.max_handshape_distance)
        accepts += (f" for a hand shaped like the known signs', rising to {top:.0%} at the "
                    f"handshape limit; {rule.needed_confidence(None):.0%} for a hand whose shape "
                    "cannot be measured")
    if rule.fitted_on.get("fixed") and rises:
        lines = [f"Acceptance rule (fixed by cross-validation): {accepts}"]
    elif rule.fitted_on.get("fixed"):
        lines = [f"Acceptance rule: {accepts} (cross-validated), which keeps "
                 f"{rule.fitted_on.get('keep', 0):.0%} of the "
                 f"{int(rule.fitted_on.get('sequences', 0))} validation sequences' right answers"]
    else:
        lines = [f"Acceptance rule (fitted on {int(rule.fitted_on.get('sequences', 0))} validation "
                 f"sequences): temperature {rule.temperature:.2f}, {accepts}"]
    if rule.min_known_share:
        lines.append(f"Known-sign check: at least {rule.min_known_share:.0%} of the output on the "
                     "known signs")
    if rule.max_handshape_distance is not None:
        scale = rule.fitted_on.get("handshape_scale", 1.0)
        times = f"{scale:g} x the distance " if scale != 1.0 else ""
        lines.append(
            f"Handshape check: {len(rule.handshapes['shapes'])} known handshapes; a hand may be "
            f"{rule.max_handshape_distance:.2f} from them ({times}"
            f"{rule.fitted_on.get('handshape_quantile', 0):.0%} of "
            f"{int(rule.fitted_on.get('handshape_sequences', 0))} known-sign clips of signers left out "
            "of the comparison reach)")
    return lines


def report(result: Assessment, others: list[OtherSource]) -> tuple[Image.Image, Image.Image]:
    """Log the assessment; returns the confusion matrix and the coverage plot."""
    rule, metrics = result.rule, result.metrics
    for line in rule_lines(rule):
        logger.info(line)
    logger.info("Held-out signers: top-1 %.3f, accepted and right %.3f, not sure %.3f",
                metrics["top1_accuracy"], metrics.get("accepted_right", float("nan")),
                metrics.get("not_sure", float("nan")))
    for other in others:
        logger.info("%s: known signs accepted and right %.3f, other signs not sure %.3f",
                    other.name, metrics.get(f"{other.name}/accepted_right", float("nan")),
                    metrics.get(f"{other.name}/unknown_not_sure", float("nan")))
    confusion = confusion_matrix(result.scores.confusion)
    coverage = coverage_plot(result.coverage, rule.min_confidence,
                             metrics.get("accepted_right", float("nan")),
                             rising=rule.rises_with_handshape)
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
