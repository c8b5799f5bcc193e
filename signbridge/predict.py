"""One prediction path for the CLI and the app: a file in, the top-10 signs out."""

from __future__ import annotations

from pathlib import Path

from signbridge import workspace
from signbridge.data import read_landmark_file
from signbridge.errors import SignbridgeError
from signbridge.inference import SignClassifier

TOP_K = 10
LANDMARK_SUFFIXES = {".parquet"}


def load_classifier(model_dir: str | None, model_name: str) -> SignClassifier:
    """The model in `model_dir`, or the registry's production (else newest) version, cached."""
    if model_dir:
        return SignClassifier.from_directory(model_dir)
    from signbridge.registry import download_version, find_version

    version = find_version(model_name)
    cached = workspace.cache_dir() / "models" / f"{model_name}-v{version.version}"
    if not (cached / "model.tflite").is_file():
        download_version(version, cached)
    return SignClassifier.from_directory(cached)


def predict_file(classifier: SignClassifier, path: str | Path) -> list[dict[str, float | str]]:
    """Top-10 signs with probabilities for a competition parquet file."""
    path = Path(path)
    if path.suffix.lower() not in LANDMARK_SUFFIXES:
        raise SignbridgeError(f"{path}: unsupported file type; expected a .parquet landmark file")
    frames = read_landmark_file(path)
    return [
        {"sign": sign, "probability": round(probability, 6)}
        for sign, probability in classifier.top_signs(frames, TOP_K)
    ]
