"""Shard references <-> reference.json: artifacts point at cached shards, never copy arrays."""

import json
import os
from dataclasses import asdict
from typing import Any, ClassVar

from zenml.enums import ArtifactType
from zenml.io import fileio
from zenml.materializers.base_materializer import BaseMaterializer
from zenml.metadata.metadata_types import MetadataType

from signbridge.data.shards import ShardSet
from signbridge.model.features import FeatureShards

FILENAME = "reference.json"


class _ReferenceIO:
    """Shared by both reference materializers (a mixin: ZenML checks every materializer class)."""

    ASSOCIATED_ARTIFACT_TYPE: ClassVar[ArtifactType] = ArtifactType.DATA
    uri: str

    def load(self, data_type: type[Any]) -> Any:
        with fileio.open(os.path.join(self.uri, FILENAME), "r") as file:
            return data_type(**json.load(file))

    def save(self, data: Any) -> None:
        with fileio.open(os.path.join(self.uri, FILENAME), "w") as file:
            json.dump(asdict(data), file, indent=1)

    def extract_metadata(self, data: Any) -> dict[str, MetadataType]:
        return {"sequences": data.sequences, "shards": len(data.shards),
                "cache_dir": data.cache_dir}


class ShardSetMaterializer(_ReferenceIO, BaseMaterializer):
    ASSOCIATED_TYPES: ClassVar[tuple[type[Any], ...]] = (ShardSet,)


class FeatureShardsMaterializer(_ReferenceIO, BaseMaterializer):
    ASSOCIATED_TYPES: ClassVar[tuple[type[Any], ...]] = (FeatureShards,)
