"""keras.Model <-> model.keras (the native Keras 3 format; custom layers are registered)."""

import os
import tempfile
from typing import Any, ClassVar

import keras
from zenml.enums import ArtifactType
from zenml.io import fileio
from zenml.materializers.base_materializer import BaseMaterializer
from zenml.metadata.metadata_types import MetadataType

import signbridge.model.network  # noqa: F401  (registers the custom layers for loading)

FILENAME = "model.keras"


class KerasModelMaterializer(BaseMaterializer):
    ASSOCIATED_TYPES: ClassVar[tuple[type[Any], ...]] = (keras.Model,)
    ASSOCIATED_ARTIFACT_TYPE: ClassVar[ArtifactType] = ArtifactType.MODEL

    def load(self, data_type: type[Any]) -> keras.Model:
        with tempfile.TemporaryDirectory() as local:
            path = os.path.join(local, FILENAME)
            fileio.copy(os.path.join(self.uri, FILENAME), path)
            return keras.saving.load_model(path)

    def save(self, data: keras.Model) -> None:
        with tempfile.TemporaryDirectory() as local:
            path = os.path.join(local, FILENAME)
            data.save(path)
            fileio.copy(path, os.path.join(self.uri, FILENAME), overwrite=True)

    def extract_metadata(self, data: keras.Model) -> dict[str, MetadataType]:
        return {"parameters": int(data.count_params()), "layers": len(data.layers)}
