"""ZenML materializers for the project's artifacts; none of them pickles."""

from materializers.keras_model import KerasModelMaterializer
from materializers.model_package import ModelPackageMaterializer
from materializers.references import FeatureShardsMaterializer, ShardSetMaterializer

__all__ = [
    "FeatureShardsMaterializer",
    "KerasModelMaterializer",
    "ModelPackageMaterializer",
    "ShardSetMaterializer",
]
