"""LandmarkDataset <-> arrays.npz (raw frames, offsets, labels, signer and sequence ids)."""

from typing import Any, ClassVar

from zenml.enums import ArtifactType
from zenml.materializers.base_materializer import BaseMaterializer
from zenml.metadata.metadata_types import MetadataType

from materializers.npz_io import load_arrays, save_arrays
from signbridge.data import LandmarkDataset


class LandmarkDatasetMaterializer(BaseMaterializer):
    ASSOCIATED_TYPES: ClassVar[tuple[type[Any], ...]] = (LandmarkDataset,)
    ASSOCIATED_ARTIFACT_TYPE: ClassVar[ArtifactType] = ArtifactType.DATA

    def load(self, data_type: type[Any]) -> LandmarkDataset:
        return LandmarkDataset(**load_arrays(self.uri))

    def save(self, data: LandmarkDataset) -> None:
        save_arrays(self.uri, vars(data))

    def extract_metadata(self, data: LandmarkDataset) -> dict[str, MetadataType]:
        return {
            "sequences": len(data),
            "frames": int(len(data.frames)),
            "signers": len(set(data.participant_ids.tolist())),
            "signs": len(set(data.labels.tolist())),
        }
