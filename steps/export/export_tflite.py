"""Convert to TFLite with preprocessing inside, check parity, measure, write and register the
model package (TFLite model, labels, frame count, known signs, acceptance rule, model card)."""

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

from materializers import ModelPackageMaterializer
from mlops import registry
from signbridge.config import ExportConfig, ModelConfig, PreprocessConfig, TrainConfig
from signbridge.data.landmarks import ROWS_PER_FRAME, expand_cached_rows, index_to_sign
from signbridge.data.shards import ShardSet
from signbridge.model.card import render_model_card
from signbridge.model.export import check_parity, convert_to_tflite
from signbridge.model.promotion import top1_accuracy
from signbridge.serving.acceptance import AcceptanceRule
from signbridge.serving.classifier import SignClassifier
from signbridge.serving.package import ModelPackage
from steps.metadata import log_run_metadata, mlflow_run_link

logger = get_logger(__name__)

LATENCY_FRAMES = (16, 64, 256, 600)


def _edge_cases(rng: np.random.Generator) -> list[np.ndarray]:
    """Inputs at the ends of the contract: one all-NaN frame and 600 random frames."""
    return [
        np.full((1, ROWS_PER_FRAME, 3), np.nan, np.float32),
        rng.random((600, ROWS_PER_FRAME, 3), dtype=np.float32),
    ]


def _latency(model: SignClassifier, frames: int) -> float:
    return model.latency_ms(np.random.default_rng(frames).random((frames, ROWS_PER_FRAME, 3),
                                                                 dtype=np.float32))


def _measure_quantized(classifier, preprocess, export, evaluation_set, float_top1, workdir):
    """Size, latency and held-out top-1 of each quantised export, logged next to the float one."""
    figures = {}
    for quantization in export.quantized:
        path = convert_to_tflite(classifier, preprocess, workdir / f"model_{quantization}.tflite",
                                 quantization)
        model = SignClassifier(path)
        top1 = top1_accuracy(model, evaluation_set)
        figures.update({
            f"{quantization}/size_bytes": path.stat().st_size,
            f"{quantization}/latency_ms_64_frames": _latency(model, 64),
            f"{quantization}/eval_top1": top1,
            f"{quantization}/top1_change": top1 - float_top1,
        })
        mlflow.log_artifact(str(path), "tflite")
    return figures


@step(
    experiment_tracker=True,
    output_materializers={"model_package": ModelPackageMaterializer},
)
def export_tflite(
    sign_classifier: keras.Model,
    evaluation_set: ShardSet,
    evaluation_metrics: dict[str, float],
    acceptance_rule: dict,
    data_summary: dict,
    preprocess: PreprocessConfig,
    network: ModelConfig,
    training: TrainConfig,
    export: ExportConfig,
) -> Annotated[ModelPackage, ArtifactConfig(name="model_package", artifact_type=ArtifactType.MODEL)]:
    model_name = get_step_context().model.name
    with tempfile.TemporaryDirectory() as workdir:
        tflite_path = convert_to_tflite(sign_classifier, preprocess, Path(workdir) / "model.tflite")
        held_out = [expand_cached_rows(frames) for frames in itertools.islice(
            (s for shard in evaluation_set.iter_shards() for s in shard.sequences()),
            export.parity_sequences)]
        parity = check_parity(sign_classifier, preprocess, tflite_path,
                              held_out + _edge_cases(np.random.default_rng(0)),
                              export.parity_tolerance)
        runner = SignClassifier(tflite_path)
        float_top1 = top1_accuracy(runner, evaluation_set)
        figures = {
            "size_bytes": tflite_path.stat().st_size,
            "parity_max_abs_diff": parity.max_abs_difference,
            "parity_sequences": parity.sequences,
            "eval_top1": float_top1,
            **{f"latency_ms_{n}_frames": _latency(runner, n) for n in LATENCY_FRAMES},
            **_measure_quantized(sign_classifier, preprocess, export, evaluation_set,
                                 float_top1, Path(workdir)),
        }
        rule = AcceptanceRule.from_dict(acceptance_rule)
        card = render_model_card(
            model_name, data_summary, evaluation_metrics, figures,
            {**{f"preprocess.{k}": v for k, v in preprocess.layer_settings().items()},
             **{f"network.{k}": v for k, v in network.model_dump().items()},
             **{f"training.{k}": v for k, v in training.model_dump().items()}},
            rule.known_signs, rule.to_dict(),
        )
        package = ModelPackage(
            model=tflite_path.read_bytes(), labels=list(index_to_sign()),
            max_frames=preprocess.max_frames, acceptance=rule, source="trained",
            metrics={**evaluation_metrics, **{f"tflite/{k}": v for k, v in figures.items()}},
            model_card=card,
        )
    logger.info("TFLite model: %.2f MB, Keras parity %.1e on %d sequences, held-out top-1 %.3f, "
                "%.2f ms for 64 frames", figures["size_bytes"] / 1e6, parity.max_abs_difference,
                parity.sequences, float_top1, figures["latency_ms_64_frames"])
    mlflow.log_metrics({f"tflite/{name}": value for name, value in figures.items()})
    mlflow.log_text(card, "MODEL_CARD.md")
    zenml_version = get_step_context().model
    version = registry.register(package, model_name, tags={
        "evaluation_fingerprint": data_summary.get("evaluation_fingerprint", ""),
        "zenml_model_version": str(zenml_version.number if zenml_version else ""),
        "known_signs": ",".join(rule.known_signs),
        **{f"eval/{k}": f"{v:.4f}" for k, v in evaluation_metrics.items()},
    })
    logger.info("Registered %s version %s (MLflow) for ZenML model version %s", model_name,
                version, zenml_version.number if zenml_version else "-")
    log_metadata(metadata={"tflite": figures, registry.MLFLOW_VERSION_KEY: version},
                 infer_model=True)
    log_run_metadata({"tflite": figures, "registered_model": f"{model_name} v{version}",
                      **mlflow_run_link()})
    return package
