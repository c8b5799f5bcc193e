"""Importing pipeline: a `.tflite` trained elsewhere -> competition contract check -> this
project's held-out data -> evaluation and acceptance rule -> a registered model version that the
deployment pipeline's gate treats like any trained candidate."""

from zenml import pipeline

from signbridge.config import DataConfig, EvaluationConfig, SplitConfig
from steps.importing.check_model_contract import check_model_contract
from steps.importing.evaluate_imported_model import evaluate_imported_model
from steps.importing.register_imported_model import register_imported_model
from steps.ingestion.ingest_landmarks import ingest_landmarks


@pipeline(enable_cache=False)
def importing_pipeline(
    model_file: str,
    labels_file: str | None,
    max_frames: int,
    data: DataConfig,
    split: SplitConfig,
    evaluation: EvaluationConfig,
) -> None:
    imported_model, model_source = check_model_contract(model_file, labels_file, max_frames)
    _, validation_set, evaluation_set, _, _, data_summary = ingest_landmarks(
        data, split, after="check_model_contract"
    )
    evaluation_metrics, acceptance_rule, _, _, _ = evaluate_imported_model(
        imported_model, validation_set, evaluation_set, data_summary, evaluation
    )
    register_imported_model(
        imported_model, model_source, evaluation_metrics, acceptance_rule, data_summary
    )
