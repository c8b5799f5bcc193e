"""Convert to TFLite with preprocessing inside, check parity, measure, register the model."""

import itertools
import tempfile
from pathlib import Path
from typing import Annotated

import keras
import mlflow
import numpy as np
import pandas as pd
from zenml import ArtifactConfig, get_step_context, log_metadata, step
from zenml.enums import ArtifactType
from zenml.logger import get_logger

from materializers import TFLiteModelMaterializer
from mlops.registry import register_tflite
from signbridge.config import ExportConfig, PreprocessConfig
from signbridge.data.landmarks import ROWS_PER_FRAME, expand_model_rows, index_to_sign
from signbridge.data.shards import ShardSet, shard_fingerprint
from signbridge.model.card import render_model_card
from signbridge.model.export import check_parity, convert_to_tflite
from signbridge.model.promotion import top1_accuracy
from signbridge.serving.classifier import SignClassifier
from signbridge.serving.package import TFLiteModel
from steps.tracking import EXPERIMENT_TRACKER

logger = get_logger(__name__)

LATENCY_FRAMES = (16, 64, 256, 600)
CARD_DATA_KEYS = ("data_root", "sequences_loaded", "files_rejected", "train_signers",
                  "validation_signers", "evaluation_signers", "train_sequences",
                  "evaluation_sequences", "evaluation_fingerprint")


def _edge_cases(rng: np.random.Generator) -> list[np.ndarray]:
    """Inputs at the ends of the contract: one all-NaN frame and 600 random frames."""
    return [
        np.full((1, ROWS_PER_FRAME, 3), np.nan, np.float32),
        rng.random((600, ROWS_PER_FRAME, 3), dtype=np.float32),
    ]


def _sequences(shard_set: ShardSet):
    for shard in shard_set.iter_shards():
        yield from shard.sequences()


def _latency(model: SignClassifier, frames: int) -> float:
    return model.latency_ms(np.random.default_rng(frames).random((frames, ROWS_PER_FRAME, 3),
                                                                 dtype=np.float32))


def _measure_quantized(classifier, preprocess, export, evaluation_set, float_top1, workdir):
    """Size, latency and held-out top-1 of each quantised export, logged next to the float one."""
    figures = {}
    for quantization in export.quantized:
        path = convert_to_tflite(classifier, preprocess.max_frames,
                                 workdir / f"model_{quantization}.tflite", quantization)
        model = SignClassifier(path, list(index_to_sign()))
        top1 = top1_accuracy(model, evaluation_set)
        figures.update({
            f"{quantization}_size_bytes": path.stat().st_size,
            f"{quantization}_latency_ms_64_frames": _latency(model, 64),
            f"{quantization}_eval_top1": top1,
            f"{quantization}_top1_change": top1 - float_top1,
        })
        mlflow.log_artifact(str(path), "tflite")
    return figures


@step(
    experiment_tracker=EXPERIMENT_TRACKER,
    output_materializers={"tflite_model": TFLiteModelMaterializer},
)
def export_tflite(
    sign_classifier: keras.Model,
    evaluation_set: ShardSet,
    evaluation_metrics: dict[str, float],
    sign_counts: pd.DataFrame,
    preprocess: PreprocessConfig,
    export: ExportConfig,
) -> Annotated[TFLiteModel, ArtifactConfig(name="tflite_model", artifact_type=ArtifactType.MODEL)]:
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as workdir:
        model_dir = Path(workdir) / "model"
        model_dir.mkdir()
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
        float_top1 = top1_accuracy(runner, evaluation_set)
        summary = {
            "tflite_size_bytes": tflite_path.stat().st_size,
            "tflite_parity_max_abs_diff": parity.max_abs_difference,
            "tflite_parity_sequences": parity.sequences,
            "tflite_eval_top1": float_top1,
            **{f"tflite_latency_ms_{n}_frames": _latency(runner, n) for n in LATENCY_FRAMES},
            **_measure_quantized(sign_classifier, preprocess, export, evaluation_set,
                                 float_top1, Path(workdir)),
        }
        logger.info("TFLite: %s", summary)
        mlflow.log_metrics(summary)

        run = mlflow.get_run(mlflow.active_run().info.run_id)
        params = run.data.params
        trained = sign_counts.index[sign_counts["train"] > 0].tolist()
        card = render_model_card(
            export.registered_model_name,
            {key: params[key] for key in CARD_DATA_KEYS if key in params},
            evaluation_metrics, summary,
            {k: v for k, v in params.items() if k.startswith(("network.", "training.",
                                                              "preprocess.max_frames"))},
            trained,
        )
        package = TFLiteModel(tflite_path.read_bytes(), list(index_to_sign()), summary, card)
        package.write(model_dir)
        mlflow.log_artifact(str(tflite_path), "tflite")
        mlflow.log_text(card, "MODEL_CARD.md")
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
