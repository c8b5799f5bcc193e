"""ZenML steps: each one small job, delegating the sign-language logic to `signbridge`."""

from steps.evaluation.evaluate_model import evaluate_model
from steps.export.export_tflite import export_tflite
from steps.ingestion.ingest_landmarks import ingest_landmarks
from steps.preprocessing.preprocess_landmarks import preprocess_landmarks
from steps.training.train_model import train_model

__all__ = [
    "evaluate_model",
    "export_tflite",
    "ingest_landmarks",
    "preprocess_landmarks",
    "train_model",
]
