"""Register a model trained elsewhere like a trained one: a model package (source "imported",
its acceptance rule and a model card saying where it came from) in MLflow and ZenML."""

from dataclasses import replace
from typing import Annotated

import mlflow
from zenml import ArtifactConfig, get_step_context, log_metadata, step
from zenml.enums import ArtifactType
from zenml.logger import get_logger

from materializers import ModelPackageMaterializer
from mlops import registry
from signbridge.model.card import render_imported_card
from signbridge.serving.acceptance import AcceptanceRule
from signbridge.serving.package import ModelPackage

logger = get_logger(__name__)


@step(
    experiment_tracker=True,
    output_materializers={"model_package": ModelPackageMaterializer},
)
def register_imported_model(
    imported_model: ModelPackage,
    model_source: dict,
    evaluation_metrics: dict[str, float],
    acceptance_rule: dict,
    data_summary: dict,
) -> Annotated[ModelPackage, ArtifactConfig(name="model_package", artifact_type=ArtifactType.MODEL)]:
    zenml_version = get_step_context().model
    model_name = zenml_version.name
    rule = AcceptanceRule.from_dict(acceptance_rule)
    contract = {key.removeprefix("contract."): value for key, value in model_source.items()
                if key.startswith("contract.")}
    card = render_imported_card(
        model_name, {key: value for key, value in model_source.items()
                     if not key.startswith("contract.")},
        contract, data_summary, evaluation_metrics, rule.to_dict())
    package = replace(
        imported_model, acceptance=rule, model_card=card,
        metrics={**evaluation_metrics, **{f"tflite/{key}": value for key, value in contract.items()
                                          if isinstance(value, int | float)}},
    )
    mlflow.set_tags({"source": "imported", "imported_from": model_source["file"],
                     "model_sha256": model_source["sha256"]})
    mlflow.log_dict(model_source, "imported/model_source.json")
    mlflow.log_text(card, "MODEL_CARD.md")
    version = registry.register(package, model_name, tags={
        "source": "imported",
        "imported_from": model_source["file"],
        "model_sha256": model_source["sha256"],
        "outputs": package.outputs,
        "evaluation_fingerprint": data_summary.get("evaluation_fingerprint", ""),
        "zenml_model_version": str(zenml_version.number),
        "known_signs": ",".join(rule.known_signs),
        **{f"eval/{k}": f"{v:.4f}" for k, v in evaluation_metrics.items()},
    })
    logger.info("Registered %s (imported) as %s version %s (MLflow) for ZenML model version %s",
                model_source["file"], model_name, version, zenml_version.number)
    log_metadata(metadata={registry.MLFLOW_VERSION_KEY: version, "source": "imported"},
                 infer_model=True)
    return package
