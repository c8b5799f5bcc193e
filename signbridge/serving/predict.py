"""One prediction path for the CLI and the app: a file in, the top-10 signs out."""

from __future__ import annotations

from pathlib import Path

from signbridge.data.files import read_landmark_file
from signbridge.serving.classifier import SignClassifier

TOP_K = 10


def load_classifier(model_dir: str | None, model_name: str) -> SignClassifier:
    """The model in `model_dir`, or the registry's production (else newest) version, cached."""
    if model_dir:
        return SignClassifier.from_directory(model_dir)
    from mlops.model_cache import prepare_model
    from mlops.registry import find_version

    return SignClassifier.from_directory(prepare_model(find_version(model_name)))


def predict_file(classifier: SignClassifier, path: str | Path) -> list[dict[str, float | str]]:
    """Top-10 signs for a competition `.parquet` landmark file or a video (any other file)."""
    path = Path(path)
    if path.suffix.lower() == ".parquet":
        top_signs = classifier.top_signs(read_landmark_file(path), TOP_K)
    else:
        from signbridge.serving.recognition import Recogniser
        from signbridge.serving.video import VideoLimits

        top_signs = Recogniser(classifier, VideoLimits()).recognise(path).top_signs
    return [{"sign": sign, "probability": round(probability, 6)} for sign, probability in top_signs]
