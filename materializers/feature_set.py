"""FeatureSet <-> arrays.npz (fixed-length features, masks, labels)."""

from typing import Any, ClassVar

from zenml.enums import ArtifactType
from zenml.materializers.base_materializer import BaseMaterializer
from zenml.metadata.metadata_types import MetadataType

from materializers.npz_io import load_arrays, save_arrays
from signbridge.features import FeatureSet


class FeatureSetMaterializer(BaseMaterializer):
    ASSOCIATED_TYPES: ClassVar[tuple[type[Any], ...]] = (FeatureSet,)
    ASSOCIATED_ARTIFACT_TYPE: ClassVar[ArtifactType] = ArtifactType.DATA

    def load(self, data_type: type[Any]) -> FeatureSet:
        return FeatureSet(**load_arrays(self.uri))

    def save(self, data: FeatureSet) -> None:
        save_arrays(self.uri, vars(data))

    def extract_metadata(self, data: FeatureSet) -> dict[str, MetadataType]:
        return {"sequences": len(data), "shape": str(tuple(data.features.shape))}
