"""TFLiteModel <-> model.tflite + labels.json + metadata.json."""

import json
import os
import tempfile
from typing import Any, ClassVar

from zenml.enums import ArtifactType
from zenml.io import fileio
from zenml.materializers.base_materializer import BaseMaterializer
from zenml.metadata.metadata_types import MetadataType

from signbridge.inference import read_labels
from signbridge.package import LABELS_FILENAME, MODEL_FILENAME, TFLiteModel

METADATA_FILENAME = "metadata.json"


class TFLiteModelMaterializer(BaseMaterializer):
    ASSOCIATED_TYPES: ClassVar[tuple[type[Any], ...]] = (TFLiteModel,)
    ASSOCIATED_ARTIFACT_TYPE: ClassVar[ArtifactType] = ArtifactType.MODEL

    def load(self, data_type: type[Any]) -> TFLiteModel:
        with tempfile.TemporaryDirectory() as local:
            for name in (MODEL_FILENAME, LABELS_FILENAME, METADATA_FILENAME):
                fileio.copy(os.path.join(self.uri, name), os.path.join(local, name))
            with open(os.path.join(local, MODEL_FILENAME), "rb") as file:
                content = file.read()
            with open(os.path.join(local, METADATA_FILENAME)) as file:
                metadata = json.load(file)
            return TFLiteModel(content, read_labels(os.path.join(local, LABELS_FILENAME)), metadata)

    def save(self, data: TFLiteModel) -> None:
        with tempfile.TemporaryDirectory() as local:
            data.write(local)
            with open(os.path.join(local, METADATA_FILENAME), "w") as file:
                json.dump(data.metadata, file, indent=1)
            for name in (MODEL_FILENAME, LABELS_FILENAME, METADATA_FILENAME):
                fileio.copy(os.path.join(local, name), os.path.join(self.uri, name), overwrite=True)

    def extract_metadata(self, data: TFLiteModel) -> dict[str, MetadataType]:
        return {"size_bytes": len(data.content), **data.metadata}
