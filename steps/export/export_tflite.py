"""Convert to TFLite with preprocessing inside, check parity, measure, register the model."""

import itertools
import tempfile
from pathlib import Path
from typing import Annotated

import keras
import mlflow
import numpy as np
from zenml import ArtifactConfig, get_step_context, log_metadata, step
from zenml.enums import ArtifactType
from zenml.logger import get_logger

from materializers import TFLiteModelMaterializer
from signbridge.config import ExportConfig, PreprocessConfig
from signbridge.export import check_parity, convert_to_tflite
from signbridge.inference import SignClassifier
from signbridge.landmarks import ROWS_PER_FRAME, expand_model_rows, index_to_sign
from signbridge.package import TFLiteModel
from signbridge.registry import register_tflite
from signbridge.shards import ShardSet, shard_fingerprint
from steps.tracking import EXPERIMENT_TRACKER

logger = get_logger(__name__)

LATENCY_FRAMES = (16, 64, 256, 600)


def _edge_cases(rng: np.random.Generator) -> list[np.ndarray]:
    """Inputs at the ends of the contract: one all-NaN frame and 600 random frames."""
    return [
        np.full((1, ROWS_PER_FRAME, 3), np.nan, np.float32),
        rng.random((600, ROWS_PER_FRAME, 3), dtype=np.float32),
    ]


def _sequences(shard_set: ShardSet):
    for shard in shard_set.iter_shards():
        yield from shard.sequences()


@step(
    experiment_tracker=EXPERIMENT_TRACKER,
    output_materializers={"tflite_model": TFLiteModelMaterializer},
)
def export_tflite(
    sign_classifier: keras.Model,
    evaluation_set: ShardSet,
    evaluation_metrics: dict[str, float],
    preprocess: PreprocessConfig,
    export: ExportConfig,
) -> Annotated[TFLiteModel, ArtifactConfig(name="tflite_model", artifact_type=ArtifactType.MODEL)]:
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as workdir:
        model_dir = Path(workdir)
        tflite_path = convert_to_tflite(
            sign_classifier, preprocess.max_frames, model_dir / "model.tflite"
        )
        held_out = [expand_model_rows(frames) for frames in
                    itertools.islice(_sequences(evaluation_set), export.parity_sequences)]
        parity = check_parity(
            sign_classifier, preprocess.max_frames, tflite_path,
            held_out + _edge_cases(rng), export.parity_tolerance,
        )
        runner = SignClassifier(tflite_path, list(index_to_sign()))
        latency = {
            f"tflite_latency_ms_{n}_frames": runner.latency_ms(
                rng.random((n, ROWS_PER_FRAME, 3), dtype=np.float32)
            )
            for n in LATENCY_FRAMES
        }
        summary = {
            "tflite_size_bytes": tflite_path.stat().st_size,
            "tflite_parity_max_abs_diff": parity.max_abs_difference,
            "tflite_parity_sequences": parity.sequences,
            **latency,
        }
        logger.info("TFLite: %s", summary)
        mlflow.log_metrics(summary)

        package = TFLiteModel(tflite_path.read_bytes(), list(index_to_sign()), summary)
        package.write(model_dir)
        mlflow.log_artifact(str(tflite_path), "tflite")
        zenml_version = get_step_context().model
        registry_version = register_tflite(
            model_dir,
            export.registered_model_name,
            tags={
                "evaluation_fingerprint": shard_fingerprint(evaluation_set),
                "zenml_model_version": str(zenml_version.number if zenml_version else ""),
                **{f"eval_{k}": f"{v:.6f}" for k, v in evaluation_metrics.items()},
            },
        )
    logger.info("Registered %s version %s", export.registered_model_name, registry_version)
    package.metadata["mlflow_registry_version"] = registry_version
    log_metadata(
        metadata={"tflite": summary, "mlflow_registry_version": registry_version},
        infer_model=True,
    )
    return package
