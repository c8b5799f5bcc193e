"""Preprocessed, fixed-length features ready for the classifier."""

from dataclasses import dataclass

import numpy as np

from signbridge.augment import augmented_copies
from signbridge.config import PreprocessConfig
from signbridge.data import LandmarkDataset
from signbridge.preprocessing import preprocess_sequences


@dataclass
class FeatureSet:
    features: np.ndarray  # float32 [N, T, 65, 4]
    masks: np.ndarray  # float32 [N, T]
    labels: np.ndarray  # int64 [N]

    def __len__(self) -> int:
        return len(self.labels)

    def inputs(self) -> list[np.ndarray]:
        return [self.features, self.masks]


def build_features(
    dataset: LandmarkDataset, config: PreprocessConfig, augment: bool = False
) -> FeatureSet:
    """Run the preprocessing layer over a dataset (with augmented copies if asked)."""
    sequences, labels = list(dataset.sequences()), dataset.labels
    if augment and config.augment.copies:
        sequences, labels = augmented_copies(sequences, labels, config.augment)
    features, masks = preprocess_sequences(sequences, config.max_frames)
    return FeatureSet(features, masks, np.asarray(labels, np.int64))
