"""The MLflow model registry: register exported TFLite models, find and download versions."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from signbridge import workspace
from signbridge.errors import SignbridgeError
from signbridge.serving.package import LABELS_FILENAME, MODEL_CARD_FILENAME, MODEL_FILENAME

PRODUCTION_ALIAS = "production"
PYFUNC_SOURCE = Path(__file__).resolve().parents[1] / "signbridge" / "serving" / "mlflow_pyfunc.py"
PYFUNC_REQUIREMENTS = ["numpy==1.26.4", "ai-edge-litert==2.3.0"]


def _client():
    import mlflow

    mlflow.set_tracking_uri(workspace.mlflow_tracking_uri())
    return mlflow.MlflowClient()


def register_tflite(
    model_dir: Path, name: str, tags: dict[str, str] | None = None
) -> str:
    """Log `model_dir` (model.tflite + labels.json) in the active MLflow run and register it.

    Returns the new registry version number.
    """
    import mlflow

    info = mlflow.pyfunc.log_model(
        name="tflite_model",
        python_model=str(PYFUNC_SOURCE),
        artifacts={
            "model": str(model_dir / MODEL_FILENAME),
            "labels": str(model_dir / LABELS_FILENAME),
            **({"model_card": str(model_dir / MODEL_CARD_FILENAME)}
               if (model_dir / MODEL_CARD_FILENAME).is_file() else {}),
        },
        pip_requirements=PYFUNC_REQUIREMENTS,
        registered_model_name=name,
    )
    version = str(info.registered_model_version)
    client = mlflow.MlflowClient()
    for key, value in (tags or {}).items():
        client.set_model_version_tag(name, version, key, str(value))
    return version


def set_alias(name: str, version: str | int, alias: str) -> None:
    """Point `name@alias` at `version` (MLflow 3 aliases replace stages)."""
    _client().set_registered_model_alias(name, alias, str(version))


@dataclass
class RegisteredVersion:
    name: str
    version: str
    aliases: list[str]
    tags: dict[str, str]
    run_id: str | None


def find_version(name: str, alias: str | None = None) -> RegisteredVersion:
    """The version under `alias`, or (alias=None) production if set, else the newest version."""
    from mlflow.exceptions import MlflowException

    client = _client()
    try:
        if alias is None:
            try:
                found = client.get_model_version_by_alias(name, PRODUCTION_ALIAS)
            except MlflowException:
                versions = client.search_model_versions(f"name = '{name}'")
                if not versions:
                    raise SignbridgeError(
                        f"no model '{name}' in {workspace.mlflow_tracking_uri()}; "
                        "run `python run_pipeline.py train` first"
                    ) from None
                found = max(versions, key=lambda v: int(v.version))
        else:
            found = client.get_model_version_by_alias(name, alias)
    except MlflowException as error:
        raise SignbridgeError(
            f"model '{name}'{'@' + alias if alias else ''} not found in "
            f"{workspace.mlflow_tracking_uri()} ({error.message})"
        ) from error
    return RegisteredVersion(
        name, str(found.version), list(found.aliases or []), dict(found.tags), found.run_id
    )


def download_version(version: RegisteredVersion, out_dir: str | Path) -> Path:
    """Copy `model.tflite` and `labels.json` of a registry version into `out_dir`."""
    import mlflow

    _client()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    local = Path(
        mlflow.artifacts.download_artifacts(
            artifact_uri=f"models:/{version.name}/{version.version}"
        )
    )
    for filename in (MODEL_FILENAME, LABELS_FILENAME, MODEL_CARD_FILENAME):
        matches = list(local.rglob(filename))
        if matches:
            shutil.copyfile(matches[0], out_dir / filename)
        elif filename != MODEL_CARD_FILENAME:  # older versions have no card
            raise SignbridgeError(f"registry version {version.version} has no {filename}")
    return out_dir
