"""ModelPackage <-> the package folder (model.tflite, labels.json, package.json, MODEL_CARD.md)."""

import os
import tempfile
from typing import Any, ClassVar

from zenml.enums import ArtifactType
from zenml.io import fileio
from zenml.materializers.base_materializer import BaseMaterializer
from zenml.metadata.metadata_types import MetadataType

from signbridge.serving.package import PACKAGE_FILES, ModelPackage


class ModelPackageMaterializer(BaseMaterializer):
    ASSOCIATED_TYPES: ClassVar[tuple[type[Any], ...]] = (ModelPackage,)
    ASSOCIATED_ARTIFACT_TYPE: ClassVar[ArtifactType] = ArtifactType.MODEL

    def load(self, data_type: type[Any]) -> ModelPackage:
        with tempfile.TemporaryDirectory() as local:
            for name in PACKAGE_FILES:
                if fileio.exists(os.path.join(self.uri, name)):
                    fileio.copy(os.path.join(self.uri, name), os.path.join(local, name))
            return ModelPackage.read(local)

    def save(self, data: ModelPackage) -> None:
        with tempfile.TemporaryDirectory() as local:
            data.write(local)
            for name in os.listdir(local):
                fileio.copy(os.path.join(local, name), os.path.join(self.uri, name),
                            overwrite=True)

    def extract_metadata(self, data: ModelPackage) -> dict[str, MetadataType]:
        return {"size_bytes": len(data.model), "max_frames": data.max_frames,
                "known_signs": len(data.known_signs), "source": data.source}
