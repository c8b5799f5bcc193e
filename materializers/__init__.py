"""ZenML materializers for the project's artifacts; none of them pickles."""

from materializers.keras_model import KerasModelMaterializer
from materializers.references import FeatureShardsMaterializer, ShardSetMaterializer
from materializers.tflite_model import TFLiteModelMaterializer

__all__ = [
    "FeatureShardsMaterializer",
    "KerasModelMaterializer",
    "ShardSetMaterializer",
    "TFLiteModelMaterializer",
]
