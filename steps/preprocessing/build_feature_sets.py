"""Run the model's own preprocessing layer over each split (augmenting the training split)."""

from typing import Annotated

from tqdm import tqdm
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
        "train_features": FeatureShardsMaterializer,
        "validation_features": FeatureShardsMaterializer,
        "evaluation_features": FeatureShardsMaterializer,
    }
)
def build_feature_sets(
    train_set: ShardSet,
    validation_set: ShardSet,
    evaluation_set: ShardSet,
    preprocess: PreprocessConfig,
) -> tuple[
    Annotated[FeatureShards, "train_features"],
    Annotated[FeatureShards, "validation_features"],
    Annotated[FeatureShards, "evaluation_features"],
]:
    cache = workspace.cache_dir() / "features"

    def build(shards: ShardSet, name: str, augment: bool) -> FeatureShards:
        progress = lambda items, total: tqdm(items, total=total, desc=name, mininterval=10)  # noqa: E731
        return build_feature_shards(shards, preprocess, augment, cache, progress)

    train = build(train_set, "train", augment=True)
    validation = build(validation_set, "validation", augment=False)
    evaluation = build(evaluation_set, "evaluation", augment=False)
    logger.info(
        "Features [%d, 65, 4]: %d train (with %d augmented copies each), %d validation, "
        "%d evaluation", preprocess.max_frames, train.sequences, preprocess.augment.copies,
        validation.sequences, evaluation.sequences,
    )
    return train, validation, evaluation
