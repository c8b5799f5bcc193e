"""The folder a served model lives in: one per registry version, written once."""

from pathlib import Path

from mlops.registry import RegisteredVersion, download_version
from signbridge import workspace


def prepare_model(version: RegisteredVersion) -> Path:
    """`model.tflite` + `labels.json` of a registry version in the local model cache."""
    folder = workspace.cache_dir() / "models" / f"{version.name}-v{version.version}"
    if not (folder / "model.tflite").is_file():
        download_version(version, folder)
    return folder
