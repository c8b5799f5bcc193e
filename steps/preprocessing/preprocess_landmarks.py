"""Run the model's own preprocessing layer over the held-out splits (validation, evaluation).

The training split is augmented and preprocessed afresh every epoch inside tf.data instead.
"""

from typing import Annotated

from zenml import step
from zenml.logger import get_logger

from materializers import FeatureShardsMaterializer
from signbridge import workspace
from signbridge.config import PreprocessConfig
from signbridge.data.shards import ShardSet
from signbridge.model.features import FeatureShards, build_feature_shards

logger = get_logger(__name__)


@step(
    output_materializers={
        "validation_features": FeatureShardsMaterializer,
        "evaluation_features": FeatureShardsMaterializer,
    }
)
def preprocess_landmarks(
    validation_set: ShardSet, evaluation_set: ShardSet, preprocess: PreprocessConfig
) -> tuple[
    Annotated[FeatureShards, "validation_features"],
    Annotated[FeatureShards, "evaluation_features"],
]:
    cache = workspace.cache_dir() / "features"
    validation = build_feature_shards(validation_set, preprocess, cache)
    evaluation = build_feature_shards(evaluation_set, preprocess, cache)
    logger.info("Features [%d frames, %d points, %d]: %d validation, %d evaluation sequences",
                preprocess.max_frames, validation.points, validation.channels,
                validation.sequences, evaluation.sequences)
    return validation, evaluation
