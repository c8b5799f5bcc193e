"""Training pipeline: ingestion -> preprocessing -> training -> evaluation -> TFLite export."""

from zenml import pipeline

from signbridge.config import (
    DataConfig,
    EvaluationConfig,
    ExportConfig,
    ModelConfig,
    PreprocessConfig,
    SplitConfig,
    TrainConfig,
)
from steps.evaluation.evaluate_model import evaluate_model
from steps.export.export_tflite import export_tflite
from steps.ingestion.ingest_landmarks import ingest_landmarks
from steps.preprocessing.preprocess_landmarks import preprocess_landmarks
from steps.training.train_model import train_model


@pipeline(enable_cache=False)
def training_pipeline(
    data: DataConfig,
    split: SplitConfig,
    preprocess: PreprocessConfig,
    network: ModelConfig,
    training: TrainConfig,
    evaluation: EvaluationConfig,
    export: ExportConfig,
) -> None:
    train_set, validation_set, evaluation_set, sign_counts, _, data_summary = ingest_landmarks(
        data, split
    )
    validation_features, evaluation_features = preprocess_landmarks(
        validation_set, evaluation_set, preprocess
    )
    sign_classifier, _ = train_model(train_set, validation_features, preprocess, network, training)
    evaluation_metrics, acceptance_rule, _, _, _ = evaluate_model(
        sign_classifier, train_set, validation_set, validation_features, evaluation_set,
        evaluation_features, sign_counts, preprocess, evaluation,
    )
    export_tflite(
        sign_classifier, evaluation_set, evaluation_metrics, acceptance_rule, data_summary,
        preprocess, network, training, export,
    )
