"""Score the classifier on held-out signers, fit its acceptance rule (with the handshape check
if the config asks for it), and test "not sure" on other sources: metrics, per-sign table,
confusion matrix and coverage plot."""

from typing import Annotated

import keras
import pandas as pd
from PIL import Image
from zenml import step
from zenml.logger import get_logger

from signbridge.config import EvaluationConfig, PreprocessConfig
from signbridge.data.landmarks import expand_cached_rows
from signbridge.data.shards import ShardSet
from signbridge.model.evaluation import assess, known_sequences
from signbridge.model.features import FeatureShards
from steps.evaluation.reporting import other_sources, report

logger = get_logger(__name__)


@step(experiment_tracker=True)
def evaluate_model(
    sign_classifier: keras.Model,
    train_set: ShardSet,
    validation_set: ShardSet,
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
    others = other_sources(evaluation)
    held_out = evaluation_set.load()
    # The handshape check learns the known signs' handshapes from the signers the model saw.
    performances = (known_sequences([train_set, validation_set])
                    if evaluation.handshape_quantile else None)
    result = assess(sign_classifier, preprocess, evaluation, known, validation_features.load(),
                    evaluation_features.load(), [expand_cached_rows(s) for s in held_out.sequences()],
                    others, performances)
    confusion, coverage = report(result, others)
    return result.metrics, result.rule.to_dict(), result.scores.per_sign, confusion, coverage
