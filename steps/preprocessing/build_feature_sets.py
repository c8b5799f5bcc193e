"""Run the model's own preprocessing layer over each split (augmenting the training split)."""

from typing import Annotated

from zenml import step
from zenml.logger import get_logger

from materializers import FeatureSetMaterializer
from signbridge.config import PreprocessConfig
from signbridge.data import LandmarkDataset
from signbridge.features import FeatureSet, build_features

logger = get_logger(__name__)


@step(
    output_materializers={
        "train_features": FeatureSetMaterializer,
        "validation_features": FeatureSetMaterializer,
        "evaluation_features": FeatureSetMaterializer,
    }
)
def build_feature_sets(
    train_set: LandmarkDataset,
    validation_set: LandmarkDataset,
    evaluation_set: LandmarkDataset,
    preprocess: PreprocessConfig,
) -> tuple[
    Annotated[FeatureSet, "train_features"],
    Annotated[FeatureSet, "validation_features"],
    Annotated[FeatureSet, "evaluation_features"],
]:
    train = build_features(train_set, preprocess, augment=True)
    validation = build_features(validation_set, preprocess)
    evaluation = build_features(evaluation_set, preprocess)
    logger.info(
        "Features %s: %d train (with %d augmented copies each), %d validation, %d evaluation",
        train.features.shape[1:], len(train), preprocess.augment.copies, len(validation),
        len(evaluation),
    )
    return train, validation, evaluation
