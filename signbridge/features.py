"""Preprocessed, fixed-length features ready for the classifier."""

from dataclasses import dataclass

import numpy as np


@dataclass
class FeatureSet:
    features: np.ndarray  # float32 [N, T, 65, 4]
    masks: np.ndarray  # float32 [N, T]
    labels: np.ndarray  # int64 [N]

    def __len__(self) -> int:
        return len(self.labels)

    def inputs(self) -> list[np.ndarray]:
        return [self.features, self.masks]
