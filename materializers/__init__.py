"""ZenML materializers for the project's artifacts; none of them pickles.

The Keras one is imported on first use, so loading a shard reference or a model package (the
deployment gate, the import pipeline) does not pull in TensorFlow.
"""

from materializers.model_package import ModelPackageMaterializer
from materializers.references import FeatureShardsMaterializer, ShardSetMaterializer

__all__ = [
    "FeatureShardsMaterializer",
    "KerasModelMaterializer",
    "ModelPackageMaterializer",
    "ShardSetMaterializer",
]


def __getattr__(name: str):
    if name == "KerasModelMaterializer":
        from materializers.keras_model import KerasModelMaterializer

        return KerasModelMaterializer
    raise AttributeError(f"module 'materializers' has no attribute '{name}'")
