"""ZenML materializers for the project's artifacts; none of them pickles."""

from materializers.feature_set import FeatureSetMaterializer
from materializers.keras_model import KerasModelMaterializer
from materializers.landmark_dataset import LandmarkDatasetMaterializer
from materializers.tflite_model import TFLiteModelMaterializer

__all__ = [
    "FeatureSetMaterializer",
    "KerasModelMaterializer",
    "LandmarkDatasetMaterializer",
    "TFLiteModelMaterializer",
]
