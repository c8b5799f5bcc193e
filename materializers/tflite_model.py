"""TFLiteModel <-> model.tflite + labels.json + metadata.json."""

import json
import os
import tempfile
from typing import Any, ClassVar

from zenml.enums import ArtifactType
from zenml.io import fileio
from zenml.materializers.base_materializer import BaseMaterializer
from zenml.metadata.metadata_types import MetadataType

from signbridge.serving.classifier import read_labels
from signbridge.serving.package import LABELS_FILENAME, MODEL_CARD_FILENAME, MODEL_FILENAME, TFLiteModel

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
            card_uri = os.path.join(self.uri, MODEL_CARD_FILENAME)
            card = ""
            if fileio.exists(card_uri):
                with fileio.open(card_uri, "r") as file:
                    card = file.read()
            labels = read_labels(os.path.join(local, LABELS_FILENAME))
            return TFLiteModel(content, labels, metadata, card)

    def save(self, data: TFLiteModel) -> None:
        with tempfile.TemporaryDirectory() as local:
            data.write(local)
            with open(os.path.join(local, METADATA_FILENAME), "w") as file:
                json.dump(data.metadata, file, indent=1)
            names = [MODEL_FILENAME, LABELS_FILENAME, METADATA_FILENAME]
            names += [MODEL_CARD_FILENAME] if data.model_card else []
            for name in names:
                fileio.copy(os.path.join(local, name), os.path.join(self.uri, name), overwrite=True)

    def extract_metadata(self, data: TFLiteModel) -> dict[str, MetadataType]:
        return {"size_bytes": len(data.content), **data.metadata}
